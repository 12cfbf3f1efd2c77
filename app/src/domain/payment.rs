//! Where a checkout's PaymentIntent stands, in the terms the cart needs: who has to act next.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PaymentStatus {
    /// Waiting for the shopper to give a card (Stripe.js confirms it in the browser).
    RequiresPayment,
    /// Waiting for the shopper to authenticate (3-D Secure).
    RequiresAction,
    /// The bank is working on it; the outcome comes by webhook or status check.
    Processing,
    Succeeded,
    /// Declined or authentication failed: this attempt is over, the cart is usable again.
    Failed,
    Canceled,
}

impl PaymentStatus {
    /// Whether the shopper has to do something before the payment can go on.
    pub fn awaits_shopper(self) -> bool {
        matches!(self, PaymentStatus::RequiresPayment | PaymentStatus::RequiresAction)
    }

    /// Whether the payment's outcome is known.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PaymentStatus::Succeeded | PaymentStatus::Failed | PaymentStatus::Canceled
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::RequiresPayment => "requires_payment",
            PaymentStatus::RequiresAction => "requires_action",
            PaymentStatus::Processing => "processing",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Canceled => "canceled",
        }
    }
}

/// One checkout attempt's PaymentIntent as last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub intent: String,
    /// What Stripe.js needs to confirm or authenticate the payment in the browser.
    pub client_secret: Option<String>,
    pub status: PaymentStatus,
    /// Why it failed, in words for the shopper (never Stripe's raw error text).
    #[serde(default)]
    pub failure: Option<String>,
}

/// A PaymentIntent's change reported by Stripe's webhook, delivered to its cart as a signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentEvent {
    /// Stripe's event id: the same event delivered twice has one effect.
    pub event_id: String,
    pub intent: String,
    /// What the event says; the cart asks Stripe before it acts on it.
    pub status: PaymentStatus,
}

/// Who confirms the PaymentIntent with the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConfirmBy {
    /// The server, with the request's PaymentMethod (or the test card in test mode).
    #[default]
    Server,
    /// The shopper's browser, with Stripe.js: the checkout answers with the client secret.
    Client,
}

/// What a shopper is told about a failed payment, by Stripe's error code: a short sentence,
/// never Stripe's own error text.
pub fn shopper_message(code: &str) -> &'static str {
    match code {
        "card_declined" => "Your card was declined.",
        c if c.contains("authentication") => "the card's authentication failed",
        _ => "the payment did not go through",
    }
}

/// What a lookup of an attempt whose payment call never got a clear answer found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentLookup {
    /// The attempt's PaymentIntent exists; its status says what happened.
    Found(Payment),
    /// Stripe never made one: nothing was charged, the cart may try again.
    Absent,
    /// Not found yet, but Stripe's search lags behind writes; ask again later.
    NotYet,
}
