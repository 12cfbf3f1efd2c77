//! What the workflows send their activities and get back.
use crate::cart::CartView;
use crate::domain::{CartId, Cents};
use crate::orders::OrderStatus;
use crate::payments::Charge;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeRequest {
    pub cart_id: CartId,
    /// The checkout attempt; with the cart id it names the payment exactly once.
    pub attempt: u32,
    pub amount_cents: Cents,
    pub currency: String,
    pub email: String,
    #[serde(default)]
    pub payment_method: Option<String>,
    /// The shopper's browser confirms the payment (Stripe.js); the server must not.
    #[serde(default)]
    pub client_confirms: bool,
}

impl ChargeRequest {
    pub fn idempotency_key(&self) -> String {
        format!("{}-checkout-{}", self.cart_id, self.attempt)
    }

    pub(super) fn charge(&self) -> Charge {
        Charge {
            amount: self.amount_cents,
            currency: self.currency.clone(),
            idempotency_key: self.idempotency_key(),
            description: format!("Cart {}", self.cart_id),
            metadata: vec![
                ("cart_id".into(), self.cart_id.to_string()),
                ("attempt".into(), self.attempt.to_string()),
            ],
            receipt_email: Some(self.email.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CartEmailKind {
    Reminder { stage: u32 },
    Confirmation { payment_ref: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartEmail {
    pub to: String,
    pub kind: CartEmailKind,
    pub cart: CartView,
}

/// A cart's paid checkout, to be recorded as an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceOrder {
    pub cart: CartView,
    pub payment_ref: String,
    pub currency: String,
}

/// The workflow's view of an order, to be written to the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRecord {
    pub order_id: i64,
    pub status: OrderStatus,
    pub total_cents: Cents,
    pub refund_ref: Option<String>,
    #[serde(default)]
    pub refund_error: Option<String>,
}

/// The saga's undo of a half-made order: the payment was refunded with `refund_ref`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidOrder {
    pub payment_ref: String,
    pub refund_ref: String,
}

/// A lookup of an attempt's PaymentIntent; see [`crate::payments::Payments::recover`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoverPayment {
    pub charge: ChargeRequest,
    /// An empty search now means no PaymentIntent was made.
    pub last_look: bool,
}

/// A full refund; the key makes a repeated refund a no-op at Stripe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    pub payment_ref: String,
    pub idempotency_key: String,
}

/// Hold these units for the cart until `until` (see [`crate::orders::OrderStore::reserve`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReserveStock {
    pub cart_id: CartId,
    pub holds: Vec<crate::orders::Hold>,
    pub until: std::time::SystemTime,
}
