//! Checkout: the payment (created, confirmed by the server or the shopper's browser, settled by
//! webhook or status check, recovered when its outcome is unknown), then the order (`order`).
use super::CartWorkflow;
use crate::activities::{CartEmailKind, DECLINED, RecoverPayment, ShopActivities};
use crate::domain::{Payment, PaymentLookup, PaymentStatus};
use crate::workflows::failure::{application_failure, root_message};
use crate::workflows::options::{email_options, payment_options, retry_forever};
use crate::workflows::wait::{Woken, timer_or_change};
use std::time::{Duration, SystemTime};
use temporalio_sdk::{ActivityExecutionError, TimerResult, WorkflowContext, WorkflowResult, WorkflowTermination};

impl CartWorkflow {
    /// Counts a checkout's outcome, once: not again when a worker replays the history.
    pub(super) fn count(ctx: &WorkflowContext<Self>, outcome: &'static str) {
        if !ctx.is_replaying() {
            crate::metrics::checkout(outcome);
        }
    }

    pub(super) fn declined(ctx: &mut WorkflowContext<Self>, reason: String) {
        Self::count(ctx, "declined");
        ctx.state_mut(|s| s.cart.declined(reason));
    }

    /// A succeeded payment: record the order (or refund), mark the cart paid, send the receipt.
    pub(super) async fn paid(ctx: &mut WorkflowContext<Self>, payment_ref: String) -> WorkflowResult<()> {
        if !Self::place_order(ctx, &payment_ref).await? {
            return Ok(());
        }
        Self::count(ctx, "paid");
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
    pub(super) async fn checkout_payment(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        let request = ctx.state(|s| s.charge_request());
        let opts = ctx.state(|s| payment_options(&s.input.timing));
        match ctx.execute_activity(ShopActivities::start_payment, request, opts).await {
            Ok(payment) => ctx.state_mut(|s| s.cart.payment = Some(payment)),
            // A decline ends the attempt. Otherwise (retries ran out, Stripe refused the
            // request) whether a PaymentIntent was made is unknown: look it up.
            Err(e) => match application_failure(&e, DECLINED) {
                Some(reason) => {
                    Self::declined(ctx, reason);
                    return Ok(());
                }
                None => {
                    if !Self::recover_payment(ctx, &e).await? {
                        return Ok(());
                    }
                }
            },
        }
        let mut payment = Self::settle(ctx).await?;
        if payment.status == PaymentStatus::Failed {
            payment = Self::close_attempt(ctx, payment).await?;
        }
        match payment.status {
            PaymentStatus::Succeeded => Self::paid(ctx, payment.intent).await,
            _ => {
                // A declined card is tried again, usually at once: its units stay held. A
                // payment the shopper left unfinished gives them back.
                if payment.status == PaymentStatus::Canceled && ctx.state(|s| s.holds_stock()) {
                    Self::release_all(ctx).await;
                }
                let reason = payment
                    .failure
                    .unwrap_or_else(|| "the payment was not completed".into());
                Self::declined(ctx, reason);
                Ok(())
            }
        }
    }

    /// A declined PaymentIntent still takes another card from whoever holds its client secret
    /// (Stripe's own retry). The cart is about to reopen for a new attempt, so this one is
    /// cancelled first: it can then never be paid. A success that beat the cancel is honoured.
    async fn close_attempt(ctx: &mut WorkflowContext<Self>, declined: Payment) -> WorkflowResult<Payment> {
        let opts = ctx.state(|s| retry_forever(s.input.timing.activity_timeout));
        let seen = ctx
            .execute_activity(ShopActivities::cancel_payment, declined.intent.clone(), opts)
            .await?;
        Ok(match seen.status {
            PaymentStatus::Succeeded => seen,
            _ => declined,
        })
    }

    /// The payment call ran out of retries or was refused, so whether Stripe made a
    /// PaymentIntent is unknown. The cart stays locked (changes get `payment_pending`) while
    /// Stripe is asked what became of this attempt, and a new attempt is never started before
    /// the answer. `true`: the PaymentIntent was found and is settled as usual.
    pub(super) async fn recover_payment(
        ctx: &mut WorkflowContext<Self>,
        cause: &ActivityExecutionError,
    ) -> WorkflowResult<bool> {
        if !ctx.is_replaying() {
            tracing::warn!(error = %root_message(cause), "payment outcome unknown; looking it up");
        }
        ctx.state_mut(|s| s.cart.payment_unsettled = true);
        let timing = ctx.state(|s| s.input.timing.clone());
        let mut last_look = false;
        let found = loop {
            let req = RecoverPayment {
                charge: ctx.state(|s| s.charge_request()),
                last_look,
            };
            let opts = retry_forever(timing.activity_timeout);
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
                    let reason =
                        application_failure(&e, DECLINED).unwrap_or_else(|| "the payment did not go through".into());
                    ctx.state_mut(|s| s.cart.payment_unsettled = false);
                    Self::declined(ctx, reason);
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
            let opts = retry_forever(timing.activity_timeout);
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
    pub(super) async fn settle(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Payment> {
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
                let opts = retry_forever(timing.activity_timeout);
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
                let woken_by_event = matches!(
                    timer_or_change(ctx, wait.max(Duration::from_millis(1)), |s| s.events_received != events).await?,
                    Woken::Changed
                );
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
}
