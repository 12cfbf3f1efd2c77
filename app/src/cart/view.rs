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

impl super::Cart {
    pub fn view(&self, id: &CartId) -> CartView {
        CartView {
            id: id.clone(),
            lines: self
                .lines
                .iter()
                .map(|l| LineView {
                    product_id: l.product_id,
                    name: l.name.clone(),
                    quantity: l.quantity.get(),
                    unit_price_cents: l.unit_price_cents,
                    unit_price: l.unit_price_cents.to_string(),
                    line_total_cents: l.unit_price_cents.times(l.quantity.get()),
                    line_total: l.unit_price_cents.times(l.quantity.get()).to_string(),
                    reserved: l.reserved,
                })
                .collect(),
            item_count: self.item_count(),
            total_cents: self.total(),
            total: self.total().to_string(),
            email: self.email.as_ref().map(|e| e.as_str().to_owned()),
            status: self.status,
            reminders_sent: self.reminders_sent,
            checkout_attempts: self.checkout_attempts,
            payment_ref: self.payment_ref.clone(),
            payment_error: self.payment_error.clone(),
            order_id: self.order_id,
            payment_pending: self.payment_pending(),
            payment: self.payment.as_ref().map(|p| PaymentView {
                payment_intent: p.intent.clone(),
                status: p.status,
                client_secret: p.client_secret.clone().filter(|_| p.status.awaits_shopper()),
            }),
        }
    }
}
