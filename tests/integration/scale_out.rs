//! More than one of each: two workers and two gateways (all separate processes) on one
//! Temporal server. Shoppers spread their requests over both gateways; one worker is killed
//! with SIGKILL in the middle. A client retries a request that failed (a 5xx, or no answer)
//! with its `Idempotency-Key`, as the API asks, and in the end every request that got a 2xx
//! is in its cart exactly once, and no request is left without a 2xx. And the only worker
//! killed under load and restarted 3 s later: no 500, and a bound on each cart's stall.
use crate::helpers::{TestApp, free_port, process_wait};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SHOPPERS: usize = 6;
const ADDS: u32 = 8;

/// Sends a change until it gets a 2xx: a 5xx or a lost answer is retried with the same key.
async fn add_until_done(http: &reqwest::Client, gateways: &[String], n: usize, id: &str, product: u32) -> u32 {
    let key = format!("{id}-add-{n}");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut tries = 0;
    loop {
        let base = &gateways[(n + tries) % gateways.len()];
        tries += 1;
        let sent = http
            .put(format!("{base}/cart/{id}/add"))
            .header("Idempotency-Key", &key)
            .json(&json!({"product_id": product, "quantity": 1}))
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return 1,
            Ok(r) if r.status().is_server_error() => {}
            Ok(r) => panic!("{} for {key}: {}", r.status(), r.text().await.unwrap_or_default()),
            Err(_) => {}
        }
        assert!(Instant::now() < deadline, "{key} never got a 2xx");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_and_two_gateways_lose_nothing_when_a_worker_is_killed() {
    let Some(app) = TestApp::spawn_without_worker().await else {
        return;
    };
    let mut first = app.worker_process(&app.stripe.url, "worker-1");
    let _second = app.worker_process(&app.stripe.url, "worker-2");
    let ports = [free_port(), free_port()];
    let _gateways: Vec<_> = ports
        .iter()
        .enumerate()
        .map(|(n, port)| app.gateway_process(*port, &[("SHOP_RATE_LIMIT", "off".into())], &format!("gateway-{n}")))
        .collect();
    for port in ports {
        process_wait(port, "a gateway").await;
    }
    let gateways: Vec<String> = ports.iter().map(|p| format!("http://127.0.0.1:{p}")).collect();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();

    let mut ids = vec![];
    for n in 0..SHOPPERS {
        let r = http.post(format!("{}/cart", gateways[n % 2])).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        ids.push(
            r.json::<Value>().await.unwrap()["workflowID"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let done = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let shoppers: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(s, id)| {
            let (http, gateways, id, done) = (http.clone(), gateways.clone(), id.clone(), done.clone());
            tokio::spawn(async move {
                let mut added = [0u32; 4];
                for n in 0..ADDS as usize {
                    let product = ((s + n) % 4) as u32;
                    added[product as usize] += add_until_done(&http, &gateways, n, &id, product).await;
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(150)).await;
                }
                added
            })
        })
        .collect();
    // Mid-journey: some changes applied, most still to come.
    let total = SHOPPERS as u32 * ADDS;
    crate::helpers::eventually("a few changes", Duration::from_secs(30), || async {
        (done.load(std::sync::atomic::Ordering::SeqCst) >= total / 4).then_some(())
    })
    .await;
    first.kill_hard().await;
    let at_kill = done.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        at_kill < total,
        "the kill came before the end ({at_kill} of {total} done)"
    );

    for (id, shopper) in ids.iter().zip(shoppers) {
        let added = shopper.await.unwrap();
        let r = http.get(format!("{}/cart/{id}", gateways[0])).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let cart: Value = r.json().await.unwrap();
        for (product, want) in added.iter().enumerate() {
            let have = cart["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["product_id"] == product)
                .map_or(0, |l| l["quantity"].as_u64().unwrap());
            assert_eq!(have, u64::from(*want), "product {product} in {id}: {cart}");
        }
        assert_eq!(cart["item_count"], ADDS, "{cart}");
    }
}

/// What one shopper saw: every answer's status (with the error code of a 5xx), and how long
/// each change took counted from the worker's kill (zero for the changes done before it).
#[derive(Default)]
struct Journey {
    statuses: Vec<(u16, String)>,
    stalls: Vec<Duration>,
    added: [u32; 4],
}

/// The probe, smaller: shoppers change their carts through the gateway while the only
/// worker is killed with SIGKILL and restarted 3 s later. A client retries a 503 after its
/// `Retry-After` with the same `Idempotency-Key` (and a lost answer the same way), as the API
/// asks. No answer is a 500, every change is applied exactly once, and no cart is stalled for
/// long: the worst time from the kill to a cart's change being answered stays under 10 s.
#[tokio::test(flavor = "multi_thread")]
async fn a_killed_worker_costs_no_500_and_a_few_seconds_per_cart() {
    const CARTS: usize = 16;
    const CHANGES: usize = 10;
    let Some(app) = TestApp::spawn_without_worker().await else {
        return;
    };
    let mut first = app.worker_process(&app.stripe.url, "worker-1");
    let port = free_port();
    let _gateway = app.gateway_process(port, &[("SHOP_RATE_LIMIT", "off".into())], "gateway");
    process_wait(port, "the gateway").await;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let killed_at = std::sync::Arc::new(std::sync::OnceLock::<Instant>::new());
    let shoppers: Vec<_> = (0..CARTS)
        .map(|s| {
            let (http, base, done, killed_at) = (http.clone(), base.clone(), done.clone(), killed_at.clone());
            tokio::spawn(async move {
                let r = http.post(format!("{base}/cart")).send().await.unwrap();
                let id = r.json::<Value>().await.unwrap()["workflowID"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                let mut journey = Journey::default();
                for n in 0..CHANGES {
                    let product = (s + n) % 4;
                    let key = format!("{id}-add-{n}");
                    let sent = Instant::now();
                    let deadline = sent + Duration::from_secs(60);
                    loop {
                        let answer = http
                            .put(format!("{base}/cart/{id}/add"))
                            .header("Idempotency-Key", &key)
                            .json(&json!({"product_id": product, "quantity": 1}))
                            .send()
                            .await;
                        let wait = match answer {
                            Ok(r) if r.status().is_success() => break,
                            Ok(r) => {
                                let status = r.status();
                                let retry_after = r
                                    .headers()
                                    .get("retry-after")
                                    .and_then(|v| v.to_str().ok()?.parse().ok());
                                let body: Value = r.json().await.unwrap_or_default();
                                let code = body["error"]["code"].as_str().unwrap_or_default().to_owned();
                                journey.statuses.push((status.as_u16(), code));
                                if status != StatusCode::SERVICE_UNAVAILABLE {
                                    break;
                                }
                                Duration::from_secs(retry_after.expect("a 503 says when to retry"))
                            }
                            Err(_) => Duration::from_millis(300),
                        };
                        assert!(Instant::now() < deadline, "{key} never got a 2xx");
                        tokio::time::sleep(wait).await;
                    }
                    journey.added[product] += 1;
                    let answered = Instant::now();
                    // A change in flight at the kill, or sent after it, counts from the later.
                    if let Some(&killed) = killed_at.get() {
                        journey.stalls.push(answered - sent.max(killed));
                    }
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                (id, journey)
            })
        })
        .collect();
    let total = CARTS * CHANGES;
    crate::helpers::eventually("a few changes", Duration::from_secs(60), || async {
        (done.load(std::sync::atomic::Ordering::SeqCst) >= total / 4).then_some(())
    })
    .await;
    first.kill_hard().await;
    killed_at.set(Instant::now()).unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _second = app.worker_process(&app.stripe.url, "worker-2");

    let mut worst = Duration::ZERO;
    let mut answers_5xx = vec![];
    for shopper in shoppers {
        let (id, journey) = shopper.await.unwrap();
        answers_5xx.extend(journey.statuses.iter().cloned());
        let cart_worst = journey.stalls.iter().max().copied().unwrap_or_default();
        let tag = app::domain::CartId::parse(&id).unwrap().tag();
        eprintln!("cart {tag}: worst stall {cart_worst:?}");
        worst = worst.max(cart_worst);
        let r = http.get(format!("{base}/cart/{id}")).send().await.unwrap();
        let cart: Value = r.json().await.unwrap();
        for (product, want) in journey.added.iter().enumerate() {
            let have = cart["lines"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| l["product_id"] == product)
                .map_or(0, |l| l["quantity"].as_u64().unwrap());
            assert_eq!(
                have,
                u64::from(*want),
                "product {product}: every change applied once: {cart}"
            );
        }
        assert_eq!(cart["item_count"], CHANGES, "{cart}");
    }
    eprintln!("answers other than 2xx: {answers_5xx:?}; worst stall {worst:?}");
    assert!(
        answers_5xx.iter().all(|(status, _)| *status == 503),
        "only 503s, never a 500: {answers_5xx:?}"
    );
    assert!(
        worst < Duration::from_secs(10),
        "a cart stalled {worst:?} after the kill"
    );
}
