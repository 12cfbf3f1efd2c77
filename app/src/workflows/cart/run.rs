//! The cart's main loop: publish a new status, pay when a checkout asks, continue as new when
//! the history grows, and otherwise wait for the inactivity timer or a change that needs it.
use super::schedule::Due;
use super::{CartOutcome, CartWorkflow, Signalled};
use crate::activities::{CartEmailKind, ReconcileActivities, ShopActivities};
use crate::cart::CartStatus;
use crate::workflows::failure::Rejection;
use crate::workflows::options::{email_options, stray_options};
use crate::workflows::wait::{Woken, timer_or_change};
use opentelemetry::trace::FutureExt as _;
use std::time::{Duration, SystemTime};
use temporalio_sdk::{ContinueAsNewOptions, WorkflowContext, WorkflowResult};

impl CartWorkflow {
    pub(super) async fn main_loop(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<CartOutcome> {
        let now = ctx.workflow_time();
        ctx.state_mut(|s| s.last_change_at = s.last_change_at.or(now));
        if !ctx.is_replaying() && ctx.state(|s| s.input.carried.is_none()) {
            crate::metrics::cart_started();
        }
        loop {
            Self::hand_over_strays(ctx).await;
            Self::apply_signalled(ctx).await?;
            // Every status change comes round here, the last one included: the wait below
            // wakes on one. The counts, total and last change ride along.
            Self::publish_status(ctx);
            match ctx.state(|s| s.cart.status) {
                CartStatus::CheckingOut => {
                    let trace = ctx
                        .state(|s| s.checkout_trace.clone())
                        .unwrap_or_else(opentelemetry::Context::current);
                    Self::checkout_payment(ctx).with_context(trace).await?;
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
                        tracing::info!(cart = %next.id.tag(), "continuing as new");
                    }
                    ctx.continue_as_new(next, ContinueAsNewOptions::default())?;
                }
                continue;
            }

            let now = ctx.workflow_time().unwrap_or(SystemTime::UNIX_EPOCH);
            let (due, at) = ctx.state(|s| s.next_due());
            let wait = at.duration_since(now).unwrap_or_default().max(Duration::from_millis(1));
            let (changes, status) = ctx.state(|s| (s.changes, s.cart.status));
            let suggested = ctx.clone();
            // A lazy timer is left to run by a change that only pushes the due time back (the
            // common case: the fire finds the cart touched and sleeps the rest); one that
            // brings it forward (a first email) wakes the loop, and so does a new status
            // (a change after a failed payment makes the cart active again), to publish it.
            let woken = timer_or_change(ctx, wait, |s| {
                (s.changes != changes && s.next_due().1 < at)
                    || s.cart.status != status
                    || s.wants_continue_as_new()
                    || !s.cart.status.is_open()
                    || !s.stray_payments.is_empty()
                    || !s.signalled.is_empty()
                    || suggested.continue_as_new_suggested()
            })
            .await?;
            // Operators' counts catch up when the timer fires on a cart that stays open: at
            // most once per fire, never per change. An expiry publishes them with its status.
            match woken {
                Woken::Changed => {}
                Woken::Fired if ctx.state(|s| s.changes != changes) => Self::publish_counts(ctx),
                Woken::Fired => match due {
                    Due::Lapse => Self::lapse(ctx, changes).await?,
                    Due::Reminder(stage) => {
                        Self::publish_counts(ctx);
                        Self::remind(ctx, stage).await
                    }
                    Due::Expiry => {
                        if !ctx.is_replaying() {
                            crate::metrics::cart_expired();
                        }
                        Self::expire(ctx).await?;
                    }
                },
            }
        }
    }

    /// The cart's life ends; whatever stock it held goes back first, in its turn, so an add
    /// arriving meanwhile finds the cart expired rather than holding units nobody releases.
    async fn expire(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        if !ctx.state(|s| s.holds_stock()) {
            ctx.state_mut(|s| s.cart.status = CartStatus::Expired);
            return Ok(());
        }
        Self::in_stock_turn(ctx, async |ctx| {
            Self::release_all(ctx).await;
            ctx.state_mut(|s| s.cart.status = CartStatus::Expired);
        })
        .await
    }

    /// The original shop's adds and checkouts, which need the shop's database: applied here,
    /// as the updates are, a refusal logged and dropped as for any signal.
    async fn apply_signalled(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        while let Some(signal) = ctx.state_mut(|s| s.signalled.pop_front()) {
            let refused = match signal {
                Signalled::Add(change) => Self::add_held(ctx, &change).await.err(),
                Signalled::Remove(change) => Self::remove_held(ctx, &change).await.err(),
                Signalled::Email(change) => {
                    let now = ctx.workflow_time();
                    ctx.state_mut(|s| s.cart.set_email(&change).map(|()| s.mark_changed(now)))
                        .err()
                        .map(|e| -> Rejection { e.to_string().into() })
                }
                Signalled::Checkout(req) => Self::in_stock_turn(ctx, async |ctx| {
                    Self::price_and_hold(ctx, &req).await?;
                    let now = ctx.workflow_time();
                    ctx.state_mut(|s| s.start_checkout(&req, now)).map(|_| ())
                })
                .await?
                .err()
                .map(|e| -> Rejection { e.to_string().into() }),
            };
            if let Some(reason) = refused
                && !ctx.is_replaying()
            {
                tracing::warn!(cart = %ctx.state(|s| s.input.id.tag()), %reason, "signal ignored");
            }
        }
        Ok(())
    }

    pub(super) async fn remind(ctx: &mut WorkflowContext<Self>, stage: u32) {
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
            Ok(()) => ctx.state_mut(|s| {
                if s.cart.email.as_ref().is_some_and(|e| e.as_str() == to) {
                    s.cart.reminders_sent = s.cart.reminders_sent.max(stage + 1);
                    s.next_stage = s.next_stage.max(stage + 1);
                }
            }),
            Err(e) if !ctx.is_replaying() => tracing::warn!(error = %e, stage, "reminder email failed"),
            Err(_) => {}
        }
    }

    /// Upserts the search attributes if the status is not the one visibility has (a cart
    /// started without them, or a status changed since), with everything else that changed.
    fn publish_status(ctx: &mut WorkflowContext<Self>) {
        let current = ctx.search_attributes();
        if let Some(updates) = ctx.state(|s| s.index().status_changed(&current).then(|| s.index().updates(&current)))
            && !updates.is_empty()
        {
            ctx.upsert_search_attributes(updates);
        }
    }

    /// Upserts whatever of the item count, total and last change visibility lacks.
    fn publish_counts(ctx: &mut WorkflowContext<Self>) {
        let current = ctx.search_attributes();
        let updates = ctx.state(|s| s.index().updates(&current));
        if !updates.is_empty() {
            ctx.upsert_search_attributes(updates);
        }
    }

    /// Hands every disowned success to the reconciler (which refunds it unless an order
    /// records it). A failure is logged and left: the reconciler's sweep finds it too.
    async fn hand_over_strays(ctx: &mut WorkflowContext<Self>) {
        while let Some(intent) = ctx.state(|s| s.stray_payments.first().cloned()) {
            let opts = ctx.state(|s| stray_options(&s.input.timing));
            let outcome = ctx
                .execute_activity(ReconcileActivities::reconcile_payment, intent.clone(), opts)
                .await;
            if !ctx.is_replaying() {
                match outcome {
                    Ok(outcome) => tracing::info!(payment_intent = %intent, ?outcome, "stray payment reconciled"),
                    Err(e) => tracing::warn!(payment_intent = %intent, error = %e, "stray payment left to the sweep"),
                }
            }
            ctx.state_mut(|s| s.stray_payments.retain(|i| *i != intent));
        }
    }

    async fn finish(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<CartOutcome> {
        loop {
            let handlers = ctx.clone();
            ctx.wait_condition(move |_| handlers.all_handlers_finished()).await?;
            if ctx.state(|s| s.stray_payments.is_empty()) {
                break;
            }
            Self::hand_over_strays(ctx).await;
        }
        Ok(CartOutcome {
            cart: ctx.state(|s| s.view()),
        })
    }
}
