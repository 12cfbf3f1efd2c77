//! Answers around faults: a deadline is a 202 or a 503 (never a 500), a dead worker's carts
//! recover within seconds (its payments: `durability.rs`), readiness fails fast while Temporal is down, every
//! error has the JSON shape, and an idempotency key reused for another request is refused.
use crate::helpers::{TestApp, TestAppOptions, eventually, free_port};
use crate::webapp::Api;
use app::cart::ItemChange;
use app::cart_client::CartChange;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use webapp::startup::Settings;

#[tokio::test(flavor = "multi_thread")]
async fn a_checkout_that_outlasts_the_wait_is_202_and_a_change_that_cannot_be_applied_is_503() {
    // Nothing listens where the worker looks for Stripe: the payment retries on and on.
    let Some(mut app) = TestApp::spawn_with(TestAppOptions {
        stripe_url: Some(format!("http://127.0.0.1:{}", free_port())),
        ..Default::default()
    })
    .await
    else {
        return;
    };
    let settings = Settings {
        checkout_wait: Duration::from_secs(3),
        ..Settings::default()
    };
    let carts = app.carts.clone().with_rpc_timeout(Duration::from_secs(4));
    let api = Api::spawn_with(&app, carts, settings).await;
    let id = api.new_cart().await;
    assert_eq!(api.add(&id, 1, 1).await.0, StatusCode::OK);

    let started = Instant::now();
    let (status, body) = api
        .put(
            &format!("/cart/{id}/checkout"),
            r#"{"Email": "slow@example.com"}"#,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["poll"], format!("/cart/{id}"));
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "answered after {:?}",
        started.elapsed()
    );
    let (_, cart) = api.get(&format!("/cart/{id}")).await;
    assert_eq!(cart["status"], "checking_out", "the payment goes on: {cart}");

    // No worker: a change cannot be applied in time. 503 with Retry-After, and the retry with
    // the same key once a worker is back is applied exactly once.
    let other = api.new_cart().await;
    app.stop_worker();
    let body = r#"{"ProductId": 2, "Quantity": 3}"#;
    let (status, error, retry_after) = put_raw(&api, &format!("/cart/{other}/add"), body, Some("late-1")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{error}");
    assert_eq!(error["error"]["code"], "temporal_timeout");
    assert!(retry_after.is_some(), "503 says when to retry");
    app.start_worker(app.stripe.url.clone(), outbox(&app));
    let (status, cart) = eventually("the retried change", Duration::from_secs(30), || async {
        let (status, cart, _) = put_raw(&api, &format!("/cart/{other}/add"), body, Some("late-1")).await;
        (status == StatusCode::OK).then_some((status, cart))
    })
    .await;
    assert_eq!(
        (status, &cart["item_count"]),
        (StatusCode::OK, &json!(3)),
        "applied once: {cart}"
    );
}

fn outbox(app: &TestApp) -> app::email::Mailer {
    app::email::Mailer::outbox(app.outbox.clone(), "Shop <shop@test>").unwrap()
}

/// A PUT answered as status, JSON body and `Retry-After`.
async fn put_raw(api: &Api, path: &str, body: &str, key: Option<&str>) -> (StatusCode, Value, Option<String>) {
    let mut req = api
        .http()
        .put(format!("{}{path}", api.base))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let r = req.send().await.unwrap();
    let retry = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (r.status(), r.json().await.unwrap_or(Value::Null), retry)
}

#[tokio::test(flavor = "multi_thread")]
async fn carts_on_a_killed_worker_answer_again_within_seconds() {
    let Some(app) = TestApp::spawn_without_worker().await else {
        return;
    };
    let mut first = app.worker_process(&app.stripe.url, "worker-1");
    let mut ids = vec![];
    for _ in 0..12 {
        let id = app.new_cart().await;
        app.add(&id, 1, 1).await.unwrap();
        ids.push(id);
    }
    // Keep every cart busy, so changes and their workflow tasks are in flight when it dies.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy: Vec<_> = ids
        .iter()
        .map(|id| {
            let (carts, id, stop) = (app.carts.clone(), id.clone(), stop.clone());
            tokio::spawn(async move {
                let add = || {
                    CartChange::Add(ItemChange {
                        product_id: 2,
                        quantity: 1,
                    })
                };
                let mut last = carts.change(&id, add(), None).await;
                while !stop.load(Ordering::Relaxed) {
                    last = carts.change(&id, add(), None).await;
                }
                (last, Instant::now())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    first.kill_hard().await;
    let killed = Instant::now();
    stop.store(true, Ordering::Relaxed);
    let _second = app.worker_process(&app.stripe.url, "worker-2");
    // Every cart takes a new change; the slowest one says how long recovery took.
    let recovered = futures::future::join_all(ids.iter().map(|id| async {
        eventually("the cart to take a change", Duration::from_secs(60), || async {
            app.remove(id, 1, 1).await.ok()
        })
        .await;
        killed.elapsed()
    }))
    .await;
    let slowest = recovered.into_iter().max().unwrap();
    assert!(
        slowest < Duration::from_secs(6),
        "the slowest cart answered {slowest:?} after the kill (the workflow task timeout and the sticky queue decide it)"
    );
    // A change that was in flight at the kill is applied too, as quickly.
    for b in busy {
        let (last, ended) = b.await.unwrap();
        assert!(last.is_ok(), "an in-flight change failed: {last:?}");
        let took = ended.saturating_duration_since(killed);
        assert!(
            took < Duration::from_secs(6),
            "an in-flight change took {took:?} after the kill"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_fails_fast_while_temporal_is_down() {
    let Some(mut app) = TestApp::spawn().await else { return };
    let api = Api::spawn(&app).await;
    assert_eq!(api.get("/readyz").await.0, StatusCode::OK);
    app.temporal.kill().await;
    for _ in 0..2 {
        let started = Instant::now();
        let (status, body) = api.get("/readyz").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(body["error"]["code"].is_string(), "{body}");
        // The gRPC error's own text (hosts, ports, transport internals) stays in the log.
        assert_eq!(
            body["error"]["message"], "the cart service is unavailable right now; retry shortly",
            "{body}"
        );
        assert!(
            started.elapsed() < Duration::from_millis(2500),
            "took {:?}",
            started.elapsed()
        );
    }
    app.temporal.relaunch().await;
    eventually("ready again", Duration::from_secs(30), || async {
        (api.get("/readyz").await.0 == StatusCode::OK).then_some(())
    })
    .await;
    app.stop_worker();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_error_has_the_json_shape_including_actix_webs_own() {
    let Some(app) = TestApp::spawn().await else { return };
    let api = Api::spawn(&app).await;
    let id = api.new_cart().await;
    let http = api.http();
    let url = |p: &str| format!("{}{p}", api.base);

    let r = http.get(url("/no/such/route")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "not_found");

    for (method, path, allow) in [
        (reqwest::Method::POST, format!("/cart/{id}/add"), "PUT"),
        (reqwest::Method::DELETE, "/cart".to_owned(), "POST"),
        (reqwest::Method::PUT, format!("/cart/{id}"), "GET"),
    ] {
        let r = http.request(method.clone(), url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(r.headers()["allow"], allow, "{method} {path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed", "{body}");
    }

    let r = http
        .put(url(&format!("/cart/{id}/add")))
        .header("content-type", "application/json")
        .body(vec![b' '; 40 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "payload_too_large");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idempotency_key_reused_for_another_request_is_refused() {
    let Some(app) = TestApp::spawn().await else { return };
    let api = Api::spawn(&app).await;
    let id = api.new_cart().await;
    let add = format!("/cart/{id}/add");
    let (status, first) = api.put(&add, r#"{"ProductId": 3, "Quantity": 2}"#, Some("key-1")).await;
    assert_eq!(status, StatusCode::OK);
    // The same request, spelled differently, is the same request.
    let (status, again) = api
        .put(&add, r#"{"product_id": 3, "quantity": 2}"#, Some("key-1"))
        .await;
    assert_eq!((status, &again), (StatusCode::OK, &first));

    let (status, body) = api.put(&add, r#"{"ProductId": 3, "Quantity": 5}"#, Some("key-1")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["code"], "idempotency_key_reused");
    assert_eq!(body["error"]["field"], "Idempotency-Key");
    let (status, body) = api
        .put(
            &format!("/cart/{id}/remove"),
            r#"{"ProductId": 3, "Quantity": 2}"#,
            Some("key-1"),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("idempotency_key_reused")),
        "{body}"
    );
    let (_, cart) = api.get(&format!("/cart/{id}")).await;
    assert_eq!(cart["item_count"], 2, "only the first request changed the cart: {cart}");
}
