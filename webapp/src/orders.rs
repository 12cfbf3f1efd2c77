//! `/orders`: the order-processing API of the OpenAPI contract. Every route needs the bearer
//! token from configuration (ids are guessable integers, so nothing is readable without it).
//! Changes go through the order's workflow, never straight to the table.
use crate::auth::Authorized;
use crate::error::{ApiError, parse_json};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use app::domain::{Cents, Email};
use app::orders::{ListQuery, NewOrder, Order, OrderChange, OrderLine, OrderStatus, Orders, cents_from_amount};
use serde::{Deserialize, Serialize};
use utoipa::{IntoResponses, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

pub struct OrdersState {
    pub orders: Orders,
    pub token: String,
    pub body_limit: usize,
}

impl crate::auth::Guarded for OrdersState {
    fn token(&self) -> &str {
        &self.token
    }
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_orders)
        .service(create_order)
        .service(get_order)
        .service(update_order)
        .service(delete_order);
}

/// The contract's `Order`, plus extensions (cents, lines, payment, the cart it came from).
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub customer_id: i64,
    pub status: OrderStatus,
    /// Dollars with two decimals, as the contract has it; `total_cents` is exact.
    #[schema(value_type = f64, multiple_of = 0.01)]
    pub total_amount: f64,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    pub total_cents: u64,
    pub currency: String,
    pub email: Option<String>,
    pub cart_id: Option<String>,
    pub payment_ref: Option<String>,
    pub refund_ref: Option<String>,
    /// Set when Stripe refused the refund for good: an operator must act (see README).
    pub refund_error: Option<String>,
    pub lines: Vec<OrderLine>,
}

impl From<Order> for OrderView {
    fn from(o: Order) -> Self {
        Self {
            id: o.id,
            customer_id: o.customer_id,
            status: o.status,
            total_amount: o.total_cents.0 as f64 / 100.0,
            created_at: o.created_at,
            updated_at: o.updated_at,
            total_cents: o.total_cents.0,
            currency: o.currency,
            email: o.email,
            cart_id: o.cart_id,
            payment_ref: o.payment_ref,
            refund_ref: o.refund_ref,
            refund_error: o.refund_error,
            lines: o.lines,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrderRequest {
    pub customer_id: i64,
    /// At most two decimals.
    #[schema(minimum = 0)]
    pub total_amount: f64,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub lines: Vec<OrderLine>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrderRequest {
    #[serde(default)]
    pub status: Option<OrderStatus>,
    #[serde(default)]
    #[schema(minimum = 0)]
    pub total_amount: Option<f64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    /// Page size, 1..=200 (default 50).
    pub limit: Option<i64>,
    /// Return orders after this id (the `X-Next-Cursor` of the previous page).
    pub after: Option<i64>,
    pub status: Option<OrderStatus>,
}

/// Errors of the order routes.
#[derive(IntoResponses)]
#[allow(dead_code)] // only read by the OpenAPI generator
pub enum OrderErrors {
    #[response(status = 400, description = "Malformed JSON or a wrong type")]
    BadRequest(crate::api::ErrorBody),
    #[response(status = 401, description = "No bearer token")]
    Unauthorized(crate::api::ErrorBody),
    #[response(status = 403, description = "Wrong bearer token")]
    Forbidden(crate::api::ErrorBody),
    #[response(status = 404, description = "No such order")]
    NotFound(crate::api::ErrorBody),
    #[response(status = 409, description = "The change is illegal from the current status")]
    Conflict(crate::api::ErrorBody),
    #[response(status = 413, description = "Request body too large")]
    TooLarge(crate::api::ErrorBody),
    #[response(status = 422, description = "A value out of range; `field` names it")]
    Unprocessable(crate::api::ErrorBody),
    #[response(status = 503, description = "Database or Temporal unavailable")]
    Unavailable(crate::api::ErrorBody),
}

/// The largest amount accepted anywhere (a trillion dollars), far inside the database's BIGINT.
const MAX_CENTS: u64 = 100_000_000_000_000;

fn amount(field: &'static str, value: f64) -> Result<Cents, ApiError> {
    cents_from_amount(value).map_err(|message| ApiError::Unprocessable {
        field: field.into(),
        message,
    })
}

/// Orders in id order; filter by status, page with `after` and `limit`.
#[utoipa::path(tag = "orders", params(ListParams), security(("bearer" = [])),
    responses((status = 200, body = Vec<OrderView>, headers(("X-Next-Cursor" = i64, description = "pass as `after` for the next page"))), OrderErrors))]
#[get("/orders")]
async fn list_orders(
    _auth: Authorized<OrdersState>,
    state: web::Data<OrdersState>,
    q: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::Unprocessable {
            field: "limit".into(),
            message: "limit must be between 1 and 200".into(),
        });
    }
    let orders = state
        .orders
        .store
        .list(&ListQuery {
            status: q.status,
            after_id: q.after,
            limit,
        })
        .await?;
    let mut response = HttpResponse::Ok();
    if orders.len() as i64 == limit
        && let Some(last) = orders.last()
    {
        response.insert_header(("X-Next-Cursor", last.id.to_string()));
    }
    Ok(response.json(orders.into_iter().map(OrderView::from).collect::<Vec<_>>()))
}

/// Records an order and starts its workflow (`order-<id>`).
#[utoipa::path(tag = "orders", security(("bearer" = [])), request_body = CreateOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key and body answers with the same order")),
    responses((status = 201, body = OrderView), OrderErrors))]
#[post("/orders")]
async fn create_order(
    _auth: Authorized<OrdersState>,
    state: web::Data<OrdersState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let r: CreateOrderRequest = parse_json(&body, state.body_limit)?;
    if r.customer_id < 1 || r.customer_id >= app::orders::GUEST_IDS_FROM {
        return Err(ApiError::Unprocessable {
            field: "customer_id".into(),
            message: format!(
                "customer_id must be from 1 to {} (guest customers are numbered above)",
                app::orders::GUEST_IDS_FROM - 1
            ),
        });
    }
    // Everything the database would refuse is refused here first, as a 422 naming the field.
    let email = match r.email.as_deref() {
        Some(e) => Some(Email::parse(e).map_err(|message| ApiError::Unprocessable {
            field: "email".into(),
            message,
        })?),
        None => None,
    };
    for (i, line) in r.lines.iter().enumerate() {
        let bad = |field: &str, message: &str| ApiError::Unprocessable {
            field: format!("lines[{i}].{field}"),
            message: message.into(),
        };
        if line.quantity == 0 {
            return Err(bad("quantity", "quantity must be at least 1"));
        }
        if line.unit_price_cents.0 > MAX_CENTS {
            return Err(bad("unit_price_cents", "unit_price_cents is too large"));
        }
        if line.name.is_empty() || line.name.contains('\0') || line.name.len() > 200 {
            return Err(bad("name", "name must be 1 to 200 characters without NUL"));
        }
    }
    let new = NewOrder {
        customer_id: Some(r.customer_id),
        email: email.map(String::from),
        total_cents: amount("total_amount", r.total_amount)?,
        currency: "usd".into(),
        cart_id: None,
        payment_ref: None,
        lines: r.lines,
        idempotency: crate::carts::update_id(&req)?.map(|key| {
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            (key, app::domain::fingerprint("POST /orders", &body))
        }),
    };
    let order = state.orders.place(&new).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/orders/{}", order.id)))
        .json(OrderView::from(order)))
}

#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 200, body = OrderView), OrderErrors))]
#[get("/orders/{id}")]
async fn get_order(
    _auth: Authorized<OrdersState>,
    state: web::Data<OrdersState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let order = state.orders.store.get(order_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(OrderView::from(order)))
}

/// Changes the status (pending → processing → completed, or → cancelled) or, while pending,
/// the total. Cancelling a paid order refunds it.
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("id" = i64, Path)), request_body = UpdateOrderRequest,
    responses((status = 200, body = OrderView), OrderErrors))]
#[put("/orders/{id}")]
async fn update_order(
    _auth: Authorized<OrdersState>,
    state: web::Data<OrdersState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = order_id(&id)?;
    let r: UpdateOrderRequest = parse_json(&body, state.body_limit)?;
    let total_cents = r.total_amount.map(|a| amount("total_amount", a)).transpose()?;
    let order = state
        .orders
        .change(
            id,
            OrderChange {
                status: r.status,
                total_cents,
            },
        )
        .await?;
    Ok(HttpResponse::Ok().json(OrderView::from(order)))
}

/// Cancels the order (refunding a paid one) and hides it; the row is kept for audit.
#[utoipa::path(tag = "orders", security(("bearer" = [])), params(("id" = i64, Path)),
    responses((status = 204, description = "Deleted"), OrderErrors))]
#[delete("/orders/{id}")]
async fn delete_order(
    _auth: Authorized<OrdersState>,
    state: web::Data<OrdersState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.orders.delete(order_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn order_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::OrderNotFound)
}
