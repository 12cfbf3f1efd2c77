//! The reconciler: every succeeded payment of the shop's ends in exactly one order or a full
//! refund. It judges one payment (a stray the cart or the webhook hands it), or sweeps every
//! payment created since the last pass (`sweep`), and refunds an orphan: a succeeded payment no
//! order records, that no cart is still settling.
//!
//! The rule for strays: a payment counts only for the checkout attempt its cart is waiting on.
//! A success for any other attempt (an old PaymentIntent confirmed late, one made outside the
//! shop with a cart's metadata) or for a cart that has ended is refunded, never honoured: the
//! cart may have changed since, so its amount is no longer what the shopper is buying.
//!
//! # Layout
//! - this file: judging one payment.
//! - `sweep`: a pass over a window of Stripe's payments, recorded in the order store.
//! - `probe`: asking the cart whether it is still settling a payment.
//! - `schedule`: the Temporal Schedule of the sweep, and the check of one payment.
mod probe;
mod schedule;
mod sweep;

pub use probe::CartProbe;
pub use schedule::{check_payment, ensure_schedule, schedule_id};
pub use sweep::{SweepPlan, sweep};

use crate::orders::{OrderStatus, OrderStore, RunProblem};
use crate::payments::{PaymentError, Payments, SucceededPayment};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What became of one succeeded payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// An order records it.
    Ordered,
    /// Refunded in full before this look.
    Refunded,
    /// An orphan, refunded now (the refund's id).
    RefundedNow(String),
    /// Its cart is still settling it, or it is younger than the longest checkout: judged later.
    NotYet,
    /// Not a succeeded payment (any more): nothing to reconcile.
    NotPaid,
    /// Something only an operator can put right.
    Problem(RunProblem),
}

pub struct Reconciler<'a> {
    pub payments: &'a Payments,
    pub store: &'a OrderStore,
    pub carts: &'a dyn CartProbe,
    /// A payment younger than this may still be on its way to an order (the shopper's wait,
    /// the order's retries): the sweep leaves it to the next pass.
    pub grace: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("Stripe: {0}")]
    Stripe(#[from] PaymentError),
    #[error("order store: {0}")]
    Store(#[from] crate::orders::StoreError),
}

pub fn unix(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn problem(intent: &str, code: &str, detail: impl Into<String>) -> Verdict {
    Verdict::Problem(RunProblem {
        payment_intent: intent.to_owned(),
        problem: code.into(),
        detail: detail.into(),
    })
}

impl Reconciler<'_> {
    /// A payment its cart has disowned (not the attempt it waits on, or the cart has ended):
    /// refunded unless an order records it or it is refunded already.
    pub async fn stray(&self, intent: &str) -> Result<Verdict, ReconcileError> {
        let Some(payment) = self.payments.succeeded(intent).await? else {
            return Ok(Verdict::NotPaid);
        };
        self.judge(&payment, true, SystemTime::now()).await
    }

    /// Judges one succeeded payment. `disowned`: its cart has said it is not settling it, so
    /// neither its age nor the cart is asked.
    pub async fn judge(
        &self,
        payment: &SucceededPayment,
        disowned: bool,
        now: SystemTime,
    ) -> Result<Verdict, ReconcileError> {
        let intent = payment.intent.as_str();
        let order = self.store.order_for_payment(intent).await?;
        let refunded = self.payments.refunded_cents(intent).await?;
        let full = refunded >= payment.amount && refunded.0 > 0;
        match order {
            Some((id, OrderStatus::Cancelled)) if !full => {
                return Ok(problem(
                    intent,
                    "cancelled_without_refund",
                    format!("order {id} is cancelled but its payment is not refunded"),
                ));
            }
            Some(_) if full => return Ok(Verdict::Refunded),
            Some((id, _)) if refunded.0 > 0 => {
                return Ok(problem(
                    intent,
                    "refunded_with_order",
                    format!("order {id} is live but {} cents were refunded", refunded.0),
                ));
            }
            Some(_) => return Ok(Verdict::Ordered),
            None if full => return Ok(Verdict::Refunded),
            None if refunded.0 > 0 => {
                return Ok(problem(
                    intent,
                    "partly_refunded",
                    format!("{} of {} cents refunded, and no order", refunded.0, payment.amount.0),
                ));
            }
            None => {}
        }
        if !disowned {
            if unix(now) - payment.created < i64::try_from(self.grace.as_secs()).unwrap_or(i64::MAX) {
                return Ok(Verdict::NotYet);
            }
            match self.carts.paying_with(&payment.cart_id, intent).await {
                Ok(true) => return Ok(Verdict::NotYet),
                Ok(false) => {}
                Err(reason) => return Ok(problem(intent, "cart_unknown", reason)),
            }
        }
        // One key per payment: two reconcilers at once (a sweep and a stray, two sweeps) make
        // one refund.
        match self.payments.refund(intent, &format!("{intent}-reconcile")).await {
            Ok(refund) => {
                tracing::warn!(payment_intent = intent, refund = %refund, "orphan payment refunded");
                Ok(Verdict::RefundedNow(refund))
            }
            Err(e @ PaymentError::Rejected(_)) => Ok(problem(intent, "refund_failed", e.to_string())),
            Err(e) => Err(e.into()),
        }
    }
}
