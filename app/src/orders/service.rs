//! Placing and changing orders: the row in the store and its workflow go together. Used by
//! the gateway (`/orders`) and by the cart workflow's `place_order` activity.
use super::{NewOrder, Order, OrderChange, OrderStatus, OrderStore, StoreError};
use crate::codes::{Code, Coded};
use crate::workflows::order::{OrderInput, OrderWorkflow, workflow_id};
use std::time::Duration;
use temporalio_client::errors::{WorkflowInteractionError, WorkflowStartError, WorkflowUpdateError};
use temporalio_client::{
    Client, RpcOptions, WorkflowExecuteUpdateOptions, WorkflowIdConflictPolicy, WorkflowStartOptions,
    WorkflowTerminateOptions,
};

#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    #[error("order {0} not found")]
    NotFound(i64),
    /// The change is not allowed from the order's current state.
    #[error("{message}")]
    Refused { code: Code, message: String },
    #[error(transparent)]
    Store(StoreError),
    #[error("Temporal: {0}")]
    Temporal(String),
    #[error("this Idempotency-Key was already used for a different order")]
    KeyReused,
}

impl OrdersError {
    pub fn code(&self) -> Option<Code> {
        match self {
            OrdersError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }

    fn refused(err: &impl Coded) -> Self {
        OrdersError::Refused {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

impl From<StoreError> for OrdersError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(id) => OrdersError::NotFound(id),
            StoreError::KeyReused => OrdersError::KeyReused,
            e @ StoreError::CartHasOrder(_) => OrdersError::Refused {
                code: Code::CartAlreadyOrdered,
                message: e.to_string(),
            },
            other => OrdersError::Store(other),
        }
    }
}

#[derive(Clone)]
pub struct Orders {
    pub store: OrderStore,
    client: Client,
    task_queue: String,
    /// Duration of each fulfilment step, so the lifecycle can be watched.
    pub step: Duration,
    pub activity_timeout: Duration,
}

impl Orders {
    pub fn new(
        store: OrderStore,
        client: Client,
        task_queue: String,
        step: Duration,
        activity_timeout: Duration,
    ) -> Self {
        Self {
            store,
            client,
            task_queue,
            step,
            activity_timeout,
        }
    }

    /// Records the order and starts its workflow. Both halves are idempotent (a payment's order
    /// is found by its PaymentIntent; an existing workflow is reused), so a retry completes a
    /// half-done call.
    pub async fn place(&self, new: &NewOrder) -> Result<Order, OrdersError> {
        let order = self.store.create(new).await?;
        let input = OrderInput {
            order_id: order.id,
            total_cents: order.total_cents,
            payment_ref: order.payment_ref.clone(),
            step: self.step,
            activity_timeout: self.activity_timeout,
        };
        let options = WorkflowStartOptions::new(self.task_queue.clone(), workflow_id(order.id))
            .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
            .task_timeout(crate::worker::WORKFLOW_TASK_TIMEOUT)
            .build();
        match self.client.start_workflow(OrderWorkflow::run, input, options).await {
            Ok(_) | Err(WorkflowStartError::AlreadyStarted { .. }) => Ok(order),
            Err(e) => Err(OrdersError::Temporal(e.to_string())),
        }
    }

    /// Runs the change through the order's workflow (never straight to the table) and returns
    /// the order as stored afterwards.
    pub async fn change(&self, id: i64, change: OrderChange) -> Result<Order, OrdersError> {
        let order = self.store.get(id).await?;
        // A final order's workflow has ended; answer from the record with the same rule.
        change.check(order.status).map_err(|e| OrdersError::refused(&e))?;
        if order.status.is_final() {
            return Ok(order);
        }
        let handle = self.client.get_workflow_handle::<OrderWorkflow>(workflow_id(id));
        let opts = WorkflowExecuteUpdateOptions::builder()
            .rpc_options(RpcOptions::builder().timeout(Duration::from_secs(30)).build())
            .build();
        match handle.execute_update(OrderWorkflow::change, change.clone(), opts).await {
            Ok(_) => Ok(self.store.get(id).await?),
            Err(WorkflowUpdateError::Failed(f)) => {
                let (code, message) = crate::codes::parse_refusal(&f.message, Code::Refused);
                Err(OrdersError::Refused { code, message })
            }
            // The workflow finished between our read and the update: judge against the record.
            // An order still open without its workflow (terminated, say) cannot be changed, and
            // saying so beats a 200 that changed nothing.
            Err(WorkflowUpdateError::NotFound(_)) => {
                let order = self.store.get(id).await?;
                change.check(order.status).map_err(|e| OrdersError::refused(&e))?;
                if !order.status.is_final() {
                    return Err(OrdersError::Refused {
                        code: Code::OrderWorkflowGone,
                        message: "this order's workflow is gone, so it cannot change; an operator must resolve it"
                            .into(),
                    });
                }
                Ok(order)
            }
            Err(e) => Err(OrdersError::Temporal(e.to_string())),
        }
    }

    /// Saga compensation for a payment that was refunded because its order could not be
    /// completed: an order row made for it meanwhile is voided (cancelled, with the refund on
    /// record) and its workflow, if one started, is stopped. Returns the voided order's id.
    pub async fn void_payment(&self, payment_ref: &str, refund_ref: &str) -> Result<Option<i64>, OrdersError> {
        let Some(id) = self.store.id_for_payment(payment_ref).await? else {
            return Ok(None);
        };
        let handle = self.client.get_workflow_handle::<OrderWorkflow>(workflow_id(id));
        let opts = WorkflowTerminateOptions::builder()
            .reason("its payment was refunded: the order could not be recorded".to_owned())
            .build();
        match handle.terminate(opts).await {
            Ok(()) | Err(WorkflowInteractionError::NotFound(_)) => {}
            Err(e) => return Err(OrdersError::Temporal(e.to_string())),
        }
        self.store.void(id, refund_ref).await?;
        Ok(Some(id))
    }

    /// Cancels the order (refunding a paid one) unless it is already final, then hides it.
    /// The row stays for audit.
    pub async fn delete(&self, id: i64) -> Result<(), OrdersError> {
        let order = self.store.get(id).await?;
        if !order.status.is_final() {
            let cancel = OrderChange {
                status: Some(OrderStatus::Cancelled),
                total_cents: None,
            };
            match self.change(id, cancel).await {
                Err(e @ OrdersError::Refused { .. }) if e.code() == Some(Code::OrderWorkflowGone) => return Err(e),
                // Refused because it became final meanwhile: nothing to cancel.
                Ok(_) | Err(OrdersError::Refused { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.store.mark_deleted(id).await?;
        Ok(())
    }
}
