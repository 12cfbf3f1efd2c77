//! The gateway's response bodies, typed so the OpenAPI document is generated from them.
use crate::original::CartBody;
use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductView {
    pub id: u32,
    pub name: String,
    pub description: String,
    pub image: String,
    /// Integer cents.
    pub price_cents: u64,
    /// Formatted for display, e.g. `$999.00`.
    pub price: String,
    /// Whether any can be added now.
    pub in_stock: bool,
    /// How many are left, when that is few (at most `LOW_STOCK`); `null` otherwise.
    pub low_stock: Option<u32>,
    /// The original shop's names for the same product (its frontend reads these).
    #[serde(rename = "Id")]
    #[schema(rename = "Id")]
    pub original_id: u32,
    #[serde(rename = "Name")]
    #[schema(rename = "Name")]
    pub original_name: String,
    #[serde(rename = "Description")]
    #[schema(rename = "Description")]
    pub original_description: String,
    #[serde(rename = "Image")]
    #[schema(rename = "Image")]
    pub original_image: String,
    /// Dollars, a number, for display only (the original's `Price`).
    #[serde(rename = "Price")]
    #[schema(rename = "Price")]
    pub original_price: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductList {
    /// ISO 4217, lower case.
    pub currency: String,
    pub products: Vec<ProductView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CartCreated {
    /// The cart's id; the original shop's clients read it under this name.
    #[serde(rename = "workflowID")]
    #[schema(rename = "workflowID")]
    pub workflow_id: String,
    pub cart: CartBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    /// The checked-out cart, with its payment reference.
    pub receipt: CartBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Declined {
    pub error: ErrorDetail,
    /// The cart, still open: fix the card and check out again.
    pub cart: CartBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Pending {
    /// `checking_out` (the outcome is on its way), or the shopper must act in the browser:
    /// `requires_payment` (confirm with a card through Stripe.js) or `requires_action`
    /// (3-D Secure), both with the PaymentIntent and its client secret.
    pub status: String,
    /// Where to poll for the outcome.
    pub poll: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_intent: Option<String>,
    /// For Stripe.js `confirmCardPayment`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    pub status: String,
}

/// What the storefront page needs to take cards with Stripe.js.
#[derive(Debug, Serialize, ToSchema)]
pub struct StorefrontSettings {
    /// Where the page loads Stripe.js from: Stripe's own, or a local emulator's stand-in.
    pub stripe_js_url: String,
    /// The publishable key (`pk_…`) for `Stripe(key)`; `null` when card payments are not set up.
    pub publishable_key: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `unknown_product`, `cart_locked`.
    pub code: String,
    pub message: String,
    /// The request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// What some codes carry besides.
    #[serde(flatten)]
    pub detail: RefusalDetail,
}

/// The fields some refusals carry: `out_of_stock` the product and the most the cart's line can
/// hold now; `price_changed` each changed line and the new total.
#[derive(Debug, Default, Serialize, serde::Deserialize, ToSchema)]
pub struct RefusalDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub left: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<app::cart::PriceChange>>,
    /// The total at today's prices: check out with `accept_total_cents` set to it to pay it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_cents: Option<u64>,
}

/// Every error: `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// Errors any cart route can answer with.
#[derive(IntoResponses)]
#[allow(dead_code)] // only read by the OpenAPI generator
pub enum CartErrors {
    #[response(status = 400, description = "Malformed JSON, a wrong type, or a bad Idempotency-Key")]
    BadRequest(ErrorBody),
    #[response(status = 404, description = "No such cart")]
    NotFound(ErrorBody),
    #[response(status = 409, description = "The cart is being checked out or has ended")]
    Conflict(ErrorBody),
    #[response(status = 413, description = "Request body too large")]
    TooLarge(ErrorBody),
    #[response(status = 422, description = "The cart refused the change; `field` names the culprit")]
    Refused(ErrorBody),
    #[response(
        status = 503,
        description = "Temporal is unreachable; retry after the Retry-After delay"
    )]
    Unavailable(ErrorBody),
}
