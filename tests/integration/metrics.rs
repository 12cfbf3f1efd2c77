//! Metrics, scraped from the worker and gateway binaries after shopper journeys: the worker's
//! Prometheus endpoint has the SDK's own metrics and the shop's counters (carts started,
//! checkouts by outcome, reminders, order transitions) and the payment call histogram; the
//! gateway's `/metrics` has requests by route pattern, never a cart id.
use crate::helpers::{ChildProc, TestApp, eventually, free_port, process_wait};
use reqwest::StatusCode;
use serde_json::json;
use starter::shop_client::ShopClient;
use std::time::Duration;

/// The gateway binary takes tokens of 32 characters or more only, each its own.
const ORDERS: &str = "test-orders-token-0123456789abcdef";
const METRICS: &str = "test-metrics-token-0123456789abcdef";

/// The value of the series `name{labels}` (labels as Prometheus prints them, or `""`), if present.
fn series(text: &str, name: &str, labels: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|line| {
        let (key, value) = line.rsplit_once(' ')?;
        let matches = match key.split_once('{') {
            Some((n, rest)) => {
                n == name
                    && rest
                        .trim_end_matches('}')
                        .split(',')
                        .any(|l| labels.is_empty() || l == labels)
            }
            None => key == name && labels.is_empty(),
        };
        matches.then(|| value.parse().ok()).flatten()
    })
}

/// The sum of every series of `name`, whatever its labels.
fn total(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            (key.split('{').next() == Some(name))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn worker_and_gateway_metrics_move_with_a_journey() {
    let Some(app) = TestApp::spawn_without_worker().await else {
        return;
    };
    let metrics_port = free_port();
    let mut env = app.worker_env(&app.stripe.url);
    env.push(("SHOP_METRICS_ADDRESS", format!("127.0.0.1:{metrics_port}")));
    env.push(("SHOP_ORDER_STEP", "300ms".into()));
    let log = app.dir.path().join("worker.log");
    let _worker = ChildProc::spawn(&crate::helpers::workspace_binary("worker"), &[], &env, &log);
    let port = free_port();
    let _gateway = app.gateway_process(
        port,
        &[
            ("SHOP_ORDERS_TOKEN", ORDERS.into()),
            ("SHOP_METRICS_TOKEN", METRICS.into()),
            ("SHOP_REMINDER_AFTER", "700ms".into()),
        ],
        "gateway",
    );
    process_wait(port, "the gateway").await;
    process_wait(metrics_port, "the worker's metrics").await;
    let (url, http) = (format!("http://127.0.0.1:{port}"), reqwest::Client::new());

    let shop = ShopClient::with_http(url.clone(), http.clone());
    let new_cart = || async {
        let id = shop.new_cart().await.unwrap().cart_id().unwrap().to_owned();
        assert_eq!(shop.add(&id, 1, 1).await.unwrap().status, StatusCode::OK);
        id
    };
    // One cart left alone after its email: a reminder. One declined, then paid.
    let quiet = new_cart().await;
    let r = shop.set_email(&quiet, "quiet@example.com").await.unwrap();
    assert_eq!(r.status, StatusCode::OK);
    let paid = new_cart().await;
    let checkout = |card: Option<&'static str>| {
        let mut body = json!({"Email": "metrics@example.com"});
        if let Some(card) = card {
            body["PaymentMethod"] = card.into();
        }
        http.put(format!("{url}/cart/{paid}/checkout")).json(&body).send()
    };
    assert_eq!(
        checkout(Some("pm_card_chargeCustomerFail")).await.unwrap().status(),
        StatusCode::PAYMENT_REQUIRED
    );
    assert_eq!(checkout(None).await.unwrap().status(), StatusCode::OK);

    let worker = eventually("the shop's counters to move", Duration::from_secs(30), || async {
        let text = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        let moved = total(&text, "shop_reminders_sent") >= 1.0
            && series(&text, "shop_order_transitions", r#"status="processing""#)? >= 1.0;
        moved.then_some(text)
    })
    .await;
    assert_eq!(total(&worker, "shop_carts_started"), 2.0, "{worker}");
    assert_eq!(
        series(&worker, "shop_checkouts", r#"outcome="paid""#),
        Some(1.0),
        "{worker}"
    );
    assert_eq!(
        series(&worker, "shop_checkouts", r#"outcome="declined""#),
        Some(1.0),
        "{worker}"
    );
    assert!(total(&worker, "shop_payment_call_duration_count") >= 2.0, "{worker}");
    assert!(
        worker.contains("temporal_workflow_completed"),
        "the SDK's own metrics: {worker}"
    );
    assert!(
        !worker.contains(&paid) && !worker.contains("@example.com"),
        "no cart id or email in a label"
    );

    let r = http.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = http
        .get(format!("{url}/metrics"))
        .bearer_auth(ORDERS)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "the orders token does not open the metrics"
    );
    let gateway = http
        .get(format!("{url}/metrics"))
        .bearer_auth(METRICS)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let adds = series(&gateway, "shop_http_requests_total", r#"route="/cart/{id}/add""#);
    assert!(adds.unwrap_or(0.0) >= 2.0, "{gateway}");
    assert!(!gateway.contains(&paid), "no cart id in a label");
}

/// The lines of a scrape that are series, leaving out the scrapes' own (`GET /metrics`), which
/// the previous scrape added.
fn series_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.contains(r#"route="/metrics""#))
        .collect()
}

/// A method is any token a client sends: 50 requests with invented ones leave the gateway's
/// `/metrics` with as many series as 5 did, all under one `_OTHER` method, none named as sent.
#[tokio::test(flavor = "multi_thread")]
async fn invented_http_methods_do_not_grow_the_gateway_s_metrics() {
    let Some(app) = TestApp::spawn().await else { return };
    let api = crate::webapp::Api::spawn(&app).await;
    let invent = |i: usize| {
        let method = reqwest::Method::from_bytes(format!("INVENTED{i}").as_bytes()).unwrap();
        api.http().request(method, format!("{}/products", api.base)).send()
    };
    let scrape = || async {
        let r = api
            .http()
            .get(format!("{}/metrics", api.base))
            .bearer_auth(crate::webapp::METRICS_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        r.text().await.unwrap()
    };
    for i in 0..5 {
        invent(i).await.unwrap();
    }
    let before = scrape().await;
    for i in 5..55 {
        invent(i).await.unwrap();
    }
    let after = scrape().await;
    assert_eq!(
        series_lines(&after).len(),
        series_lines(&before).len(),
        "before:\n{before}\nafter:\n{after}"
    );
    assert!(!after.contains("INVENTED"), "{after}");
    let folded: f64 = series_lines(&after)
        .iter()
        .filter(|l| l.starts_with("shop_http_requests_total{") && l.contains(r#"method="_OTHER""#))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum();
    assert_eq!(folded, 55.0, "{after}");
}
