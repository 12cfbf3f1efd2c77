//! How the activities fail: the failure types the workflows match on, and what is retried.
use crate::domain::CartId;
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
            tracing::info!(%cart_id, %reason, "payment declined");
            non_retryable(DECLINED, reason)
        }
        e => {
            tracing::warn!(%cart_id, attempt, error = %e, "payment call failed");
            stripe_fault(attempt, e)
        }
    }
}

pub(super) fn stripe_fault(attempt: u32, e: PaymentError) -> ActivityError {
    match e {
        PaymentError::Transient(_) => {
            tracing::debug!(attempt, "Stripe call failed; Temporal will retry");
            anyhow::Error::new(e).into()
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

pub(super) fn non_retryable(kind: &str, message: String) -> ActivityError {
    ActivityError::application(
        ApplicationFailure::builder(message)
            .type_name(kind.to_owned())
            .non_retryable(true)
            .build(),
    )
}
