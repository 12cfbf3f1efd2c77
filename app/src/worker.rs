//! Builds the Temporal worker that hosts the shop's workflows and activities. The `worker`
//! binary and the tests both call this, so they run exactly the same registration.
use crate::activities::{ReconcileActivities, ShopActivities};
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
    let options = WorkerOptions::new(task_queue)
        .max_cached_workflows(config.max_cached_workflows)
        .workflow_task_poller_behavior(workflow_pollers)
        .activity_task_poller_behavior(PollerBehavior::SimpleMaximum(config.activity_pollers))
        .sticky_queue_schedule_to_start_timeout(STICKY_QUEUE_TIMEOUT)
        .graceful_shutdown_period(Duration::from_secs(10))
        .register_activities(activities)
        .register_activities(reconcile)
        .register_workflow::<CartWorkflow>()?
        .register_workflow::<OrderWorkflow>()?
        .register_workflow::<ReconcileWorkflow>()?
        .build();
    Ok(Worker::new(runtime, client, options)?)
}

/// Runs `worker` until `shutdown` resolves, then lets it finish the tasks in hand (up to its
/// graceful shutdown period) and returns.
pub async fn run_until(mut worker: Worker, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
    let stop = worker.shutdown_handle();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight tasks");
        stop();
    });
    worker.run().await?;
    Ok(())
}
