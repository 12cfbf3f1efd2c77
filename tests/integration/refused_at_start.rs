//! Settings the gateway binary refuses at start, before it talks to anyone: it exits non-zero
//! with a message naming the setting, so a weak or copied-but-unfilled configuration never
//! serves.
use crate::helpers::{workspace_binary, workspace_root};

/// The gateway run with `env` (and an unreachable Temporal): its exit status and stderr.
fn start_gateway(env: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = std::process::Command::new(workspace_binary("webapp"));
    cmd.env_clear()
        .env("TEMPORAL_ADDRESS", "127.0.0.1:1")
        .env("SHOP_DATA_DIR", dir.path())
        .env("SHOP_HTTP_ADDRESS", "127.0.0.1:0")
        .env("RUST_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (out.status, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn assert_refused(env: &[(&str, &str)], var: &str, why: &str) {
    let (status, stderr) = start_gateway(env);
    assert!(!status.success(), "{env:?} was accepted");
    assert!(
        stderr.contains(&format!("{var}: ")) && stderr.contains(why),
        "{env:?}: the message names {var} and says {why:?}: {stderr}"
    );
}

#[test]
fn a_token_shorter_than_32_characters_is_refused() {
    for var in [
        "SHOP_ORDERS_TOKEN",
        "SHOP_OPERATOR_TOKEN",
        "SHOP_METRICS_TOKEN",
        "SHOP_CODEC_TOKEN",
    ] {
        assert_refused(&[(var, "dev-orders-token")], var, "at least 32");
    }
}

/// Every value of `deploy/cartflow.env.example` that says to replace it, set as it stands.
#[test]
fn the_example_file_s_placeholders_are_refused() {
    let example = std::fs::read_to_string(workspace_root().join("deploy/cartflow.env.example")).unwrap();
    let gateway_reads = [
        "SHOP_ORDERS_TOKEN",
        "SHOP_OPERATOR_TOKEN",
        "SHOP_METRICS_TOKEN",
        "SHOP_CODEC_TOKEN",
        "SHOP_CART_ID_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "SHOP_PAYLOAD_KEYS",
    ];
    let mut refused = 0;
    for line in example.lines().filter(|l| !l.starts_with('#')) {
        let Some((var, value)) = line.split_once('=') else {
            continue;
        };
        if gateway_reads.contains(&var) && value.contains("replace") {
            let (status, stderr) = start_gateway(&[(var, value)]);
            assert!(!status.success(), "{var}={value} was accepted");
            assert!(stderr.contains(&format!("{var}: ")), "{var}: {stderr}");
            assert!(!stderr.contains(value), "the value is not echoed: {stderr}");
            refused += 1;
        }
    }
    assert_eq!(
        refused,
        gateway_reads.len(),
        "every secret of the example file has a placeholder"
    );
}

#[test]
fn one_token_for_two_settings_is_refused() {
    let token = "0123456789abcdef0123456789abcdef";
    assert_refused(
        &[("SHOP_ORDERS_TOKEN", token), ("SHOP_METRICS_TOKEN", token)],
        "SHOP_METRICS_TOKEN",
        "SHOP_ORDERS_TOKEN",
    );
}

/// Stripe.js reads the card: over plain http from another machine, anyone on the way could
/// replace it. Loopback (an emulator on this machine) is the one exception.
#[test]
fn stripe_js_over_http_from_another_machine_is_refused() {
    for url in ["http://js.example.com/v3/", "http://10.0.0.5:8420/js.stripe.com/v3/"] {
        assert_refused(&[("SHOP_STRIPE_JS_URL", url)], "SHOP_STRIPE_JS_URL", "must be https");
    }
    assert_refused(
        &[("SHOP_STRIPE_BASE_URL", "http://stripe-emulator:8420")],
        "SHOP_STRIPE_JS_URL",
        "must be https",
    );
}
