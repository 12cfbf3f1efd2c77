//! The original shop's signals (signal-with-start, so a first signal makes the cart) and
//! Stripe's payment events, delivered to the cart as a signal.
use super::errors::{rpc_error, signal_error};
use super::{Carts, CartsError};
use crate::domain::{CartId, PaymentEvent};
use crate::workflows::cart::CartWorkflow;
use temporalio_client::errors::WorkflowStartError;
use temporalio_client::{WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowSignalOptions, WorkflowStartOptions};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompatSignal {
    Add,
    Remove,
    Email,
    Checkout,
}

impl Carts {
    /// Sends one of the original shop's signals (`ADD_TO_CART_CHANNEL`, ...) with a raw payload.
    pub async fn signal_compat(
        &self,
        id: &CartId,
        signal: CompatSignal,
        payload: serde_json::Value,
    ) -> Result<(), CartsError> {
        if self.minted(id) {
            return self.signal_with_start(id, signal, payload).await;
        }
        let handle = self.handle(id);
        let opts = WorkflowSignalOptions::builder().rpc_options(self.rpc()).build();
        self.within(async {
            let result = match signal {
                CompatSignal::Add => handle.signal(CartWorkflow::add_signal, payload, opts).await,
                CompatSignal::Remove => handle.signal(CartWorkflow::remove_signal, payload, opts).await,
                CompatSignal::Email => handle.signal(CartWorkflow::email_signal, payload, opts).await,
                CompatSignal::Checkout => handle.signal(CartWorkflow::checkout_signal, payload, opts).await,
            };
            result.map_err(signal_error)
        })
        .await
    }

    /// The original shop's signals for a minted cart: the first one starts its workflow.
    async fn signal_with_start(
        &self,
        id: &CartId,
        signal: CompatSignal,
        payload: serde_json::Value,
    ) -> Result<(), CartsError> {
        let options = WorkflowStartOptions::new(self.shop.task_queue.clone(), id.to_string())
            .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
            .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
            .task_timeout(crate::workflows::options::WORKFLOW_TASK_TIMEOUT)
            .build();
        let (client, input) = (&self.client, self.input(id.clone()));
        self.within(async {
            let started = match signal {
                CompatSignal::Add => {
                    client
                        .signal_with_start_workflow(
                            CartWorkflow::run,
                            input,
                            CartWorkflow::add_signal,
                            payload,
                            options,
                        )
                        .await
                }
                CompatSignal::Remove => {
                    client
                        .signal_with_start_workflow(
                            CartWorkflow::run,
                            input,
                            CartWorkflow::remove_signal,
                            payload,
                            options,
                        )
                        .await
                }
                CompatSignal::Email => {
                    client
                        .signal_with_start_workflow(
                            CartWorkflow::run,
                            input,
                            CartWorkflow::email_signal,
                            payload,
                            options,
                        )
                        .await
                }
                CompatSignal::Checkout => {
                    client
                        .signal_with_start_workflow(
                            CartWorkflow::run,
                            input,
                            CartWorkflow::checkout_signal,
                            payload,
                            options,
                        )
                        .await
                }
            };
            started.map(|_| ()).map_err(|e| match e {
                WorkflowStartError::AlreadyStarted { .. } => CartsError::Closed,
                WorkflowStartError::Rpc(status) => rpc_error(status),
                other => CartsError::Other(other.into()),
            })
        })
        .await
    }

    /// Delivers a verified webhook event to the cart. The event id is the signal's request
    /// id too, so Temporal drops a redelivery that races the first one.
    pub async fn payment_event(&self, id: &CartId, event: PaymentEvent) -> Result<(), CartsError> {
        let opts = WorkflowSignalOptions::builder()
            .request_id(event.event_id.clone())
            .rpc_options(self.rpc())
            .build();
        let handle = self.handle(id);
        self.within(async {
            handle
                .signal(CartWorkflow::payment_event, event, opts)
                .await
                .map_err(signal_error)
        })
        .await
    }
}
