//! The smoke binary, run against a started stack, must exit 0 in both of its modes.
use crate::helpers::{TestApp, workspace_binary};
use std::process::Stdio;

async fn run_starter(app: &TestApp, mode: &str) -> std::process::Output {
    let mut cmd = tokio::process::Command::new(workspace_binary("starter"));
    cmd.arg(mode).stdin(Stdio::null()).kill_on_drop(true);
    for (k, v) in app.worker_env(&app.stripe.url) {
        cmd.env(k, v);
    }
    cmd.output().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_starter_completes_a_checkout_and_an_abandoned_cart() {
    let Some(app) = TestApp::spawn().await else { return };
    let out = run_starter(&app, "checkout").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "starter failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Receipt") && stdout.contains("$1,398.00"), "{stdout}");

    let out = run_starter(&app, "abandon").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "starter abandon failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        app.outbox_messages()
            .iter()
            .any(|m| m.contains("forgetful@example.com"))
    );
}
