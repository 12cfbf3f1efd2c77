//! The worker and the gateway both migrate the order store at start. Started together on an
//! empty database (what `scripts/dev.sh` does on a fresh clone), every one of them must come up.
use crate::helpers::workspace_binary;
use crate::orders::postgres_database;
use std::process::Stdio;

/// Starts `n` `worker migrate` processes at the same instant on `url`; each must succeed.
async fn migrate_concurrently(url: &str, data_dir: &std::path::Path, n: usize) {
    let worker = workspace_binary("worker");
    let runs = (0..n).map(|_| {
        tokio::process::Command::new(&worker)
            .arg("migrate")
            .env("DATABASE_URL", url)
            .env("SHOP_DATA_DIR", data_dir)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .output()
    });
    for out in futures::future::join_all(runs).await {
        let out = out.unwrap();
        assert!(
            out.status.success(),
            "a concurrent migration failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_migrating_an_empty_sqlite_file_at_once_all_succeed() {
    for _ in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("orders.db").display());
        migrate_concurrently(&url, dir.path(), 6).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_migrating_an_empty_postgres_database_at_once_all_succeed() {
    for _ in 0..3 {
        let Some(url) = postgres_database().await else { return };
        let dir = tempfile::tempdir().unwrap();
        migrate_concurrently(&url, dir.path(), 6).await;
    }
}
