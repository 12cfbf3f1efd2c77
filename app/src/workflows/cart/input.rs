//! What a cart workflow is started with and hands on: its input and timing, the state carried
//! across continue-as-new, and the outcome.
use crate::cart::{Cart, Limits};
use crate::catalogue::Catalogue;
use crate::domain::CartId;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};

pub const WORKFLOW_TYPE: &str = "CartWorkflow";

// No patch markers: 0.1.0 is the first release, and every change made before it is on the
// one path (docs: "Changing the workflow"). Carts of 0.1.0 are told apart by their input
// (`CartInput::catalogue`), not by a marker.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartTiming {
    /// Reminder stages: the quiet time before the first reminder, then between reminders.
    pub reminder_after: Vec<Duration>,
    /// Quiet time after which the cart expires and the workflow ends.
    pub expire_after: Duration,
    /// Start-to-close timeout of one activity attempt (a payment call, an email).
    pub activity_timeout: Duration,
    /// Attempts at recording a paid checkout as an order before the payment is refunded.
    #[serde(default = "default_order_attempts")]
    pub order_attempts: u32,
    /// Attempts at the payment call before its outcome counts as unknown and is looked up.
    #[serde(default = "default_payment_attempts")]
    pub payment_attempts: u32,
    /// First status check of a payment no webhook has settled; doubles up to ten minutes.
    #[serde(default = "default_payment_check_after")]
    pub payment_check_after: Duration,
    /// How long a checkout waits for the shopper (card, 3-D Secure) before it cancels the
    /// PaymentIntent and the cart is usable again.
    #[serde(default = "default_payment_wait")]
    pub payment_wait: Duration,
    /// Attempts at a refund (a paid cart without an order, a cancelled order) before it is
    /// left for an operator and the reconciler.
    #[serde(default = "crate::workflows::options::default_refund_attempts")]
    pub refund_attempts: u32,
    /// How long a cart's lines hold their units after its last change (`SHOP_RESERVATION_TTL`).
    #[serde(default = "default_reservation_ttl")]
    pub reservation_ttl: Duration,
}

fn default_reservation_ttl() -> Duration {
    Duration::from_secs(15 * 60)
}

fn default_payment_check_after() -> Duration {
    Duration::from_secs(60)
}

fn default_payment_wait() -> Duration {
    Duration::from_secs(30 * 60)
}

fn default_order_attempts() -> u32 {
    6
}

fn default_payment_attempts() -> u32 {
    8
}

impl CartTiming {
    /// Production: remind after an hour and a day, keep a cart for a week.
    pub fn production() -> Self {
        Self {
            reminder_after: vec![Duration::from_secs(3600), Duration::from_secs(23 * 3600)],
            expire_after: Duration::from_secs(7 * 24 * 3600),
            activity_timeout: Duration::from_secs(30),
            order_attempts: default_order_attempts(),
            payment_attempts: default_payment_attempts(),
            payment_check_after: default_payment_check_after(),
            payment_wait: default_payment_wait(),
            refund_attempts: crate::workflows::options::default_refund_attempts(),
            reservation_ttl: default_reservation_ttl(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartInput {
    pub id: CartId,
    /// Only carts started by 0.1.0 have one: the catalogue of their day, which they price their
    /// lines from (holding no stock) for the rest of their life. Carts since ask the shop's
    /// database, through activities, for prices and stock. Decided at the start, by the input
    /// already in history, so it needs no patch marker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalogue: Option<Catalogue>,
    /// ISO 4217, lower case: what the cart is charged in.
    #[serde(default = "default_currency")]
    pub currency: String,
    pub limits: Limits,
    pub timing: CartTiming,
    /// Continue-as-new after this many accepted messages in one run, besides whenever the server
    /// suggests it. Tests set it low to exercise the hand-over.
    pub continue_after_messages: Option<u32>,
    /// State handed over by continue-as-new; `None` for a new cart.
    pub carried: Option<Carried>,
}

fn default_currency() -> String {
    "usd".into()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    pub cart: Cart,
    pub last_change_at: Option<SystemTime>,
    pub next_stage: u32,
    pub runs: u32,
    /// The lines' reservations lapsed since the last change (the timer need not release them).
    #[serde(default)]
    pub reservation_lapsed: bool,
}

/// What the workflow returns when the cart's life ends: checked out, or expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartOutcome {
    pub cart: crate::cart::CartView,
}
