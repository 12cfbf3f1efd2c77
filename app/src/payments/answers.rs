//! Stripe's answers read into the shop's terms: a PaymentIntent's state, and an error as a
//! decline, a refused request or a fault worth retrying.
use super::PaymentError;
use crate::domain::{Payment, PaymentStatus};
use stripe::StripeError;
use stripe_shared::PaymentIntentStatus;

pub(super) fn payment_of(intent: stripe_shared::PaymentIntent) -> Payment {
    let failed = intent.last_payment_error.as_ref().map(|e| {
        let code = e.code.as_ref().map(|c| c.to_string()).unwrap_or_default();
        crate::domain::payment::shopper_message(&code).to_owned()
    });
    let status = match intent.status {
        PaymentIntentStatus::Succeeded => PaymentStatus::Succeeded,
        PaymentIntentStatus::Processing | PaymentIntentStatus::RequiresCapture => PaymentStatus::Processing,
        PaymentIntentStatus::RequiresAction => PaymentStatus::RequiresAction,
        PaymentIntentStatus::Canceled => PaymentStatus::Canceled,
        // A card that was tried and failed leaves the PaymentIntent wanting another one: for the
        // cart, this attempt has failed.
        PaymentIntentStatus::RequiresPaymentMethod if failed.is_some() => PaymentStatus::Failed,
        _ => PaymentStatus::RequiresPayment,
    };
    Payment {
        intent: intent.id.to_string(),
        client_secret: intent.client_secret,
        status,
        failure: failed.filter(|_| status == PaymentStatus::Failed),
    }
}

pub(super) fn classify(err: StripeError) -> PaymentError {
    match err {
        StripeError::Stripe(errors, 402) => {
            let reason = errors
                .decline_code
                .clone()
                .or_else(|| errors.code.as_ref().map(|c| c.to_string()))
                .unwrap_or_else(|| "card_declined".into());
            let code = errors
                .code
                .as_ref()
                .map_or_else(|| "card_declined".into(), |c| c.to_string());
            let message = crate::domain::payment::shopper_message(&code);
            PaymentError::Declined(format!("{message} ({reason})"))
        }
        StripeError::Stripe(errors, status) if (400..500).contains(&status) && status != 409 && status != 429 => {
            PaymentError::Rejected(format!("{status}: {}", errors.message.clone().unwrap_or_default()))
        }
        StripeError::Stripe(errors, status) => {
            PaymentError::Transient(format!("{status}: {}", errors.message.clone().unwrap_or_default()))
        }
        StripeError::ConfigError(e) => PaymentError::Rejected(e),
        other => PaymentError::Transient(other.to_string()),
    }
}
