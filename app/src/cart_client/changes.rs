//! Changing a cart: the shopper's changes and the checkout, as updates with an update id (the
//! idempotency key), re-sent when a dead worker swallowed them, and checked against the
//! request they were first sent for.
use super::errors::{rpc_error, rpc_options, update_error, within};
use super::{CartRun, Carts, CartsError};
use crate::cart::{Cart, CartError, CartView, EmailChange, ItemChange};
use crate::domain::CartId;
use crate::domain::CheckoutRequest;
use crate::domain::{Fingerprinted, fingerprint};
use crate::workflows::cart::CartWorkflow;
use crate::workflows::search::CartIndex;
use std::time::{Duration, SystemTime};
use temporalio_client::errors::{WorkflowStartError, WorkflowUpdateWithStartError};
use temporalio_client::{
    WorkflowDescribeOptions, WorkflowExecuteUpdateOptions, WorkflowExecutionStatus, WorkflowIdConflictPolicy,
    WorkflowIdReusePolicy, WorkflowUpdateWithStartOptions,
};
use temporalio_common::UpdateDefinition;
use temporalio_common::search_attributes::SearchAttributes;

impl Carts {
    /// Applies one change as a workflow update and returns the cart as it now is. With an
    /// `update_id`, a repeated call is answered from the first one instead of applied again,
    /// and a different request under the same id is refused ([`CartsError::KeyReused`]).
    pub async fn change(
        &self,
        id: &CartId,
        change: CartChange,
        update_id: Option<String>,
    ) -> Result<CartView, CartsError> {
        // A product the catalogue does not list is refused here, costing Temporal nothing (a
        // first change would start the cart's workflow). The workflow checks again.
        if let (CartChange::Add(item), Some(catalogue)) = (&change, &self.catalogue)
            && let Ok(listed) = catalogue.active().await
            && !listed.iter().any(|p| p.id == item.product_id)
        {
            return Err(CartsError::Refused(
                (&CartError::UnknownProduct(item.product_id)).into(),
            ));
        }
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
        let send = Sending {
            update_id,
            deadline,
            index: self.first_change_index(change),
        };
        let result = match change.clone() {
            CartChange::Add(c) => {
                let arg = Fingerprinted::new(c, print);
                self.update(id, CartWorkflow::add_item, arg, send).await
            }
            CartChange::Remove(c) => {
                let arg = Fingerprinted::new(c, print);
                self.update(id, CartWorkflow::remove_item, arg, send).await
            }
            CartChange::Email(c) => {
                let arg = Fingerprinted::new(c, print);
                self.update(id, CartWorkflow::set_email, arg, send).await
            }
        };
        self.tell_closed_from_missing(id, result).await
    }

    /// The search attributes of the cart this change would make of an empty cart (what its
    /// validator and handler compute; a change they refuse leaves it empty), for the start
    /// options of a first change: the cart is then listed from its start without an upsert
    /// event. Ignored by the server when the workflow runs already.
    fn first_change_index(&self, change: &CartChange) -> SearchAttributes {
        let mut cart = Cart::default();
        let _refused = match change {
            CartChange::Add(c) => {
                // The gateway's last copy of the catalogue prices it, else the seed file; the
                // workflow's own price replaces it at the next status change.
                let listed = self.catalogue.as_ref().and_then(|c| c.peek());
                let product = listed
                    .as_ref()
                    .and_then(|p| p.iter().find(|p| p.id == c.product_id))
                    .or_else(|| self.shop.catalogue.get(c.product_id));
                match (product, cart.check_quantity(self.shop.limits, c)) {
                    (Some(product), Ok(quantity)) => {
                        cart.put_line(product, quantity, false);
                        Ok(())
                    }
                    (None, _) => Err(CartError::UnknownProduct(c.product_id)),
                    (_, Err(e)) => Err(e),
                }
            }
            CartChange::Remove(c) => cart.remove(c),
            CartChange::Email(c) => cart.set_email(c),
        };
        CartIndex::of(&cart, Some(SystemTime::now())).start_attributes()
    }

    /// One update. A minted cart's first change starts its workflow in the same call
    /// (update-with-start; two first changes at once meet in one workflow), and an ended cart
    /// is never started again; an id from before minting is only ever updated.
    async fn update<U>(&self, id: &CartId, update: U, arg: U::Input, send: Sending<'_>) -> Result<U::Output, CartsError>
    where
        U: UpdateDefinition<Workflow = CartRun>,
        U::Input: Send,
        U::Output: 'static,
    {
        let Sending {
            update_id,
            deadline,
            index,
        } = send;
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
        .task_timeout(crate::workflows::options::WORKFLOW_TASK_TIMEOUT)
        .search_attributes(index)
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
                other => CartsError::Other(other.into()),
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

/// How one update is sent: its id, deadline, and the search attributes a first change
/// starts the cart's workflow with.
struct Sending<'a> {
    update_id: &'a str,
    deadline: Duration,
    index: SearchAttributes,
}

/// An update whose workflow task was on a worker that died is not always delivered again by
/// the server; the caller then waits out its whole deadline. Sending it again under the same
/// update id after this long (the server deduplicates by id) puts it on a live worker.
const RESEND_AFTER: Duration = Duration::from_secs(3);
