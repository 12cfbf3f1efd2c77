//! Stripe read as a ledger, for the reconciler: the shop's succeeded PaymentIntents by creation
//! time, and how much of each was refunded. Listing (read-after-write), not Search: Search lags
//! behind writes, most of all during the outages that leave payments without an order.
use super::answers::classify;
use super::{PaymentError, Payments};
use crate::domain::Cents;
use stripe::StripeRequest;
use stripe_core::payment_intent::{ListPaymentIntent, RetrievePaymentIntent};
use stripe_core::refund::ListRefund;
use stripe_shared::PaymentIntentStatus;
use stripe_types::RangeQueryTs;

/// Page size of every listing: Stripe's largest.
const PAGE: i64 = 100;

/// A succeeded PaymentIntent of the shop's (one with a `cart_id` in its metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SucceededPayment {
    pub intent: String,
    pub amount: Cents,
    /// Unix seconds, Stripe's clock.
    pub created: i64,
    pub cart_id: String,
}

impl Payments {
    /// Every succeeded PaymentIntent carrying a `cart_id`, created at or after `since` (unix
    /// seconds), newest first, through every page.
    pub async fn succeeded_since(&self, since: i64) -> Result<Vec<SucceededPayment>, PaymentError> {
        let mut found = vec![];
        let mut after: Option<String> = None;
        loop {
            let mut request = ListPaymentIntent::new().created(RangeQueryTs::gte(since)).limit(PAGE);
            if let Some(id) = &after {
                request = request.starting_after(id.clone());
            }
            let page = request.customize().send(&self.client).await.map_err(classify)?;
            after = page.data.last().map(|pi| pi.id.to_string());
            for pi in page.data {
                let Some(cart_id) = pi.metadata.get("cart_id") else {
                    continue;
                };
                if pi.status != PaymentIntentStatus::Succeeded {
                    continue;
                }
                found.push(SucceededPayment {
                    intent: pi.id.to_string(),
                    amount: Cents(u64::try_from(pi.amount_received).unwrap_or(0)),
                    created: pi.created,
                    cart_id: cart_id.clone(),
                });
            }
            if !page.has_more || after.is_none() {
                return Ok(found);
            }
        }
    }

    /// The PaymentIntent, if it succeeded.
    pub async fn succeeded(&self, intent: &str) -> Result<Option<SucceededPayment>, PaymentError> {
        let pi = RetrievePaymentIntent::new(intent.to_owned())
            .send(&self.client)
            .await
            .map_err(classify)?;
        Ok((pi.status == PaymentIntentStatus::Succeeded).then(|| SucceededPayment {
            intent: pi.id.to_string(),
            amount: Cents(u64::try_from(pi.amount_received).unwrap_or(0)),
            created: pi.created,
            cart_id: pi.metadata.get("cart_id").cloned().unwrap_or_default(),
        }))
    }

    /// The cents refunded of a PaymentIntent: refunds pending or made, not failed or cancelled.
    pub async fn refunded_cents(&self, payment_intent: &str) -> Result<Cents, PaymentError> {
        let refunds = self.refund_list(payment_intent).await?;
        let cents = refunds
            .iter()
            .filter(|r| !matches!(r.status.as_deref(), Some("failed" | "canceled")))
            .map(|r| u64::try_from(r.amount).unwrap_or(0))
            .sum();
        Ok(Cents(cents))
    }

    /// The refunds of one PaymentIntent (filtered by Stripe, so an old one is found too).
    pub(super) async fn refund_list(&self, payment_intent: &str) -> Result<Vec<stripe_shared::Refund>, PaymentError> {
        let page = ListRefund::new()
            .payment_intent(payment_intent.to_owned())
            .limit(PAGE)
            .customize()
            .send(&self.client)
            .await
            .map_err(classify)?;
        Ok(page.data)
    }
}
