//! Builds the Temporal worker that hosts the shop's workflows and activities. The `worker`
//! binary and the tests both call this, so they run exactly the same registration.
use crate::activities::{ReconcileActivities, ShopActivities, StockActivities};
use crate::config::WorkerConfig;
use crate::workflows::cart::CartWorkflow;
use crate::workflows::order::OrderWorkflow;
use crate::workflows::reconcile::ReconcileWorkflow;
use std::sync::Arc;
use std::time::Duration;
use temporalio_client::Client;
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_sdk::runtime::RuntimeOptions;
use temporalio_sdk::runtime::{AutoscalingOptions, PollerBehavior};
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

/// A worker keeps the carts it ran in its cache and asks the server to send their next tasks to
/// its own ("sticky") queue. If it dies, those tasks wait this long before going to the shared
/// queue. Shorter means faster recovery; the cost is that a busy but live worker that does not
/// poll within 2 s loses the task to another worker, which must replay the history.
pub const STICKY_QUEUE_TIMEOUT: Duration = Duration::from_secs(2);

/// After a shutdown signal the SDK lets the activities in hand run this long, then cancels them.
pub const GRACEFUL_SHUTDOWN_PERIOD: Duration = Duration::from_secs(8);

/// The drain ends this long after the shutdown signal whatever the server does. A worker whose
/// server is gone would otherwise keep retrying its shutdown calls for minutes; what it leaves
/// undone is safe to leave: the server hands unfinished tasks to the next worker.
pub const DRAIN_DEADLINE: Duration = Duration::from_secs(10);

/// The SDK runtime, exporting the SDK's metrics and the shop's ([`crate::metrics`]) for
/// Prometheus at `config.metrics_address` when one is set. Answers the address bound.
pub fn runtime(config: &WorkerConfig) -> anyhow::Result<(Runtime, Option<std::net::SocketAddr>)> {
    use temporalio_common::telemetry::{PrometheusExporterOptions, TelemetryOptions, start_prometheus_metric_exporter};
    let Some(address) = config.metrics_address else {
        return Ok((Runtime::from_current_tokio(Default::default())?, None));
    };
    let exporter = start_prometheus_metric_exporter(PrometheusExporterOptions::builder().socket_addr(address).build())
        .map_err(|e| anyhow::anyhow!("SHOP_METRICS_ADDRESS {address}: {e}"))?;
    crate::metrics::install(exporter.meter.clone());
    let telemetry = TelemetryOptions::builder()
        .metrics(exporter.meter as Arc<dyn CoreMeter>)
        .build();
    let options = RuntimeOptions::builder()
        .telemetry_options(telemetry)
        .build()
        .map_err(anyhow::Error::msg)?;
    Ok((Runtime::from_current_tokio(options)?, Some(exporter.bound_addr)))
}

pub fn build(
    runtime: &Runtime,
    client: Client,
    task_queue: &str,
    config: &WorkerConfig,
    activities: ShopActivities,
    reconcile: ReconcileActivities,
) -> anyhow::Result<Worker> {
    let workflow_pollers = if config.autoscale_pollers {
        PollerBehavior::Autoscaling(AutoscalingOptions::builder().minimum(2).maximum(40).initial(5).build())
    } else {
        PollerBehavior::SimpleMaximum(config.workflow_pollers)
    };
    // Stock and prices live in the order store's database.
    let stock = StockActivities {
        store: activities.orders.store.clone(),
    };
    let options = WorkerOptions::new(task_queue)
        .max_cached_workflows(config.max_cached_workflows)
        .workflow_task_poller_behavior(workflow_pollers)
        .activity_task_poller_behavior(PollerBehavior::SimpleMaximum(config.activity_pollers))
        .sticky_queue_schedule_to_start_timeout(STICKY_QUEUE_TIMEOUT)
        .graceful_shutdown_period(GRACEFUL_SHUTDOWN_PERIOD)
        .register_activities(activities)
        .register_activities(reconcile)
        .register_activities(stock)
        .register_workflow::<CartWorkflow>()?
        .register_workflow::<OrderWorkflow>()?
        .register_workflow::<ReconcileWorkflow>()?
        .build();
    Ok(Worker::new(runtime, client, options)?)
}

/// How a worker's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// The worker stopped by itself, or finished its tasks in hand after the signal.
    Finished,
    /// The drain was still going at `deadline` (a server that is gone, say) and was left.
    DeadlinePassed,
    /// A second signal came during the drain.
    Forced,
}

/// Runs `worker` until `signal()` resolves, then lets it finish the tasks in hand for at most
/// `deadline`, or until `signal()` resolves a second time, and returns how it ended. On anything
/// but [`Drained::Finished`] the SDK may still be busy: the caller should exit the process.
pub async fn run_until<F>(mut worker: Worker, signal: impl Fn() -> F, deadline: Duration) -> anyhow::Result<Drained>
where
    F: Future<Output = ()>,
{
    let stop = worker.shutdown_handle();
    let run = worker.run();
    tokio::pin!(run);
    tokio::select! {
        done = &mut run => { done?; return Ok(Drained::Finished) }
        () = signal() => {}
    }
    tracing::info!(deadline = ?deadline, "shutting down: finishing in-flight tasks (a second Ctrl-C leaves now)");
    stop();
    tokio::select! {
        done = &mut run => { done?; Ok(Drained::Finished) }
        () = tokio::time::sleep(deadline) => {
            tracing::warn!(deadline = ?deadline, "drain not finished by its deadline; leaving the rest to the next worker");
            Ok(Drained::DeadlinePassed)
        }
        () = signal() => {
            tracing::warn!("second signal: leaving without finishing the drain");
            Ok(Drained::Forced)
        }
    }
}
