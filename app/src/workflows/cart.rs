//! The cart workflow: one long-lived workflow per cart, changed by updates (validated, so a bad
//! request never reaches history) or by the original shop's signals, read by a query.
//!
//! One inactivity timer runs at a time, due at the next reminder stage or at expiry, counted
//! from the last change. A change only records its time: when the timer fires on a cart
//! touched since, it sleeps for the rest (so an update writes no timer events), and only a
//! change that brings the due time forward replaces the timer.
use crate::activities::{
    CartEmail, CartEmailKind, ChargeRequest, DECLINED, PaymentReceipt, PlaceOrder, REFUND_REFUSED, RecoverPayment,
    RefundRequest, ShopActivities, VoidOrder,
};
use crate::cart::{Cart, CartError, CartStatus, CartView, EmailChange, ItemChange, Limits};
use crate::catalogue::Catalogue;
use crate::domain::{CartId, ConfirmBy, Payment, PaymentEvent, PaymentLookup, PaymentStatus};
use crate::workflows::fingerprint::Fingerprinted;
use crate::workflows::search::CartIndex;
use opentelemetry::trace::FutureExt as _;
use serde::{Deserialize, Serialize};
use std::error::Error;
use std::pin::pin;
use std::time::{Duration, SystemTime};
use temporalio_common::RetryPolicy;
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::workflows::select;
use temporalio_sdk::{
    ActivityOptions, CancellableFuture, ContinueAsNewOptions, SyncWorkflowContext, TimerResult, WorkflowContext,
    WorkflowContextView, WorkflowResult, WorkflowTermination,
};

type Rejection = Box<dyn Error + Send + Sync>;

pub const WORKFLOW_TYPE: &str = "CartWorkflow";

/// Patch marker for recording a checkout as an order (see `place_order`).
pub const ORDERS_PATCH: &str = "orders-v1";

/// Patch marker for the checkout that keeps its PaymentIntent, waits for the shopper (Stripe.js,
/// 3-D Secure), and learns the outcome by webhook or status check (see `checkout_payment`).
pub const CHECKOUT_V2_PATCH: &str = "checkout-v2";

/// Patch marker for settling an attempt whose payment call got no clear answer before the
/// cart may change or pay again (see `recover_payment`); before it, such a cart was left
/// open and its next checkout reused the attempt's key.
pub const PAYMENT_RECOVERY_PATCH: &str = "payment-recovery";

/// Patch marker for counting a reminder that a change overtook while it was being sent, so
/// each stage is emailed at most once (see `remind`).
pub const REMINDER_ONCE_PATCH: &str = "reminder-once";

/// Patch marker for voiding an order row made for a payment the saga refunded (see
/// `place_order`).
pub const ORDER_VOID_PATCH: &str = "order-void";

/// Patch marker for the lazy inactivity timer (see the module docs); runs begun before it
/// cancel and restart the timer on every change.
pub const LAZY_TIMER_PATCH: &str = "lazy-timer";

/// Patch marker for keeping the cart's search attributes (see [`super::search`]); runs
/// begun before it are not indexed.
pub const SEARCH_ATTRIBUTES_PATCH: &str = "search-attributes";

/// Most webhook event ids a cart remembers to drop a redelivered one.
const SEEN_EVENTS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartTiming {
    /// Reminder stages: the quiet time before the first reminder, then between reminders.
    pub reminder_after: Vec<Duration>,
    /// Quiet time after which the cart expires and the workflow ends.
    pub expire_after: Duration,
    /// Start-to-close timeout of one activity attempt (a payment call, an email).
    pub activity_timeout: Duration,
    /// Attempts at recording a paid checkout as an order before the payment is refunded.
    #[serde(default = "default_order_attempts")]
    pub order_attempts: u32,
    /// Attempts at the payment call before its outcome counts as unknown and is looked up.
    #[serde(default = "default_payment_attempts")]
    pub payment_attempts: u32,
    /// First status check of a payment no webhook has settled; doubles up to ten minutes.
    #[serde(default = "default_payment_check_after")]
    pub payment_check_after: Duration,
    /// How long a checkout waits for the shopper (card, 3-D Secure) before it cancels the
    /// PaymentIntent and the cart is usable again.
    #[serde(default = "default_payment_wait")]
    pub payment_wait: Duration,
}

fn default_payment_check_after() -> Duration {
    Duration::from_secs(60)
}

fn default_payment_wait() -> Duration {
    Duration::from_secs(30 * 60)
}

fn default_order_attempts() -> u32 {
    6
}

fn default_payment_attempts() -> u32 {
    8
}

impl CartTiming {
    /// Production: remind after an hour and a day, keep a cart for a week.
    pub fn production() -> Self {
        Self {
            reminder_after: vec![Duration::from_secs(3600), Duration::from_secs(23 * 3600)],
            expire_after: Duration::from_secs(7 * 24 * 3600),
            activity_timeout: Duration::from_secs(30),
            order_attempts: default_order_attempts(),
            payment_attempts: default_payment_attempts(),
            payment_check_after: default_payment_check_after(),
            payment_wait: default_payment_wait(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartInput {
    pub id: CartId,
    pub catalogue: Catalogue,
    pub limits: Limits,
    pub timing: CartTiming,
    /// Continue-as-new after this many accepted messages in one run, besides whenever the server
    /// suggests it. Tests set it low to exercise the hand-over.
    pub continue_after_messages: Option<u32>,
    /// State handed over by continue-as-new; `None` for a new cart.
    pub carried: Option<Carried>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Carried {
    pub cart: Cart,
    pub last_change_at: Option<SystemTime>,
    pub next_stage: u32,
    pub runs: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckoutRequest {
    /// Optional when the cart already has an email (the original shop always sends one).
    #[serde(default, alias = "Email")]
    pub email: Option<String>,
    /// A Stripe PaymentMethod id (from Stripe.js in a real storefront, or a test card such as
    /// `pm_card_chargeCustomerFail`); the worker's configured card when absent.
    #[serde(default, alias = "PaymentMethod")]
    pub payment_method: Option<String>,
    /// `client`: the browser confirms the payment with Stripe.js, and the answer carries the
    /// PaymentIntent's client secret. Ignored when a `payment_method` is given.
    #[serde(default)]
    pub confirm: ConfirmBy,
}

impl CheckoutRequest {
    fn email_change(&self) -> Option<EmailChange> {
        self.email.clone().map(|email| EmailChange { email })
    }
}

/// What the workflow returns when the cart's life ends: checked out, or expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartOutcome {
    pub cart: CartView,
}

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
    /// This run keeps its search attributes up to date (under [`SEARCH_ATTRIBUTES_PATCH`]).
    indexed: bool,
    /// The trace of the checkout in progress (the SDK's plugin makes it the current context of
    /// the handler; a replay rebuilds it from the message's header), so the payment and the
    /// order show up in the trace of the request that asked for them, not the cart's first.
    checkout_trace: Option<opentelemetry::Context>,
}

enum Due {
    Reminder(u32),
    Expiry,
}

enum Woken {
    Due(TimerResult),
    Changed,
}

#[workflow_methods]
impl CartWorkflow {
    #[init]
    pub fn new(_ctx: &WorkflowContextView, input: CartInput) -> Self {
        let carried = input.carried.clone();
        let (cart, last_change_at, next_stage, runs) = match carried {
            Some(c) => (c.cart, c.last_change_at, c.next_stage, c.runs + 1),
            None => (Cart::default(), None, 0, 1),
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
            indexed: false,
            checkout_trace: None,
        }
    }

    #[run(name = "CartWorkflow")]
    pub async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<CartOutcome> {
        // Once per run, first thing: runs begun before the patch keep restarting the timer.
        let lazy = ctx.patched(LAZY_TIMER_PATCH);
        let indexed = ctx.patched(SEARCH_ATTRIBUTES_PATCH);
        let now = ctx.workflow_time();
        ctx.state_mut(|s| {
            s.last_change_at = s.last_change_at.or(now);
            s.indexed = indexed;
        });
        if !ctx.is_replaying() && ctx.state(|s| s.input.carried.is_none()) {
            crate::metrics::cart_started();
        }
        loop {
            // Every status change of the loop below comes round here, the last one included.
            if let Some(index) = ctx.state(|s| s.indexed.then(|| s.index())) {
                let updates = index.updates(&ctx.search_attributes());
                if !updates.is_empty() {
                    ctx.upsert_search_attributes(updates);
                }
            }
            match ctx.state(|s| s.cart.status) {
                CartStatus::CheckingOut => {
                    let trace = ctx
                        .state(|s| s.checkout_trace.clone())
                        .unwrap_or_else(opentelemetry::Context::current);
                    // Carts that checked out before the webhook flow replay the old path.
                    if ctx.patched(CHECKOUT_V2_PATCH) {
                        Self::checkout_payment(ctx).with_context(trace).await?;
                    } else {
                        Self::pay(ctx).with_context(trace).await?;
                    }
                    continue;
                }
                CartStatus::CheckedOut | CartStatus::Expired => return Self::finish(ctx).await,
                CartStatus::Active | CartStatus::PaymentFailed => {}
            }
            if ctx.state(|s| s.wants_continue_as_new()) || ctx.continue_as_new_suggested() {
                let handlers = ctx.clone();
                ctx.wait_condition(move |_| handlers.all_handlers_finished()).await?;
                if ctx.state(|s| s.cart.status.is_open()) {
                    let next = ctx.state(|s| s.next_input());
                    if !ctx.is_replaying() {
                        tracing::info!(cart_id = %next.id, "continuing as new");
                    }
                    ctx.continue_as_new(next, ContinueAsNewOptions::default())?;
                }
                continue;
            }

            let now = ctx.workflow_time().unwrap_or(SystemTime::UNIX_EPOCH);
            let (due, at) = ctx.state(|s| s.next_due());
            let wait = at.duration_since(now).unwrap_or_default().max(Duration::from_millis(1));
            let changes = ctx.state(|s| s.changes);
            let suggested = ctx.clone();
            let woken = {
                let mut timer = pin!(ctx.timer(wait));
                let woken = select! {
                    fired = timer.as_mut() => Woken::Due(fired),
                    // A lazy timer is left to run by a change that only pushes the due time
                    // back (the common case: the fire finds the cart touched and sleeps the
                    // rest); one that brings it forward (a first email) wakes the loop.
                    waited = ctx.wait_condition(|s| (s.changes != changes && (!lazy || s.next_due().1 < at))
                        || s.wants_continue_as_new() || !s.cart.status.is_open()
                        || suggested.continue_as_new_suggested()) => {
                        waited?;
                        Woken::Changed
                    }
                };
                // Woken before the timer: cancel it (dropping it would leave it running on
                // the server) and go round again.
                if matches!(woken, Woken::Changed) {
                    timer.cancel();
                }
                woken
            };
            match woken {
                Woken::Changed => {}
                Woken::Due(TimerResult::Cancelled) => return Err(WorkflowTermination::cancelled()),
                Woken::Due(TimerResult::Fired) if ctx.state(|s| s.changes != changes) => {}
                Woken::Due(TimerResult::Fired) => match due {
                    Due::Reminder(stage) => Self::remind(ctx, stage).await,
                    Due::Expiry => {
                        if !ctx.is_replaying() {
                            crate::metrics::cart_expired();
                        }
                        ctx.state_mut(|s| s.cart.status = CartStatus::Expired)
                    }
                },
            }
        }
    }

    async fn remind(ctx: &mut WorkflowContext<Self>, stage: u32) {
        // Asked before the email goes out, so the marker's place in history is fixed.
        let once = ctx.patched(REMINDER_ONCE_PATCH);
        ctx.state_mut(|s| s.next_stage = stage + 1);
        let Some(mail) = ctx.state(|s| s.email(CartEmailKind::Reminder { stage })) else {
            return;
        };
        let to = mail.to.clone();
        let opts = ctx.state(|s| email_options(&s.input.timing));
        match ctx.execute_activity(ShopActivities::send_cart_email, mail, opts).await {
            // A change while the email was out set `next_stage` back to the stages sent
            // before it: count this one, so the same stage is not sent again. One that went
            // to an address since replaced does not count for the new one.
            Ok(()) if once => ctx.state_mut(|s| {
                if s.cart.email.as_ref().is_some_and(|e| e.as_str() == to) {
                    s.cart.reminders_sent = s.cart.reminders_sent.max(stage + 1);
                    s.next_stage = s.next_stage.max(stage + 1);
                }
            }),
            Ok(()) => ctx.state_mut(|s| s.cart.reminders_sent += 1),
            Err(e) if !ctx.is_replaying() => tracing::warn!(error = %e, stage, "reminder email failed"),
            Err(_) => {}
        }
    }

    async fn pay(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        let request = ctx.state(|s| s.charge_request());
        let opts = ctx.state(|s| payment_options(&s.input.timing));
        match ctx.execute_activity(ShopActivities::charge, request, opts).await {
            Ok(PaymentReceipt { payment_ref, .. }) => Self::paid(ctx, payment_ref).await?,
            Err(e) => Self::payment_failed(ctx, &e),
        }
        Ok(())
    }

    /// The payment could not be started: a decline ends the attempt; otherwise (retries ran
    /// out, Stripe refused the request) whether money moved is unknown, so the next checkout
    /// reuses this attempt's idempotency key.
    fn payment_failed(ctx: &mut WorkflowContext<Self>, e: &temporalio_sdk::ActivityExecutionError) {
        match super::failure::application_failure(e, DECLINED) {
            Some(reason) => Self::declined(ctx, reason),
            None => {
                if !ctx.is_replaying() {
                    crate::metrics::checkout("unsettled");
                    tracing::warn!(error = %super::failure::root_message(e), "payment outcome unknown");
                }
                ctx.state_mut(|s| {
                    s.cart
                        .unsettled("the payment could not be completed; please try again".into())
                })
            }
        }
    }

    fn declined(ctx: &mut WorkflowContext<Self>, reason: String) {
        if !ctx.is_replaying() {
            crate::metrics::checkout("declined");
        }
        ctx.state_mut(|s| s.cart.declined(reason));
    }

    /// A succeeded payment: record the order (or refund), mark the cart paid, send the receipt.
    async fn paid(ctx: &mut WorkflowContext<Self>, payment_ref: String) -> WorkflowResult<()> {
        // Added after carts were already running: histories without the marker replay
        // the old path (no order), new checkouts record one.
        if ctx.patched(ORDERS_PATCH) && !Self::place_order(ctx, &payment_ref).await? {
            return Ok(());
        }
        if !ctx.is_replaying() {
            crate::metrics::checkout("paid");
        }
        ctx.state_mut(|s| s.cart.paid(payment_ref.clone()));
        if let Some(mail) = ctx.state(|s| s.email(CartEmailKind::Confirmation { payment_ref })) {
            let opts = ctx.state(|s| email_options(&s.input.timing));
            if let Err(e) = ctx.execute_activity(ShopActivities::send_cart_email, mail, opts).await
                && !ctx.is_replaying()
            {
                tracing::warn!(error = %e, "confirmation email failed");
            }
        }
        Ok(())
    }

    /// The checkout with a PaymentIntent of its own: create it (confirmed by the server, or
    /// left for the browser), then wait for its outcome, by webhook or by status check.
    async fn checkout_payment(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        // Asked here, beside `CHECKOUT_V2_PATCH`, not where a failure is handled: the marker
        // then sits at the same point of every checkout's history.
        let recovers = ctx.patched(PAYMENT_RECOVERY_PATCH);
        let request = ctx.state(|s| s.charge_request());
        let opts = ctx.state(|s| payment_options(&s.input.timing));
        match ctx.execute_activity(ShopActivities::start_payment, request, opts).await {
            Ok(payment) => ctx.state_mut(|s| s.cart.payment = Some(payment)),
            Err(e) if recovers && super::failure::application_failure(&e, DECLINED).is_none() => {
                if !Self::recover_payment(ctx, &e).await? {
                    return Ok(());
                }
            }
            Err(e) => {
                Self::payment_failed(ctx, &e);
                return Ok(());
            }
        }
        let payment = Self::settle(ctx).await?;
        match payment.status {
            PaymentStatus::Succeeded => Self::paid(ctx, payment.intent).await,
            _ => {
                let reason = payment
                    .failure
                    .unwrap_or_else(|| "the payment was not completed".into());
                Self::declined(ctx, reason);
                Ok(())
            }
        }
    }

    /// The payment call ran out of retries or was refused, so whether Stripe made a
    /// PaymentIntent is unknown. The cart stays locked (changes get `payment_pending`) while
    /// Stripe is asked what became of this attempt, and a new attempt is never started before
    /// the answer. `true`: the PaymentIntent was found and is settled as usual.
    async fn recover_payment(
        ctx: &mut WorkflowContext<Self>,
        cause: &temporalio_sdk::ActivityExecutionError,
    ) -> WorkflowResult<bool> {
        if !ctx.is_replaying() {
            tracing::warn!(error = %super::failure::root_message(cause), "payment outcome unknown; looking it up");
        }
        ctx.state_mut(|s| s.cart.payment_unsettled = true);
        let timing = ctx.state(|s| s.input.timing.clone());
        let mut last_look = false;
        let found = loop {
            let req = RecoverPayment {
                charge: ctx.state(|s| s.charge_request()),
                last_look,
            };
            let opts = super::retry_forever(timing.activity_timeout);
            match ctx.execute_activity(ShopActivities::recover_payment, req, opts).await {
                Ok(PaymentLookup::Found(payment)) => break Some(payment),
                Ok(PaymentLookup::Absent) => break None,
                Ok(PaymentLookup::NotYet) => {
                    last_look = true;
                    if let TimerResult::Cancelled = ctx.timer(timing.payment_check_after).await {
                        return Err(WorkflowTermination::cancelled());
                    }
                }
                Err(e) => {
                    // Only a decline ends the retries: the replayed call says the card failed.
                    let reason = super::failure::application_failure(&e, DECLINED)
                        .unwrap_or_else(|| "the payment did not go through".into());
                    if !ctx.is_replaying() {
                        crate::metrics::checkout("declined");
                    }
                    ctx.state_mut(|s| {
                        s.cart.payment_unsettled = false;
                        s.cart.declined(reason)
                    });
                    return Ok(false);
                }
            }
        };
        ctx.state_mut(|s| s.cart.payment_unsettled = false);
        let Some(payment) = found else {
            ctx.state_mut(|s| {
                s.cart
                    .declined("the payment did not go through and nothing was charged; please try again".into())
            });
            return Ok(false);
        };
        // A PaymentIntent the server was to confirm but never did waits for nobody: cancel it.
        let orphaned = payment.status == PaymentStatus::RequiresPayment && !ctx.state(|s| s.client_confirms);
        let intent = payment.intent.clone();
        ctx.state_mut(|s| s.cart.payment = Some(payment));
        if orphaned {
            let opts = super::retry_forever(timing.activity_timeout);
            let seen = ctx
                .execute_activity(ShopActivities::cancel_payment, intent, opts)
                .await?;
            ctx.state_mut(|s| s.set_payment(seen));
        }
        Ok(true)
    }

    /// Waits until the PaymentIntent's outcome is known. A webhook event for it wakes the wait
    /// at once; without one, Stripe is asked on a backing-off timer. Either way the outcome is
    /// what Stripe answers to a status check, never an event's say-so: an order is recorded
    /// only for a PaymentIntent Stripe itself reports succeeded. A payment left waiting for the
    /// shopper past `payment_wait` is cancelled (and a success that beat the cancel honoured).
    async fn settle(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Payment> {
        let timing = ctx.state(|s| s.input.timing.clone());
        let started = ctx.workflow_time().unwrap_or(SystemTime::UNIX_EPOCH);
        let give_up_at = started + timing.payment_wait;
        let mut check_in = timing.payment_check_after;
        loop {
            let payment = ctx.state(|s| s.cart.payment.clone()).expect("a payment was started");
            if payment.status.is_final() {
                return Ok(payment);
            }
            let now = ctx.workflow_time().unwrap_or(started);
            if payment.status.awaits_shopper() && now >= give_up_at {
                let opts = super::retry_forever(timing.activity_timeout);
                let mut seen = ctx
                    .execute_activity(ShopActivities::cancel_payment, payment.intent, opts)
                    .await?;
                if seen.status == PaymentStatus::Canceled {
                    seen.failure = Some("the payment was not completed in time".into());
                }
                ctx.state_mut(|s| s.set_payment(seen));
                continue;
            }
            let hinted = ctx.state_mut(|s| s.take_payment_events());
            if !hinted {
                let mut wait = check_in;
                if payment.status.awaits_shopper() {
                    wait = wait.min(give_up_at.duration_since(now).unwrap_or_default());
                }
                let events = ctx.state(|s| s.events_received);
                let woken_by_event = {
                    let mut timer = pin!(ctx.timer(wait.max(Duration::from_millis(1))));
                    let event = select! {
                        fired = timer.as_mut() => match fired {
                            TimerResult::Cancelled => return Err(WorkflowTermination::cancelled()),
                            TimerResult::Fired => false,
                        },
                        waited = ctx.wait_condition(|s| s.events_received != events) => {
                            waited?;
                            true
                        }
                    };
                    if event {
                        timer.cancel();
                    }
                    event
                };
                if woken_by_event || ctx.workflow_time().unwrap_or(now) >= give_up_at {
                    continue;
                }
                check_in = (check_in * 2).min(Duration::from_secs(600));
            }
            let opts = ctx.state(|s| payment_options(&s.input.timing));
            match ctx
                .execute_activity(ShopActivities::payment_status, payment.intent, opts)
                .await
            {
                Ok(seen) => ctx.state_mut(|s| s.set_payment(seen)),
                Err(e) if !ctx.is_replaying() => tracing::warn!(error = %e, "payment status check failed"),
                Err(_) => {}
            }
        }
    }

    /// Records the paid checkout as an order. If that cannot be done, refunds the payment
    /// (saga compensation: never a charge without an order) and reports `false`.
    async fn place_order(ctx: &mut WorkflowContext<Self>, payment_ref: &str) -> WorkflowResult<bool> {
        // Asked before the order is placed, so the marker's place in history is fixed.
        let voids = ctx.patched(ORDER_VOID_PATCH);
        let place = ctx.state(|s| PlaceOrder {
            cart: s.view(),
            payment_ref: payment_ref.to_owned(),
            currency: s.input.catalogue.currency.clone(),
        });
        let opts = ctx.state(|s| order_options(&s.input.timing));
        match ctx.execute_activity(ShopActivities::place_order, place, opts).await {
            Ok(order_id) => {
                ctx.state_mut(|s| s.cart.order_id = Some(order_id));
                Ok(true)
            }
            Err(e) => {
                let reason = super::failure::root_message(&e);
                if !ctx.is_replaying() {
                    tracing::error!(error = %reason, "order not recorded; refunding");
                }
                let refund = ctx.state(|s| RefundRequest {
                    payment_ref: payment_ref.to_owned(),
                    idempotency_key: format!("{}-checkout-{}-refund", s.input.id, s.cart.checkout_attempts),
                });
                let opts = ctx.state(|s| super::retry_forever(s.input.timing.activity_timeout));
                let refund_ref = match ctx.execute_activity(ShopActivities::refund, refund, opts.clone()).await {
                    Ok(refund_ref) => refund_ref,
                    // Stripe refused the refund for good: the cart says so and an operator acts
                    // (the worker logged it), rather than the workflow failing.
                    Err(e) if voids && super::failure::application_failure(&e, REFUND_REFUSED).is_some() => {
                        if !ctx.is_replaying() {
                            crate::metrics::checkout("refund_refused");
                        }
                        ctx.state_mut(|s| {
                            s.cart.declined(
                                "your order could not be recorded, and the refund needs the shop's attention".into(),
                            )
                        });
                        return Ok(false);
                    }
                    Err(e) => return Err(e.into()),
                };
                // An order row made before the failure (its workflow would not start, say)
                // must not stand for a refunded payment.
                if voids {
                    let void = VoidOrder {
                        payment_ref: payment_ref.to_owned(),
                        refund_ref,
                    };
                    ctx.execute_activity(ShopActivities::void_order, void, opts).await?;
                }
                if !ctx.is_replaying() {
                    crate::metrics::checkout("refunded");
                }
                // The database's words stay in the log; the shopper gets a short sentence.
                ctx.state_mut(|s| {
                    s.cart
                        .declined("your order could not be recorded, so the payment was refunded".into())
                });
                Ok(false)
            }
        }
    }

    async fn finish(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<CartOutcome> {
        let handlers = ctx.clone();
        ctx.wait_condition(move |_| handlers.all_handlers_finished()).await?;
        Ok(CartOutcome {
            cart: ctx.state(|s| s.view()),
        })
    }

    // ----- updates: validated first, so a rejected request leaves no trace in history -----

    // Each update's argument and result carry the request's fingerprint (see `fingerprint`).

    #[update_validator(add_item)]
    fn validate_add_item(
        &self,
        _ctx: &WorkflowContextView,
        change: &Fingerprinted<ItemChange>,
    ) -> Result<(), Rejection> {
        self.cart
            .check_add(&self.input.catalogue, self.input.limits, &change.value)
            .map(|_| ())
            .map_err(reject)
    }

    #[update(name = "add_item")]
    pub fn add_item(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        change: Fingerprinted<ItemChange>,
    ) -> Result<Fingerprinted<CartView>, Rejection> {
        let result = self.cart.add(&self.input.catalogue, self.input.limits, &change.value);
        Ok(change.reply(self.accepted(ctx, result)?))
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
    pub fn remove_item(
        &mut self,
        ctx: &mut SyncWorkflowContext<Self>,
        change: Fingerprinted<ItemChange>,
    ) -> Result<Fingerprinted<CartView>, Rejection> {
        let result = self.cart.remove(&change.value);
        Ok(change.reply(self.accepted(ctx, result)?))
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
        let now = ctx.workflow_time();
        let attempt = ctx
            .state_mut(|s| {
                let attempt = s.cart.begin_checkout(req.value.email_change().as_ref())?;
                s.begin_payment(&req.value);
                s.mark_changed(now);
                Ok::<_, CartError>(attempt)
            })
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
        let result = parse::<ItemChange>(raw).and_then(|c| {
            self.cart
                .add(&self.input.catalogue, self.input.limits, &c)
                .map_err(|e| e.to_string())
        });
        self.signalled(ctx, "ADD_TO_CART_CHANNEL", result);
    }

    #[signal(name = "REMOVE_FROM_CART_CHANNEL")]
    pub fn remove_signal(&mut self, ctx: &mut SyncWorkflowContext<Self>, raw: serde_json::Value) {
        let result = parse::<ItemChange>(raw).and_then(|c| self.cart.remove(&c).map_err(|e| e.to_string()));
        self.signalled(ctx, "REMOVE_FROM_CART_CHANNEL", result);
    }

    #[signal(name = "UPDATE_EMAIL_CHANNEL")]
    pub fn email_signal(&mut self, ctx: &mut SyncWorkflowContext<Self>, raw: serde_json::Value) {
        let result = parse::<EmailChange>(raw).and_then(|c| self.cart.set_email(&c).map_err(|e| e.to_string()));
        self.signalled(ctx, "UPDATE_EMAIL_CHANNEL", result);
    }

    #[signal(name = "CHECKOUT_CHANNEL")]
    pub fn checkout_signal(&mut self, ctx: &mut SyncWorkflowContext<Self>, raw: serde_json::Value) {
        // The original sends `{"Email": ".."}`; accept a bare or null payload too.
        let req = parse::<CheckoutRequest>(raw).unwrap_or_default();
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

impl CartWorkflow {
    fn view(&self) -> CartView {
        self.cart.view(&self.input.id)
    }

    /// A checkout is waiting for the shopper's card or authentication.
    fn awaits_shopper(&self) -> bool {
        self.cart.status == CartStatus::CheckingOut
            && self.cart.payment.as_ref().is_some_and(|p| p.status.awaits_shopper())
    }

    fn begin_payment(&mut self, req: &CheckoutRequest) {
        self.payment_method = req.payment_method.clone();
        self.client_confirms = req.confirm == ConfirmBy::Client && req.payment_method.is_none();
        self.cart.payment = None;
        self.payment_events.clear();
        self.checkout_trace = Some(opentelemetry::Context::current());
    }

    /// A newer view of the PaymentIntent; an outcome once known is kept.
    fn set_payment(&mut self, seen: Payment) {
        if let Some(p) = self.cart.payment.as_mut()
            && p.intent == seen.intent
            && !p.status.is_final()
        {
            *p = Payment {
                client_secret: seen.client_secret.or(p.client_secret.take()),
                ..seen
            };
        }
    }

    /// Whether a webhook event came for this attempt's PaymentIntent (events of other attempts
    /// are dropped). Until the PaymentIntent's id is known (a webhook can beat the activity's
    /// answer) events wait.
    fn take_payment_events(&mut self) -> bool {
        let Some(intent) = self.cart.payment.as_ref().map(|p| p.intent.clone()) else {
            return false;
        };
        let events = std::mem::take(&mut self.payment_events);
        events.iter().any(|e| e.intent == intent)
    }

    fn mark_changed(&mut self, now: Option<SystemTime>) {
        self.changes += 1;
        self.messages += 1;
        self.last_change_at = now.or(self.last_change_at);
        self.next_stage = self.cart.reminders_sent;
    }

    /// Validators of updates that arrive together all run before any handler, so a change
    /// the validator allowed can still fail here (two adds past 99, an add beside a checkout):
    /// it is then refused with the same `code: message` as a validator would.
    fn accepted(
        &mut self,
        ctx: &SyncWorkflowContext<Self>,
        result: Result<(), CartError>,
    ) -> Result<CartView, Rejection> {
        result.map_err(reject)?;
        self.mark_changed(ctx.workflow_time());
        self.publish(ctx);
        Ok(self.view())
    }

    fn signalled(&mut self, ctx: &SyncWorkflowContext<Self>, name: &str, result: Result<(), String>) {
        match result {
            Ok(()) => {
                self.mark_changed(ctx.workflow_time());
                self.publish(ctx);
            }
            Err(reason) if !ctx.is_replaying() => {
                tracing::warn!(cart_id = %self.input.id, signal = name, %reason, "signal ignored")
            }
            Err(_) => {}
        }
    }

    fn index(&self) -> CartIndex {
        CartIndex::of(&self.cart, self.last_change_at)
    }

    /// A change shows in visibility from the task that accepted it; changes made by the main
    /// loop (checkout outcomes, expiry) are published at the top of the loop.
    fn publish(&self, ctx: &SyncWorkflowContext<Self>) {
        if self.indexed {
            let updates = self.index().updates(&ctx.search_attributes());
            if !updates.is_empty() {
                ctx.upsert_search_attributes(updates);
            }
        }
    }

    fn wants_continue_as_new(&self) -> bool {
        self.input.continue_after_messages.is_some_and(|n| self.messages >= n)
    }

    fn next_input(&self) -> CartInput {
        CartInput {
            carried: Some(Carried {
                cart: self.cart.clone(),
                last_change_at: self.last_change_at,
                next_stage: self.next_stage,
                runs: self.runs,
            }),
            ..self.input.clone()
        }
    }

    /// The next thing the inactivity timer waits for and when it is due.
    fn next_due(&self) -> (Due, SystemTime) {
        let timing = &self.input.timing;
        let since = self.last_change_at.unwrap_or(SystemTime::UNIX_EPOCH);
        let expiry = since + timing.expire_after;
        let stage = self.next_stage as usize;
        if stage < timing.reminder_after.len() {
            let at = since + timing.reminder_after[..=stage].iter().sum::<Duration>();
            if at < expiry {
                return (Due::Reminder(self.next_stage), at);
            }
        }
        (Due::Expiry, expiry)
    }

    /// A reminder or confirmation for this cart, if there is someone to send it to and,
    /// for a reminder, something in the cart.
    fn email(&self, kind: CartEmailKind) -> Option<CartEmail> {
        let to = self.cart.email.as_ref()?.as_str().to_owned();
        if matches!(kind, CartEmailKind::Reminder { .. }) && self.cart.lines.is_empty() {
            return None;
        }
        Some(CartEmail {
            to,
            kind,
            cart: self.view(),
        })
    }

    fn charge_request(&self) -> ChargeRequest {
        ChargeRequest {
            cart_id: self.input.id.clone(),
            attempt: self.cart.checkout_attempts,
            amount_cents: self.cart.total(),
            currency: self.input.catalogue.currency.clone(),
            email: self
                .cart
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .unwrap_or_default(),
            payment_method: self.payment_method.clone(),
            client_confirms: self.client_confirms,
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(raw: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(raw).map_err(|e| format!("malformed payload: {e}"))
}

/// The failure message carries the error code first (`code: message`) so the gateway can map
/// it to a status and a field without a second round trip; see `Rejection::parse`.
fn reject(err: CartError) -> Rejection {
    format!("{}: {err}", err.code()).into()
}

fn payment_options(timing: &CartTiming) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(timing.activity_timeout)
        .heartbeat_timeout(crate::activities::HEARTBEAT_TIMEOUT)
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(30))
                .maximum_attempts(timing.payment_attempts.max(1))
                .build(),
        )
        .build()
}

fn order_options(timing: &CartTiming) -> ActivityOptions {
    // Heartbeats, as for payments: an order left half-recorded by a dead worker is retried in
    // seconds, not after the whole timeout.
    ActivityOptions::with_start_to_close_timeout(timing.activity_timeout)
        .heartbeat_timeout(crate::activities::HEARTBEAT_TIMEOUT)
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .maximum_interval(Duration::from_secs(10))
                .maximum_attempts(timing.order_attempts.max(1))
                .build(),
        )
        .build()
}

fn email_options(timing: &CartTiming) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(timing.activity_timeout)
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(1))
                .maximum_interval(Duration::from_secs(60))
                .maximum_attempts(10)
                .build(),
        )
        .build()
}
