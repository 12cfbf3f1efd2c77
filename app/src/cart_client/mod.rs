//! A typed client for carts: what the gateway and the tests use to start, change
//! and read cart workflows. Carts are always addressed by id, never through the handle returned
//! at start, because that handle is bound to the first run and continue-as-new ends it.
//!
//! # Layout
//! - this file: the client, starting and reading carts.
//! - `changes`: the shopper's changes and the checkout, as idempotent updates.
//! - `signals`: the original shop's signals and Stripe's payment events.
//! - `errors`: [`CartsError`] and the mapping of Temporal's errors onto it.
mod changes;
mod errors;
mod signals;

pub use changes::CartChange;
pub use errors::CartsError;
pub(crate) use errors::rpc_error;
pub use signals::CompatSignal;

use crate::cart::CartView;
use crate::catalogue::CatalogueCache;
use crate::config::ShopConfig;
use crate::domain::{CartId, CartIdKey};
use crate::workflows::cart::{CartInput, CartOutcome, CartWorkflow};
use errors::{rpc_options, within};
use std::sync::Arc;
use std::time::Duration;
use temporalio_client::errors::{WorkflowQueryError, WorkflowStartError};
use temporalio_client::{
    Client, RpcOptions, WorkflowGetResultOptions, WorkflowIdReusePolicy, WorkflowQueryOptions, WorkflowStartOptions,
};

/// The handle type of a cart workflow's runs.
pub(super) type CartRun = <CartWorkflow as temporalio_sdk::workflows::WorkflowImplementation>::Run;

#[derive(Clone)]
pub struct Carts {
    client: Client,
    shop: ShopConfig,
    /// Signs the ids [`Carts::mint`] hands out; a minted id's workflow starts with its first change.
    id_key: CartIdKey,
    /// Deadline for one call to Temporal, so a wedged server cannot hang a request forever.
    rpc_timeout: Duration,
    /// The gateway's copy of the products on sale, for the search attributes a cart starts with.
    catalogue: Option<Arc<CatalogueCache>>,
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
            catalogue: None,
        }
    }

    /// Prices a first change's start attributes from the gateway's copy of the catalogue.
    pub fn with_catalogue(mut self, catalogue: Arc<CatalogueCache>) -> Self {
        self.catalogue = Some(catalogue);
        self
    }

    pub fn catalogue(&self) -> Option<&Arc<CatalogueCache>> {
        self.catalogue.as_ref()
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
            catalogue: None,
            currency: self.shop.catalogue.currency.clone(),
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
            .task_timeout(crate::workflows::options::WORKFLOW_TASK_TIMEOUT)
            .build();
        self.within(async {
            self.client
                .start_workflow(CartWorkflow::run, input, options)
                .await
                .map_err(|e| match e {
                    WorkflowStartError::AlreadyStarted { .. } => CartsError::AlreadyExists,
                    WorkflowStartError::Rpc(status) => rpc_error(status),
                    other => CartsError::Other(other.into()),
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
                        other => CartsError::Other(other.into()),
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

    /// Waits for the cart's life to end and returns its final state.
    pub async fn outcome(&self, id: &CartId) -> Result<CartOutcome, CartsError> {
        self.handle(id)
            .get_result(WorkflowGetResultOptions::default())
            .await
            .map_err(|e| CartsError::Other(e.into()))
    }
}

pub(super) fn empty_cart(id: &CartId) -> CartView {
    crate::cart::Cart::default().view(id)
}
