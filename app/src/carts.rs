//! A typed client for carts: what the gateway, the starter and the tests use to start, change
//! and read cart workflows. Carts are always addressed by id, never through the handle returned
//! at start, because that handle is bound to the first run and continue-as-new ends it.
use crate::cart::{CartView, EmailChange, ItemChange, Refusal};
use crate::config::ShopConfig;
use crate::domain::CartId;
use crate::workflows::cart::{CartInput, CartOutcome, CartWorkflow, CheckoutRequest};
use std::time::Duration;
use temporalio_client::errors::{
    WorkflowInteractionError, WorkflowQueryError, WorkflowStartError, WorkflowUpdateError,
};
use temporalio_client::{
    Client, RpcOptions, WorkflowExecuteUpdateOptions, WorkflowGetResultOptions, WorkflowIdReusePolicy,
    WorkflowQueryOptions, WorkflowSignalOptions, WorkflowStartOptions,
};

#[derive(Debug, thiserror::Error)]
pub enum CartsError {
    #[error("cart not found")]
    NotFound,
    #[error("a cart with this id already exists")]
    AlreadyExists,
    /// The workflow refused the change (validator) — the cart is unchanged.
    #[error("{}", .0.message)]
    Refused(Refusal),
    /// The cart's life has ended (checked out or expired); it only answers queries.
    #[error("the cart is closed")]
    Closed,
    #[error("Temporal is unavailable: {0}")]
    Unavailable(String),
    #[error("unexpected Temporal error: {0}")]
    Other(String),
}

#[derive(Clone)]
pub struct Carts {
    client: Client,
    shop: ShopConfig,
    /// Deadline for one call to Temporal, so a wedged server cannot hang a request forever.
    rpc_timeout: Duration,
}

impl Carts {
    pub fn new(client: Client, shop: ShopConfig) -> Self {
        Self {
            client,
            shop,
            rpc_timeout: Duration::from_secs(10),
        }
    }

    pub fn with_rpc_timeout(mut self, timeout: Duration) -> Self {
        self.rpc_timeout = timeout;
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn shop(&self) -> &ShopConfig {
        &self.shop
    }

    fn rpc(&self) -> RpcOptions {
        RpcOptions::builder().timeout(self.rpc_timeout).build()
    }

    pub fn input(&self, id: CartId) -> CartInput {
        CartInput {
            id,
            catalogue: self.shop.catalogue.clone(),
            limits: self.shop.limits,
            timing: self.shop.timing.clone(),
            continue_after_messages: self.shop.continue_after_messages,
            carried: None,
        }
    }

    /// Starts a new, empty cart with a fresh random id.
    pub async fn create(&self) -> Result<CartView, CartsError> {
        self.start(self.input(CartId::random())).await
    }

    /// Starts a cart from an explicit input (tests use it to set short timings).
    pub async fn start(&self, input: CartInput) -> Result<CartView, CartsError> {
        let id = input.id.clone();
        let options = WorkflowStartOptions::new(self.shop.task_queue.clone(), id.to_string())
            .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
            .build();
        self.client
            .start_workflow(CartWorkflow::run, input, options)
            .await
            .map_err(|e| match e {
                WorkflowStartError::AlreadyStarted { .. } => CartsError::AlreadyExists,
                WorkflowStartError::Rpc(status) => rpc_error(status),
                other => CartsError::Other(other.to_string()),
            })?;
        Ok(crate::cart::Cart::default().view(&id))
    }

    fn handle(
        &self,
        id: &CartId,
    ) -> temporalio_client::WorkflowHandle<
        Client,
        <CartWorkflow as temporalio_sdk::workflows::WorkflowImplementation>::Run,
    > {
        self.client
            .get_workflow_handle::<<CartWorkflow as temporalio_sdk::workflows::WorkflowImplementation>::Run>(
                id.to_string(),
            )
    }

    pub async fn get(&self, id: &CartId) -> Result<CartView, CartsError> {
        let options = WorkflowQueryOptions::builder().rpc_options(self.rpc()).build();
        self.handle(id)
            .query(CartWorkflow::get_cart, (), options)
            .await
            .map_err(|e| match e {
                WorkflowQueryError::NotFound(_) => CartsError::NotFound,
                WorkflowQueryError::Rpc(status) => rpc_error(status),
                other => CartsError::Other(other.to_string()),
            })
    }

    fn update_options(&self, update_id: Option<String>) -> WorkflowExecuteUpdateOptions {
        WorkflowExecuteUpdateOptions::builder()
            .maybe_update_id(update_id)
            .rpc_options(self.rpc())
            .build()
    }

    /// Applies one change as a workflow update and returns the cart as it now is. With an
    /// `update_id`, a repeated call is answered from the first one instead of applied again.
    pub async fn change(
        &self,
        id: &CartId,
        change: CartChange,
        update_id: Option<String>,
    ) -> Result<CartView, CartsError> {
        let (handle, opts) = (self.handle(id), self.update_options(update_id));
        match change {
            CartChange::Add(c) => handle.execute_update(CartWorkflow::add_item, c, opts).await,
            CartChange::Remove(c) => handle.execute_update(CartWorkflow::remove_item, c, opts).await,
            CartChange::Email(c) => handle.execute_update(CartWorkflow::set_email, c, opts).await,
        }
        .map_err(update_error)
    }

    /// Checks out and waits for the payment's outcome, at most `wait`. `Ok(None)` means the
    /// wait ran out while the payment is still in progress; the update goes on regardless.
    pub async fn checkout(
        &self,
        id: &CartId,
        req: CheckoutRequest,
        update_id: Option<String>,
        wait: Duration,
    ) -> Result<Option<CartView>, CartsError> {
        let opts = WorkflowExecuteUpdateOptions::builder()
            .maybe_update_id(update_id)
            .rpc_options(RpcOptions::builder().timeout(wait).build())
            .build();
        match self.handle(id).execute_update(CartWorkflow::checkout, req, opts).await {
            Ok(view) => Ok(Some(view)),
            Err(WorkflowUpdateError::Rpc(status)) if status.code() == tonic::Code::DeadlineExceeded => Ok(None),
            Err(e) => Err(update_error(e)),
        }
    }

    /// Sends one of the original shop's signals (`ADD_TO_CART_CHANNEL`, ...) with a raw payload.
    pub async fn signal_compat(
        &self,
        id: &CartId,
        signal: CompatSignal,
        payload: serde_json::Value,
    ) -> Result<(), CartsError> {
        let handle = self.handle(id);
        let opts = WorkflowSignalOptions::default();
        let result = match signal {
            CompatSignal::Add => handle.signal(CartWorkflow::add_signal, payload, opts).await,
            CompatSignal::Remove => handle.signal(CartWorkflow::remove_signal, payload, opts).await,
            CompatSignal::Email => handle.signal(CartWorkflow::email_signal, payload, opts).await,
            CompatSignal::Checkout => handle.signal(CartWorkflow::checkout_signal, payload, opts).await,
        };
        result.map_err(|e| match e {
            WorkflowInteractionError::NotFound(_) => CartsError::NotFound,
            WorkflowInteractionError::Rpc(status) => rpc_error(status),
            other => CartsError::Other(other.to_string()),
        })
    }

    /// Waits for the cart's life to end and returns its final state.
    pub async fn outcome(&self, id: &CartId) -> Result<CartOutcome, CartsError> {
        self.handle(id)
            .get_result(WorkflowGetResultOptions::default())
            .await
            .map_err(|e| CartsError::Other(e.to_string()))
    }
}

/// The changes a shopper can make to an open cart, each a validated workflow update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartChange {
    Add(ItemChange),
    Remove(ItemChange),
    Email(EmailChange),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompatSignal {
    Add,
    Remove,
    Email,
    Checkout,
}

fn rpc_error(status: tonic::Status) -> CartsError {
    use tonic::Code;
    match status.code() {
        Code::NotFound => CartsError::NotFound,
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Unknown => {
            CartsError::Unavailable(status.message().to_owned())
        }
        _ => CartsError::Other(format!("{:?}: {}", status.code(), status.message())),
    }
}

fn update_error(err: WorkflowUpdateError) -> CartsError {
    match err {
        WorkflowUpdateError::NotFound(status) if status.message().contains("completed") => CartsError::Closed,
        WorkflowUpdateError::NotFound(_) => CartsError::NotFound,
        WorkflowUpdateError::Failed(failure) => CartsError::Refused(Refusal::parse(&failure.message)),
        WorkflowUpdateError::Rpc(status) => rpc_error(status),
        other => CartsError::Other(other.to_string()),
    }
}
