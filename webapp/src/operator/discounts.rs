//! `/admin/discounts`: discount codes, for operators (the operator token). A code is created or
//! replaced whole by `PUT` (its count of uses stays); a bad field answers 422 naming it.
use super::{OperatorState, saved};
use crate::auth::Authorized;
use crate::error::{ApiError, parse_json};
use actix_web::{HttpResponse, get, put, web};
use app::domain::Cents;
use app::totals::{Discount, DiscountCode, DiscountKind};
use serde::{Deserialize, Serialize};
use std::time::SystemTime;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_discounts).service(put_discount);
}

/// A larger fixed amount is a typing mistake ($100,000.00).
const MAX_AMOUNT_OFF_CENTS: u64 = 10_000_000;

/// A code as operators send it: exactly one of `percent_off_bp` and `amount_off_cents`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountDraft {
    /// Basis points of the goods: 1000 is 10 % off.
    pub percent_off_bp: Option<u32>,
    pub amount_off_cents: Option<u64>,
    pub min_subtotal_cents: Option<u64>,
    /// RFC 3339, e.g. `2026-12-24T00:00:00Z`.
    pub valid_from: Option<String>,
    /// RFC 3339; the code stops working at this instant.
    pub valid_until: Option<String>,
    pub max_uses: Option<u32>,
    pub max_uses_per_email: Option<u32>,
}

/// A code as operators read it, with the orders recorded with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiscountView {
    pub code: String,
    pub percent_off_bp: Option<u32>,
    pub amount_off_cents: Option<u64>,
    pub min_subtotal_cents: Option<u64>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub max_uses: Option<u32>,
    pub max_uses_per_email: Option<u32>,
    pub uses: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiscountList {
    pub discounts: Vec<DiscountView>,
}

fn rfc3339(t: Option<SystemTime>) -> Option<String> {
    t.map(|t| humantime::format_rfc3339(t).to_string())
}

impl DiscountView {
    fn of(d: &Discount, uses: u32) -> Self {
        let (percent_off_bp, amount_off_cents) = match d.kind {
            DiscountKind::Percent { bp } => (Some(bp), None),
            DiscountKind::Fixed { cents } => (None, Some(cents.0)),
        };
        Self {
            code: d.code.as_str().to_owned(),
            percent_off_bp,
            amount_off_cents,
            min_subtotal_cents: d.min_subtotal.map(|c| c.0),
            valid_from: rfc3339(d.valid_from),
            valid_until: rfc3339(d.valid_until),
            max_uses: d.max_uses,
            max_uses_per_email: d.max_uses_per_email,
            uses,
        }
    }
}

fn refuse(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::Unprocessable {
        field: field.into(),
        message: message.into(),
    }
}

fn instant(raw: Option<&str>, field: &str) -> Result<Option<SystemTime>, ApiError> {
    raw.map(|s| {
        humantime::parse_rfc3339(s.trim()).map_err(|_| {
            refuse(
                field,
                format!("{field} must be an RFC 3339 instant, e.g. 2026-12-24T00:00:00Z"),
            )
        })
    })
    .transpose()
}

fn discount(code: &str, d: DiscountDraft) -> Result<Discount, ApiError> {
    let code = DiscountCode::parse(code).map_err(|e| refuse("code", e.to_string()))?;
    let kind = match (d.percent_off_bp, d.amount_off_cents) {
        (Some(bp), None) if (1..=10_000).contains(&bp) => DiscountKind::Percent { bp },
        (Some(_), None) => {
            return Err(refuse(
                "percent_off_bp",
                "percent_off_bp must be from 1 to 10000 (100 %)",
            ));
        }
        (None, Some(cents)) if (1..=MAX_AMOUNT_OFF_CENTS).contains(&cents) => {
            DiscountKind::Fixed { cents: Cents(cents) }
        }
        (None, Some(_)) => {
            return Err(refuse(
                "amount_off_cents",
                format!("amount_off_cents must be from 1 to {MAX_AMOUNT_OFF_CENTS}"),
            ));
        }
        _ => {
            return Err(refuse(
                "percent_off_bp",
                "give exactly one of percent_off_bp and amount_off_cents",
            ));
        }
    };
    let valid_from = instant(d.valid_from.as_deref(), "valid_from")?;
    let valid_until = instant(d.valid_until.as_deref(), "valid_until")?;
    if let (Some(from), Some(until)) = (valid_from, valid_until)
        && until <= from
    {
        return Err(refuse("valid_until", "valid_until must come after valid_from"));
    }
    for (name, limit) in [("max_uses", d.max_uses), ("max_uses_per_email", d.max_uses_per_email)] {
        if limit == Some(0) {
            return Err(refuse(
                name,
                format!("{name} must be at least 1, or left out for no limit"),
            ));
        }
    }
    Ok(Discount {
        code,
        kind,
        min_subtotal: d.min_subtotal_cents.map(Cents),
        valid_from,
        valid_until,
        max_uses: d.max_uses,
        max_uses_per_email: d.max_uses_per_email,
    })
}

/// Every discount code with its uses (operator token).
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = DiscountList), (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody)))]
#[get("/admin/discounts")]
async fn list_discounts(
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
) -> Result<HttpResponse, ApiError> {
    let all = state.catalogue.store().discounts().await?;
    let discounts = all.iter().map(|(d, uses)| DiscountView::of(d, *uses)).collect();
    Ok(HttpResponse::Ok().json(DiscountList { discounts }))
}

/// Creates (201) or replaces (200) a discount code; codes are upper-cased (operator token).
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = DiscountDraft,
    params(("code" = String, Path, description = "1 to 32 letters, digits, '-' or '_'")),
    responses((status = 200, body = DiscountView), (status = 201, body = DiscountView),
    (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
#[put("/admin/discounts/{code}")]
async fn put_discount(
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
    code: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let d = discount(&code, parse_json(&body, 4 * 1024)?)?;
    let store = state.catalogue.store();
    let created = store.put_discount(&d).await?;
    let uses = store.discount(&d.code).await?.map_or(0, |(_, uses)| uses);
    Ok(saved(created, DiscountView::of(&d, uses)))
}
