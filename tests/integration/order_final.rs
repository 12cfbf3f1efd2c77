//! A final order stays final: a replayed `POST /orders` never starts its workflow again, and the
//! store refuses any status write that would move a completed or cancelled order. A refund ends:
//! one made long ago is found by its PaymentIntent, and one that cannot be made is left, after
//! its attempts, as `refund_error` for an operator. On SQLite and on PostgreSQL.
use crate::checkout_flow::Emulator;
use crate::helpers::{TestApp, TestAppOptions, eventually, guest_order, on_both_backends};
use crate::orders::order_workflow;
use crate::webapp::{Api, TOKEN};
use app::domain::{CartId, Cents};
use app::orders::OrderStatus;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

async fn spawn(database_url: Option<String>, stripe_url: Option<String>) -> Option<(TestApp, Api)> {
    let app = TestApp::spawn_with(TestAppOptions {
        database_url,
        stripe_url,
        order_step: Some(Duration::from_millis(400)),
        ..Default::default()
    })
    .await?;
    let api = Api::spawn(&app).await;
    Some((app, api))
}

async fn post_order(api: &Api, key: &str, body: &Value) -> (StatusCode, Value) {
    let r = api
        .http()
        .post(format!("{}/orders", api.base))
        .bearer_auth(TOKEN)
        .header("Idempotency-Key", key)
        .json(body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn cancel(api: &Api, id: i64) -> (StatusCode, Value) {
    let path = format!("/orders/{id}");
    api.send(Method::PUT, &path, Some(json!({"status": "cancelled"})), Some(TOKEN))
        .await
}

fn run_id(description: &temporalio_client::WorkflowExecutionDescription) -> String {
    let info = description.raw_description.workflow_execution_info.as_ref().unwrap();
    info.execution.as_ref().unwrap().run_id.clone()
}

on_both_backends!(
    a_cancelled_order_stays_cancelled_when_its_request_is_replayed,
    a_refund_made_long_ago_is_found_by_its_payment,
    a_refund_that_cannot_be_made_ends_as_an_error_for_an_operator,
);

async fn a_cancelled_order_stays_cancelled_when_its_request_is_replayed(database_url: Option<String>) {
    let Some((app, api)) = spawn(database_url, None).await else {
        return;
    };
    let body = json!({"customer_id": 7, "total_amount": 10.0});
    let (status, order) = post_order(&api, "replayed-order", &body).await;
    assert!(status.is_success(), "{order}");
    let id = order["id"].as_i64().unwrap();
    let (status, cancelled) = cancel(&api, id).await;
    assert_eq!((status, &cancelled["status"]), (StatusCode::OK, &json!("cancelled")));
    let handle = order_workflow(&app, id);
    let first_run = run_id(&handle.describe(Default::default()).await.unwrap());

    let (status, again) = post_order(&api, "replayed-order", &body).await;
    assert!(status.is_success(), "{again}");
    assert_eq!((&again["id"], &again["status"]), (&json!(id), &json!("cancelled")));
    // Several fulfilment steps later it is still cancelled, and its workflow never ran again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, now) = api.send(Method::GET, &format!("/orders/{id}"), None, Some(TOKEN)).await;
    assert_eq!(now["status"], "cancelled", "{now}");
    assert_eq!(run_id(&handle.describe(Default::default()).await.unwrap()), first_run);

    // No path can move a final order: the store itself refuses.
    let moved = app
        .orders
        .store
        .record(id, OrderStatus::Completed, Cents(1000), None, None)
        .await;
    assert!(!moved.unwrap(), "a cancelled order cannot become completed");
    assert_eq!(app.orders.store.get(id).await.unwrap().status, OrderStatus::Cancelled);
}

async fn a_refund_made_long_ago_is_found_by_its_payment(database_url: Option<String>) {
    let Some((app, api)) = spawn(database_url, None).await else {
        return;
    };
    let stripe = Emulator::of(&app);
    let payment = stripe.pay_outside_the_shop(&CartId::random().to_string(), 900).await;
    let by_hand = app.payments().refund(&payment, "refund-long-ago").await.unwrap();
    // A hundred refunds since: the first is no longer among the account's newest.
    for n in 0..101 {
        let other = stripe.pay_outside_the_shop(&CartId::random().to_string(), 100).await;
        app.payments().refund(&other, &format!("other-{n}")).await.unwrap();
    }
    let order = app
        .orders
        .place(&app::orders::NewOrder {
            payment_ref: Some(payment.clone()),
            ..guest_order("long-ago@example.com", 900)
        })
        .await
        .unwrap();
    let (status, cancelled) = cancel(&api, order.id).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["refund_ref"], json!(by_hand), "{cancelled}");
    assert_eq!(stripe.refunds_of(&payment).await, 1, "refunded once");
}

async fn a_refund_that_cannot_be_made_ends_as_an_error_for_an_operator(database_url: Option<String>) {
    // The worker's Stripe is a port nobody listens on: every refund attempt fails.
    let dead = format!("http://127.0.0.1:{}", crate::helpers::free_port());
    let Some((app, api)) = spawn(database_url, Some(dead)).await else {
        return;
    };
    let order = app
        .orders
        .place(&app::orders::NewOrder {
            payment_ref: Some("pi_while_stripe_is_down".into()),
            ..guest_order("down@example.com", 500)
        })
        .await
        .unwrap();
    let (status, body) = cancel(&api, order.id).await;
    assert!(status == StatusCode::OK || status.is_server_error(), "{status} {body}");
    let order = eventually("the refund error on record", Duration::from_secs(60), || async {
        let (_, o) = api
            .send(Method::GET, &format!("/orders/{}", order.id), None, Some(TOKEN))
            .await;
        o["refund_error"].is_string().then_some(o)
    })
    .await;
    assert_eq!(order["status"], "cancelled", "{order}");
    assert!(order["refund_error"].as_str().unwrap().contains("attempts"), "{order}");
    order_workflow(&app, order["id"].as_i64().unwrap())
        .get_result(Default::default())
        .await
        .expect("the order workflow ends instead of retrying forever");
}
