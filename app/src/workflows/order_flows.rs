//! The order service's way to its workflows ([`OrderFlows`]): start, update and terminate the
//! `order-<id>` workflows on the shop's task queue.
use super::order::{OrderInput, OrderWorkflow, workflow_id};
use crate::codes::Code;
use crate::orders::{FlowAnswer, Order, OrderChange, OrderFlows, OrdersError};
use futures::FutureExt;
use futures::future::BoxFuture;
use std::time::Duration;
use temporalio_client::errors::{WorkflowInteractionError, WorkflowStartError, WorkflowUpdateError};
use temporalio_client::{
    Client, RpcOptions, WorkflowExecuteUpdateOptions, WorkflowIdConflictPolicy, WorkflowIdReusePolicy,
    WorkflowStartOptions, WorkflowTerminateOptions,
};

pub struct TemporalOrderFlows {
    pub client: Client,
    pub task_queue: String,
    /// Duration of each fulfilment step, so the lifecycle can be watched.
    pub step: Duration,
    pub activity_timeout: Duration,
    /// Attempts at a cancelled order's refund (`SHOP_REFUND_ATTEMPTS`).
    pub refund_attempts: u32,
}

fn temporal(e: impl std::error::Error + Send + Sync + 'static) -> OrdersError {
    OrdersError::Temporal(Box::new(e))
}

impl OrderFlows for TemporalOrderFlows {
    fn start<'a>(&'a self, order: &'a Order) -> BoxFuture<'a, Result<(), OrdersError>> {
        async move {
            let input = OrderInput {
                order_id: order.id,
                total_cents: order.total_cents,
                payment_ref: order.payment_ref.clone(),
                step: self.step,
                activity_timeout: self.activity_timeout,
                refund_attempts: self.refund_attempts,
            };
            let options = WorkflowStartOptions::new(self.task_queue.clone(), workflow_id(order.id))
                .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
                // An order's workflow runs once: a closed one (completed, cancelled) is never
                // started again, whatever retries the start.
                .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
                .task_timeout(crate::workflows::options::WORKFLOW_TASK_TIMEOUT)
                .build();
            match self.client.start_workflow(OrderWorkflow::run, input, options).await {
                Ok(_) | Err(WorkflowStartError::AlreadyStarted { .. }) => Ok(()),
                Err(e) => Err(temporal(e)),
            }
        }
        .boxed()
    }

    fn change(&self, id: i64, change: OrderChange) -> BoxFuture<'_, Result<FlowAnswer, OrdersError>> {
        async move {
            let handle = self.client.get_workflow_handle::<OrderWorkflow>(workflow_id(id));
            let opts = WorkflowExecuteUpdateOptions::builder()
                .rpc_options(RpcOptions::builder().timeout(Duration::from_secs(30)).build())
                .build();
            match handle.execute_update(OrderWorkflow::change, change, opts).await {
                Ok(_) => Ok(FlowAnswer::Applied),
                Err(WorkflowUpdateError::Failed(f)) => {
                    let (code, message, _) = crate::codes::parse_refusal(&f.message, Code::Refused);
                    Ok(FlowAnswer::Refused { code, message })
                }
                Err(WorkflowUpdateError::NotFound(_)) => Ok(FlowAnswer::Gone),
                Err(e) => Err(temporal(e)),
            }
        }
        .boxed()
    }

    fn stop<'a>(&'a self, id: i64, reason: &'a str) -> BoxFuture<'a, Result<(), OrdersError>> {
        async move {
            let handle = self.client.get_workflow_handle::<OrderWorkflow>(workflow_id(id));
            let opts = WorkflowTerminateOptions::builder().reason(reason.to_owned()).build();
            match handle.terminate(opts).await {
                Ok(()) | Err(WorkflowInteractionError::NotFound(_)) => Ok(()),
                Err(e) => Err(temporal(e)),
            }
        }
        .boxed()
    }
}
