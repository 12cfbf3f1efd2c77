//! `/admin/shipping` and `/admin/tax-rates`: how the shop ships and taxes, for operators (the
//! operator token). Each is created or replaced whole by `PUT`; a bad field answers 422 naming
//! it. Carts price shipping and tax from these (issue #21).
use super::{OperatorState, saved};
use crate::auth::Authorized;
use crate::error::{ApiError, parse_json};
use actix_web::{HttpResponse, get, put, web};
use app::domain::Cents;
use app::totals::{COUNTRIES, ShippingMethod, TaxRate, US_STATES};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_shipping)
        .service(put_shipping)
        .service(list_tax_rates)
        .service(put_country_rate)
        .service(put_region_rate);
}

/// Dearer than this is a typing mistake ($10,000.00).
const MAX_SHIPPING_CENTS: u64 = 1_000_000;

#[derive(Debug, Serialize, ToSchema)]
pub struct ShippingList {
    pub methods: Vec<ShippingMethod>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaxRateList {
    pub rates: Vec<TaxRate>,
}

/// A shipping method as an operator sends it; the code is in the path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodDraft {
    pub name: String,
    /// ISO 3166-1 alpha-2 codes.
    pub countries: Vec<String>,
    pub price_cents: u64,
    #[serde(default)]
    pub free_above_cents: Option<u64>,
}

/// A tax rate as an operator sends it; the country (and region) are in the path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateDraft {
    /// Basis points: 825 is 8.25 %.
    pub rate_bp: u32,
    #[serde(default)]
    pub taxes_shipping: bool,
}

fn refuse(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable {
        field: field.into(),
        message: message.into(),
    }
}

fn country(raw: &str, field: &str) -> Result<String, ApiError> {
    let code = raw.trim().to_ascii_uppercase();
    if COUNTRIES.binary_search(&code.as_str()).is_ok() {
        Ok(code)
    } else {
        Err(refuse(field, "not an ISO 3166-1 alpha-2 country code"))
    }
}

fn method(code: &str, draft: MethodDraft) -> Result<ShippingMethod, ApiError> {
    let code_ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_".contains(&b));
    if !code_ok {
        return Err(refuse("code", "code must be 1 to 32 of a-z, 0-9, '-' and '_'"));
    }
    let name = draft.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(refuse(
            "name",
            "name must be 1 to 100 characters, none of them control characters",
        ));
    }
    if draft.countries.is_empty() {
        return Err(refuse("countries", "a method ships to at least one country"));
    }
    let countries = draft
        .countries
        .iter()
        .map(|c| country(c, "countries"))
        .collect::<Result<Vec<_>, _>>()?;
    if draft.price_cents > MAX_SHIPPING_CENTS {
        return Err(refuse(
            "price_cents",
            format!("price_cents must be from 0 to {MAX_SHIPPING_CENTS}"),
        ));
    }
    Ok(ShippingMethod {
        code: code.to_owned(),
        name,
        countries,
        price_cents: Cents(draft.price_cents),
        free_above_cents: draft.free_above_cents.map(Cents),
    })
}

fn rate(country_code: &str, region: Option<&str>, draft: RateDraft) -> Result<TaxRate, ApiError> {
    let country = country(country_code, "country")?;
    let region = match region {
        None => None,
        Some(r) => {
            let r = r.trim().to_ascii_uppercase();
            let known = country != "US" || US_STATES.binary_search(&r.as_str()).is_ok();
            if r.is_empty() || r.len() > 8 || !r.bytes().all(|b| b.is_ascii_alphanumeric()) || !known {
                return Err(refuse(
                    "region",
                    "not a region of this country (US: a state's two letters)",
                ));
            }
            Some(r)
        }
    };
    if draft.rate_bp > 10_000 {
        return Err(refuse("rate_bp", "rate_bp must be from 0 to 10000 (100 %)"));
    }
    Ok(TaxRate {
        country,
        region,
        rate_bp: draft.rate_bp,
        taxes_shipping: draft.taxes_shipping,
    })
}

/// Every shipping method (operator token).
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = ShippingList), (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody)))]
#[get("/admin/shipping")]
async fn list_shipping(
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
) -> Result<HttpResponse, ApiError> {
    let methods = state.catalogue.store().shipping_methods().await?;
    Ok(HttpResponse::Ok().json(ShippingList { methods }))
}

/// Creates (201) or replaces (200) a shipping method (operator token).
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = MethodDraft,
    params(("code" = String, Path, description = "the method's code, e.g. standard")),
    responses((status = 200, body = ShippingMethod), (status = 201, body = ShippingMethod),
    (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
#[put("/admin/shipping/{code}")]
async fn put_shipping(
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
    code: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let m = method(&code, parse_json(&body, 16 * 1024)?)?;
    let created = state.catalogue.store().put_shipping_method(&m).await?;
    Ok(saved(created, m))
}

/// Every tax rate (operator token).
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = TaxRateList), (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody)))]
#[get("/admin/tax-rates")]
async fn list_tax_rates(
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
) -> Result<HttpResponse, ApiError> {
    let rates = state.catalogue.store().tax_rates().await?;
    Ok(HttpResponse::Ok().json(TaxRateList { rates }))
}

/// Creates or replaces a country's rate (operator token).
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = RateDraft,
    params(("country" = String, Path, description = "ISO 3166-1 alpha-2")),
    responses((status = 200, body = TaxRate), (status = 201, body = TaxRate),
    (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
#[put("/admin/tax-rates/{country}")]
async fn put_country_rate(
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
    country: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let r = rate(&country, None, parse_json(&body, 1024)?)?;
    let created = state.catalogue.store().put_tax_rate(&r).await?;
    Ok(saved(created, r))
}

/// Creates or replaces a region's rate, e.g. a US state's (operator token).
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = RateDraft,
    params(("country" = String, Path, description = "ISO 3166-1 alpha-2"), ("region" = String, Path, description = "e.g. CA")),
    responses((status = 200, body = TaxRate), (status = 201, body = TaxRate),
    (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
#[put("/admin/tax-rates/{country}/{region}")]
async fn put_region_rate(
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (country, region) = path.into_inner();
    let r = rate(&country, Some(&region), parse_json(&body, 1024)?)?;
    let created = state.catalogue.store().put_tax_rate(&r).await?;
    Ok(saved(created, r))
}
