//! Traces across the hop, on the worker and gateway binaries exporting to an OTLP collector: a
//! checkout that arrives with a W3C `traceparent` and an `X-Request-Id` is one trace from the
//! gateway's request span to the worker's update handler, payment and order activities and the
//! order workflow's start; both processes log lines with its trace id and request id, and name
//! the cart by its tag, never by its id or the shopper's address. Request ids are echoed, or
//! made when missing or malformed.
use crate::helpers::{ChildProc, Collector, TestApp, eventually, free_port, process_wait};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CALLER_SPAN: &str = "00f067aa0ba902b7";
const EMAIL: &str = "traced.shopper@example.com";

fn request_id(r: &reqwest::Response) -> String {
    r.headers()
        .get("x-request-id")
        .expect("every answer has a request id")
        .to_str()
        .unwrap()
        .to_owned()
}

fn named<'a>(spans: &'a [Value], service: &str, name: &str) -> Option<&'a Value> {
    spans
        .iter()
        .find(|s| s["service"] == service && s["name"] == name && s["trace_id"] == TRACE)
}

fn line_with(log: &str, parts: &[&str]) -> bool {
    log.lines().any(|line| parts.iter().all(|p| line.contains(p)))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checkout_is_one_trace_from_gateway_to_worker() {
    let Some(app) = TestApp::spawn_without_worker().await else {
        return;
    };
    let Some(collector) = Collector::start(app.dir.path()).await else {
        return;
    };
    let otel = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url.clone()),
        // Export every 100 ms instead of every 5 s, so the test sees spans soon after they end.
        ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
    ];
    let mut env = app.worker_env(&app.stripe.url);
    env.extend(otel.iter().cloned());
    let worker_log = app.dir.path().join("worker.log");
    let _worker = ChildProc::spawn(&crate::helpers::workspace_binary("worker"), &[], &env, &worker_log);
    let port = free_port();
    let _gateway = app.gateway_process(port, &otel, "gateway");
    process_wait(port, "the gateway").await;
    let (url, http) = (format!("http://127.0.0.1:{port}"), reqwest::Client::new());

    // No request id: one is made. A malformed one (it would forge log lines) is replaced.
    let r = http.post(format!("{url}/cart")).send().await.unwrap();
    let made = request_id(&r);
    assert!(app::traces::is_request_id(&made) && made.len() == 32, "{made}");
    let id = r.json::<Value>().await.unwrap()["workflowID"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = http
        .put(format!("{url}/cart/{id}/add"))
        .header("X-Request-Id", "forged\tline request_id=admin")
        .json(&json!({"product_id": 1, "quantity": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let replaced = request_id(&r);
    assert!(app::traces::is_request_id(&replaced) && replaced != made, "{replaced}");

    let r = http
        .put(format!("{url}/cart/{id}/checkout"))
        .header("traceparent", format!("00-{TRACE}-{CALLER_SPAN}-01"))
        .header("X-Request-Id", "checkout-7")
        .json(&json!({"Email": EMAIL}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(request_id(&r), "checkout-7", "a well-formed request id is kept");

    let spans = eventually(
        "the worker's spans of the checkout",
        Duration::from_secs(30),
        || async {
            let spans = collector.spans();
            let done = named(&spans, "shop-worker", "RunActivity:place_order").is_some()
                && named(&spans, "shop-webapp", "PUT /cart/{id}/checkout").is_some();
            done.then_some(spans)
        },
    )
    .await;
    let dump = serde_json::to_string_pretty(&spans).unwrap();
    let server = named(&spans, "shop-webapp", "PUT /cart/{id}/checkout").unwrap();
    assert_eq!(server["kind"], "server");
    assert_eq!(server["parent_span_id"], CALLER_SPAN, "the caller's trace is continued");
    assert_eq!(server["attributes"]["shop.request_id"], "checkout-7");
    assert_eq!(server["attributes"]["http.response.status_code"], 200);
    let client = named(&spans, "shop-webapp", "StartWorkflowUpdate:checkout").expect(&dump);
    assert_eq!(client["parent_span_id"], server["span_id"], "{dump}");
    let handler = named(&spans, "shop-worker", "HandleUpdate:checkout").expect(&dump);
    assert_eq!(handler["parent_span_id"], client["span_id"], "the hop: {dump}");
    // The payment runs in the workflow's main loop, yet belongs to the checkout's trace.
    let payment = named(&spans, "shop-worker", "RunActivity:start_payment").expect(&dump);
    assert_eq!(payment["attributes"]["temporalWorkflowID"], id.as_str(), "{dump}");
    assert!(
        named(&spans, "shop-worker", "StartWorkflow:OrderWorkflow").is_some(),
        "the order workflow starts in the same trace: {dump}"
    );
    assert!(!dump.contains(EMAIL), "no email in a span: {dump}");

    let logs = eventually(
        "both processes to log the checkout's ids",
        Duration::from_secs(10),
        || async {
            let worker = std::fs::read_to_string(&worker_log).unwrap_or_default();
            let gateway = std::fs::read_to_string(app.dir.path().join("gateway.log")).unwrap_or_default();
            let ids = [&format!("trace_id={TRACE}") as &str, "request_id=checkout-7"];
            let seen = line_with(&gateway, &[&["answered", "/cart/{id}/checkout"][..], &ids].concat())
                && line_with(&worker, &[&["order recorded"][..], &ids].concat());
            seen.then_some((worker, gateway))
        },
    )
    .await;
    // The cart id is a bearer credential: logs name the cart by its tag, in both processes.
    let tag = format!("cart={}", app::domain::CartId::parse(&id).unwrap().tag());
    for log in [&logs.0, &logs.1] {
        assert!(!log.contains(EMAIL), "no email in the logs");
        assert!(!log.contains("forged"), "a malformed request id is not logged");
        assert!(!log.contains(&id), "no cart id in the logs: {log}");
        assert_eq!(app::domain::redact::addresses(log), **log, "no address of any kind");
        assert!(log.contains(&tag), "the cart is named by its tag ({tag}): {log}");
    }
}
