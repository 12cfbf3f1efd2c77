//! The reconcile workflow: one pass of the reconciler, run by the shop's Temporal Schedule (a
//! sweep of Stripe's payments since the last pass), or one payment whose cart has ended, started
//! by the gateway's webhook. Its work is one activity; the workflow gives it durable retries
//! and a place in the Web UI.
use super::options::bounded;
use crate::activities::{ReconcileActivities, StrayOutcome, SweepRequest};
use crate::orders::ReconciliationRun;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult};

pub const WORKFLOW_TYPE: &str = "ReconcileWorkflow";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReconcileInput {
    /// A pass over the payments created since the last pass.
    Sweep(SweepRequest),
    /// One succeeded payment its cart has disowned.
    Payment { intent: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReconcileOutcome {
    Swept(ReconciliationRun),
    Payment(StrayOutcome),
}

#[workflow]
pub struct ReconcileWorkflow {
    input: ReconcileInput,
}

#[workflow_methods]
impl ReconcileWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: ReconcileInput) -> Self {
        Self { input }
    }

    #[run(name = "ReconcileWorkflow")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<ReconcileOutcome> {
        match ctx.state(|s| s.input.clone()) {
            // A pass that keeps failing ends; the next one the schedule starts reads the same
            // window again (nothing moved the watermark).
            ReconcileInput::Sweep(req) => {
                let opts = bounded(Duration::from_secs(600), Duration::from_secs(1), 3);
                let run = ctx
                    .execute_activity(ReconcileActivities::reconcile_sweep, req, opts)
                    .await?;
                Ok(ReconcileOutcome::Swept(run))
            }
            ReconcileInput::Payment { intent } => {
                let opts = bounded(Duration::from_secs(30), Duration::from_secs(1), 10);
                let outcome = ctx
                    .execute_activity(ReconcileActivities::reconcile_payment, intent, opts)
                    .await?;
                Ok(ReconcileOutcome::Payment(outcome))
            }
        }
    }
}
