//! The cart workflow's side effects. Each activity is safe to run again: a charge is keyed by
//! cart id and attempt, and an email is at worst sent twice after a crash at the wrong instant.
mod faults;
mod messages;
mod reconcile;
mod stock;

pub use faults::{DECLINED, REFUND_REFUSED};
pub use messages::*;
pub use reconcile::{ReconcileActivities, StrayOutcome, SweepRequest};
pub use stock::StockActivities;

use crate::domain::{Payment, PaymentLookup};
use crate::email::{self, MailError, Mailer};
use crate::orders::{NewOrder, OrderLine, Orders};
use crate::payments::{PaymentError, Payments};
use faults::{non_retryable, payment_failure, retryable, stripe_fault, timed};
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

/// A payment call or an order placement with no heartbeat for this long is taken as lost (its
/// worker died) and retried on another worker, instead of waiting out the whole start-to-close
/// timeout. The cost: one heartbeat call to the server every 1.6 s (the SDK's throttle) while a
/// call takes longer than `HEARTBEAT_EVERY`; calls that answer sooner send none.
pub const HEARTBEAT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Runs `work`, heartbeating while it takes long (see [`HEARTBEAT_TIMEOUT`]).
async fn heartbeating<T>(ctx: &ActivityContext, work: impl Future<Output = T>) -> T {
    let mut work = std::pin::pin!(work);
    let start = tokio::time::Instant::now() + HEARTBEAT_EVERY;
    let mut beat = tokio::time::interval_at(start, HEARTBEAT_EVERY);
    loop {
        tokio::select! {
            out = &mut work => return out,
            _ = beat.tick() => {
                if let Err(e) = ctx.record_heartbeat(()).await {
                    tracing::debug!(error = %e, "heartbeat not recorded");
                }
            }
        }
    }
}

pub struct ShopActivities {
    pub payments: Payments,
    pub orders: Orders,
    pub mailer: Mailer,
    /// Where links in emails point, e.g. `https://shop.example.com`.
    pub storefront_url: String,
}

impl ShopActivities {
    /// The card the server confirms with: the shopper's PaymentMethod, none when the browser
    /// confirms, the test card in test mode; live mode never charges a card of its choosing.
    fn confirm_with<'a>(&'a self, req: &'a ChargeRequest) -> Option<&'a str> {
        match (&req.payment_method, req.client_confirms) {
            (Some(pm), _) => Some(pm.as_str()),
            (None, true) => None,
            (None, false) => self.payments.test_card(),
        }
    }
}

#[activities]
impl ShopActivities {
    /// Creates this checkout attempt's PaymentIntent, confirmed by the server with the
    /// shopper's PaymentMethod, or with the test card in test mode, or left for the browser.
    #[activity(name = "start_payment")]
    pub async fn start_payment(
        self: Arc<Self>,
        ctx: ActivityContext,
        req: ChargeRequest,
    ) -> Result<Payment, ActivityError> {
        let confirm_with = self.confirm_with(&req);
        match timed(heartbeating(&ctx, self.payments.start(&req.charge(), confirm_with))).await {
            Ok(payment) => {
                tracing::info!(cart = %req.cart_id.tag(), checkout = req.attempt, intent = %payment.intent,
                    status = payment.status.as_str(), "payment started");
                Ok(payment)
            }
            Err(e) => Err(payment_failure(&req.cart_id, ctx.info().attempt, e)),
        }
    }

    /// What became of an attempt whose `start_payment` never got a clear answer (see
    /// [`Payments::recover`]); the cart refuses changes until this is known.
    #[activity(name = "recover_payment")]
    pub async fn recover_payment(
        self: Arc<Self>,
        ctx: ActivityContext,
        req: RecoverPayment,
    ) -> Result<PaymentLookup, ActivityError> {
        let charge = req.charge.charge();
        let confirm_with = self.confirm_with(&req.charge);
        match timed(heartbeating(
            &ctx,
            self.payments.recover(&charge, confirm_with, req.last_look),
        ))
        .await
        {
            Ok(lookup) => {
                let found = match &lookup {
                    PaymentLookup::Found(p) => p.status.as_str(),
                    PaymentLookup::Absent => "absent",
                    PaymentLookup::NotYet => "not_yet",
                };
                tracing::info!(cart = %req.charge.cart_id.tag(), checkout = req.charge.attempt, found, "payment looked up");
                Ok(lookup)
            }
            Err(e) => Err(payment_failure(&req.charge.cart_id, ctx.info().attempt, e)),
        }
    }

    /// The PaymentIntent's status, for when no webhook came.
    #[activity(name = "payment_status")]
    pub async fn payment_status(
        self: Arc<Self>,
        ctx: ActivityContext,
        intent: String,
    ) -> Result<Payment, ActivityError> {
        heartbeating(&ctx, self.payments.retrieve(&intent))
            .await
            .map_err(|e| stripe_fault(ctx.info().attempt, e))
    }

    /// Cancels a PaymentIntent the shopper left; answers with where it really stands.
    #[activity(name = "cancel_payment")]
    pub async fn cancel_payment(
        self: Arc<Self>,
        ctx: ActivityContext,
        intent: String,
    ) -> Result<Payment, ActivityError> {
        heartbeating(&ctx, self.payments.cancel(&intent))
            .await
            .map_err(|e| stripe_fault(ctx.info().attempt, e))
    }

    #[activity(name = "send_cart_email")]
    pub async fn send_cart_email(self: Arc<Self>, _ctx: ActivityContext, mail: CartEmail) -> Result<(), ActivityError> {
        let message = match &mail.kind {
            CartEmailKind::Reminder { .. } => {
                // As the shop is now: what is no longer sold left out, a lower price shown.
                let products = self.orders.store.products(false).await.map_err(anyhow::Error::new)?;
                let Some(shown) = email::reminder_of(&mail.cart, &products) else {
                    tracing::info!(cart = %mail.cart.id.tag(), "reminder skipped: nothing in the cart can be bought");
                    return Ok(());
                };
                email::reminder(&mail.to, &mail.cart, &shown, &self.storefront_url)
            }
            CartEmailKind::Confirmation { payment_ref } => {
                email::confirmation(&mail.to, &mail.cart, payment_ref, &self.storefront_url)
            }
        };
        match self.mailer.send(&message).await {
            Ok(()) => {
                if let CartEmailKind::Reminder { .. } = mail.kind {
                    crate::metrics::reminder_sent();
                }
                tracing::info!(cart = %mail.cart.id.tag(), tag = message.tag, "email sent");
                Ok(())
            }
            Err(e @ MailError::Invalid(_)) => Err(non_retryable(faults::EMAIL_REJECTED, e.to_string())),
            Err(e @ MailError::Transport(_)) => Err(retryable(e)),
        }
    }

    #[activity(name = "place_order")]
    pub async fn place_order(self: Arc<Self>, ctx: ActivityContext, req: PlaceOrder) -> Result<i64, ActivityError> {
        let new = NewOrder {
            customer_id: None,
            email: req.cart.email.clone(),
            total_cents: req.cart.total_cents,
            currency: req.currency,
            cart_id: Some(req.cart.id.to_string()),
            payment_ref: Some(req.payment_ref),
            idempotency: None,
            lines: req
                .cart
                .lines
                .iter()
                .map(|l| OrderLine {
                    product_id: l.product_id,
                    name: l.name.clone(),
                    unit_price_cents: l.unit_price_cents,
                    quantity: l.quantity,
                })
                .collect(),
        };
        let order = heartbeating(&ctx, self.orders.place(&new)).await.map_err(|e| match e {
            // Recording can never succeed (the cart's order is another payment's): refund now.
            e @ crate::orders::OrdersError::Refused { .. } => {
                tracing::error!(cart = %req.cart.id.tag(), error = %e, "order refused");
                non_retryable(faults::ORDER_REFUSED, e.to_string())
            }
            e => anyhow::Error::new(e).into(),
        })?;
        tracing::info!(cart = %req.cart.id.tag(), order_id = order.id, "order recorded");
        Ok(order.id)
    }

    #[activity(name = "record_order_status")]
    pub async fn record_order_status(
        self: Arc<Self>,
        _ctx: ActivityContext,
        rec: OrderRecord,
    ) -> Result<(), ActivityError> {
        self.orders
            .store
            .record(
                rec.order_id,
                rec.status,
                rec.total_cents,
                rec.refund_ref.as_deref(),
                rec.refund_error.as_deref(),
            )
            .await
            .map_err(anyhow::Error::new)?;
        crate::metrics::order_transition(rec.status.as_str());
        tracing::info!(
            order_id = rec.order_id,
            status = rec.status.as_str(),
            "order status recorded"
        );
        Ok(())
    }

    #[activity(name = "void_order")]
    pub async fn void_order(self: Arc<Self>, _ctx: ActivityContext, req: VoidOrder) -> Result<(), ActivityError> {
        if let Some(order_id) = self
            .orders
            .void_payment(&req.payment_ref, &req.refund_ref)
            .await
            .map_err(anyhow::Error::new)?
        {
            tracing::warn!(order_id, payment_ref = %req.payment_ref, "order voided: its payment was refunded");
        }
        Ok(())
    }

    #[activity(name = "refund")]
    pub async fn refund(self: Arc<Self>, _ctx: ActivityContext, req: RefundRequest) -> Result<String, ActivityError> {
        match self.payments.refund(&req.payment_ref, &req.idempotency_key).await {
            Ok(refund_ref) => {
                crate::metrics::refunded();
                tracing::info!(payment_ref = %req.payment_ref, %refund_ref, "refunded");
                Ok(refund_ref)
            }
            // Stripe refused for good (not "already refunded", which counts as done): retrying
            // cannot help; the caller leaves the order for an operator.
            Err(e @ PaymentError::Rejected(_)) => {
                tracing::error!(payment_ref = %req.payment_ref, error = %e, "refund refused; an operator must act");
                Err(non_retryable(REFUND_REFUSED, e.to_string()))
            }
            Err(e) => {
                tracing::warn!(payment_ref = %req.payment_ref, error = %e, "refund failed; will retry");
                Err(anyhow::Error::new(e).into())
            }
        }
    }
}
