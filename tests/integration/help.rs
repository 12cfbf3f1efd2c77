//! `worker --help` and `webapp --help` list their settings and exit at once, without config.
use crate::helpers::workspace_binary;

#[test]
fn both_binaries_answer_help_with_their_settings() {
    for (binary, own) in [("worker", "SHOP_METRICS_ADDRESS"), ("webapp", "SHOP_OPERATOR_TOKEN")] {
        let out = std::process::Command::new(workspace_binary(binary))
            .arg("--help")
            .env("TEMPORAL_ADDRESS", "127.0.0.1:1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{binary} --help: {out:?}");
        for name in [own, "TEMPORAL_ADDRESS", "SHOP_PAYLOAD_KEYS", "DATABASE_URL"] {
            assert!(text.contains(name), "{binary} --help lacks {name}: {text}");
        }
    }
}
