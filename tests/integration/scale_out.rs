//! More than one of each: two workers and two gateways (all separate processes) on one
//! Temporal server. Shoppers spread their requests over both gateways; one worker is killed
//! with SIGKILL in the middle. A client retries a request that failed (a 5xx, or no answer)
//! with its `Idempotency-Key`, as the API asks, and in the end every request that got a 2xx
//! is in its cart exactly once, and no request is left without a 2xx.
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
