//! HTTP → Temporal: POST starts a cart workflow, GET queries it, PUT runs a workflow update.
//! The gateway holds no cart state, so any number of identical processes can serve.
use crate::api::{
    CartCreated, CartErrors, Declined, ErrorBody, ErrorDetail, Pending, ProductList, ProductView, Receipt, Status,
};
use crate::error::{ApiError, parse_json_any_case, parse_json_as_sent};
use crate::original::{CartBody, dollars};
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use app::cart::{CartStatus, CartView, EmailChange, ItemChange, PaymentView};
use app::cart_client::{CartChange, Carts};
use app::catalogue::CatalogueCache;
use app::codes::Code;
use app::domain::CartId;
use app::domain::CheckoutRequest;
use std::sync::Arc;
use std::time::Duration;
use utoipa_actix_web::service_config::ServiceConfig;

pub struct State {
    pub carts: Carts,
    /// The products on sale, briefly cached (see `app::catalogue::CatalogueCache`).
    pub catalogue: Arc<CatalogueCache>,
    /// How long a checkout request waits for the payment's outcome before answering 202.
    pub checkout_wait: Duration,
    pub body_limit: usize,
}

/// The item routes' fields, in any case (see [`crate::original`]).
const ITEM_FIELDS: &[&str] = &["product_id", "quantity"];

/// At most this many left is shown as such on the product.
pub const LOW_STOCK: u32 = 5;

impl State {
    /// A cart as every route answers with it: ours, and the original shop's fields.
    fn body(&self, cart: CartView) -> CartBody {
        CartBody::of(cart, self.catalogue.peek().as_deref().map_or(&[], |p| p.as_slice()))
    }
}

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz)
        .service(readyz)
        .service(products)
        .service(create_cart)
        .service(get_cart)
        .service(add_item)
        .service(remove_item)
        .service(set_email)
        .service(checkout);
}

fn cart_id(raw: &str) -> Result<CartId, ApiError> {
    // An id that cannot exist is answered like one that does not.
    CartId::parse(raw).map_err(|_| ApiError::CartNotFound)
}

/// A client's `Idempotency-Key` becomes the update id, so a retried request is applied once.
pub(crate) fn update_id(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    match req.headers().get("Idempotency-Key") {
        None => Ok(None),
        Some(v) => match v.to_str() {
            Ok(s) if !s.is_empty() && s.len() <= 255 => Ok(Some(s.to_owned())),
            _ => Err(ApiError::BadRequest {
                field: Some("Idempotency-Key".into()),
                message: "Idempotency-Key must be 1 to 255 visible ASCII characters".into(),
            }),
        },
    }
}

/// Process up.
#[utoipa::path(tag = "operations", responses((status = 200, body = Status)))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Status { status: "ok".into() })
}

/// Ready when Temporal answers within a second and a half; 503 otherwise, quickly, so a load
/// balancer's probe is not left hanging while Temporal is down.
#[utoipa::path(tag = "operations", responses((status = 200, body = Status), (status = 503, body = ErrorBody)))]
#[get("/readyz")]
async fn readyz(state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    state.carts.ping(Duration::from_millis(1500)).await?;
    Ok(HttpResponse::Ok().json(Status { status: "ready".into() }))
}

/// The products on sale, prices in integer cents and formatted, with a note when few are left.
#[utoipa::path(tag = "catalogue", responses((status = 200, body = ProductList), (status = 503, body = ErrorBody)))]
#[get("/products")]
async fn products(state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    let listed = state.catalogue.active().await.map_err(|e| {
        tracing::warn!(error = %e, "catalogue unreadable");
        ApiError::CatalogueUnavailable
    })?;
    let products = listed
        .iter()
        .map(|p| ProductView {
            id: p.id,
            name: p.name.clone(),
            description: p.description.clone(),
            image: p.image.clone(),
            price_cents: p.price_cents.0,
            price: p.price_cents.to_string(),
            in_stock: p.available().is_none_or(|n| n > 0),
            low_stock: p.available().filter(|n| *n <= LOW_STOCK),
            original_id: p.id,
            original_name: p.name.clone(),
            original_description: p.description.clone(),
            original_image: p.image.clone(),
            original_price: dollars(p.price_cents),
        })
        .collect();
    Ok(HttpResponse::Ok().json(ProductList {
        currency: state.carts.shop().catalogue.currency.clone(),
        products,
    }))
}

/// A new cart: an unguessable id, signed by the gateway. No workflow starts until the cart's
/// first change, so this costs Temporal nothing.
#[utoipa::path(tag = "carts", responses((status = 201, body = CartCreated), CartErrors))]
#[post("/cart")]
async fn create_cart(state: web::Data<State>) -> Result<HttpResponse, ApiError> {
    let cart = state.carts.mint();
    tracing::info!(cart = %cart.id.tag(), "cart created");
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/cart/{}", cart.id)))
        .json(CartCreated {
            workflow_id: cart.id.to_string(),
            cart: state.body(cart),
        }))
}

/// The cart with server-priced lines and total.
#[utoipa::path(tag = "carts", params(("id" = String, Path, description = "cart id", pattern = "^cart-[0-9a-f]{32}$")),
    responses((status = 200, body = CartBody), CartErrors))]
#[get("/cart/{id}")]
async fn get_cart(state: web::Data<State>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let cart = state.carts.get(&cart_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(state.body(cart)))
}

/// The shared body of the three change routes: parse, apply as an update, answer the cart.
async fn change<T: serde::de::DeserializeOwned>(
    state: &State,
    id: &str,
    req: &HttpRequest,
    body: &[u8],
    (wrap, fields): (fn(T) -> CartChange, &[&str]),
) -> Result<HttpResponse, ApiError> {
    let id = cart_id(id)?;
    let (parsed, renamed) = parse_json_as_sent(body, state.body_limit, fields)?;
    let change = wrap(parsed);
    let cart = state
        .carts
        .change(&id, change, update_id(req)?)
        .await
        .map_err(|e| ApiError::from(e).as_sent(renamed))?;
    Ok(HttpResponse::Ok().json(state.body(cart)))
}

/// Adds a product (merging with its line). Body `{"ProductId", "Quantity"}` or snake_case.
#[utoipa::path(tag = "carts", params(("id" = String, Path, description = "cart id", pattern = "^cart-[0-9a-f]{32}$"),
        ("Idempotency-Key" = Option<String>, Header, description = "retries with the same key apply once")),
    request_body = ItemChange, responses((status = 200, body = CartBody), CartErrors))]
#[put("/cart/{id}/add")]
async fn add_item(
    state: web::Data<State>,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    change(&state, &id, &req, &body, (CartChange::Add, ITEM_FIELDS)).await
}

/// Takes a quantity off a line; as many as it holds, or more, drops the line.
#[utoipa::path(tag = "carts", params(("id" = String, Path, description = "cart id", pattern = "^cart-[0-9a-f]{32}$"),
        ("Idempotency-Key" = Option<String>, Header, description = "retries with the same key apply once")),
    request_body = ItemChange, responses((status = 200, body = CartBody), CartErrors))]
#[put("/cart/{id}/remove")]
async fn remove_item(
    state: web::Data<State>,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    change(&state, &id, &req, &body, (CartChange::Remove, ITEM_FIELDS)).await
}

/// Sets the email reminders and the receipt go to. Body `{"Email"}` or `{"email"}`.
#[utoipa::path(tag = "carts", params(("id" = String, Path, description = "cart id", pattern = "^cart-[0-9a-f]{32}$"),
        ("Idempotency-Key" = Option<String>, Header, description = "retries with the same key apply once")),
    request_body = EmailChange, responses((status = 200, body = CartBody), CartErrors))]
#[put("/cart/{id}/email")]
async fn set_email(
    state: web::Data<State>,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    change(&state, &id, &req, &body, (CartChange::Email, &["email"])).await
}

/// Pays for the cart and answers with the outcome: 200 and the receipt, 402 and the reason
/// (the cart stays usable), or 202 with where to poll when the payment outlasts the wait.
#[utoipa::path(tag = "carts", params(("id" = String, Path, description = "cart id", pattern = "^cart-[0-9a-f]{32}$"),
        ("Idempotency-Key" = Option<String>, Header, description = "retries with the same key apply once")),
    request_body(content = Option<CheckoutRequest>, description = "optional; email if not set yet, a test card"),
    responses((status = 200, body = Receipt), (status = 202, body = Pending), (status = 402, body = Declined), CartErrors))]
#[put("/cart/{id}/checkout")]
async fn checkout(
    state: web::Data<State>,
    id: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = cart_id(&id)?;
    let request: CheckoutRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CheckoutRequest::default()
    } else {
        parse_json_any_case(
            &body,
            state.body_limit,
            &["email", "payment_method", "confirm", "accept_total_cents"],
        )?
    };
    let answer = state
        .carts
        .checkout(&id, request, update_id(&req)?, state.checkout_wait)
        .await?;
    let poll = format!("/cart/{id}");
    let pending = |status: &str, payment: Option<&PaymentView>| {
        HttpResponse::Accepted()
            .insert_header(("Location", poll.clone()))
            .json(Pending {
                status: status.into(),
                poll: poll.clone(),
                payment_intent: payment.map(|p| p.payment_intent.clone()),
                client_secret: payment.and_then(|p| p.client_secret.clone()),
            })
    };
    Ok(match answer {
        Some(cart) if cart.status == CartStatus::CheckedOut => HttpResponse::Ok().json(Receipt {
            receipt: state.body(cart),
        }),
        // The shopper has to act in the browser: give Stripe.js what it needs.
        Some(cart) if cart.status == CartStatus::CheckingOut => match &cart.payment {
            Some(p) if p.status.awaits_shopper() => pending(p.status.as_str(), Some(p)),
            _ => pending("checking_out", cart.payment.as_ref()),
        },
        Some(cart) => HttpResponse::build(crate::error::status(Code::PaymentDeclined)).json(Declined {
            error: ErrorDetail {
                code: Code::PaymentDeclined.as_str().into(),
                message: cart
                    .payment_error
                    .clone()
                    .unwrap_or_else(|| "the payment did not go through".into()),
                field: None,
                detail: Default::default(),
            },
            cart: state.body(cart),
        }),
        None => pending("checking_out", None),
    })
}
