//! Placing and changing orders: the row in the store and its workflow go together. Used by
//! the gateway (`/orders`) and by the cart workflow's `place_order` activity. The workflow is
//! reached through [`OrderFlows`], which `workflows::order_flows` implements, so this module needs
//! nothing of the workflows (which call the activities, which call this).
use super::{NewOrder, Order, OrderChange, OrderStatus, OrderStore, StoreError};
use crate::codes::{Code, Coded};
use futures::future::BoxFuture;
use std::sync::Arc;

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
    Temporal(#[source] Box<dyn std::error::Error + Send + Sync>),
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

/// What an order's workflow answers to a change.
pub enum FlowAnswer {
    Applied,
    /// The workflow refused it; the code and message it gave.
    Refused {
        code: Code,
        message: String,
    },
    /// The workflow is not running (it finished, or was stopped).
    Gone,
}

/// The order workflows, as the order service needs them: start one for an order, run a change
/// through it, stop it.
pub trait OrderFlows: Send + Sync {
    /// Starts the workflow of a recorded order; one already running is left as it is.
    fn start<'a>(&'a self, order: &'a Order) -> BoxFuture<'a, Result<(), OrdersError>>;
    fn change(&self, id: i64, change: OrderChange) -> BoxFuture<'_, Result<FlowAnswer, OrdersError>>;
    /// Stops the workflow, if it runs, giving `reason`.
    fn stop<'a>(&'a self, id: i64, reason: &'a str) -> BoxFuture<'a, Result<(), OrdersError>>;
}

#[derive(Clone)]
pub struct Orders {
    pub store: OrderStore,
    flows: Arc<dyn OrderFlows>,
}

impl Orders {
    pub fn new(store: OrderStore, flows: Arc<dyn OrderFlows>) -> Self {
        Self { store, flows }
    }

    /// Records the order and starts its workflow. Both halves are idempotent (a payment's order
    /// is found by its PaymentIntent; an existing workflow is reused), so a retry completes a
    /// half-done call.
    pub async fn place(&self, new: &NewOrder) -> Result<Order, OrdersError> {
        let order = self.store.create(new).await?;
        // A replayed request finds its order: a final one's workflow has run its course and
        // must not run again (it would walk a cancelled order to completed).
        if !order.status.is_final() {
            self.flows.start(&order).await?;
        }
        Ok(order)
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
        match self.flows.change(id, change.clone()).await? {
            FlowAnswer::Applied => Ok(self.store.get(id).await?),
            FlowAnswer::Refused { code, message } => Err(OrdersError::Refused { code, message }),
            // The workflow finished between our read and the update: judge against the record.
            // An order still open without its workflow (terminated, say) cannot be changed, and
            // saying so beats a 200 that changed nothing.
            FlowAnswer::Gone => {
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
        }
    }

    /// Saga compensation for a payment that was refunded because its order could not be
    /// completed: an order row made for it meanwhile is voided (cancelled, with the refund on
    /// record) and its workflow, if one started, is stopped. Returns the voided order's id.
    pub async fn void_payment(&self, payment_ref: &str, refund_ref: &str) -> Result<Option<i64>, OrdersError> {
        let Some(id) = self.store.id_for_payment(payment_ref).await? else {
            return Ok(None);
        };
        self.flows
            .stop(id, "its payment was refunded: the order could not be recorded")
            .await?;
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
