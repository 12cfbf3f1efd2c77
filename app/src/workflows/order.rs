//! The order workflow (`order-<id>`): walks an order through pending → processing → completed,
//! one fulfilment step at a time, unless a validated `change` update moves it (cancel, or a new
//! total while pending). Every status it reaches is written to the order store by an idempotent
//! activity; cancelling a paid order refunds it first, retried a bounded number of times.
use crate::activities::{OrderRecord, REFUND_REFUSED, RefundRequest, ShopActivities};
use crate::domain::Cents;
use crate::orders::{OrderChange, OrderError, OrderStatus};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{WorkflowContext, WorkflowContextView, WorkflowResult, WorkflowTermination};

use super::failure::root_message;
use super::failure::{Rejection, reject};
use super::options::{refund_options, retry_forever};
use super::wait::{Woken, timer_or_change};

pub fn workflow_id(order_id: i64) -> String {
    format!("order-{order_id}")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInput {
    pub order_id: i64,
    pub total_cents: Cents,
    pub payment_ref: Option<String>,
    /// How long each fulfilment step (pending → processing → completed) takes.
    pub step: Duration,
    pub activity_timeout: Duration,
    /// Attempts at a refund before the order keeps `refund_error` for an operator.
    #[serde(default = "super::options::default_refund_attempts")]
    pub refund_attempts: u32,
}

/// The order as the workflow knows it, returned by the update and the query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    pub order_id: i64,
    pub status: OrderStatus,
    pub total_cents: Cents,
    pub refund_ref: Option<String>,
}

#[workflow]
pub struct OrderWorkflow {
    input: OrderInput,
    status: OrderStatus,
    total: Cents,
    refund_ref: Option<String>,
    /// Why Stripe refused the refund for good; an operator's to resolve.
    refund_error: Option<String>,
    /// Bumped by every change; `recorded` catches up once the store has it.
    changes: u64,
    recorded: u64,
}

#[workflow_methods]
impl OrderWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: OrderInput) -> Self {
        let total = input.total_cents;
        Self {
            input,
            status: OrderStatus::Pending,
            total,
            refund_ref: None,
            refund_error: None,
            changes: 0,
            recorded: 0,
        }
    }

    #[run(name = "OrderWorkflow")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<OrderState> {
        loop {
            if ctx.state(|s| s.changes > s.recorded) {
                Self::record(ctx).await?;
                continue;
            }
            if ctx.state(|s| s.status.is_final()) {
                let handlers = ctx.clone();
                ctx.wait_condition(move |_| handlers.all_handlers_finished()).await?;
                return Ok(ctx.state(|s| s.snapshot()));
            }
            let (changes, step) = ctx.state(|s| (s.changes, s.input.step));
            match timer_or_change(ctx, step, |s| s.changes != changes).await? {
                Woken::Changed => {}
                // A change that landed in the same activation as the step (a cancel, say) wins:
                // the step is re-judged on the next round.
                Woken::Fired if ctx.state(|s| s.changes != changes) => {}
                Woken::Fired => ctx.state_mut(|s| {
                    let next = match s.status {
                        OrderStatus::Pending => OrderStatus::Processing,
                        OrderStatus::Processing => OrderStatus::Completed,
                        done => done,
                    };
                    if next != s.status {
                        s.status = next;
                        s.changes += 1;
                    }
                }),
            }
        }
    }

    /// Writes the current state to the store, refunding first if a paid order was cancelled.
    async fn record(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        let target = ctx.state(|s| s.changes);
        let timeout = ctx.state(|s| s.input.activity_timeout);
        let refund_due = ctx
            .state(|s| s.status == OrderStatus::Cancelled && s.refund_ref.is_none() && s.refund_error.is_none())
            .then(|| ctx.state(|s| s.input.payment_ref.clone()))
            .flatten();
        if let Some(payment_ref) = refund_due {
            let order_id = ctx.state(|s| s.input.order_id);
            let req = RefundRequest {
                payment_ref,
                idempotency_key: format!("{}-refund", workflow_id(order_id)),
            };
            // Bounded: a refund that cannot be made (Stripe refuses it, or is down past every
            // attempt) leaves the order cancelled with the reason on record for an operator
            // (README, "Refunds") instead of a workflow retrying without end.
            let attempts = ctx.state(|s| s.input.refund_attempts);
            let refund = ctx
                .execute_activity(ShopActivities::refund, req, refund_options(timeout, attempts))
                .await;
            match refund {
                Ok(refund_ref) => ctx.state_mut(|s| s.refund_ref = Some(refund_ref)),
                Err(e) => {
                    let reason = super::failure::application_failure(&e, REFUND_REFUSED)
                        .unwrap_or_else(|| format!("no refund after {attempts} attempts: {}", root_message(&e)));
                    if !ctx.is_replaying() {
                        tracing::error!(%reason, "refund not made; left for an operator");
                    }
                    ctx.state_mut(|s| s.refund_error = Some(reason));
                }
            }
        }
        let record = ctx.state(|s| OrderRecord {
            order_id: s.input.order_id,
            status: s.status,
            total_cents: s.total,
            refund_ref: s.refund_ref.clone(),
            refund_error: s.refund_error.clone(),
        });
        ctx.execute_activity(ShopActivities::record_order_status, record, retry_forever(timeout))
            .await
            .map_err(WorkflowTermination::from)?;
        ctx.state_mut(|s| s.recorded = s.recorded.max(target));
        Ok(())
    }

    #[update_validator(change)]
    fn validate_change(&self, _ctx: &WorkflowContextView, change: &OrderChange) -> Result<(), Rejection> {
        change.check(self.status).map_err(reject)
    }

    /// Applies a change and answers once the store has recorded it.
    #[update(name = "change")]
    pub async fn change(ctx: &mut WorkflowContext<Self>, change: OrderChange) -> Result<OrderState, Rejection> {
        // Validators of updates that arrive together all run before any handler does, so
        // the rule is checked again against the state this handler actually finds.
        let target = ctx
            .state_mut(|s| {
                change.check(s.status)?;
                if let Some(status) = change.status {
                    s.status = status;
                }
                if let Some(total) = change.total_cents {
                    s.total = total;
                }
                s.changes += 1;
                Ok::<_, OrderError>(s.changes)
            })
            .map_err(reject)?;
        ctx.wait_condition(|s| s.recorded >= target).await?;
        Ok(ctx.state(|s| s.snapshot()))
    }

    #[query(name = "getOrder")]
    pub fn get_order(&self, _ctx: &WorkflowContextView) -> OrderState {
        self.snapshot()
    }
}

impl OrderWorkflow {
    fn snapshot(&self) -> OrderState {
        OrderState {
            order_id: self.input.order_id,
            status: self.status,
            total_cents: self.total,
            refund_ref: self.refund_ref.clone(),
        }
    }
}
