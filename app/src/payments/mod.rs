//! Payments through Stripe PaymentIntents (async-stripe 1.0): real Stripe with a secret key, or a
//! local emulator at a configured base URL.
//!
//! Every charge carries an idempotency key derived from the cart id and checkout attempt, never a
//! random one: Temporal retries the activity, and Stripe must then answer the retry with the
//! payment it already made instead of charging again.
use crate::domain::{Cents, Payment, PaymentLookup};
use std::collections::HashMap;
use std::time::Duration;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_core::payment_intent::{
    CancelPaymentIntent, CreatePaymentIntent, CreatePaymentIntentAutomaticPaymentMethods,
    CreatePaymentIntentAutomaticPaymentMethodsAllowRedirects, ListPaymentIntent, RetrievePaymentIntent,
    SearchPaymentIntent,
};
use stripe_core::refund::CreateRefund;
use stripe_types::List;
mod answers;
mod ledger;

pub use ledger::SucceededPayment;

use answers::{classify, payment_of};

#[derive(Clone)]
pub struct Payments {
    client: Client,
    /// An emulator or an `sk_test_` key: only then may a checkout that names no card be
    /// charged to the configured test card.
    test_mode: bool,
    /// The test card (a PaymentMethod id) charged for every checkout: this shop has no card form;
    /// a real integration would confirm with the customer's PaymentMethod from Stripe.js.
    payment_method: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub amount: Cents,
    pub currency: String,
    pub idempotency_key: String,
    pub description: String,
    pub metadata: Vec<(String, String)>,
    pub receipt_email: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The card was declined: a business outcome for the shopper, not a fault to retry.
    #[error("{0}")]
    Declined(String),
    /// Stripe refused the request itself (bad key, invalid parameter): retrying cannot help.
    #[error("payment request rejected: {0}")]
    Rejected(String),
    /// Network trouble, rate limits, 5xx, or an unreadable answer: safe to retry with the same key.
    #[error("payment service unavailable: {0}")]
    Transient(String),
}

impl Payments {
    /// `base_url` points at an emulator; `None` means api.stripe.com.
    pub fn new(secret_key: &str, base_url: Option<&str>, payment_method: &str) -> Result<Self, PaymentError> {
        let mut builder = ClientBuilder::new(secret_key).timeout(Duration::from_secs(20));
        if let Some(url) = base_url {
            let url = if url.ends_with('/') {
                url.to_owned()
            } else {
                format!("{url}/")
            };
            builder = builder.url(url);
        }
        let client = builder.build().map_err(|e| PaymentError::Rejected(e.to_string()))?;
        Ok(Self {
            client,
            test_mode: base_url.is_some() || secret_key.starts_with("sk_test_"),
            payment_method: payment_method.to_owned(),
        })
    }

    /// The card charged when a checkout in test mode names none; never in live mode.
    pub fn test_card(&self) -> Option<&str> {
        self.test_mode.then_some(self.payment_method.as_str())
    }

    /// Creates this attempt's PaymentIntent. With `confirm_with` (a PaymentMethod id) the server
    /// confirms it at once; without, it waits for the shopper's browser to confirm it with
    /// Stripe.js. The idempotency key makes a retry answer with the same PaymentIntent.
    pub async fn start(&self, charge: &Charge, confirm_with: Option<&str>) -> Result<Payment, PaymentError> {
        self.create(charge, confirm_with)
            .await
            .map(payment_of)
            .map_err(classify)
    }

    async fn create(
        &self,
        charge: &Charge,
        confirm_with: Option<&str>,
    ) -> Result<stripe_shared::PaymentIntent, StripeError> {
        let metadata: HashMap<String, String> = charge.metadata.iter().cloned().collect();
        let currency = currency(&charge.currency).map_err(|e| StripeError::ConfigError(e.to_string()))?;
        // Stripe takes a signed amount; one past i64 is refused rather than wrapped.
        let amount = i64::try_from(charge.amount.0)
            .map_err(|_| StripeError::ConfigError(format!("{} cents is more than Stripe takes", charge.amount.0)))?;
        let mut request = CreatePaymentIntent::new(amount, currency)
            .automatic_payment_methods(CreatePaymentIntentAutomaticPaymentMethods {
                enabled: true,
                allow_redirects: Some(CreatePaymentIntentAutomaticPaymentMethodsAllowRedirects::Never),
            })
            .description(charge.description.clone())
            .metadata(metadata);
        if let Some(pm) = confirm_with {
            request = request.payment_method(pm.to_owned()).confirm(true);
        }
        if let Some(email) = &charge.receipt_email {
            request = request.receipt_email(email.clone());
        }
        let key = IdempotencyKey::new(&charge.idempotency_key).map_err(|e| StripeError::ConfigError(e.to_string()))?;
        request
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await
    }

    /// Finds out what became of an attempt whose payment call never got a clear answer. The
    /// call is sent again under its key (the cart is locked, so the parameters are the same):
    /// Stripe then answers with the PaymentIntent it made, or with the error it stored. A
    /// stored 5xx or an `idempotency_error` leaves it open whether one was made, so Stripe is
    /// searched by the attempt's metadata; search lags behind writes, so an empty result
    /// counts as "none" only on the `last_look`. Any other 4xx was refused before anything ran.
    pub async fn recover(
        &self,
        charge: &Charge,
        confirm_with: Option<&str>,
        last_look: bool,
    ) -> Result<PaymentLookup, PaymentError> {
        match self.create(charge, confirm_with).await {
            Ok(intent) => Ok(PaymentLookup::Found(payment_of(intent))),
            Err(e @ StripeError::Stripe(_, 402)) => Err(classify(e)),
            Err(StripeError::Stripe(e, status))
                if status >= 500 || e.type_ == stripe_shared::ApiErrorsType::IdempotencyError =>
            {
                let query = charge
                    .metadata
                    .iter()
                    .map(|(k, v)| format!("metadata['{k}']:'{v}'"))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                // A failed search proves nothing either way: retried, never taken for "none".
                let found = SearchPaymentIntent::new(query)
                    .limit(10)
                    .send(&self.client)
                    .await
                    .map_err(|e| PaymentError::Transient(format!("search: {}", classify(e))))?;
                Ok(match found.data.into_iter().next() {
                    Some(intent) => PaymentLookup::Found(payment_of(intent)),
                    None if last_look => PaymentLookup::Absent,
                    None => PaymentLookup::NotYet,
                })
            }
            Err(e) => match classify(e) {
                PaymentError::Rejected(_) => Ok(PaymentLookup::Absent),
                other => Err(other),
            },
        }
    }

    /// The PaymentIntent as Stripe has it now.
    pub async fn retrieve(&self, intent: &str) -> Result<Payment, PaymentError> {
        let intent = RetrievePaymentIntent::new(intent.to_owned())
            .send(&self.client)
            .await
            .map_err(classify)?;
        Ok(payment_of(intent))
    }

    /// Cancels a PaymentIntent nobody completed. If it has moved on meanwhile (the shopper paid
    /// at the last moment), Stripe refuses, and the PaymentIntent as it now is is returned:
    /// the caller must honour a success rather than lose it.
    pub async fn cancel(&self, intent: &str) -> Result<Payment, PaymentError> {
        match CancelPaymentIntent::new(intent.to_owned()).send(&self.client).await {
            Ok(intent) => Ok(payment_of(intent)),
            Err(StripeError::Stripe(_, 400)) => self.retrieve(intent).await,
            Err(e) => Err(classify(e)),
        }
    }

    /// Refunds a PaymentIntent in full; the key makes a repeated refund a no-op, and a
    /// payment Stripe says was already refunded (under another key) counts as done: the
    /// answer is the refund that was made.
    pub async fn refund(&self, payment_intent: &str, idempotency_key: &str) -> Result<String, PaymentError> {
        let sent = CreateRefund::new()
            .payment_intent(payment_intent.to_owned())
            .customize()
            .request_strategy(idempotent(idempotency_key)?)
            .send(&self.client)
            .await;
        match sent {
            Ok(refund) => Ok(refund.id.to_string()),
            Err(StripeError::Stripe(e, 400))
                if e.code
                    .as_ref()
                    .is_some_and(|c| c.to_string() == "charge_already_refunded") =>
            {
                let made = self.refunds_for(payment_intent).await?;
                made.into_iter()
                    .next()
                    .ok_or_else(|| PaymentError::Transient("refunded, but the refund is not listed yet".into()))
            }
            Err(e) => Err(classify(e)),
        }
    }

    /// PaymentIntents whose metadata has `key = value` among the newest 100. For tests and audits.
    pub async fn find_by_metadata(&self, key: &str, value: &str) -> Result<Vec<String>, PaymentError> {
        let intents = self.newest(ListPaymentIntent::new().limit(100)).await?;
        Ok(intents
            .into_iter()
            .filter(|pi| pi.metadata.get(key).map(String::as_str) == Some(value))
            .map(|pi| pi.id.to_string())
            .collect())
    }

    /// Refund ids of a PaymentIntent, newest first.
    pub async fn refunds_for(&self, payment_intent: &str) -> Result<Vec<String>, PaymentError> {
        let refunds = self.refund_list(payment_intent).await?;
        Ok(refunds.into_iter().map(|r| r.id.to_string()).collect())
    }

    /// One page of what `request` lists (its `limit` says how many, newest first).
    async fn newest<T>(&self, request: impl StripeRequest<Output = List<T>>) -> Result<Vec<T>, PaymentError>
    where
        List<T>: miniserde::Deserialize,
    {
        let page = request.customize().send(&self.client).await.map_err(classify)?;
        Ok(page.data)
    }
}

fn idempotent(key: &str) -> Result<RequestStrategy, PaymentError> {
    let key = IdempotencyKey::new(key).map_err(|e| PaymentError::Rejected(e.to_string()))?;
    Ok(RequestStrategy::Idempotent(key))
}

fn currency(code: &str) -> Result<stripe_types::Currency, PaymentError> {
    code.parse()
        .map_err(|_| PaymentError::Rejected(format!("unknown currency {code:?}")))
}
