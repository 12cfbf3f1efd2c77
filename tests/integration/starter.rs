//! The smoke binary, run against the worker and gateway binaries, must exit 0 in both of its
//! modes, and fail (exit 1, saying why) when there is no shop to talk to.
use crate::helpers::{TestApp, free_port, process_wait, workspace_binary};
use std::process::Stdio;

async fn run_starter(url: &str, args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(workspace_binary("starter"))
        .args(args)
        .args(["--gateway", url, "--wait", "60s"])
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_starter_completes_a_checkout_and_an_abandoned_cart() {
    let Some(app) = TestApp::spawn_without_worker().await else {
        return;
    };
    let _worker = app.worker_process(&app.stripe.url, "worker");
    let port = free_port();
    // Carts the gateway starts carry its timing: a reminder after 2 s of quiet, expiry after 5 s.
    let timing = [("SHOP_REMINDER_AFTER", "2s".into()), ("SHOP_CART_TTL", "5s".into())];
    let _gateway = app.gateway_process(port, &timing, "gateway");
    process_wait(port, "the gateway").await;
    app.polling("worker").await;
    let url = format!("http://127.0.0.1:{port}");

    let (ok, out) = run_starter(&url, &["checkout"]).await;
    assert!(ok, "starter failed:\n{out}");
    assert!(out.contains("Receipt") && out.contains("$1,398.00"), "{out}");
    let payment = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("payment "))
        .expect("the receipt names its payment");
    assert!(payment.starts_with("pi_"), "{out}");
    assert_eq!(
        app.payments().find_by_metadata("cart_id", cart_of(&out)).await.unwrap(),
        [payment],
        "one PaymentIntent for the cart, the receipt's"
    );

    let (ok, out) = run_starter(&url, &["abandon"]).await;
    assert!(ok, "starter abandon failed:\n{out}");
    assert!(out.contains("reminder sent") && out.contains("expired"), "{out}");
    assert!(
        app.outbox_messages()
            .iter()
            .any(|m| m.contains("forgetful@example.com"))
    );
}

#[tokio::test]
async fn the_starter_fails_with_a_reason_when_no_shop_answers() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let (ok, out) = run_starter(&url, &["checkout"]).await;
    assert!(!ok, "{out}");
    assert!(out.contains("FAILED"), "{out}");
}

/// The cart id the starter printed (`cart <id>`).
fn cart_of(out: &str) -> &str {
    out.lines()
        .find_map(|l| l.strip_prefix("cart "))
        .expect("the starter names its cart")
}
