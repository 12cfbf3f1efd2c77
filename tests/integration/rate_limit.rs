//! The per-client limits: requests past the burst, and failed token checks past a few a minute,
//! answer `429 rate_limited` with `Retry-After`; behind a proxy the client is the last address
//! of the trusted header's last line, whatever the client wrote before it; and gateways given
//! one Redis share one limit, each falling back to its own when Redis is not there.
use crate::helpers::{TestApp, free_port, process_wait};
use crate::webapp::{Api, METRICS_TOKEN, TOKEN};
use app::config::{RateLimitConfig, RequestRate};
use reqwest::StatusCode;
use serde_json::Value;
use std::num::NonZeroU32;
use std::time::Duration;
use webapp::startup::Settings;

fn behind_a_proxy(requests: Option<(u32, u32)>) -> Settings {
    let requests = requests.map(|(per_second, burst)| RequestRate {
        per_second: NonZeroU32::new(per_second).unwrap(),
        burst: NonZeroU32::new(burst).unwrap(),
    });
    Settings {
        rate_limit: Some(RateLimitConfig {
            requests,
            client_ip_header: Some("x-forwarded-for".into()),
            ..RateLimitConfig::default()
        }),
        ..Settings::default()
    }
}

/// `GET path` as the proxy passes it on: with the `X-Forwarded-For` lines given, the proxy's
/// own last. The status, `Retry-After` and the body.
async fn get(api: &Api, path: &str, forwarded: &[&str], token: Option<&str>) -> (StatusCode, Option<u64>, Value) {
    let mut req = api.http().get(format!("{}{path}", api.base));
    for line in forwarded {
        req = req.header("X-Forwarded-For", *line);
    }
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let retry_after = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (r.status(), retry_after, r.json().await.unwrap_or(Value::Null))
}

/// Past its burst a client gets 429 with `Retry-After` on shopper routes and `/readyz` alike,
/// and is served again once it has waited; writing other addresses in a line of its own before
/// the proxy's does not make it another client; another client has its own allowance.
#[tokio::test(flavor = "multi_thread")]
async fn past_its_burst_a_client_gets_429_whatever_it_writes_before_the_proxy_s_line() {
    let Some(app) = TestApp::spawn().await else { return };
    let api = Api::spawn_with(&app, app.carts.clone(), behind_a_proxy(Some((1, 3)))).await;
    for i in 0..3 {
        // The client's own X-Forwarded-For line changes every time; the proxy's line follows it.
        let spoofed = format!("203.0.113.{i}");
        let (status, _, body) = get(&api, "/products", &[&spoofed, "10.0.0.1, 198.51.100.1"], None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, retry_after, body) = get(&api, "/products", &["203.0.113.99", "198.51.100.1"], None).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    let wait = retry_after.expect("Retry-After");
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    let (status, _, _) = get(&api, "/readyz", &["198.51.100.1"], None).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "/readyz costs a Temporal call: limited too"
    );
    assert_eq!(get(&api, "/healthz", &["198.51.100.1"], None).await.0, StatusCode::OK);
    assert_eq!(get(&api, "/products", &["198.51.100.2"], None).await.0, StatusCode::OK);

    tokio::time::sleep(Duration::from_secs(wait)).await;
    let (status, _, _) = get(&api, "/products", &["198.51.100.1"], None).await;
    assert_eq!(status, StatusCode::OK, "served again after Retry-After");
}

/// Ten failed token checks a minute (401 or 403, on any token route), then the client's token
/// routes answer 429 before any token is looked at, the right one included; other clients, and
/// the same client's shopper routes, are served. This holds with the request rate off.
#[tokio::test(flavor = "multi_thread")]
async fn ten_failed_token_checks_then_429_even_for_the_right_token() {
    let Some(app) = TestApp::spawn().await else { return };
    let api = Api::spawn_with(&app, app.carts.clone(), behind_a_proxy(None)).await;
    let guesser = ["198.51.100.66"];
    for i in 0..10 {
        let (path, token) = match i % 3 {
            0 => ("/orders", None),
            1 => ("/orders", Some("guess-0123456789abcdef0123456789ab")),
            _ => ("/metrics", Some(TOKEN)),
        };
        let (status, _, body) = get(&api, path, &guesser, token).await;
        assert!(
            [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&status),
            "attempt {i}: {status} {body}"
        );
    }
    let (status, retry_after, body) = get(&api, "/orders", &guesser, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(retry_after.is_some_and(|s| (1..=6).contains(&s)), "{retry_after:?}");
    let (status, _, _) = get(&api, "/metrics", &guesser, Some(METRICS_TOKEN)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(get(&api, "/products", &guesser, None).await.0, StatusCode::OK);
    let (status, _, body) = get(&api, "/orders", &["198.51.100.67"], Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK, "another client: {body}");
}

/// Redis as every machine of the project runs it; `None` (after saying so) when it is not
/// there, and under `CI=true` a failure instead.
async fn redis() -> Option<&'static str> {
    const URL: &str = "redis://127.0.0.1:6379";
    if tokio::net::TcpStream::connect("127.0.0.1:6379").await.is_ok() {
        return Some(URL);
    }
    let msg = "Redis is not running on 127.0.0.1:6379";
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{msg}");
    eprintln!("SKIPPED: {msg}");
    None
}

/// Two gateway processes on one Redis share one allowance: a burst of 4 is 4 requests in all,
/// not 4 at each. A gateway whose Redis is not there serves (never a 500), limits on its own,
/// and says so once in its log.
#[tokio::test(flavor = "multi_thread")]
async fn two_gateways_on_one_redis_share_the_limit_and_fail_open_without_it() {
    let Some(redis) = redis().await else { return };
    let Some(app) = TestApp::spawn().await else { return };
    // A prefix of this test's own, so test runs sharing the machine's Redis do not meet.
    let prefix = format!("test:{}", app::domain::CartId::random());
    let limits = |url: String| {
        vec![
            ("SHOP_RATE_LIMIT", "1".to_owned()),
            ("SHOP_RATE_LIMIT_BURST", "4".to_owned()),
            ("SHOP_REDIS_URL", url),
            ("SHOP_REDIS_PREFIX", prefix.clone()),
        ]
    };
    let ports = [free_port(), free_port()];
    let _a = app.gateway_process(ports[0], &limits(redis.into()), "gateway-a");
    let _b = app.gateway_process(ports[1], &limits(redis.into()), "gateway-b");
    process_wait(ports[0], "gateway a").await;
    process_wait(ports[1], "gateway b").await;
    let http = reqwest::Client::new();
    let products = |port: u16| {
        let http = http.clone();
        async move {
            let r = http
                .get(format!("http://127.0.0.1:{port}/products"))
                .send()
                .await
                .unwrap();
            r.status()
        }
    };
    let mut answers = vec![];
    for i in 0..6 {
        answers.push(products(ports[i % 2]).await);
    }
    let ok = StatusCode::OK;
    let limited = StatusCode::TOO_MANY_REQUESTS;
    assert_eq!(answers, [ok, ok, ok, ok, limited, limited], "one allowance for both");

    let closed = free_port();
    let port = free_port();
    let _c = app.gateway_process(port, &limits(format!("redis://127.0.0.1:{closed}")), "gateway-c");
    process_wait(port, "gateway c").await;
    let mut answers = vec![];
    for _ in 0..6 {
        answers.push(products(port).await);
    }
    assert_eq!(answers, [ok, ok, ok, ok, limited, limited], "its own allowance, no 500");
    let log = std::fs::read_to_string(app.dir.path().join("gateway-c.log")).unwrap();
    assert_eq!(log.matches("Redis does not answer").count(), 1, "{log}");
}
