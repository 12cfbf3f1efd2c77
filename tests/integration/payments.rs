//! Payments against the Stripe emulator process: success, decline, and a charge whose answer
//! is lost, so Temporal retries it: the idempotency key must keep that to one PaymentIntent.
use crate::helpers::{Faults, FaultyProxy, StripeEmulator, TestApp, TestAppOptions};
use app::cart::CartStatus;
use app::domain::Cents;
use app::domain::PaymentStatus;
use app::payments::{Charge, PaymentError, Payments};

fn charge(key: &str) -> Charge {
    Charge {
        amount: Cents(1234),
        currency: "usd".into(),
        idempotency_key: key.into(),
        description: "test".into(),
        metadata: vec![("cart_id".into(), key.into())],
        receipt_email: Some("a@b.co".into()),
    }
}

/// Creates and confirms with `card`; the PaymentIntent's id once it succeeded.
async fn pay(payments: &Payments, key: &str, card: &str) -> Result<String, PaymentError> {
    let payment = payments.start(&charge(key), Some(card)).await?;
    assert_eq!(payment.status, PaymentStatus::Succeeded);
    Ok(payment.intent)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_charge_succeeds_once_per_key_and_a_decline_is_a_business_outcome() {
    app::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let Some(stripe) = StripeEmulator::start(dir.path()).await else {
        return;
    };
    let payments = app::payments::Payments::new("sk_test_x", Some(&stripe.url), "pm_card_visa").unwrap();

    let first = pay(&payments, "k-1", "pm_card_visa").await.unwrap();
    let again = pay(&payments, "k-1", "pm_card_visa").await.unwrap();
    assert_eq!(first, again, "the same key answers with the same PaymentIntent");
    assert_eq!(
        payments.find_by_metadata("cart_id", "k-1").await.unwrap(),
        vec![first.clone()]
    );
    let refund = payments.refund(&first, "refund-k-1").await.unwrap();
    assert!(refund.starts_with("re_"), "{refund}");

    match pay(&payments, "k-2", "pm_card_chargeCustomerFail").await {
        Err(PaymentError::Declined(reason)) => assert!(reason.contains("declined"), "{reason}"),
        other => panic!("expected a decline, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_answer_is_retried_without_charging_twice() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stripe) = StripeEmulator::start(dir.path()).await else {
        return;
    };
    let faults = Faults {
        lose_responses: 2,
        path_prefix: "/v1/payment_intents".into(),
        ..Default::default()
    };
    let proxy = FaultyProxy::start(&stripe.url, faults).await;
    let Some(app) = TestApp::spawn_with(TestAppOptions {
        stripe_url: Some(proxy.url.clone()),
        ..Default::default()
    })
    .await
    else {
        return;
    };
    let id = app.new_cart().await;
    app.add(&id, 0, 1).await.unwrap();
    app.set_email(&id, "retry@example.com").await.unwrap();
    let view = app.checkout(&id, None).await.unwrap();
    assert_eq!(view.status, CartStatus::CheckedOut, "{:?}", view.payment_error);
    assert_eq!(proxy.hits(), 3, "two lost answers, then the retry that got through");
    let behind_proxy = app::payments::Payments::new("sk_test_x", Some(&stripe.url), "pm_card_visa").unwrap();
    let intents = behind_proxy.find_by_metadata("cart_id", id.as_str()).await.unwrap();
    assert_eq!(intents, vec![view.payment_ref.unwrap()], "exactly one PaymentIntent");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_keeps_idempotent_answers_across_a_restart_errors_included() {
    app::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let Some(stripe) = StripeEmulator::start(dir.path()).await else {
        return;
    };
    let payments = Payments::new("sk_test_x", Some(&stripe.url), "pm_card_visa").unwrap();
    let paid = pay(&payments, "restart-1", "pm_card_visa").await.unwrap();
    let declined = pay(&payments, "restart-2", "pm_card_chargeCustomerFail").await;
    assert!(matches!(declined, Err(PaymentError::Declined(_))), "{declined:?}");
    drop(stripe);

    let stripe = StripeEmulator::start(dir.path()).await.unwrap();
    let payments = Payments::new("sk_test_x", Some(&stripe.url), "pm_card_visa").unwrap();
    assert_eq!(
        pay(&payments, "restart-1", "pm_card_visa").await.unwrap(),
        paid,
        "the stored answer, not a second charge"
    );
    // The stored decline is replayed; the key with other parameters is refused.
    let replayed = pay(&payments, "restart-2", "pm_card_chargeCustomerFail").await;
    assert!(matches!(replayed, Err(PaymentError::Declined(_))), "{replayed:?}");
    let reused = pay(&payments, "restart-2", "pm_card_visa").await;
    assert!(
        matches!(&reused, Err(PaymentError::Rejected(m)) if m.contains("same parameters")),
        "{reused:?}"
    );
    assert_eq!(
        payments.find_by_metadata("cart_id", "restart-1").await.unwrap(),
        vec![paid]
    );
}

/// Stripe's answers that leave it open whether a PaymentIntent was made, which the emulator
/// cannot be made to give on cue: a stored 500 and an `idempotency_error`. A small in-process
/// fake plays them; the lookup must then trust the search, and an empty search only on its
/// last look.
#[tokio::test(flavor = "multi_thread")]
async fn a_lookup_after_a_stored_500_or_a_reused_key_trusts_the_search() {
    use app::domain::PaymentLookup;
    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    app::install_crypto_provider();
    let intent = json!({
        "id": "pi_found", "object": "payment_intent", "amount": 1234, "amount_capturable": 0,
        "amount_received": 1234, "capture_method": "automatic", "confirmation_method": "automatic",
        "created": 1_700_000_000, "currency": "usd", "livemode": false, "metadata": {"cart_id": "k"},
        "payment_method_types": ["card"], "status": "succeeded",
    });
    let search = |data: Vec<serde_json::Value>| {
        ResponseTemplate::new(200).set_body_json(json!({
            "object": "search_result", "url": "/v1/payment_intents/search", "has_more": false,
            "next_page": null, "data": data,
        }))
    };

    let stripe = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"error": {"type": "api_error", "message": "boom"}})),
        )
        .mount(&stripe)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/search"))
        .respond_with(search(vec![intent]))
        .mount(&stripe)
        .await;
    let payments = Payments::new("sk_test_x", Some(&stripe.uri()), "pm_card_visa").unwrap();
    match payments
        .recover(&charge("k"), Some("pm_card_visa"), false)
        .await
        .unwrap()
    {
        PaymentLookup::Found(p) => assert_eq!((p.intent.as_str(), p.status), ("pi_found", PaymentStatus::Succeeded)),
        other => panic!("{other:?}"),
    }

    let stripe = MockServer::start().await;
    let reused = json!({"error": {"type": "idempotency_error", "message": "Keys for idempotent requests can only be used with the same parameters"}});
    Mock::given(method("POST"))
        .and(path("/v1/payment_intents"))
        .respond_with(ResponseTemplate::new(400).set_body_json(reused))
        .mount(&stripe)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payment_intents/search"))
        .respond_with(search(vec![]))
        .mount(&stripe)
        .await;
    let payments = Payments::new("sk_test_x", Some(&stripe.uri()), "pm_card_visa").unwrap();
    let first = payments
        .recover(&charge("k"), Some("pm_card_visa"), false)
        .await
        .unwrap();
    let last = payments
        .recover(&charge("k"), Some("pm_card_visa"), true)
        .await
        .unwrap();
    assert_eq!((first, last), (PaymentLookup::NotYet, PaymentLookup::Absent));
}
