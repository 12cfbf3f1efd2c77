//! A payment call that never got a clear answer: the cart stays locked (409 `payment_pending`)
//! while the workflow asks Stripe what became of the attempt, and no new attempt starts before
//! it knows. Counted at the emulator: one PaymentIntent per paid cart, one order per payment,
//! none for an attempt Stripe refused.
use crate::checkout_flow::{filled_cart, gateway, orders_paid_by};
use crate::helpers::{Faults, FaultyProxy, TestApp, eventually, fast_timing};
use app::workflows::cart::CartTiming;
use reqwest::StatusCode;
use std::time::Duration;

/// Two attempts per payment call, so a test exhausts them in seconds.
fn impatient() -> CartTiming {
    CartTiming {
        payment_attempts: 2,
        // The lookup's second search comes this long after an empty first one.
        payment_check_after: Duration::from_millis(500),
        ..fast_timing()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lost_answers_lock_the_cart_until_the_payment_is_found_and_it_is_paid_once() {
    let Some(mut app) = TestApp::spawn_without_worker().await else {
        return;
    };
    // Both attempts of the create call and the lookup's re-sent create reach Stripe, but
    // their answers are lost (so the lookup falls back to a search by metadata); each call
    // also takes a second, so the lookup is slow enough to watch.
    let faults = Faults {
        lose_responses: 3,
        delay: Duration::from_secs(1),
        path_prefix: "/v1/payment_intents".into(),
    };
    let proxy = FaultyProxy::start(&app.stripe.url, faults).await;
    app.start_worker_with_outbox(proxy.url.clone());
    let (api, stripe) = gateway(&app, impatient(), true).await;

    let id = filled_cart(&api).await;
    let checkout = {
        let (api, id) = (api.clone(), id.clone());
        tokio::spawn(async move { api.put(&format!("/cart/{id}/checkout"), "", None).await })
    };
    eventually("the cart to wait for the lookup", Duration::from_secs(20), || async {
        let (_, cart) = api.get(&format!("/cart/{id}")).await;
        (cart["payment_pending"] == true).then_some(())
    })
    .await;
    let (status, refused) = api.add(&id, 2, 1).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("payment_pending")),
        "{refused}"
    );
    let (status, refused) = api.put(&format!("/cart/{id}/checkout"), "", None).await;
    assert_eq!(refused["error"]["code"], "payment_pending", "{status} {refused}");

    let (status, paid) = checkout.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["receipt"]["status"], "checked_out");
    assert_eq!(paid["receipt"]["payment_pending"], false);
    let intent = paid["receipt"]["payment_ref"].as_str().unwrap().to_owned();
    assert_eq!(proxy.hits(), 3, "two attempts, then one lookup");
    assert_eq!(stripe.intents_of(&id).await, vec!["succeeded"], "one PaymentIntent");
    assert_eq!(orders_paid_by(&app, &intent).await, 1, "one order");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attempt_stripe_refused_made_nothing_and_the_cart_pays_with_the_next_one() {
    let Some(app) = TestApp::spawn().await else { return };
    let (api, stripe) = gateway(&app, impatient(), true).await;
    let id = filled_cart(&api).await;

    // Stripe refuses a PaymentMethod it does not know (404) before it makes anything; the
    // lookup gets the same refusal and concludes that nothing was charged.
    let body = r#"{"PaymentMethod": "pm_does_not_exist"}"#;
    let (status, failed) = api.put(&format!("/cart/{id}/checkout"), body, None).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{failed}");
    let cart = eventually("the attempt to be settled", Duration::from_secs(20), || async {
        let (_, cart) = api.get(&format!("/cart/{id}")).await;
        (cart["status"] == "payment_failed").then_some(cart)
    })
    .await;
    assert_eq!(cart["payment_pending"], false);
    assert!(
        cart["payment_error"].as_str().unwrap().contains("nothing was charged"),
        "{cart}"
    );
    assert!(
        stripe.intents_of(&id).await.is_empty(),
        "no PaymentIntent for the refused attempt"
    );

    assert_eq!(api.add(&id, 2, 1).await.0, StatusCode::OK, "the cart is usable again");
    let (status, paid) = api.put(&format!("/cart/{id}/checkout"), "", None).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["receipt"]["checkout_attempts"], 2);
    let intent = paid["receipt"]["payment_ref"].as_str().unwrap().to_owned();
    assert_eq!(stripe.intents_of(&id).await, vec!["succeeded"]);
    assert_eq!(orders_paid_by(&app, &intent).await, 1);
}
