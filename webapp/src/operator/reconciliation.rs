//! `GET /admin/reconciliation`: the reconciler's recent passes over Stripe's payments, newest
//! first, with what each could not put right (PaymentIntent ids and a code: nothing personal).
use super::OperatorState;
use crate::auth::Authorized;
use crate::error::ApiError;
use crate::orders::OrdersState;
use actix_web::{HttpResponse, get, web};
use app::cart_client::CartsError;
use app::orders::ReconciliationRun;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(reconciliation);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Reconciliation {
    pub runs: Vec<ReconciliationRun>,
    /// Payments the newest pass could not put right (refund failed, refunded with a live order…).
    pub unresolved: usize,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RunParams {
    /// Passes to show, 1 to 100 (default 10).
    pub limit: Option<i64>,
}

/// The reconciler's recent passes (operator token).
#[utoipa::path(tag = "admin", params(RunParams), security(("bearer" = [])),
    responses((status = 200, body = Reconciliation), (status = 401, body = crate::api::ErrorBody),
    (status = 403, body = crate::api::ErrorBody), (status = 503, body = crate::api::ErrorBody)))]
#[get("/admin/reconciliation")]
async fn reconciliation(
    _auth: Authorized<OperatorState>,
    params: web::Query<RunParams>,
    orders: Option<web::Data<OrdersState>>,
) -> Result<HttpResponse, ApiError> {
    let limit = params.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::BadRequest {
            field: Some("limit".into()),
            message: "limit must be between 1 and 100".into(),
        });
    }
    let orders = orders.ok_or(ApiError::Carts(CartsError::Unavailable(
        "this gateway has no order store".into(),
    )))?;
    let runs = orders.orders.store.runs(limit).await.map_err(|e| {
        tracing::warn!(error = %e, "reconciliation runs unreadable");
        ApiError::Carts(CartsError::Unavailable("the order store did not answer".into()))
    })?;
    let unresolved = runs.first().map_or(0, |r| r.problems.len());
    Ok(HttpResponse::Ok().json(Reconciliation { runs, unresolved }))
}
