//! A typed client for carts: what the gateway, the starter and the tests use to start, change
//! and read cart workflows. Carts are always addressed by id, never through the handle returned
//! at start, because that handle is bound to the first run and continue-as-new ends it.
use crate::cart::{CartError, CartView, EmailChange, ItemChange, Refusal};
use crate::config::ShopConfig;
use crate::domain::CheckoutRequest;
use crate::domain::{CartId, CartIdKey, PaymentEvent};
use crate::workflows::cart::{CartInput, CartOutcome, CartWorkflow};
use crate::workflows::fingerprint::{Fingerprinted, fingerprint};
use std::time::Duration;
use temporalio_client::errors::{
    WorkflowInteractionError, WorkflowQueryError, WorkflowStartError, WorkflowUpdateError, WorkflowUpdateWithStartError,
};
use temporalio_client::{
    Client, RpcOptions, WorkflowDescribeOptions, WorkflowExecuteUpdateOptions, WorkflowExecutionStatus,
    WorkflowGetResultOptions, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowQueryOptions,
    WorkflowSignalOptions, WorkflowStartOptions, WorkflowUpdateWithStartOptions,
};
use temporalio_common::UpdateDefinition;

/// The handle type of a cart workflow's runs.
type CartRun = <CartWorkflow as temporalio_sdk::workflows::WorkflowImplementation>::Run;

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
    /// No answer within the deadline. A change may still be applied: retry it with the same
    /// update id (`Idempotency-Key`) and it is applied once.
    #[error("Temporal did not answer in time")]
    TimedOut,
    /// The update id (`Idempotency-Key`) was used before for a different request; the
    /// first request's result is not this one's.
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    /// A listing's `after` is not a cursor a previous page returned.
    #[error("not a cursor from a previous page")]
    BadCursor,
    #[error("unexpected Temporal error: {0}")]
    Other(String),
}

#[derive(Clone)]
pub struct Carts {
    client: Client,
    shop: ShopConfig,
    /// Signs the ids [`Carts::mint`] hands out; a minted id's workflow starts with its first change.
    id_key: CartIdKey,
    /// Deadline for one call to Temporal, so a wedged server cannot hang a request forever.
    rpc_timeout: Duration,
}

impl Carts {
    pub fn new(client: Client, shop: ShopConfig) -> Self {
        let id_key = shop.cart_id_key.clone().unwrap_or_else(|| {
            tracing::warn!(
                "SHOP_CART_ID_KEY is not set: cart ids minted here are valid at this process only, until it restarts"
            );
            CartIdKey::random()
        });
        Self {
            client,
            shop,
            id_key,
            rpc_timeout: Duration::from_secs(10),
        }
    }

    pub fn with_rpc_timeout(mut self, timeout: Duration) -> Self {
        self.rpc_timeout = timeout;
        self
    }

    /// Carts started from now on use `timing` (tests shorten the payment's waits).
    pub fn with_timing(mut self, timing: crate::workflows::cart::CartTiming) -> Self {
        self.shop.timing = timing;
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn shop(&self) -> &ShopConfig {
        &self.shop
    }

    /// The RPC's own deadline is a backstop a little after ours (see [`within`]).
    fn rpc(&self) -> RpcOptions {
        rpc_options(self.rpc_timeout)
    }

    /// Our deadline for one call to Temporal.
    async fn within<T>(&self, call: impl Future<Output = Result<T, CartsError>>) -> Result<T, CartsError> {
        within(self.rpc_timeout, call).await
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

    /// A new, empty cart: only an id, signed so the gateway can tell it from a forged one. No
    /// workflow runs until the cart's first change starts it (update-with-start), so a shopper
    /// who never adds anything costs Temporal nothing.
    pub fn mint(&self) -> CartView {
        empty_cart(&self.id_key.mint())
    }

    /// Whether this shop minted `id` (ids of carts started before minting do not verify).
    pub fn minted(&self, id: &CartId) -> bool {
        self.id_key.minted(id)
    }

    /// Starts a cart from an explicit input (tests use it to set short timings).
    pub async fn start(&self, input: CartInput) -> Result<CartView, CartsError> {
        let id = input.id.clone();
        let options = WorkflowStartOptions::new(self.shop.task_queue.clone(), id.to_string())
            .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
            .task_timeout(crate::worker::WORKFLOW_TASK_TIMEOUT)
            .build();
        self.within(async {
            self.client
                .start_workflow(CartWorkflow::run, input, options)
                .await
                .map_err(|e| match e {
                    WorkflowStartError::AlreadyStarted { .. } => CartsError::AlreadyExists,
                    WorkflowStartError::Rpc(status) => rpc_error(status),
                    other => CartsError::Other(other.to_string()),
                })
        })
        .await?;
        Ok(empty_cart(&id))
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
        let found = self
            .within(async {
                self.handle(id)
                    .query(CartWorkflow::get_cart, (), options)
                    .await
                    .map_err(|e| match e {
                        WorkflowQueryError::NotFound(_) => CartsError::NotFound,
                        WorkflowQueryError::Rpc(status) => rpc_error(status),
                        other => CartsError::Other(other.to_string()),
                    })
            })
            .await;
        match found {
            // Minted, never changed: the empty cart, without a workflow.
            Err(CartsError::NotFound) if self.minted(id) => Ok(empty_cart(id)),
            other => other,
        }
    }

    /// Whether Temporal answers within `limit`: a query for a cart that cannot exist must come
    /// back NotFound. For readiness probes, which must answer quickly when Temporal is down.
    pub async fn ping(&self, limit: Duration) -> Result<(), CartsError> {
        let probe = self.clone().with_rpc_timeout(limit);
        match probe.get(&CartId::random()).await {
            Ok(_) | Err(CartsError::NotFound) => Ok(()),
            Err(CartsError::TimedOut) => Err(CartsError::Unavailable(format!("no answer within {limit:?}"))),
            Err(e) => Err(e),
        }
    }

    /// Applies one change as a workflow update and returns the cart as it now is. With an
    /// `update_id`, a repeated call is answered from the first one instead of applied again,
    /// and a different request under the same id is refused ([`CartsError::KeyReused`]).
    pub async fn change(
        &self,
        id: &CartId,
        change: CartChange,
        update_id: Option<String>,
    ) -> Result<CartView, CartsError> {
        let print = update_id.as_ref().map(|_| change.fingerprint());
        // Without a client's key, an id of our own keeps the re-sends below idempotent.
        let update_id = update_id.unwrap_or_else(|| format!("change-{}", CartId::random().as_str()));
        let deadline = tokio::time::Instant::now() + self.rpc_timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let attempt = left.min(RESEND_AFTER);
            match within(
                attempt,
                self.send_change(id, &change, &update_id, print.clone(), attempt),
            )
            .await
            {
                Err(CartsError::TimedOut) if tokio::time::Instant::now() < deadline => continue,
                result => return result.and_then(|applied| same_request(applied, print.as_deref())),
            }
        }
    }

    async fn send_change(
        &self,
        id: &CartId,
        change: &CartChange,
        update_id: &str,
        print: Option<String>,
        deadline: Duration,
    ) -> Result<Fingerprinted<CartView>, CartsError> {
        let result = match change.clone() {
            CartChange::Add(c) => {
                let arg = Fingerprinted::new(c, print);
                self.update(id, CartWorkflow::add_item, arg, update_id, deadline).await
            }
            CartChange::Remove(c) => {
                let arg = Fingerprinted::new(c, print);
                self.update(id, CartWorkflow::remove_item, arg, update_id, deadline)
                    .await
            }
            CartChange::Email(c) => {
                let arg = Fingerprinted::new(c, print);
                self.update(id, CartWorkflow::set_email, arg, update_id, deadline).await
            }
        };
        self.tell_closed_from_missing(id, result).await
    }

    /// One update. A minted cart's first change starts its workflow in the same call
    /// (update-with-start; two first changes at once meet in one workflow), and an ended cart
    /// is never started again; an id from before minting is only ever updated.
    async fn update<U>(
        &self,
        id: &CartId,
        update: U,
        arg: U::Input,
        update_id: &str,
        deadline: Duration,
    ) -> Result<U::Output, CartsError>
    where
        U: UpdateDefinition<Workflow = CartRun>,
        U::Input: Send,
        U::Output: 'static,
    {
        if !self.minted(id) {
            let opts = WorkflowExecuteUpdateOptions::builder()
                .update_id(update_id.to_owned())
                .rpc_options(rpc_options(deadline))
                .build();
            return self
                .handle(id)
                .execute_update(update, arg, opts)
                .await
                .map_err(update_error);
        }
        let opts = WorkflowUpdateWithStartOptions::new(
            self.shop.task_queue.clone(),
            id.to_string(),
            WorkflowIdConflictPolicy::UseExisting,
        )
        .id_reuse_policy(WorkflowIdReusePolicy::RejectDuplicate)
        .task_timeout(crate::worker::WORKFLOW_TASK_TIMEOUT)
        .update_id(update_id.to_owned())
        .rpc_options(rpc_options(deadline))
        .build();
        self.client
            .execute_update_with_start_workflow(CartWorkflow::run, self.input(id.clone()), update, arg, opts)
            .await
            .map_err(|e| match e {
                // RejectDuplicate: the cart's workflow ran and ended.
                WorkflowUpdateWithStartError::Start(WorkflowStartError::AlreadyStarted { .. }) => CartsError::Closed,
                WorkflowUpdateWithStartError::Start(WorkflowStartError::Rpc(status)) => rpc_error(status),
                WorkflowUpdateWithStartError::Update(e) => update_error(e),
                WorkflowUpdateWithStartError::Rpc(status) => rpc_error(status),
                other => CartsError::Other(other.to_string()),
            })
    }

    /// The server words an update to an ended workflow in more than one way ("already
    /// completed", "update not found" when it ended while the update waited), so a NotFound
    /// is settled by asking whether the cart exists at all.
    async fn tell_closed_from_missing<T>(&self, id: &CartId, result: Result<T, CartsError>) -> Result<T, CartsError> {
        if !matches!(result, Err(CartsError::NotFound)) {
            return result;
        }
        let opts = WorkflowDescribeOptions::builder().rpc_options(self.rpc()).build();
        match self.handle(id).describe(opts).await {
            Ok(d) if d.status() != WorkflowExecutionStatus::Running => Err(CartsError::Closed),
            _ => result,
        }
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
        let print = update_id.as_ref().map(|_| fingerprint("checkout", &req));
        let opts = WorkflowExecuteUpdateOptions::builder()
            .maybe_update_id(update_id)
            .rpc_options(rpc_options(wait))
            .build();
        let arg = Fingerprinted::new(req, print.clone());
        let call = async {
            let result = self
                .handle(id)
                .execute_update(CartWorkflow::checkout, arg, opts)
                .await
                .map_err(update_error);
            self.tell_closed_from_missing(id, result).await
        };
        // The payment goes on when the wait runs out; so does it when the RPC's backstop
        // deadline shows up in one of its other guises.
        match within(wait, call).await {
            // Minted and never changed: there is nothing to pay for.
            Err(CartsError::NotFound) if self.minted(id) => Err(CartsError::Refused((&CartError::Empty).into())),
            Ok(applied) => same_request(applied, print.as_deref()).map(Some),
            Err(CartsError::TimedOut) => Ok(None),
            Err(e) => Err(e),
        }
    }

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
            .task_timeout(crate::worker::WORKFLOW_TASK_TIMEOUT)
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
                other => CartsError::Other(other.to_string()),
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

impl CartChange {
    fn fingerprint(&self) -> String {
        match self {
            CartChange::Add(c) => fingerprint("add_item", c),
            CartChange::Remove(c) => fingerprint("remove_item", c),
            CartChange::Email(c) => fingerprint("set_email", c),
        }
    }
}

/// The result of an update sent with an update id, if that id was first used for this very
/// request. An update recorded before fingerprints existed has none and is taken as it is.
fn same_request(applied: Fingerprinted<CartView>, ours: Option<&str>) -> Result<CartView, CartsError> {
    match (applied.request_fingerprint.as_deref(), ours) {
        (Some(theirs), Some(ours)) if theirs != ours => Err(CartsError::KeyReused),
        _ => Ok(applied.value),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompatSignal {
    Add,
    Remove,
    Email,
    Checkout,
}

/// An update whose workflow task was on a worker that died is not always delivered again by
/// the server; the caller then waits out its whole deadline. Sending it again under the same
/// update id after this long (the server deduplicates by id) puts it on a live worker.
const RESEND_AFTER: Duration = Duration::from_secs(3);

fn empty_cart(id: &CartId) -> CartView {
    crate::cart::Cart::default().view(id)
}

/// How far the RPC's own deadline trails ours, so ours is the one that fires.
const RPC_BACKSTOP: Duration = Duration::from_secs(2);

fn rpc_options(deadline: Duration) -> RpcOptions {
    RpcOptions::builder().timeout(deadline + RPC_BACKSTOP).build()
}

/// Runs `call` under a deadline of our own. The client reports its own deadline in several
/// guises (`DeadlineExceeded`, `Cancelled: Timeout expired`, an h2 error); ours always reads
/// [`CartsError::TimedOut`].
async fn within<T>(limit: Duration, call: impl Future<Output = Result<T, CartsError>>) -> Result<T, CartsError> {
    tokio::time::timeout(limit, call)
        .await
        .unwrap_or(Err(CartsError::TimedOut))
}

pub(crate) fn rpc_error(status: tonic::Status) -> CartsError {
    use tonic::Code;
    match status.code() {
        Code::NotFound => CartsError::NotFound,
        Code::DeadlineExceeded | Code::Cancelled => CartsError::TimedOut,
        Code::Unavailable | Code::ResourceExhausted | Code::Unknown => {
            CartsError::Unavailable(status.message().to_owned())
        }
        // A broken HTTP/2 stream (a server restarting, a connection reset) is a transport
        // fault, not a bug of ours.
        Code::Internal if status.message().contains("h2") || status.message().contains("transport") => {
            CartsError::Unavailable(status.message().to_owned())
        }
        _ => CartsError::Other(format!("{:?}: {}", status.code(), status.message())),
    }
}

fn signal_error(err: WorkflowInteractionError) -> CartsError {
    match err {
        WorkflowInteractionError::NotFound(_) => CartsError::NotFound,
        WorkflowInteractionError::Rpc(status) => rpc_error(status),
        other => CartsError::Other(other.to_string()),
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
