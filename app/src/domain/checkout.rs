//! The shopper's checkout request, as the gateway parses it and the cart workflow takes it.
use super::ConfirmBy;
use crate::cart::EmailChange;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckoutRequest {
    /// Optional when the cart already has an email (the original shop always sends one).
    #[serde(default, alias = "Email")]
    pub email: Option<String>,
    /// A Stripe PaymentMethod id (from Stripe.js in a real storefront, or a test card such as
    /// `pm_card_chargeCustomerFail`); the worker's configured card when absent.
    #[serde(default, alias = "PaymentMethod")]
    pub payment_method: Option<String>,
    /// `client`: the browser confirms the payment with Stripe.js, and the answer carries the
    /// PaymentIntent's client secret. Ignored when a `payment_method` is given.
    #[serde(default)]
    pub confirm: ConfirmBy,
    /// The total the shopper agreed to after a `409 price_changed`: the cart is charged this
    /// only if it is still the total at today's prices.
    #[serde(default)]
    pub accept_total_cents: Option<u64>,
}

impl CheckoutRequest {
    pub(crate) fn email_change(&self) -> Option<EmailChange> {
        self.email.clone().map(|email| EmailChange { email })
    }
}
