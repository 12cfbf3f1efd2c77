//! `/admin/products`: the catalogue and its stock, for operators. A product is created or
//! replaced whole (`PUT`), its stock corrected by a delta (`POST …/stock`: a delivery, a count);
//! neither lets stock on hand fall below what open carts hold. Every gateway sees a change
//! within its catalogue cache's lifetime, this one at once; open carts see it at their next
//! change or checkout (prices are checked again there).
use super::OperatorState;
use crate::auth::Authorized;
use crate::error::{ApiError, parse_json};
use actix_web::{HttpResponse, get, post, put, web};
use app::catalogue::{Product, ProductDraft};
use app::orders::Saved;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_products).service(put_product).service(adjust_stock);
}

/// A product as operators see it: its stock on hand, what open carts hold, what is free.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminProduct {
    #[serde(flatten)]
    pub product: Product,
    /// Units that can still be added to carts; `null` when stock is not tracked.
    pub available: Option<u32>,
}

impl From<Product> for AdminProduct {
    fn from(product: Product) -> Self {
        Self {
            available: product.available(),
            product,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminProductList {
    pub products: Vec<AdminProduct>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockDelta {
    /// Units delivered (positive) or written off (negative).
    pub delta: i64,
}

/// The largest single correction taken; anything bigger is a typing mistake.
const MAX_DELTA: i64 = 1_000_000_000;

fn product_id(raw: &str) -> Result<u32, ApiError> {
    raw.parse().map_err(|_| ApiError::Unprocessable {
        field: "id".into(),
        message: format!("product id must be an integer from 0 to {}", u32::MAX),
    })
}

/// Every product, on sale or not, with its stock (operator token).
#[utoipa::path(tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = AdminProductList), (status = 401, body = crate::api::ErrorBody),
    (status = 403, body = crate::api::ErrorBody), (status = 503, body = crate::api::ErrorBody)))]
#[get("/admin/products")]
async fn list_products(
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
) -> Result<HttpResponse, ApiError> {
    let products = state.catalogue.store().products(false).await?;
    Ok(HttpResponse::Ok().json(AdminProductList {
        products: products.into_iter().map(AdminProduct::from).collect(),
    }))
}

/// Creates (201) or replaces (200) a product. `stock` is required: a number on hand, or
/// `null` for stock not tracked (operator token).
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = ProductDraft,
    params(("id" = u32, Path, description = "product id")),
    responses((status = 200, body = AdminProduct), (status = 201, body = AdminProduct),
    (status = 401, body = crate::api::ErrorBody), (status = 403, body = crate::api::ErrorBody),
    (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
#[put("/admin/products/{id}")]
async fn put_product(
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&id)?;
    let draft: ProductDraft = parse_json(&body, 64 * 1024)?;
    let product = draft.into_product(id).map_err(|e| ApiError::Unprocessable {
        field: e.field.into(),
        message: e.message,
    })?;
    let (saved, product) = state.catalogue.store().put_product(&product).await?;
    state.catalogue.invalidate();
    tracing::info!(product_id = id, created = saved == Saved::Created, "product saved");
    Ok(super::saved(saved == Saved::Created, AdminProduct::from(product)))
}

/// A delivery or a count correction of a tracked product's stock on hand (operator token).
#[utoipa::path(tag = "admin", security(("bearer" = [])), request_body = StockDelta,
    params(("id" = u32, Path, description = "product id")),
    responses((status = 200, body = AdminProduct), (status = 401, body = crate::api::ErrorBody),
    (status = 403, body = crate::api::ErrorBody), (status = 404, body = crate::api::ErrorBody),
    (status = 409, body = crate::api::ErrorBody), (status = 422, body = crate::api::ErrorBody)))]
#[post("/admin/products/{id}/stock")]
async fn adjust_stock(
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = product_id(&id)?;
    let StockDelta { delta } = parse_json(&body, 1024)?;
    if delta == 0 || delta.abs() > MAX_DELTA {
        return Err(ApiError::Unprocessable {
            field: "delta".into(),
            message: format!("delta must be a non-zero integer from -{MAX_DELTA} to {MAX_DELTA}"),
        });
    }
    let product = state.catalogue.store().adjust_stock(id, delta).await?;
    state.catalogue.invalidate();
    tracing::info!(product_id = id, delta, "stock adjusted");
    Ok(HttpResponse::Ok().json(AdminProduct::from(product)))
}
