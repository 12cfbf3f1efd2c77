//! How the activities fail: the failure types the workflows match on, and what is retried.
use crate::domain::{CartId, redact};
use crate::payments::PaymentError;
use temporalio_sdk::ApplicationFailure;
use temporalio_sdk::activities::ActivityError;

/// The failure type of a refund Stripe refused for good.
pub const REFUND_REFUSED: &str = "RefundRefused";

/// The failure type a declined card is reported with; the workflow matches on it.
pub const DECLINED: &str = "CardDeclined";

/// The failure types of what no retry can fix (Stripe refused the request, the address is
/// not one a message can go to, the order store refused the order). No workflow matches on
/// them; they name the failure in the history for whoever reads it.
pub const PAYMENT_REJECTED: &str = "PaymentRejected";
pub const EMAIL_REJECTED: &str = "EmailRejected";
pub const ORDER_REFUSED: &str = "OrderRefused";

/// A payment call that failed: a decline is the shopper's business (not retried), a refused
/// request cannot succeed on retry, anything else is retried by Temporal with the same key.
pub(super) fn payment_failure(cart_id: &CartId, attempt: u32, e: PaymentError) -> ActivityError {
    match e {
        PaymentError::Declined(reason) => {
            tracing::info!(cart = %cart_id.tag(), %reason, "payment declined");
            non_retryable(DECLINED, reason)
        }
        e => {
            tracing::warn!(cart = %cart_id.tag(), attempt, error = %e, "payment call failed");
            stripe_fault(attempt, e)
        }
    }
}

pub(super) fn stripe_fault(attempt: u32, e: PaymentError) -> ActivityError {
    match e {
        PaymentError::Transient(_) => {
            tracing::debug!(attempt, "Stripe call failed; Temporal will retry");
            retryable(e)
        }
        e => non_retryable(PAYMENT_REJECTED, e.to_string()),
    }
}

/// A payment call, its latency recorded by outcome.
pub(super) async fn timed<T>(call: impl Future<Output = Result<T, PaymentError>>) -> Result<T, PaymentError> {
    let started = std::time::Instant::now();
    let result = call.await;
    let outcome = match &result {
        Ok(_) => "ok",
        Err(PaymentError::Declined(_)) => "declined",
        Err(_) => "error",
    };
    crate::metrics::payment_call(outcome, started.elapsed());
    result
}

/// A failure Temporal retries. Its message is kept in the workflow's history in plain text
/// (payloads are encrypted, failure messages are not) and shown in the Web UI, and the services
/// we call quote addresses in their errors, so they are masked.
pub(super) fn retryable(e: impl std::fmt::Display) -> ActivityError {
    anyhow::anyhow!("{}", redact::addresses(&e.to_string())).into()
}

/// A failure no retry can fix; its message masked as [`retryable`]'s is.
pub(super) fn non_retryable(kind: &str, message: String) -> ActivityError {
    ActivityError::application(
        ApplicationFailure::builder(redact::addresses(&message).into_owned())
            .type_name(kind.to_owned())
            .non_retryable(true)
            .build(),
    )
}
