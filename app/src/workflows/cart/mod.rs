//! The cart workflow: one long-lived workflow per cart, changed by updates (validated, so a bad
//! request never reaches history) or by the original shop's signals, read by a query.
//!
//! One inactivity timer runs at a time, due at the next reminder stage or at expiry, counted
//! from the last change. A change only records its time: when the timer fires on a cart
//! touched since, it sleeps for the rest (so an update writes no timer events), and only a
//! change that brings the due time forward replaces the timer.
//!
//! # Layout
//! - `input`: what the workflow is started with, hands on and returns.
//! - this file: the workflow's state and its handlers (updates with validators, signals, query).
//! - `run`: the main loop and the inactivity timer's reminders and expiry.
//! - `checkout`: the payment, from its start to its outcome.
//! - `order`: the paid checkout recorded as an order, or refunded.
//! - `schedule`: when the inactivity timer is due, a pure function.
//! - `state`: bookkeeping the handlers and the loop share.
//! - `stock`: prices and stock, held in the shop's database (carts since 0.1.0).
mod checkout;
mod input;
mod order;
mod run;
mod schedule;
mod state;
mod stock;

pub use input::*;

use crate::cart::{Cart, CartStatus, CartView, EmailChange, ItemChange};
use crate::domain::Fingerprinted;
use crate::domain::{CheckoutRequest, PaymentEvent};
use crate::workflows::failure::{Rejection, reject};
use state::parse;
use std::time::SystemTime;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult};

/// Most webhook event ids a cart remembers to drop a redelivered one.
const SEEN_EVENTS: usize = 64;

#[workflow]
pub struct CartWorkflow {
    input: CartInput,
    cart: Cart,
    /// The inactivity countdown runs from here; `None` until the first workflow task.
    last_change_at: Option<SystemTime>,
    /// Bumped by every accepted change so the main loop knows to restart its timer.
    changes: u64,
    /// The next reminder stage the timer aims at; skipped stages (no email yet) advance it.
    next_stage: u32,
    /// Accepted messages in this run, for `continue_after_messages`.
    messages: u32,
    /// How many runs (continue-as-new hand-overs) this cart has had, shown for operators.
    runs: u32,
    /// The card the checkout in progress asked for.
    payment_method: Option<String>,
    /// The checkout in progress is confirmed by the shopper's browser.
    client_confirms: bool,
    /// Webhook events not yet applied (one may arrive before the PaymentIntent's id is known).
    payment_events: Vec<PaymentEvent>,
    /// Ids of the events received lately, so a redelivery has no second effect.
    seen_events: std::collections::VecDeque<String>,
    /// Bumped by every new event, so the payment's wait wakes up.
    events_received: u64,
    /// Succeeded PaymentIntents this cart is not waiting for (an old attempt's, one made outside
    /// the shop), waiting to be handed to the reconciler, which refunds them.
    stray_payments: Vec<String>,
    /// The trace of the checkout in progress (the SDK's plugin makes it the current context of
    /// the handler; a replay rebuilds it from the message's header), so the payment and the
    /// order show up in the trace of the request that asked for them, not the cart's first.
    checkout_trace: Option<opentelemetry::Context>,
    /// A change that holds stock is under way (see `stock::in_stock_turn`).
    stock_busy: bool,
    /// The lines' reservations lapsed, and no change since held them again.
    reservation_lapsed: bool,
    /// The original shop's signals, for the main loop to apply when the cart holds stock: a
    /// signal handler cannot wait for an activity (an add's reservation, a checkout's prices).
    signalled: std::collections::VecDeque<Signalled>,
}

/// A signal waiting for the main loop (every signal of a cart that holds stock waits, so they
/// apply in the order they came).
#[derive(Debug, Clone)]
enum Signalled {
    Add(ItemChange),
    Remove(ItemChange),
    Email(EmailChange),
    Checkout(CheckoutRequest),
}

#[workflow_methods]
impl CartWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: CartInput) -> Self {
        let carried = input.carried.clone();
        let (cart, last_change_at, next_stage, runs, reservation_lapsed) = match carried {
            Some(c) => (c.cart, c.last_change_at, c.next_stage, c.runs + 1, c.reservation_lapsed),
            None => (Cart::default(), None, 0, 1, false),
        };
        Self {
            input,
            cart,
            last_change_at,
            changes: 0,
            next_stage,
            messages: 0,
            runs,
            payment_method: None,
            client_confirms: false,
            payment_events: vec![],
            seen_events: Default::default(),
            events_received: 0,
            stray_payments: vec![],
            checkout_trace: None,
            stock_busy: false,
            reservation_lapsed,
            signalled: Default::default(),
        }
    }

    #[run(name = "CartWorkflow")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<CartOutcome> {
        Self::main_loop(ctx).await
    }

    // ----- updates: validated first, so a rejected request leaves no trace in history -----

    // Each update's argument and result carry the request's fingerprint (see `fingerprint`).

    #[update_validator(add_item)]
    fn validate_add_item(
        &self,
        _ctx: &WorkflowContextView,
        change: &Fingerprinted<ItemChange>,
    ) -> Result<(), Rejection> {
        match &self.input.catalogue {
            Some(catalogue) => self
                .cart
                .check_add(catalogue, self.input.limits, &change.value)
                .map(|_| ()),
            None => self.cart.check_quantity(self.input.limits, &change.value).map(|_| ()),
        }
        .map_err(reject)
    }

    #[update(name = "add_item")]
    pub async fn add_item(
        ctx: &mut WorkflowContext<Self>,
        change: Fingerprinted<ItemChange>,
    ) -> Result<Fingerprinted<CartView>, Rejection> {
        if ctx.state(|s| s.holds_stock()) {
            let view = Self::add_held(ctx, &change.value).await?;
            return Ok(change.reply(view));
        }
        let now = ctx.workflow_time();
        let view = ctx.state_mut(|s| {
            let catalogue = s.input.catalogue.as_ref().expect("a cart of 0.1.0");
            let result = s.cart.add(catalogue, s.input.limits, &change.value);
            s.accepted_at(now, result)
        })?;
        Ok(change.reply(view))
    }

    #[update_validator(remove_item)]
    fn validate_remove_item(
        &self,
        _ctx: &WorkflowContextView,
        change: &Fingerprinted<ItemChange>,
    ) -> Result<(), Rejection> {
        self.cart.check_remove(&change.value).map_err(reject)
    }

    #[update(name = "remove_item")]
    pub async fn remove_item(
        ctx: &mut WorkflowContext<Self>,
        change: Fingerprinted<ItemChange>,
    ) -> Result<Fingerprinted<CartView>, Rejection> {
        if ctx.state(|s| s.holds_stock()) {
            let view = Self::remove_held(ctx, &change.value).await?;
            return Ok(change.reply(view));
        }
        let now = ctx.workflow_time();
        let view = ctx.state_mut(|s| {
            let result = s.cart.remove(&change.value);
            s.accepted_at(now, result)
        })?;
        Ok(change.reply(view))
    }

    #[update_validator(set_email)]
    fn validate_set_email(
        &self,
        _ctx: &WorkflowContextView,
        change: &Fingerprinted<EmailChange>,
    ) -> Result<(), Rejection> {
        self.cart.check_email(&change.value).map(|_| ()).map_err(reject)
    }

    #[update(name = "set_email")]
    pub fn set_email(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        change: Fingerprinted<EmailChange>,
    ) -> Result<Fingerprinted<CartView>, Rejection> {
        let result = self.cart.set_email(&change.value);
        Ok(change.reply(self.accepted(ctx, result)?))
    }

    #[update_validator(checkout)]
    fn validate_checkout(
        &self,
        _ctx: &WorkflowContextView,
        req: &Fingerprinted<CheckoutRequest>,
    ) -> Result<(), Rejection> {
        if self.awaits_shopper() {
            return Ok(());
        }
        self.cart
            .check_checkout(req.value.email_change().as_ref())
            .map_err(reject)
    }

    /// Starts the payment and answers with the cart once its outcome is known.
    #[update(name = "checkout")]
    pub async fn checkout(
        ctx: &mut WorkflowContext<Self>,
        req: Fingerprinted<CheckoutRequest>,
    ) -> Result<Fingerprinted<CartView>, Rejection> {
        // A checkout that finds the cart waiting for the shopper answers with the same
        // PaymentIntent instead of starting another.
        if ctx.state(|s| s.awaits_shopper()) {
            return Ok(req.reply(ctx.state(|s| s.view())));
        }
        let attempt = if ctx.state(|s| s.holds_stock()) {
            // Priced and held in the same turn as the checkout starts, so no add slips between.
            Self::in_stock_turn(ctx, async |ctx| {
                Self::price_and_hold(ctx, &req.value).await?;
                let now = ctx.workflow_time();
                ctx.state_mut(|s| s.start_checkout(&req.value, now))
            })
            .await
            .map_err(|e| -> Rejection { e.to_string().into() })?
        } else {
            let now = ctx.workflow_time();
            ctx.state_mut(|s| s.start_checkout(&req.value, now))
        }
        .map_err(reject)?;
        // Answer once the outcome is known, or once the shopper has to act (card, 3-D Secure).
        ctx.wait_condition(|s| {
            s.cart.checkout_attempts != attempt || s.cart.status != CartStatus::CheckingOut || s.awaits_shopper()
        })
        .await?;
        Ok(req.reply(ctx.state(|s| s.view())))
    }

    // ----- the original shop's signals: a malformed or refused one is logged and dropped -----

    #[signal(name = "ADD_TO_CART_CHANNEL")]
    pub fn add_signal(&mut self, ctx: &mut SyncWorkflowContext<Self>, raw: serde_json::Value) {
        let change = match parse::<ItemChange>(raw) {
            Ok(change) => change,
            Err(e) => return self.signalled(ctx, "ADD_TO_CART_CHANNEL", Err(e)),
        };
        let result = match &self.input.catalogue {
            Some(catalogue) => self
                .cart
                .add(catalogue, self.input.limits, &change)
                .map_err(|e| e.to_string()),
            None => return self.signalled.push_back(Signalled::Add(change)),
        };
        self.signalled(ctx, "ADD_TO_CART_CHANNEL", result);
    }

    #[signal(name = "REMOVE_FROM_CART_CHANNEL")]
    pub fn remove_signal(&mut self, ctx: &mut SyncWorkflowContext<Self>, raw: serde_json::Value) {
        let result = parse::<ItemChange>(raw).and_then(|c| {
            if self.holds_stock() {
                self.signalled.push_back(Signalled::Remove(c));
                return Ok(None);
            }
            self.cart.remove(&c).map(Some).map_err(|e| e.to_string())
        });
        self.signalled_now(ctx, "REMOVE_FROM_CART_CHANNEL", result);
    }

    #[signal(name = "UPDATE_EMAIL_CHANNEL")]
    pub fn email_signal(&mut self, ctx: &mut SyncWorkflowContext<Self>, raw: serde_json::Value) {
        let result = parse::<EmailChange>(raw).and_then(|c| {
            if self.holds_stock() {
                self.signalled.push_back(Signalled::Email(c));
                return Ok(None);
            }
            self.cart.set_email(&c).map(Some).map_err(|e| e.to_string())
        });
        self.signalled_now(ctx, "UPDATE_EMAIL_CHANNEL", result);
    }

    #[signal(name = "CHECKOUT_CHANNEL")]
    pub fn checkout_signal(&mut self, ctx: &mut SyncWorkflowContext<Self>, raw: serde_json::Value) {
        // The original sends `{"Email": ".."}`; accept a bare or null payload too.
        let req = parse::<CheckoutRequest>(raw).unwrap_or_default();
        if self.holds_stock() {
            self.signalled.push_back(Signalled::Checkout(req));
            return;
        }
        let result = self
            .cart
            .begin_checkout(req.email_change().as_ref())
            .map(|_| ())
            .map_err(|e| e.to_string());
        if result.is_ok() {
            self.begin_payment(&req);
        }
        self.signalled(ctx, "CHECKOUT_CHANNEL", result);
    }

    /// Stripe's webhook, verified by the gateway: a PaymentIntent of this cart changed.
    #[signal(name = "payment_event")]
    pub fn payment_event(&mut self, _ctx: &mut SyncWorkflowContext<Self>, event: PaymentEvent) {
        if self.seen_events.contains(&event.event_id) {
            return;
        }
        if self.seen_events.len() == SEEN_EVENTS {
            self.seen_events.pop_front();
        }
        self.seen_events.push_back(event.event_id.clone());
        if self.disowns(&event) {
            self.disown(event.intent);
            return;
        }
        // Only the checkout in progress listens; a bounded queue keeps a flood harmless.
        if self.cart.status == CartStatus::CheckingOut && self.payment_events.len() < SEEN_EVENTS {
            self.payment_events.push(event);
            self.events_received += 1;
        }
    }

    #[query(name = "getCart")]
    pub fn get_cart(&self, _ctx: &WorkflowContextView) -> CartView {
        self.view()
    }
}
