//! What clients read of a cart.
use super::CartStatus;
use crate::domain::{CartId, Cents, PaymentStatus, ProductId};
use serde::{Deserialize, Serialize};

/// What clients read: server-priced lines and totals, in cents and formatted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CartView {
    pub id: CartId,
    pub lines: Vec<LineView>,
    pub item_count: u32,
    pub total_cents: Cents,
    pub total: String,
    pub email: Option<String>,
    pub status: CartStatus,
    pub reminders_sent: u32,
    pub checkout_attempts: u32,
    pub payment_ref: Option<String>,
    pub payment_error: Option<String>,
    /// The order this cart became at checkout.
    #[serde(default)]
    pub order_id: Option<i64>,
    /// The last payment call got no clear answer and Stripe is being asked what became of it;
    /// until then the cart refuses changes (`payment_pending`).
    #[serde(default)]
    pub payment_pending: bool,
    /// The checkout's PaymentIntent, with what the browser needs while the shopper must act.
    #[serde(default)]
    pub payment: Option<PaymentView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentView {
    pub payment_intent: String,
    pub status: PaymentStatus,
    /// For Stripe.js (`confirmCardPayment`), only while the shopper has to act.
    pub client_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineView {
    pub product_id: ProductId,
    pub name: String,
    pub quantity: u32,
    pub unit_price_cents: Cents,
    pub unit_price: String,
    pub line_total_cents: Cents,
    pub line_total: String,
    /// The shop holds these units for the cart; a lapsed reservation is taken again at
    /// checkout if the stock allows.
    #[serde(default)]
    pub reserved: bool,
}
