//! The cart workflow's bookkeeping between messages: the view it answers with, what a change
//! marks, the search attributes it would publish, the hand-over to the next run, the emails and
//! payment requests it builds.
use super::schedule::{Due, next_due, sooner_lapse};
use super::{Carried, CartInput, CartWorkflow};
use crate::activities::{CartEmail, CartEmailKind, ChargeRequest};
use crate::cart::{CartError, CartStatus, CartView};
use crate::domain::{CheckoutRequest, ConfirmBy, Payment, PaymentEvent, PaymentStatus};
use crate::workflows::failure::{Rejection, reject};
use crate::workflows::search::CartIndex;
use std::time::SystemTime;
use temporalio_sdk::SyncWorkflowContext;

impl CartWorkflow {
    pub(super) fn view(&self) -> CartView {
        self.cart.view(&self.input.id)
    }

    /// A checkout is waiting for the shopper's card or authentication.
    pub(super) fn awaits_shopper(&self) -> bool {
        self.cart.status == CartStatus::CheckingOut
            && self.cart.payment.as_ref().is_some_and(|p| p.status.awaits_shopper())
    }

    pub(super) fn begin_payment(&mut self, req: &CheckoutRequest) {
        self.payment_method = req.payment_method.clone();
        self.client_confirms = req.confirm == ConfirmBy::Client && req.payment_method.is_none();
        self.cart.payment = None;
        self.payment_events.clear();
        self.checkout_trace = Some(opentelemetry::Context::current());
    }

    /// A newer view of the PaymentIntent; an outcome once known is kept.
    pub(super) fn set_payment(&mut self, seen: Payment) {
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
    pub(super) fn take_payment_events(&mut self) -> bool {
        let Some(intent) = self.cart.payment.as_ref().map(|p| p.intent.clone()) else {
            return false;
        };
        let events = std::mem::take(&mut self.payment_events);
        let mut hinted = false;
        for event in events {
            if event.intent == intent {
                hinted = true;
            } else if event.status == PaymentStatus::Succeeded {
                self.disown(event.intent);
            }
        }
        hinted
    }

    /// Whether a webhook event reports a success this cart is not waiting for: any while no
    /// checkout runs (but the one it was paid with), or another PaymentIntent's during one.
    pub(super) fn disowns(&self, event: &PaymentEvent) -> bool {
        if event.status != PaymentStatus::Succeeded {
            return false;
        }
        let current = self.cart.payment.as_ref().map(|p| p.intent.as_str());
        match self.cart.status {
            CartStatus::CheckingOut => current.is_some_and(|c| c != event.intent),
            CartStatus::CheckedOut => current != Some(event.intent.as_str()),
            _ => true,
        }
    }

    /// Queues a success for the reconciler (bounded, so a flood of events stays harmless).
    pub(super) fn disown(&mut self, intent: String) {
        if !self.stray_payments.contains(&intent) && self.stray_payments.len() < 16 {
            self.stray_payments.push(intent);
        }
    }

    pub(super) fn mark_changed(&mut self, now: Option<SystemTime>) {
        self.changes += 1;
        self.messages += 1;
        self.last_change_at = now.or(self.last_change_at);
        self.next_stage = self.cart.reminders_sent;
    }

    /// Validators of updates that arrive together all run before any handler, so a change
    /// the validator allowed can still fail here (two adds past 99, an add beside a checkout):
    /// it is then refused with the same `code: message` as a validator would.
    pub(super) fn accepted(
        &mut self,
        ctx: &SyncWorkflowContext<Self>,
        result: Result<(), CartError>,
    ) -> Result<CartView, Rejection> {
        self.accepted_at(ctx.workflow_time(), result)
    }

    pub(super) fn accepted_at(
        &mut self,
        now: Option<SystemTime>,
        result: Result<(), CartError>,
    ) -> Result<CartView, Rejection> {
        result.map_err(reject)?;
        self.mark_changed(now);
        Ok(self.view())
    }

    /// Moves to `checking_out` for this request; answers the attempt number.
    pub(super) fn start_checkout(&mut self, req: &CheckoutRequest, now: Option<SystemTime>) -> Result<u32, CartError> {
        let attempt = self.cart.begin_checkout(req.email_change().as_ref())?;
        self.begin_payment(req);
        self.mark_changed(now);
        Ok(attempt)
    }

    /// The product's line no longer holds its units (released, or never got them).
    pub(super) fn unreserve_line(&mut self, product_id: crate::domain::ProductId) {
        if let Some(line) = self.cart.lines.iter_mut().find(|l| l.product_id == product_id) {
            line.reserved = false;
        }
    }

    /// A signal applied at once (`Some`) or queued for the main loop (`None`), or refused.
    pub(super) fn signalled_now(
        &mut self,
        ctx: &SyncWorkflowContext<Self>,
        name: &str,
        result: Result<Option<()>, String>,
    ) {
        match result {
            Ok(None) => {}
            Ok(Some(())) => self.signalled(ctx, name, Ok(())),
            Err(e) => self.signalled(ctx, name, Err(e)),
        }
    }

    pub(super) fn signalled(&mut self, ctx: &SyncWorkflowContext<Self>, name: &str, result: Result<(), String>) {
        match result {
            Ok(()) => self.mark_changed(ctx.workflow_time()),
            Err(reason) if !ctx.is_replaying() => {
                tracing::warn!(cart = %self.input.id.tag(), signal = name, %reason, "signal ignored")
            }
            Err(_) => {}
        }
    }

    /// The cart as its search attributes would show it now.
    pub(super) fn index(&self) -> CartIndex {
        CartIndex::of(&self.cart, self.last_change_at)
    }

    pub(super) fn wants_continue_as_new(&self) -> bool {
        self.input.continue_after_messages.is_some_and(|n| self.messages >= n)
    }

    pub(super) fn next_input(&self) -> CartInput {
        CartInput {
            carried: Some(Carried {
                cart: self.cart.clone(),
                last_change_at: self.last_change_at,
                next_stage: self.next_stage,
                runs: self.runs,
                reservation_lapsed: self.reservation_lapsed,
            }),
            ..self.input.clone()
        }
    }

    /// The next thing the inactivity timer waits for and when it is due: for a cart that
    /// holds stock, the reservations' lapse comes first (whether or not a line holds any yet,
    /// so the first change never has to bring the timer forward).
    pub(super) fn next_due(&self) -> (Due, SystemTime) {
        let since = self.last_change_at.unwrap_or(SystemTime::UNIX_EPOCH);
        let due = next_due(&self.input.timing, since, self.next_stage);
        if !self.holds_stock() || self.reservation_lapsed {
            return due;
        }
        sooner_lapse(due, since + self.input.timing.reservation_ttl)
    }

    /// A reminder or confirmation for this cart, if there is someone to send it to and,
    /// for a reminder, something in the cart.
    pub(super) fn email(&self, kind: CartEmailKind) -> Option<CartEmail> {
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

    pub(super) fn charge_request(&self) -> ChargeRequest {
        ChargeRequest {
            cart_id: self.input.id.clone(),
            attempt: self.cart.checkout_attempts,
            amount_cents: self.cart.total(),
            currency: self.input.currency.clone(),
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

pub(super) fn parse<T: serde::de::DeserializeOwned>(raw: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(raw).map_err(|e| format!("malformed payload: {e}"))
}
