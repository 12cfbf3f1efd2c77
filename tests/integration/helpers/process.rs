use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A tool from the project's venv, or `None` (after saying why) when it is not installed.
/// Under `CI=true` a missing tool fails the test instead: CI must not pass by skipping.
pub fn tool(name: &str) -> Option<PathBuf> {
    let venv = std::env::var_os("SHOP_VENV").map_or_else(|| workspace_root().join(".venv"), PathBuf::from);
    required(venv.join("bin").join(name))
}

/// A program at a fixed system path (Debian's chromium, chromedriver), with the same rule.
pub fn required(path: PathBuf) -> Option<PathBuf> {
    if path.exists() {
        return Some(path);
    }
    let msg = format!(
        "{} is missing; run scripts/test.sh (it installs the tools)",
        path.display()
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("SKIPPED: {msg}");
    None
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub async fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        assert!(Instant::now() < deadline, "{what} did not open port {port} within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for `proc` to open `port`: `false` once it has exited instead (a port it wanted was
/// taken) or 30 s have passed, so the caller can try again rather than wait out a dead server.
async fn came_up(proc: &mut ChildProc, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
        if !proc.running() || Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    proc.running()
}

/// A child process killed (SIGKILL) when dropped, so a failing test leaves nothing behind.
pub struct ChildProc {
    child: Child,
}

impl ChildProc {
    pub fn spawn(program: &Path, args: &[&str], envs: &[(&str, String)], log: &Path) -> Self {
        let out = std::fs::File::create(log).unwrap();
        let err = out.try_clone().unwrap();
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .kill_on_drop(true);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        Self {
            child: cmd
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display())),
        }
    }

    /// `kill -9`: no chance to clean up, as when a machine dies.
    pub async fn kill_hard(&mut self) {
        // An already exited child has nothing to kill.
        let _ = self.child.kill().await;
    }

    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then wait for a clean exit.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        // SAFETY: sending a signal to our own child's pid.
        unsafe { libc::kill(self.child.id().expect("running") as i32, libc::SIGTERM) };
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("exits after SIGTERM")
            .unwrap()
    }
}

/// A real Temporal dev server (`temporal server start-dev`) on a free port.
pub struct TemporalServer {
    proc: ChildProc,
    pub port: u16,
    db: PathBuf,
    log: PathBuf,
}

impl TemporalServer {
    /// Persists to `db`, so a restart on the same file keeps every workflow.
    ///
    /// A free port can be taken between our pick and the server's bind (another test's server
    /// picks its internal ports at random too): a server that exits at start is started again
    /// on a fresh port, and one whose port answers is asked for a gRPC connection before use.
    pub async fn start(dir: &Path) -> Option<Self> {
        let db = dir.join("temporal.db");
        let log = dir.join("temporal.log");
        for _ in 0..3 {
            let port = free_port();
            let mut proc = Self::launch(port, &db, &log)?;
            if came_up(&mut proc, port).await
                && app::temporal::connect(&format!("127.0.0.1:{port}")).await.is_ok()
                && proc.running()
            {
                return Some(Self { proc, port, db, log });
            }
            eprintln!("Temporal on port {port} did not come up; trying another port");
            proc.kill_hard().await;
        }
        panic!("Temporal did not start; see {}", log.display());
    }

    fn launch(port: u16, db: &Path, log: &Path) -> Option<ChildProc> {
        let temporal = tool("temporal")?;
        let port_s = port.to_string();
        // The UI port must be free too; start-dev would otherwise take port+1000.
        let ui = free_port().to_string();
        let args = [
            "server",
            "start-dev",
            "--headless",
            "--ip",
            "127.0.0.1",
            "--port",
            &port_s,
            "--ui-port",
            &ui,
            "--db-filename",
            db.to_str().unwrap(),
            "--log-level",
            "error",
        ];
        let search_attributes = app::workflows::search::dev_server_flags();
        let args: Vec<&str> = args
            .into_iter()
            .chain(search_attributes.iter().map(String::as_str))
            .collect();
        Some(ChildProc::spawn(&temporal, &args, &[], log))
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Kills the server hard and starts it again on the same port and database file.
    pub async fn restart(&mut self) {
        self.kill().await;
        self.relaunch().await;
    }

    /// `kill -9` of the server; [`relaunch`](Self::relaunch) brings it back.
    pub async fn kill(&mut self) {
        self.proc.kill_hard().await;
    }

    pub async fn relaunch(&mut self) {
        // The port is released when the process dies; the new server takes it again.
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.proc = Self::launch(self.port, &self.db, &self.log).unwrap();
        wait_for_port(self.port, "Temporal (restarted)").await;
    }
}

/// The Stripe emulator: localstripe behind tools/stripe_emulator.py, with its own state.
pub struct StripeEmulator {
    _proc: ChildProc,
    pub url: String,
}

impl StripeEmulator {
    pub async fn start(dir: &Path) -> Option<Self> {
        let state = dir.join("stripe");
        std::fs::create_dir_all(&state).unwrap();
        let state = state.to_str().unwrap();
        let (proc, url) = python_tool(
            "stripe_emulator.py",
            &["--host", "127.0.0.1", "--state-dir", state],
            dir,
        )
        .await?;
        Some(Self { _proc: proc, url })
    }
}

/// Runs `tools/<script>` from the venv on a free port (`--port`), its output in the test's
/// folder; answers once the port is open, with the process and its `http://` address.
async fn python_tool(script: &str, args: &[&str], dir: &Path) -> Option<(ChildProc, String)> {
    let python = tool("python")?;
    let port = free_port().to_string();
    let path = workspace_root().join("tools").join(script);
    let mut all = vec![path.to_str().unwrap(), "--port", &port];
    all.extend_from_slice(args);
    let log = dir.join(script.replace(".py", ".log"));
    let proc = ChildProc::spawn(&python, &all, &[], &log);
    wait_for_port(port.parse().unwrap(), script).await;
    Some((proc, format!("http://127.0.0.1:{port}")))
}

/// tools/otlp_collector.py: takes the binaries' OTLP/HTTP trace exports and keeps each span as
/// a JSON line in the test's folder.
pub struct Collector {
    _proc: ChildProc,
    pub url: String,
    spans: PathBuf,
}

impl Collector {
    pub async fn start(dir: &Path) -> Option<Self> {
        let spans = dir.join("spans.jsonl");
        let (proc, url) = python_tool("otlp_collector.py", &["--out", spans.to_str().unwrap()], dir).await?;
        Some(Self {
            _proc: proc,
            url,
            spans,
        })
    }

    /// Every span received so far: `service`, `trace_id`, `span_id`, `parent_span_id`, `name`,
    /// `kind`, `attributes`.
    pub fn spans(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.spans)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("the collector writes JSON lines"))
            .collect()
    }
}

/// A binary of this workspace, built next to the test executable (`scripts/test.sh` builds
/// them first with `cargo build --bins`).
pub fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap();
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built; run `cargo build --bins` first",
        path.display()
    );
    path
}
