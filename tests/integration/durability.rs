//! Failure of the parts: a worker killed mid-payment, and a Temporal server restarted on its
//! database file. Nothing may be charged twice and nothing may be lost.
use crate::helpers::{Faults, FaultyProxy, TestApp, eventually};
use app::cart::{CartStatus, CartView};
use app::domain::CartId;
use app::domain::CheckoutRequest;
use app::workflows::cart::CartTiming;
use std::time::{Duration, Instant};

/// A checkout with the configured card, waiting up to 90 s for its outcome, while the test
/// breaks things.
fn checkout_in_background(
    app: &TestApp,
    id: &CartId,
) -> tokio::task::JoinHandle<Result<Option<CartView>, app::cart_client::CartsError>> {
    let (carts, id) = (app.carts.clone(), id.clone());
    tokio::spawn(async move {
        carts
            .checkout(&id, CheckoutRequest::default(), None, Duration::from_secs(90))
            .await
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_the_worker_during_checkout_retries_within_seconds_and_charges_once() {
    let Some(app) = TestApp::spawn_without_worker().await else {
        return;
    };
    // Every charge takes 2 s, so there is time to kill the worker while one is in flight.
    let faults = Faults {
        delay: Duration::from_secs(2),
        path_prefix: "/v1/payment_intents".into(),
        ..Default::default()
    };
    let proxy = FaultyProxy::start(&app.stripe.url, faults).await;
    let mut first = app.worker_process(&proxy.url, "worker-1");

    // A production-sized start-to-close timeout: without heartbeats the retry would wait it out.
    let mut input = app.input();
    input.timing = CartTiming {
        activity_timeout: Duration::from_secs(30),
        ..input.timing
    };
    let id = app.start_cart(input).await;
    app.add(&id, 0, 1).await.unwrap();
    app.set_email(&id, "crash@example.com").await.unwrap();
    let checkout = checkout_in_background(&app, &id);
    eventually("the charge to reach Stripe", Duration::from_secs(20), || async {
        (proxy.hits() >= 1).then_some(())
    })
    .await;
    first.kill_hard().await;
    let killed = Instant::now();

    let mut second = app.worker_process(&proxy.url, "worker-2");
    // A debug build starting on a loaded machine can take seconds of its own: the time the
    // retry is owed to Temporal counts from the kill or from the new worker polling, the later.
    let ready = app.polling("worker-2").await;
    eventually("the charge to be retried", Duration::from_secs(60), || async {
        (proxy.hits() >= 2).then_some(())
    })
    .await;
    let retried = Instant::now() - ready.max(killed);
    assert!(
        retried < Duration::from_secs(5),
        "retried {retried:?} after the kill or the new worker's start, the later (heartbeat timeout)"
    );
    let view = checkout.await.unwrap().unwrap().expect("an outcome within the wait");
    assert_eq!(view.status, CartStatus::CheckedOut, "{:?}", view.payment_error);
    let intents = app.payments().find_by_metadata("cart_id", id.as_str()).await.unwrap();
    assert_eq!(
        intents,
        vec![view.payment_ref.unwrap()],
        "one PaymentIntent despite the retry"
    );
    assert!(proxy.hits() >= 2, "the new worker retried the charge");
    assert!(
        second.terminate().await.success(),
        "SIGTERM shuts the worker down cleanly"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn restarting_temporal_on_its_database_keeps_open_carts() {
    let Some(mut app) = TestApp::spawn().await else { return };
    // No reminder within the test: one going out during the restart would change the cart.
    let mut input = app.input();
    input.timing.reminder_after = vec![Duration::from_secs(600)];
    let id = app.start_cart(input).await;
    app.add(&id, 1, 2).await.unwrap();
    app.set_email(&id, "durable@example.com").await.unwrap();
    let before = app.get(&id).await;

    app.temporal.restart().await;

    let after = eventually("the cart to answer again", Duration::from_secs(30), || async {
        app.carts.get(&id).await.ok()
    })
    .await;
    assert_eq!(after, before);
    let view = eventually("updates to work again", Duration::from_secs(30), || async {
        app.add(&id, 3, 1).await.ok()
    })
    .await;
    assert_eq!(view.lines.len(), 2);
    let view = app.checkout(&id, None).await.unwrap();
    assert_eq!(view.status, CartStatus::CheckedOut, "{:?}", view.payment_error);
    app.stop_worker();
}

#[tokio::test(flavor = "multi_thread")]
async fn stripe_down_for_20_s_during_checkouts_loses_and_doubles_nothing() {
    let Some(mut app) = TestApp::spawn_without_worker().await else {
        return;
    };
    let proxy = FaultyProxy::start(&app.stripe.url, Faults::default()).await;
    app.start_worker_with_outbox(proxy.url.clone());
    let mut ids = vec![];
    for n in 0..3 {
        let id = app.new_cart().await;
        app.add(&id, n, 1).await.unwrap();
        app.set_email(&id, &format!("outage{n}@example.com")).await.unwrap();
        ids.push(id);
    }
    proxy.set_down(true);
    let checkouts: Vec<_> = ids
        .iter()
        .map(|id| {
            let (carts, id) = (app.carts.clone(), id.clone());
            tokio::spawn(async move {
                carts
                    .checkout(&id, CheckoutRequest::default(), None, Duration::from_secs(90))
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(20)).await;
    proxy.set_down(false);
    for (id, checkout) in ids.iter().zip(checkouts) {
        let view = checkout.await.unwrap().unwrap().expect("an outcome within the wait");
        assert_eq!(view.status, CartStatus::CheckedOut, "{:?}", view.payment_error);
        let intents = app.payments().find_by_metadata("cart_id", id.as_str()).await.unwrap();
        assert_eq!(
            intents,
            vec![view.payment_ref.clone().unwrap()],
            "one PaymentIntent per cart"
        );
        assert!(view.order_id.is_some(), "one order per payment");
    }
}

/// kill -9 of the worker after the card was charged and before the order was recorded: the
/// order store is held (a table lock in PostgreSQL) so the worker is stuck placing the order
/// when it dies. The next worker records it within seconds: one succeeded PaymentIntent, one
/// order for it, no refund.
#[tokio::test(flavor = "multi_thread")]
async fn killing_the_worker_between_the_charge_and_the_order_makes_one_order() {
    use crate::helpers::TestAppOptions;
    let Some(url) = crate::orders::postgres_database().await else {
        return;
    };
    let opts = TestAppOptions {
        database_url: Some(url.clone()),
        no_worker: true,
        ..Default::default()
    };
    let Some(app) = TestApp::spawn_with(opts).await else {
        return;
    };
    let mut first = app.worker_process(&app.stripe.url, "worker-1");
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let mut hold = pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *hold)
        .await
        .unwrap();

    let id = app.new_cart().await;
    app.add(&id, 0, 1).await.unwrap();
    app.set_email(&id, "between@example.com").await.unwrap();
    let checkout = checkout_in_background(&app, &id);
    let payments = app.payments();
    eventually("the card to be charged", Duration::from_secs(30), || async {
        let intents = payments.find_by_metadata("cart_id", id.as_str()).await.ok()?;
        let charged = intents.first()?;
        (payments.retrieve(charged).await.ok()?.status == app::domain::PaymentStatus::Succeeded).then_some(())
    })
    .await;
    eventually("the order to wait for the store", Duration::from_secs(30), || async {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&pool)
        .await
        .ok()?;
        (waiting > 0).then_some(())
    })
    .await;
    first.kill_hard().await;
    hold.rollback().await.unwrap();
    let killed = Instant::now();
    let _second = app.worker_process(&app.stripe.url, "worker-2");

    let view = checkout.await.unwrap().unwrap().expect("an outcome within the wait");
    assert_eq!(view.status, CartStatus::CheckedOut, "{:?}", view.payment_error);
    assert!(
        killed.elapsed() < Duration::from_secs(15),
        "recorded {:?} after the kill",
        killed.elapsed()
    );
    let intent = view.payment_ref.clone().unwrap();
    let intents = payments.find_by_metadata("cart_id", id.as_str()).await.unwrap();
    assert_eq!(intents, vec![intent.clone()], "one PaymentIntent");
    assert_eq!(
        crate::checkout_flow::orders_paid_by(&app, &intent).await,
        1,
        "one order"
    );
    assert_eq!(view.order_id, app.orders.store.id_for_payment(&intent).await.unwrap());
    assert!(payments.refunds_for(&intent).await.unwrap().is_empty(), "no refund");
}
