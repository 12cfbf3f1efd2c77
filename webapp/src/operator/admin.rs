//! `/admin/carts`: carts as Temporal's visibility store indexes them (status, item count, total,
//! last change; nothing personal), for support staff and operators. Eventually consistent: a
//! change shows a moment after the cart has it; `GET /cart/{id}` is the cart's exact state.
use super::OperatorState;
use crate::auth::Authorized;
use crate::error::ApiError;
use actix_web::{HttpResponse, get, web};
use app::cart::CartStatus;
use app::domain::Cents;
use app::visibility::{CartSummary, unix_seconds};
use serde::{Deserialize, Serialize};
use utoipa::{IntoResponses, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_carts).service(cart_stats);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartListing {
    pub cart_id: String,
    pub status: CartStatus,
    pub item_count: u32,
    pub total_cents: Cents,
    /// Seconds since the Unix epoch of the cart's last change.
    pub updated_at: Option<u64>,
    /// The cart's workflow is still running.
    pub running: bool,
}

impl From<CartSummary> for CartListing {
    fn from(c: CartSummary) -> Self {
        Self {
            cart_id: c.cart_id,
            status: c.index.status,
            item_count: c.index.item_count,
            total_cents: Cents(c.index.total_cents),
            updated_at: c.index.updated_at.map(unix_seconds),
            running: c.running,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartListPage {
    pub carts: Vec<CartListing>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartStats {
    /// Carts by status, every status present (0 when none).
    pub by_status: std::collections::BTreeMap<String, u64>,
    pub total: u64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CartListParams {
    pub status: Option<CartStatus>,
    /// Page size, 1..=100 (default 50).
    pub limit: Option<u32>,
    /// The `next` of the previous page.
    pub after: Option<String>,
}

/// Errors of the admin routes.
#[derive(IntoResponses)]
#[allow(dead_code)] // only read by the OpenAPI generator
pub enum AdminErrors {
    #[response(status = 400, description = "A bad status or cursor; `field` names it")]
    BadRequest(crate::api::ErrorBody),
    #[response(status = 401, description = "No bearer token")]
    Unauthorized(crate::api::ErrorBody),
    #[response(status = 403, description = "Wrong bearer token")]
    Forbidden(crate::api::ErrorBody),
    #[response(status = 422, description = "`limit` out of range")]
    Unprocessable(crate::api::ErrorBody),
    #[response(status = 503, description = "Temporal unavailable")]
    Unavailable(crate::api::ErrorBody),
}

/// Carts newest first, optionally of one status (operator token).
#[utoipa::path(tag = "admin", params(CartListParams), security(("bearer" = [])),
    responses((status = 200, body = CartListPage), AdminErrors))]
#[get("/admin/carts")]
async fn list_carts(
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
    q: web::Query<CartListParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::Unprocessable {
            field: "limit".into(),
            message: "limit must be between 1 and 100".into(),
        });
    }
    let page = state.directory.list(q.status, limit, q.after.as_deref()).await?;
    Ok(HttpResponse::Ok().json(CartListPage {
        carts: page.carts.into_iter().map(CartListing::from).collect(),
        next: page.next,
    }))
}

/// How many carts are in each status (operator token).
#[utoipa::path(tag = "admin", security(("bearer" = [])), responses((status = 200, body = CartStats), AdminErrors))]
#[get("/admin/carts/stats")]
async fn cart_stats(
    _auth: Authorized<OperatorState>,
    state: web::Data<OperatorState>,
) -> Result<HttpResponse, ApiError> {
    let counts = state.directory.stats().await?;
    Ok(HttpResponse::Ok().json(CartStats {
        total: counts.iter().map(|(_, n)| n).sum(),
        by_status: counts.into_iter().map(|(s, n)| (s.as_str().to_owned(), n)).collect(),
    }))
}
