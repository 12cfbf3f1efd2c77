//! The reconciler's activities: one disowned payment judged (a cart's stray, or one whose cart
//! has ended), or a whole pass. Registered beside the shop's on every worker.
use crate::cart_client::Carts;
use crate::orders::{OrderStore, ReconciliationRun};
use crate::payments::Payments;
use crate::reconcile::{Reconciler, SweepPlan, Verdict, sweep};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct ReconcileActivities {
    pub payments: Payments,
    pub store: OrderStore,
    pub carts: Carts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepRequest {
    pub grace: Duration,
    pub first_lookback: Duration,
    pub since: Option<i64>,
}

/// What a stray's check did, for the workflow's own record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StrayOutcome {
    Ordered,
    Refunded,
    RefundedNow(String),
    NotPaid,
    Problem(String),
}

impl ReconcileActivities {
    fn reconciler(&self, grace: Duration) -> Reconciler<'_> {
        Reconciler {
            payments: &self.payments,
            store: &self.store,
            carts: &self.carts,
            grace,
        }
    }
}

/// Counts what a look at one payment did, and logs what needs an operator.
pub(crate) fn report(verdict: &Verdict) {
    match verdict {
        Verdict::RefundedNow(_) => crate::metrics::reconciled("refunded"),
        Verdict::Problem(p) => {
            crate::metrics::reconciled("unresolved");
            tracing::error!(payment_intent = %p.payment_intent, problem = %p.problem, "payment not reconciled");
        }
        _ => {}
    }
}

/// How long past its lapse a stock hold is taken as orphaned.
const ORPHANED_HOLD: Duration = Duration::from_secs(3600);

#[activities]
impl ReconcileActivities {
    /// A succeeded payment its cart disowned: refunded unless an order records it.
    #[activity(name = "reconcile_payment")]
    pub async fn reconcile_payment(
        self: Arc<Self>,
        _ctx: ActivityContext,
        intent: String,
    ) -> Result<StrayOutcome, ActivityError> {
        let verdict = self
            .reconciler(Duration::ZERO)
            .stray(&intent)
            .await
            .map_err(anyhow::Error::new)?;
        report(&verdict);
        Ok(match verdict {
            Verdict::Ordered => StrayOutcome::Ordered,
            Verdict::Refunded => StrayOutcome::Refunded,
            Verdict::RefundedNow(id) => StrayOutcome::RefundedNow(id),
            Verdict::NotPaid | Verdict::NotYet => StrayOutcome::NotPaid,
            Verdict::Problem(p) => StrayOutcome::Problem(p.problem),
        })
    }

    /// One pass over the payments created since the last.
    /// Reconciliation passes also release stock holds left this long past their lapse.
    #[activity(name = "reconcile_sweep")]
    pub async fn reconcile_sweep(
        self: Arc<Self>,
        _ctx: ActivityContext,
        req: SweepRequest,
    ) -> Result<ReconciliationRun, ActivityError> {
        let plan = SweepPlan {
            since: req.since,
            first_lookback: req.first_lookback,
        };
        let run = sweep(&self.reconciler(req.grace), plan)
            .await
            .map_err(anyhow::Error::new)?;
        for _ in 0..run.refunded {
            crate::metrics::reconciled("refunded");
        }
        for _ in &run.problems {
            crate::metrics::reconciled("unresolved");
        }
        tracing::info!(
            checked = run.checked,
            refunded = run.refunded,
            unresolved = run.problems.len(),
            "reconciliation pass done"
        );
        // A cart's own timer releases its stock when the hold lapses; a hold still there an
        // hour after its lapse belongs to a cart that no longer runs (an operator ended it).
        let before = std::time::SystemTime::now() - ORPHANED_HOLD;
        match self.store.release_lapsed(before).await {
            Ok(0) => {}
            Ok(carts) => tracing::warn!(carts, "stock held by carts that no longer run released"),
            Err(e) => tracing::warn!(error = %e, "lapsed stock holds not released; the next pass tries again"),
        }
        Ok(run)
    }
}
