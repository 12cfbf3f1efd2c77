//! Load benchmark: N concurrent simulated shoppers drive the HTTP API (POST /cart, 3× add,
//! GET, remove, GET, email) for a fixed time against a running stack, then it prints
//! requests/s, errors, p50/p95/p99 per route, and the CPU seconds and peak RSS of the worker
//! and webapp processes (read from /proc). Figures, not a pass/fail test.
//!
//! `bench --url http://127.0.0.1:8080 --shoppers 32 --seconds 30 --worker-pid P --webapp-pid Q`
//! `bench --open-carts 10000 ...` instead fills that many carts (one item each) and reports RSS.
use hdrhistogram::Histogram;
use starter::journey::{HISTORY_BUDGET, HistoryCount, STEPS};
use starter::shop_client::{Answer, ShopClient};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Load generator: shoppers run journeys against a gateway for a while; prints latency per
/// route, and the CPU and memory of the processes whose pids it is given.
#[derive(clap::Parser)]
#[command(name = "bench")]
struct Args {
    /// The gateway.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Shoppers running journeys at once.
    #[arg(long, default_value_t = 32)]
    shoppers: usize,
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Instead of journeys: open this many carts and leave them open (memory per open cart).
    #[arg(long)]
    open_carts: Option<usize>,
    #[arg(long)]
    worker_pid: Option<u32>,
    #[arg(long)]
    webapp_pid: Option<u32>,
    #[arg(long)]
    temporal_pid: Option<u32>,
    /// Where to read sample carts' histories from, to count events and workflow tasks.
    #[arg(long = "temporal-address")]
    temporal: Option<String>,
}

impl Args {
    /// The processes measured, by name.
    fn pids(&self) -> Vec<(&'static str, u32)> {
        [
            ("worker", self.worker_pid),
            ("webapp", self.webapp_pid),
            ("temporal", self.temporal_pid),
        ]
        .into_iter()
        .filter_map(|(name, pid)| Some((name, pid?)))
        .collect()
    }
}

#[derive(Default)]
struct Stats {
    /// Microseconds per route.
    latencies: BTreeMap<&'static str, Histogram<u64>>,
    errors: BTreeMap<String, usize>,
    /// Carts of completed journeys, a few of which have their histories counted.
    journeys: Vec<String>,
}

type Shared = Arc<Mutex<Stats>>;

/// Times one call under `route` and counts what was not a success.
async fn call(
    stats: &Shared,
    route: &'static str,
    request: impl Future<Output = reqwest::Result<Answer>>,
) -> Option<serde_json::Value> {
    let started = Instant::now();
    let result = request.await;
    let elapsed = started.elapsed();
    let mut s = stats.lock().await;
    let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    s.latencies
        .entry(route)
        // Bounds given: an auto-sized histogram starts tracking up to 2 µs, and a saturating
        // record would clamp every latency there instead of growing it.
        .or_insert_with(|| Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds"))
        .saturating_record(micros);
    match result {
        Ok(a) if a.status.is_success() => Some(a.body),
        Ok(a) => {
            *s.errors.entry(format!("{route}: {}", a.status)).or_default() += 1;
            None
        }
        Err(e) => {
            *s.errors.entry(format!("{route}: {}", e.without_url())).or_default() += 1;
            None
        }
    }
}

/// One shopper's visit: the route mix of the benchmark ([`starter::journey::STEPS`]).
async fn journey(shop: &ShopClient, stats: &Shared, n: usize) -> Option<()> {
    let created = call(stats, "POST /cart", shop.new_cart()).await?;
    let id = created["workflowID"].as_str()?.to_owned();
    for step in STEPS {
        call(stats, step.route(), step.send(shop, &id, n)).await?;
    }
    stats.lock().await.journeys.push(id);
    Some(())
}

/// Mean history events and workflow tasks per journey, over up to 20 journeys' carts: the work
/// each shopper costs the Temporal server; and the most any of them wrote, for the budget.
async fn history_per_journey(address: &str, carts: &[String]) -> anyhow::Result<((f64, f64), HistoryCount)> {
    let client = app::temporal::connect(address).await?;
    let sample = &carts[..carts.len().min(20)];
    anyhow::ensure!(!sample.is_empty(), "no journey completed");
    let (mut events, mut tasks) = (0usize, 0usize);
    let mut most = HistoryCount {
        events: 0,
        workflow_tasks: 0,
    };
    for id in sample {
        let handle = client.get_workflow_handle::<app::workflows::cart::CartWorkflow>(id.clone());
        let count = HistoryCount::of(&handle.fetch_history(Default::default()).into_events().await?);
        events += count.events;
        tasks += count.workflow_tasks;
        most.events = most.events.max(count.events);
        most.workflow_tasks = most.workflow_tasks.max(count.workflow_tasks);
    }
    let n = sample.len() as f64;
    Ok(((events as f64 / n, tasks as f64 / n), most))
}

/// (utime + stime) in seconds and peak RSS in MiB, from /proc.
fn usage(pid: u32) -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().ok()? + fields[12].parse::<f64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let hwm_kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((ticks / 100.0, hwm_kb / 1024.0))
}

#[tokio::main]
async fn main() {
    // Every build of the workspace compiles rustls with both backends (workspace-hack): pick one.
    app::install_crypto_provider();
    let args = <Args as clap::Parser>::parse();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.shoppers * 2)
        .build()
        .unwrap();
    let shop = ShopClient::with_http(args.url.clone(), http);
    let stats: Shared = Arc::default();
    let before: Vec<_> = args
        .pids()
        .into_iter()
        .map(|(name, pid)| (name, pid, usage(pid)))
        .collect();
    let started = Instant::now();

    if let Some(total) = args.open_carts {
        // Fill carts and leave them open: what a worker holds in memory for abandoned carts.
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..args.shoppers)
            .map(|_| {
                let (shop, stats, next) = (shop.clone(), stats.clone(), next.clone());
                tokio::spawn(async move {
                    while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < total {
                        if let Some(c) = call(&stats, "POST /cart", shop.new_cart()).await {
                            let id = c["workflowID"].as_str().unwrap_or_default().to_owned();
                            call(&stats, "PUT /cart/{id}/add", shop.add(&id, 0, 1)).await;
                        }
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    } else {
        let deadline = started + Duration::from_secs(args.seconds);
        let tasks: Vec<_> = (0..args.shoppers)
            .map(|i| {
                let (shop, stats) = (shop.clone(), stats.clone());
                tokio::spawn(async move {
                    let mut n = i;
                    while Instant::now() < deadline {
                        journey(&shop, &stats, n).await;
                        n += 1000;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    }

    let elapsed = started.elapsed().as_secs_f64();
    let stats = stats.lock().await;
    let requests: u64 = stats.latencies.values().map(Histogram::len).sum();
    let errors: usize = stats.errors.values().sum();
    println!(
        "shoppers {}  elapsed {elapsed:.1} s  requests {requests}  errors {errors}",
        args.shoppers
    );
    println!("throughput {:.0} requests/s", requests as f64 / elapsed);
    println!(
        "{:<24} {:>7} {:>9} {:>9} {:>9} {:>9}",
        "route", "count", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let ms = |micros: u64| micros as f64 / 1000.0;
    for (route, lat) in &stats.latencies {
        println!(
            "{route:<24} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            lat.len(),
            ms(lat.value_at_quantile(0.50)),
            ms(lat.value_at_quantile(0.95)),
            ms(lat.value_at_quantile(0.99)),
            ms(lat.max())
        );
    }
    for (what, count) in &stats.errors {
        println!("error {what}: {count}");
    }
    let mut cpu_total = 0.0;
    for &(name, pid, start) in &before {
        if let (Some((cpu0, _)), Some((cpu1, rss))) = (start, usage(pid)) {
            // The budget is ours (worker + webapp); Temporal's own share is shown for context.
            if name != "temporal" {
                cpu_total += cpu1 - cpu0;
            }
            println!(
                "{name:<7} pid {pid}: CPU {:.2} s during the run, peak RSS {rss:.0} MiB",
                cpu1 - cpu0
            );
        }
    }
    for &(name, pid, start) in &before {
        if let (true, Some((cpu0, _)), Some((cpu1, _))) = (name == "temporal", start, usage(pid))
            && requests > 0
        {
            println!(
                "temporal CPU per request: {:.3} ms",
                (cpu1 - cpu0) * 1000.0 / requests as f64
            );
        }
    }
    if let Some(address) = &args.temporal
        && args.open_carts.is_none()
    {
        match history_per_journey(address, &stats.journeys).await {
            Ok(((events, tasks), most)) => {
                println!("per journey: {events:.1} history events, {tasks:.1} workflow tasks");
                let verdict = if most.within(&HISTORY_BUDGET) { "within" } else { "OVER" };
                println!(
                    "history budget: at most {} events, {} workflow tasks; the most any journey wrote: {}, {}: {verdict}",
                    HISTORY_BUDGET.events, HISTORY_BUDGET.workflow_tasks, most.events, most.workflow_tasks
                );
            }
            Err(e) => println!("per journey: histories not read ({e})"),
        }
    }
    if requests > 0 && cpu_total > 0.0 {
        println!(
            "worker+webapp CPU per request: {:.3} ms",
            cpu_total * 1000.0 / requests as f64
        );
    }
}
