//! Customer data encrypted in Temporal: the worker and gateway binaries with `SHOP_PAYLOAD_KEYS`
//! leave no email in any history on the server (read straight from it, without the codec), the
//! cart still works end to end, a cart written before the codec was on keeps working, and the
//! `/codec` endpoint, behind its own token, decrypts what the server holds.
use crate::helpers::{ChildProc, TestApp, eventually, free_port, process_wait};
use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use temporalio_client::{WorkflowFetchHistoryOptions, WorkflowListOptions};

pub(crate) const KEYS: &str = "2026-12:q83vEjRWeJASNFZ4kKvN7xI0VniQq83vEjRWeJCrze8=";
/// The gateway binary takes tokens of 32 characters or more only.
const OPERATOR: &str = "test-operator-token-0123456789abcdef";
const CODEC: &str = "test-codec-token-0123456789abcdef";

struct Stack {
    url: String,
    _worker: ChildProc,
    _gateway: ChildProc,
}

async fn stack(app: &TestApp, keys: Option<&str>, name: &str) -> Stack {
    let extra: Vec<(&'static str, String)> = match keys {
        Some(k) => vec![
            ("SHOP_PAYLOAD_KEYS", k.into()),
            ("SHOP_OPERATOR_TOKEN", OPERATOR.into()),
            ("SHOP_CODEC_TOKEN", CODEC.into()),
        ],
        None => vec![],
    };
    let mut worker_env = app.worker_env(&app.stripe.url);
    worker_env.extend_from_slice(&extra);
    let log = app.dir.path().join(format!("worker-{name}.log"));
    let worker = ChildProc::spawn(&crate::helpers::workspace_binary("worker"), &[], &worker_env, &log);
    let port = free_port();
    let gateway = app.gateway_process(port, &extra, &format!("gateway-{name}"));
    process_wait(port, "the gateway").await;
    Stack {
        url: format!("http://127.0.0.1:{port}"),
        _worker: worker,
        _gateway: gateway,
    }
}

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = req.send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// A cart with one item and `email`; its id.
async fn cart_with_email(http: &reqwest::Client, url: &str, email: &str) -> String {
    let (status, body) = send(http.post(format!("{url}/cart"))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["workflowID"].as_str().unwrap().to_owned();
    let (status, body) = send(
        http.put(format!("{url}/cart/{id}/add"))
            .json(&json!({"product_id": 2, "quantity": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(
        http.put(format!("{url}/cart/{id}/email"))
            .json(&json!({"Email": email})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

/// Every history on the server (carts and orders), as the server stores it: its JSON followed
/// by the bytes of each of its payloads (base64 in the JSON), so a search sees both.
pub(crate) async fn all_histories(app: &TestApp) -> Vec<(String, Value, String)> {
    let client = app.carts.client();
    let mut out = vec![];
    let mut list = client.list_workflows("", WorkflowListOptions::default());
    while let Some(execution) = list.next().await {
        let execution = execution.unwrap();
        // No continue-as-new in this test, so a workflow's latest run is its only one.
        let id = execution.id().to_owned();
        let history = client
            .get_workflow_handle::<app::workflows::cart::CartWorkflow>(id.clone())
            .fetch_history(WorkflowFetchHistoryOptions::default())
            .to_json()
            .await
            .unwrap();
        let json: Value = serde_json::from_slice(&history).unwrap();
        let mut text = String::from_utf8(history).unwrap();
        let mut found = vec![];
        payloads(&json, &mut found);
        for p in found {
            text.push_str(&String::from_utf8_lossy(&unbase64(p["data"].as_str().unwrap_or(""))));
        }
        out.push((id, json, text));
    }
    out
}

fn unbase64(s: &str) -> Vec<u8> {
    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, s).unwrap()
}

/// Every `{"metadata": .., "data": ..}` object in a history's JSON.
fn payloads(v: &Value, out: &mut Vec<Value>) {
    match v {
        Value::Object(m) if m.contains_key("metadata") && m.contains_key("data") => out.push(v.clone()),
        Value::Object(m) => m.values().for_each(|v| payloads(v, out)),
        Value::Array(a) => a.iter().for_each(|v| payloads(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_codec_on_no_email_reaches_temporal_and_carts_still_work() {
    let Some(app) = TestApp::spawn_without_worker().await else {
        return;
    };
    let http = reqwest::Client::new();

    // Codec off: the email is there in plain text, so the search below can find one.
    let before = stack(&app, None, "plain").await;
    let old = cart_with_email(&http, &before.url, "before.codec@example.com").await;
    drop(before);
    let plain = all_histories(&app).await;
    assert!(plain.iter().any(|(_, _, h)| h.contains("before.codec@example.com")));

    let on = stack(&app, Some(KEYS), "sealed").await;
    // The startup line says the keys are set, never what they are.
    let log = eventually("the worker's startup line", Duration::from_secs(20), || async {
        let log = std::fs::read_to_string(app.dir.path().join("worker-sealed.log")).ok()?;
        log.contains("settings in force").then_some(log)
    })
    .await;
    assert!(log.contains("SHOP_PAYLOAD_KEYS=<redacted>"), "{log}");
    assert!(!log.contains(KEYS.split(':').nth(1).unwrap()), "{log}");
    // The cart written without the codec keeps working with it.
    let (status, body) = send(
        http.put(format!("{}/cart/{old}/add", on.url))
            .json(&json!({"product_id": 3, "quantity": 1})),
    )
    .await;
    assert_eq!(
        (status, body["lines"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(2)),
        "{body}"
    );

    let id = cart_with_email(&http, &on.url, "sealed.shopper@example.com").await;
    let (status, body) = send(http.get(format!("{}/cart/{id}", on.url))).await;
    assert_eq!(
        (status, body["email"].as_str()),
        (StatusCode::OK, Some("sealed.shopper@example.com"))
    );
    // A refusal still reaches the shopper as its code, though its message travels encoded.
    let declined = json!({"Email": "sealed.shopper@example.com", "PaymentMethod": "pm_card_chargeCustomerFail"});
    let (status, body) = send(http.put(format!("{}/cart/{id}/checkout", on.url)).json(&declined)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::PAYMENT_REQUIRED, Some("payment_declined")),
        "{body}"
    );
    let (status, body) = send(
        http.put(format!("{}/cart/{id}/checkout", on.url))
            .json(&json!({"Email": "sealed.shopper@example.com"})),
    )
    .await;
    assert_eq!(
        (status, body["receipt"]["status"].as_str()),
        (StatusCode::OK, Some("checked_out")),
        "{body}"
    );

    let sealed = all_histories(&app).await;
    assert!(
        sealed.iter().any(|(wf, _, _)| wf != &id && wf != &old),
        "the order's workflow is listed too"
    );
    for (wf, _, history) in &sealed {
        assert!(!history.contains("sealed.shopper"), "{wf}'s history holds the email");
    }
    let (_, cart_history, _) = sealed.iter().find(|(wf, _, _)| wf == &id).unwrap();
    let mut found = vec![];
    payloads(cart_history, &mut found);
    let b64 = |s: &str| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, s);
    // Markers' own details (a patch's name, a local activity's sequence number and times) are
    // written by the SDK's core, not through the codec, and search
    // attributes (typed: `metadata.type`) must stay readable for the server to index them; both
    // hold patch names or the cart's counts, nothing of the shopper's.
    found.retain(|p| {
        if p["metadata"].get("type").is_some() {
            return false;
        }
        let bytes = unbase64(p["data"].as_str().unwrap_or(""));
        // The tracing plugin's `_tracer-data` headers stay readable too, as in every Temporal
        // SDK: trace ids and the gateway's request id.
        if let Ok(fields) = serde_json::from_slice::<std::collections::HashMap<String, String>>(&bytes)
            && fields.contains_key("traceparent")
            && fields
                .keys()
                .all(|k| ["traceparent", "tracestate", "baggage"].contains(&k.as_str()))
        {
            return false;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let patch_marker = text.starts_with(r#"{"id":"#) && text.contains(r#""deprecated":"#);
        // A local activity's marker: its sequence number, attempt, type and times.
        let local_activity_marker = text.starts_with(r#"{"seq":"#) && text.contains(r#""activity_type":"#);
        !(patch_marker || local_activity_marker)
    });
    assert!(found.len() >= 4, "inputs, update arguments and results: {found:?}");
    for p in &found {
        assert_eq!(p["metadata"]["encoding"], b64("binary/encrypted"), "{p}");
        assert_eq!(p["metadata"]["encryption-key-id"], b64("2026-12"), "{p}");
    }

    // The Web UI's remote codec: behind its own token (not the operators', who look carts up),
    // and it reads what the server holds.
    let decode = format!("{}/codec/decode", on.url);
    let body = json!({ "payloads": found });
    assert_eq!(send(http.post(&decode).json(&body)).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        send(http.post(&decode).bearer_auth("wrong").json(&body)).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        send(http.post(&decode).bearer_auth(OPERATOR).json(&body)).await.0,
        StatusCode::FORBIDDEN,
        "the operator token does not decrypt"
    );
    let (status, decoded) = send(http.post(&decode).bearer_auth(CODEC).json(&body)).await;
    assert_eq!(status, StatusCode::OK, "{decoded}");
    let texts: Vec<String> = decoded["payloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| String::from_utf8_lossy(&unbase64(p["data"].as_str().unwrap())).into_owned())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("sealed.shopper@example.com")),
        "{texts:?}"
    );
    // encode, then decode, gives back what was sent.
    let original = json!({"payloads": [{"metadata": {"encoding": b64("json/plain")}, "data": b64("{\"a\":1}")}]});
    let (status, encoded) = send(
        http.post(format!("{}/codec/encode", on.url))
            .bearer_auth(CODEC)
            .json(&original),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(encoded, original);
    let (_, round) = send(http.post(&decode).bearer_auth(CODEC).json(&encoded)).await;
    assert_eq!(round, original);
    let (status, body) = send(
        http.post(&decode)
            .bearer_auth(CODEC)
            .json(&json!({"payloads": [{"metadata": {}, "data": "%%"}]})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("payloads[0].data"))
    );
}
