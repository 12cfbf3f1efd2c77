//! Every payment ends in an order or a refund, even a late one. A declined attempt is cancelled
//! before the cart reopens, so nobody can pay it later; a success the cart is not waiting for
//! (an old attempt's, one made outside the shop, one for a cart that has ended) goes to the
//! reconciler, which refunds it; and the reconciler's sweep finds what no webhook reported.
//! Every count is taken at the emulator.
use crate::checkout_flow::{Emulator, filled_cart, gateway, orders_paid_by, settled};
use crate::helpers::{TestApp, eventually, fast_timing};
use app::domain::CartId;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

const DECLINED_CARD: &str = "4000000000000002";

#[tokio::test(flavor = "multi_thread")]
async fn a_declined_attempt_cannot_be_paid_later_so_one_payment_one_order_no_refund() {
    let Some(app) = TestApp::spawn().await else { return };
    let (api, stripe) = gateway(&app, fast_timing(), true).await;
    let id = filled_cart(&api).await;
    let checkout = |api: &crate::webapp::Api| {
        let path = format!("/cart/{id}/checkout");
        let api = api.clone();
        async move {
            let (status, answer) = api.put(&path, r#"{"confirm": "client"}"#, None).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
            answer["payment_intent"].as_str().unwrap().to_owned()
        }
    };
    let first = checkout(&api).await;
    let declined = stripe.card(DECLINED_CARD).await;
    assert_eq!(stripe.confirm(&first, &declined).await, StatusCode::PAYMENT_REQUIRED);
    settled(&api, &id, "payment_failed").await;
    assert_eq!(
        stripe.intent(&first).await["status"],
        "canceled",
        "the declined attempt is cancelled before the cart reopens"
    );

    let second = checkout(&api).await;
    assert_ne!(first, second);
    // Stripe lets whoever holds a declined PaymentIntent's secret try another card on it: a
    // cancelled one refuses.
    assert_eq!(stripe.confirm(&first, "pm_card_visa").await, StatusCode::BAD_REQUEST);
    assert_eq!(stripe.confirm(&second, "pm_card_visa").await, StatusCode::OK);
    let cart = settled(&api, &id, "checked_out").await;
    assert_eq!(cart["payment_ref"], json!(second));

    let mut statuses = stripe.intents_of(&id).await;
    statuses.sort();
    assert_eq!(statuses, ["canceled", "succeeded"], "one succeeded payment");
    assert_eq!(orders_paid_by(&app, &second).await, 1, "one order");
    assert_eq!(stripe.refunds_of(&second).await, 0, "no refund");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_success_the_cart_is_not_waiting_for_is_refunded_and_the_cart_is_untouched() {
    let Some(app) = TestApp::spawn().await else { return };
    let (api, stripe) = gateway(&app, fast_timing(), true).await;
    let id = filled_cart(&api).await;
    let stray = stripe.pay_outside_the_shop(&id, 1999).await;
    eventually("the stray payment refunded", Duration::from_secs(30), || async {
        (stripe.refunds_of(&stray).await == 1).then_some(())
    })
    .await;
    let (_, cart) = api.get(&format!("/cart/{id}")).await;
    assert_eq!(cart["status"], "active", "{cart}");
    assert!(cart["order_id"].is_null(), "{cart}");
    assert_eq!(orders_paid_by(&app, &stray).await, 0);

    // The cart still checks out and pays, once; its own payment is not refunded.
    let (status, paid) = api.put(&format!("/cart/{id}/checkout"), "", None).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    let intent = paid["receipt"]["payment_ref"].as_str().unwrap().to_owned();
    assert_eq!(orders_paid_by(&app, &intent).await, 1);
    // Its webhook arrives after the cart ended: an order records it, so nothing is refunded.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(stripe.refunds_of(&intent).await, 0, "the cart's own payment is kept");
    assert_eq!(stripe.refunds_of(&stray).await, 1, "the stray is refunded once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_success_for_a_cart_that_has_ended_is_refunded_by_the_reconciler() {
    let Some(app) = TestApp::spawn().await else { return };
    let (api, stripe) = gateway(&app, fast_timing(), true).await;
    let id = filled_cart(&api).await;
    let (status, paid) = api.put(&format!("/cart/{id}/checkout"), "", None).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    let intent = paid["receipt"]["payment_ref"].as_str().unwrap().to_owned();

    let late = stripe.pay_outside_the_shop(&id, 500).await;
    eventually("the late payment refunded", Duration::from_secs(30), || async {
        (stripe.refunds_of(&late).await == 1).then_some(())
    })
    .await;
    assert_eq!(stripe.refunds_of(&intent).await, 0, "the paid order's payment is kept");
    assert_eq!(orders_paid_by(&app, &intent).await, 1);
    assert_eq!(orders_paid_by(&app, &late).await, 0);
}

/// The worker binary's `reconcile` pass, printed as JSON.
async fn reconcile_once(app: &TestApp, log: &str) -> serde_json::Value {
    let out = tokio::process::Command::new(crate::helpers::workspace_binary("worker"))
        .args(["reconcile", "--since", "1h"])
        .envs(app.worker_env(&app.stripe.url))
        .env("SHOP_RECONCILE_GRACE", "0s")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    std::fs::write(app.dir.path().join(log), &out.stderr).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Log lines come first; the pass is the JSON document that ends the output.
    let out = String::from_utf8_lossy(&out.stdout);
    let json = &out[out.find("\n{").map_or(0, |i| i + 1)..];
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sweep_refunds_an_orphan_once_and_leaves_paid_and_refunded_payments_alone() {
    let Some(app) = TestApp::spawn().await else { return };
    // No webhook: only the sweep can find the orphan.
    let (api, stripe) = gateway(&app, fast_timing(), false).await;
    let id = filled_cart(&api).await;
    let (status, paid) = api.put(&format!("/cart/{id}/checkout"), "", None).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    let ordered = paid["receipt"]["payment_ref"].as_str().unwrap().to_owned();
    let refunded = stripe.pay_outside_the_shop(&CartId::random().to_string(), 700).await;
    app.payments().refund(&refunded, "refunded-by-hand").await.unwrap();
    let orphan = stripe.pay_outside_the_shop(&CartId::random().to_string(), 1234).await;

    // Two passes at once refund nothing twice.
    let (a, b) = tokio::join!(reconcile_once(&app, "sweep-a.log"), reconcile_once(&app, "sweep-b.log"));
    for run in [&a, &b] {
        assert_eq!(run["checked"], 3, "{run}");
        assert_eq!(run["problems"], json!([]), "{run}");
    }
    assert_eq!(stripe.refunds_of(&orphan).await, 1, "the orphan, refunded once");
    assert_eq!(stripe.refunds_of(&refunded).await, 1, "the refunded one, not again");
    assert_eq!(stripe.refunds_of(&ordered).await, 0, "the paid order's, kept");

    // A third pass finds nothing left to do.
    let again = reconcile_once(&app, "sweep-c.log").await;
    assert_eq!(again["refunded"], 0, "{again}");
    let recorded = app.orders.store.runs(10).await.unwrap();
    assert_eq!(recorded.len(), 3, "every pass on record");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schedule_runs_the_sweep_and_operators_see_its_passes() {
    let Some(app) = TestApp::spawn_without_worker().await else {
        return;
    };
    let stripe = Emulator::of(&app);
    let mut env = app.worker_env(&app.stripe.url);
    env.push(("SHOP_RECONCILE_EVERY", "2s".into()));
    env.push(("SHOP_RECONCILE_GRACE", "0s".into()));
    let bin = crate::helpers::workspace_binary("worker");
    let _worker = crate::helpers::ChildProc::spawn(&bin, &[], &env, &app.dir.path().join("worker.log"));
    let orphan = stripe.pay_outside_the_shop(&CartId::random().to_string(), 4321).await;
    eventually(
        "the scheduled sweep to refund the orphan",
        Duration::from_secs(60),
        || async { (stripe.refunds_of(&orphan).await == 1).then_some(()) },
    )
    .await;
    let runs = eventually("a pass on record", Duration::from_secs(30), || async {
        let runs = app.orders.store.runs(10).await.unwrap();
        runs.iter().any(|r| r.refunded == 1).then_some(runs)
    })
    .await;
    assert!(runs.iter().all(|r| r.problems.is_empty()), "{runs:?}");
    let schedule = app
        .carts
        .client()
        .get_schedule_handle(app::reconcile::schedule_id(&app.task_queue))
        .describe(Default::default())
        .await
        .expect("the schedule exists");
    assert!(schedule.action_count() >= 1);

    // Operators read the passes through the gateway, behind their token.
    let settings = webapp::startup::Settings {
        operator: Some(app.operator(OPERATOR)),
        ..Default::default()
    };
    let api = crate::webapp::Api::spawn_with(&app, app.carts.clone(), settings).await;
    let (status, _) = api.send(Method::GET, "/admin/reconciliation", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = api
        .send(Method::GET, "/admin/reconciliation?limit=5", None, Some(OPERATOR))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["runs"].as_array().unwrap().iter().any(|r| r["refunded"] == 1),
        "{body}"
    );
    assert_eq!(body["unresolved"], 0);
    assert!(
        !body.to_string().contains('@'),
        "no email in what operators see: {body}"
    );
    let (status, body) = api
        .send(Method::GET, "/admin/reconciliation?limit=0", None, Some(OPERATOR))
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (StatusCode::BAD_REQUEST, &json!("limit"))
    );
}

const OPERATOR: &str = "test-operator-token-0123456789abcdef";
