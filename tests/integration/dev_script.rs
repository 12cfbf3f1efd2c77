//! `scripts/dev.sh` stops everything it started on one Ctrl-C, within 15 s: run in its own
//! process group as a terminal runs it, on free ports and a temporary data folder, and sent
//! SIGINT to the whole group, as a terminal's Ctrl-C does.
use crate::checkout_flow::filled_cart;
use crate::helpers::{free_port, tool, workspace_root};
use crate::webapp::Api;
use reqwest::StatusCode;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What dev.sh prints once everything is up.
const READY: &str = "Ctrl-C stops everything.";
/// How long everything may take to be gone after the Ctrl-C.
const GONE_WITHIN: Duration = Duration::from_secs(15);

/// One run of dev.sh. Every process it starts inherits `DEV_SCRIPT_RUN=<mark>`, which is how
/// the test finds them (they run in sessions of their own, out of reach of the group).
struct DevScript {
    child: tokio::process::Child,
    mark: String,
    out: PathBuf,
    http: u16,
}

impl DevScript {
    /// A filled cart checked out for the browser to confirm: the PaymentIntent waits for a card.
    async fn checkout_waiting_for_the_card(&self) {
        let api = Api::at(format!("http://127.0.0.1:{}", self.http));
        let id = filled_cart(&api).await;
        let (status, answer) = api
            .put(&format!("/cart/{id}/checkout"), r#"{"confirm": "client"}"#, None)
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        assert_eq!(answer["status"], "requires_payment", "{answer}");
    }

    async fn start(data: &Path, run: &str) -> Self {
        let mark = format!("{}-{run}", std::process::id());
        let out = data.join(format!("dev-{run}.out"));
        let log = std::fs::File::create(&out).unwrap();
        let http = free_port();
        let mut cmd = tokio::process::Command::new("bash");
        cmd.arg(workspace_root().join("scripts/dev.sh"))
            .process_group(0)
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            // The build dev.sh runs is this test run's, already done: nothing to compile.
            .env("CARGO_TARGET_DIR", target_dir())
            .env("SHOP_DATA_DIR", data)
            .env("DEV_SCRIPT_RUN", &mark)
            .env("HTTP_PORT", http.to_string())
            // Everything on its own free port, beside other tests and a dev.sh of your own.
            .env_remove("STRIPE_SECRET_KEY")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .env_remove("DATABASE_URL");
        for var in [
            "TEMPORAL_PORT",
            "TEMPORAL_UI_PORT",
            "TEMPORAL_HTTP_PORT",
            "TEMPORAL_METRICS_PORT",
            "STRIPE_PORT",
            "OTLP_PORT",
            "METRICS_PORT",
        ] {
            cmd.env(var, free_port().to_string());
        }
        let child = cmd.spawn().expect("bash runs scripts/dev.sh");
        let mut dev = Self { child, mark, out, http };
        let deadline = Instant::now() + Duration::from_secs(300);
        while !dev.output().contains(READY) {
            assert!(
                dev.child.try_wait().unwrap().is_none(),
                "dev.sh exited before it was ready:\n{}",
                dev.output()
            );
            assert!(
                Instant::now() < deadline,
                "dev.sh not ready in 300 s:\n{}",
                dev.output()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        dev
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// The programs this run started (and dev.sh itself), by pid and name.
    fn processes(&self) -> Vec<(i32, String)> {
        marked(&self.mark)
    }

    /// Ctrl-C in a terminal: SIGINT to every process of the foreground group.
    fn ctrl_c(&self) {
        let group = self.child.id().expect("dev.sh running") as i32;
        // SAFETY: signalling the process group this test made for dev.sh.
        assert_eq!(unsafe { libc::kill(-group, libc::SIGINT) }, 0);
    }

    /// Waits until dev.sh has exited and none of its programs is left; fails naming them.
    async fn all_gone(&mut self, since: Instant) -> Duration {
        let deadline = since + GONE_WITHIN;
        loop {
            let script_done = self.child.try_wait().unwrap().is_some();
            let left = self.processes();
            if script_done && left.is_empty() {
                return since.elapsed();
            }
            assert!(
                Instant::now() < deadline,
                "still running {GONE_WITHIN:?} after Ctrl-C: {left:?} (dev.sh exited: {script_done})\n{}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for DevScript {
    /// A failing test leaves nothing running.
    fn drop(&mut self) {
        for (pid, _) in self.processes() {
            // SAFETY: killing processes this test started (they carry its mark).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
}

/// Processes of this user whose environment holds `DEV_SCRIPT_RUN=<mark>`.
fn marked(mark: &str) -> Vec<(i32, String)> {
    let needle = format!("DEV_SCRIPT_RUN={mark}");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|var| var == needle.as_bytes()) {
            let name = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            found.push((pid, name.trim().to_owned()));
        }
    }
    found
}

/// The target directory this test binary was built in (`<target>/debug/deps/integration-…`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

fn assert_started_everything(dev: &DevScript) {
    let names: Vec<String> = dev.processes().into_iter().map(|(_, n)| n).collect();
    for want in ["temporal", "worker", "webapp", "python"] {
        assert!(names.iter().any(|n| n.starts_with(want)), "no {want} among {names:?}");
    }
}

/// dev.sh stopped each program by SIGTERM and its wait: none needed SIGKILL.
fn assert_stopped_in_order(dev: &DevScript) {
    let out = dev.output();
    assert!(out.contains("==> stopped"), "{out}");
    assert!(!out.contains("killing it"), "a program outlived its deadline:\n{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_everything_dev_sh_started_within_15_s_twice_and_mid_checkout() {
    if tool("temporal").is_none() || tool("python").is_none() {
        return;
    }
    let data = tempfile::Builder::new().prefix("shop-dev-sh-").tempdir().unwrap();

    // 1. Up, then Ctrl-C.
    let mut dev = DevScript::start(data.path(), "first").await;
    assert_started_everything(&dev);
    let sent = Instant::now();
    dev.ctrl_c();
    let took = dev.all_gone(sent).await;
    assert_stopped_in_order(&dev);
    eprintln!("first run: everything gone {took:?} after Ctrl-C");

    // 2. Again on the same data, with a checkout waiting for the shopper's card.
    let mut dev = DevScript::start(data.path(), "second").await;
    assert_started_everything(&dev);
    dev.checkout_waiting_for_the_card().await;
    let sent = Instant::now();
    dev.ctrl_c();
    let took = dev.all_gone(sent).await;
    assert_stopped_in_order(&dev);
    eprintln!("second run, checkout in flight: everything gone {took:?} after Ctrl-C");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_whose_server_died_still_stops_by_its_drain_deadline() {
    if tool("temporal").is_none() || tool("python").is_none() {
        return;
    }
    let data = tempfile::Builder::new().prefix("shop-dev-sh-").tempdir().unwrap();
    let mut dev = DevScript::start(data.path(), "server-dies").await;
    dev.checkout_waiting_for_the_card().await;
    // What the old dev.sh did on Ctrl-C: the server goes first, the worker is stopped after.
    let server = dev
        .processes()
        .into_iter()
        .find(|(_, name)| name == "temporal")
        .expect("dev.sh started the Temporal server");
    // SAFETY: a process this test started (it carries the test's mark).
    unsafe { libc::kill(server.0, libc::SIGKILL) };
    // dev.sh notices a program gone and stops the rest; the worker must not wait for the server.
    let sent = Instant::now();
    let took = dev.all_gone(sent).await;
    assert_stopped_in_order(&dev);
    eprintln!("server killed: everything gone {took:?} after");
}
