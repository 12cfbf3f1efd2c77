//! Starting real processes and an app around them, with typed helpers for the tests.
mod app;
pub mod browser;
mod process;
mod proxy;

pub use app::{TestApp, TestAppOptions, fast_timing, guest_order};
pub use process::{
    ChildProc, Collector, StripeEmulator, free_port, required, tool, wait_for_port as process_wait, workspace_binary,
    workspace_root,
};
pub use proxy::{Faults, FaultyProxy};

use std::time::{Duration, Instant};

/// Polls `check` until it returns `Some`, failing with `what` after `timeout`. For the few
/// waits a test cannot express as an awaited result (a reminder email arriving, say).
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs each store scenario (an `async fn(Option<String>)` taking the database URL) twice: on
/// a SQLite file and on a fresh PostgreSQL database.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test(flavor = "multi_thread")]
            async fn sqlite() {
                super::$scenario(None).await
            }

            #[tokio::test(flavor = "multi_thread")]
            async fn postgres() {
                let Some(url) = crate::orders::postgres_database().await else { return };
                super::$scenario(Some(url)).await
            }
        }
    )*};
}
pub(crate) use on_both_backends;
