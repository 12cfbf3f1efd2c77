//! Replay: histories of the main paths are committed under tests/histories and replayed against
//! the current workflow code, so a change that breaks running carts fails CI (TMPRL1100).
//! `tests/histories/<release>/` holds what carts of that release wrote (0.1.0's, which carry
//! their catalogue and hold no stock); the files at the top are the current code's, which
//! `SHOP_RECORD_HISTORIES=1` rewrites from a live run (docs: "Changing the workflow").
use crate::helpers::{TestApp, eventually, guest_order, workspace_root};
use app::cart::CartStatus;
use app::cart_client::CompatSignal;
use app::domain::{PaymentEvent, PaymentStatus};
use app::orders::{OrderChange, OrderStatus};
use app::workflows::cart::CartWorkflow;
use app::workflows::order::{OrderWorkflow, workflow_id};
use serde_json::json;
use std::time::Duration;
use temporalio_client::WorkflowHistory;
use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};

/// One replayer per workflow type: a replayer holding several did not find the second here.
/// With the tracing plugin the worker binary runs, so its interceptors replay too.
fn replayer_for(history_name: &str) -> WorkflowReplayer {
    let options = WorkflowReplayerOptions::new().worker_plugin(app::traces::plugin());
    let options = if history_name.starts_with("order_") {
        options.register_workflow::<OrderWorkflow>().unwrap()
    } else {
        options.register_workflow::<CartWorkflow>().unwrap()
    };
    WorkflowReplayer::new(options.build()).unwrap()
}

fn histories_dir() -> std::path::PathBuf {
    workspace_root().join("tests/histories")
}

/// Every committed history, the releases' and the current code's.
fn committed_histories() -> Vec<std::path::PathBuf> {
    let mut files = vec![];
    let mut dirs = vec![histories_dir()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread")]
async fn committed_histories_replay_against_the_current_code() {
    let files = committed_histories();
    let released = files
        .iter()
        .filter(|f| f.parent() != Some(histories_dir().as_path()))
        .count();
    assert!(
        released >= 10 && files.len() - released >= 10,
        "expected 0.1.0's histories and the current code's, found {files:?}"
    );
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let history = WorkflowHistory::from_json(&std::fs::read(&file).unwrap()).unwrap();
        replayer_for(&name)
            .replay_workflow(history)
            .await
            .unwrap_or_else(|e| panic!("{} no longer replays: {e:?}", file.display()));
    }
}

/// Runs the main paths live, replays each fresh history, and (when asked) saves them.
#[tokio::test(flavor = "multi_thread")]
async fn live_histories_of_the_main_paths_replay() {
    let Some(app) = TestApp::spawn().await else { return };
    let mut recorded = Vec::new();

    let id = app.new_cart().await;
    app.add(&id, 0, 1).await.unwrap();
    app.add(&id, 1, 2).await.unwrap();
    app.remove(&id, 0, 1).await.unwrap();
    let _ = app.add(&id, 42, 1).await; // a rejection
    app.set_email(&id, "replay@example.com").await.unwrap();
    // Declined when the server confirms: the PaymentIntent is cancelled, the cart reopens.
    app.checkout(&id, Some("pm_card_chargeCustomerFail")).await.unwrap();
    app.checkout(&id, None).await.unwrap();
    let outcome = app.carts.outcome(&id).await.unwrap();
    recorded.push(("checkout_declined_then_paid", app.history_json(&id).await));

    // A payment call Stripe refused: the attempt is looked up before the cart may pay again,
    // and the next attempt pays.
    let id = app.new_cart().await;
    app.add(&id, 2, 1).await.unwrap();
    app.set_email(&id, "lookup@example.com").await.unwrap();
    let refused = app.checkout(&id, Some("pm_does_not_exist")).await.unwrap();
    assert_eq!(refused.status, app::cart::CartStatus::PaymentFailed);
    app.checkout(&id, None).await.unwrap();
    app.carts.outcome(&id).await.unwrap();
    recorded.push(("payment_recovery_then_paid", app.history_json(&id).await));

    // The saga: the cart's order already exists (another payment),
    // so this payment is refunded and any order row for it voided.
    let id = app.new_cart().await;
    app.add(&id, 2, 1).await.unwrap();
    app.set_email(&id, "saga@example.com").await.unwrap();
    let earlier = app::orders::NewOrder {
        cart_id: Some(id.to_string()),
        payment_ref: Some("pi_earlier".into()),
        ..guest_order("saga@example.com", 100)
    };
    app.orders.place(&earlier).await.unwrap();
    app.checkout(&id, None).await.unwrap();
    recorded.push((
        "checkout_refused_order_refunded_and_voided",
        app.history_json(&id).await,
    ));

    // 3-D Secure: the checkout waits for the shopper, and a status check finds the outcome.
    let mut input = app.input();
    input.timing.payment_check_after = Duration::from_millis(300);
    let id = app.start_cart(input).await;
    app.add(&id, 1, 1).await.unwrap();
    app.set_email(&id, "secure@example.com").await.unwrap();
    let stripe = crate::checkout_flow::Emulator::of(&app);
    let card = stripe.card(crate::checkout_flow::THREE_DS_CARD).await;
    let waiting = app.checkout(&id, Some(&card)).await.unwrap();
    let payment = waiting.payment.expect("the checkout waits for the shopper");
    stripe
        .authenticate(&payment.payment_intent, &payment.client_secret.unwrap(), true)
        .await;
    app.carts.outcome(&id).await.unwrap();
    recorded.push(("checkout_three_d_secure", app.history_json(&id).await));

    // 3-D Secure failed in the shopper's browser (a client-confirmed decline): the cart
    // cancels the declined PaymentIntent before it reopens, and the next checkout pays.
    let mut input = app.input();
    input.timing.payment_check_after = Duration::from_millis(300);
    let id = app.start_cart(input).await;
    app.add(&id, 1, 1).await.unwrap();
    app.set_email(&id, "failed3ds@example.com").await.unwrap();
    let waiting = app.checkout(&id, Some(&card)).await.unwrap();
    let payment = waiting.payment.expect("the checkout waits for the shopper");
    stripe
        .authenticate(&payment.payment_intent, &payment.client_secret.unwrap(), false)
        .await;
    eventually("the failed challenge declines", Duration::from_secs(30), || async {
        (app.get(&id).await.status == CartStatus::PaymentFailed).then_some(())
    })
    .await;
    let statuses = stripe.intents_of(id.as_str()).await;
    assert_eq!(statuses, ["canceled"], "the declined attempt is closed");
    app.checkout(&id, None).await.unwrap();
    app.carts.outcome(&id).await.unwrap();
    recorded.push(("three_d_secure_declined_then_paid", app.history_json(&id).await));

    // A stray payment (made outside the shop with the cart's metadata) is handed to the
    // reconciler, which refunds it; the cart is untouched and pays on its own.
    let id = app.new_cart().await;
    app.add(&id, 2, 1).await.unwrap();
    app.set_email(&id, "stray@example.com").await.unwrap();
    let stray = stripe.pay_outside_the_shop(id.as_str(), 1999).await;
    let event = PaymentEvent {
        event_id: "evt_replay_stray".into(),
        intent: stray.clone(),
        status: PaymentStatus::Succeeded,
    };
    app.carts.payment_event(&id, event).await.unwrap();
    eventually("the stray refunded", Duration::from_secs(30), || async {
        (stripe.refunds_of(&stray).await == 1).then_some(())
    })
    .await;
    app.checkout(&id, None).await.unwrap();
    app.carts.outcome(&id).await.unwrap();
    recorded.push(("stray_payment_reconciled_then_paid", app.history_json(&id).await));

    // The order that checkout became, cancelled (and so refunded) through its workflow.
    let order_id = outcome.cart.order_id.expect("checkout recorded an order");
    let cancel = OrderChange {
        status: Some(OrderStatus::Cancelled),
        total_cents: None,
    };
    app.orders.change(order_id, cancel).await.unwrap();
    let order = app
        .carts
        .client()
        .get_workflow_handle::<OrderWorkflow>(workflow_id(order_id));
    order.get_result(Default::default()).await.unwrap();
    let history = order.fetch_history(Default::default()).to_json().await.unwrap();
    recorded.push(("order_cancelled_with_refund", history));

    let mut input = app.input();
    input.timing.reminder_after = vec![Duration::from_millis(300), Duration::from_millis(300)];
    input.timing.expire_after = Duration::from_millis(1500);
    let id = app.start_cart(input).await;
    app.add(&id, 2, 1).await.unwrap();
    app.set_email(&id, "quiet@example.com").await.unwrap();
    app.carts.outcome(&id).await.unwrap();
    recorded.push(("reminders_then_expiry", app.history_json(&id).await));

    let id = app.new_cart().await;
    for (signal, payload) in [
        (CompatSignal::Add, json!({"ProductId": 3, "Quantity": 2})),
        (CompatSignal::Add, json!("garbage")),
        (CompatSignal::Remove, json!({"ProductId": 3, "Quantity": 1})),
        (CompatSignal::Email, json!({"Email": "compat@example.com"})),
        (CompatSignal::Checkout, json!({"Email": "compat@example.com"})),
    ] {
        app.carts.signal_compat(&id, signal, payload).await.unwrap();
    }
    app.carts.outcome(&id).await.unwrap();
    recorded.push(("compat_signals_checkout", app.history_json(&id).await));

    let mut input = app.input();
    input.continue_after_messages = Some(2);
    let id = app.start_cart(input).await;
    app.add(&id, 0, 1).await.unwrap();
    app.add(&id, 1, 1).await.unwrap();
    app.add(&id, 2, 1).await.unwrap();
    // The current run is the continued one: its history starts from the carried state.
    recorded.push(("continued_as_new", app.history_json(&id).await));

    // A price that rose since the add stops the checkout; the shopper accepts the new total.
    let id = app.new_cart().await;
    app.add(&id, 3, 1).await.unwrap();
    app.set_email(&id, "prices@example.com").await.unwrap();
    let mut dearer = app.orders.store.product(3).await.unwrap().unwrap();
    dearer.price_cents = app::domain::Cents(dearer.price_cents.0 + 100);
    app.orders.store.put_product(&dearer).await.unwrap();
    let refused = app.checkout(&id, None).await.unwrap_err();
    assert!(
        matches!(&refused, app::cart_client::CartsError::Refused(r) if r.code == app::codes::Code::PriceChanged),
        "{refused:?}"
    );
    let accept = app::domain::CheckoutRequest {
        accept_total_cents: Some(dearer.price_cents.0),
        ..Default::default()
    };
    let paid = app
        .carts
        .checkout(&id, accept, None, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(paid.map(|c| c.status), Some(CartStatus::CheckedOut));
    recorded.push(("price_changed_then_accepted", app.history_json(&id).await));

    // A reservation that lapses on the timer, held again at checkout.
    let mut input = app.input();
    input.timing.reservation_ttl = Duration::from_millis(500);
    let id = app.start_cart(input).await;
    app.add(&id, 2, 1).await.unwrap();
    eventually("the reservation to lapse", Duration::from_secs(10), || async {
        (!app.get(&id).await.lines[0].reserved).then_some(())
    })
    .await;
    app.set_email(&id, "lapse@example.com").await.unwrap();
    assert_eq!(app.checkout(&id, None).await.unwrap().status, CartStatus::CheckedOut);
    recorded.push(("reservation_lapsed_then_paid", app.history_json(&id).await));

    let save = std::env::var("SHOP_RECORD_HISTORIES").is_ok_and(|v| v == "1");
    for (name, json) in recorded {
        let history = WorkflowHistory::from_json(&json).unwrap();
        replayer_for(name)
            .replay_workflow(history)
            .await
            .unwrap_or_else(|e| panic!("{name} does not replay: {e:?}"));
        if save {
            std::fs::create_dir_all(histories_dir()).unwrap();
            std::fs::write(histories_dir().join(format!("{name}.json")), json).unwrap();
        }
    }
}
