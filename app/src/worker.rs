//! Builds the Temporal worker that hosts the shop's workflows and activities. The `worker`
//! binary and the tests both call this, so they run exactly the same registration.
use crate::activities::ShopActivities;
use crate::config::WorkerConfig;
use crate::workflows::cart::CartWorkflow;
use crate::workflows::order::OrderWorkflow;
use std::time::Duration;
use temporalio_client::Client;
use temporalio_sdk::runtime::PollerBehavior;
use temporalio_sdk::{Runtime, Worker, WorkerOptions};

pub fn build(
    runtime: &Runtime,
    client: Client,
    task_queue: &str,
    config: &WorkerConfig,
    activities: ShopActivities,
) -> anyhow::Result<Worker> {
    let options = WorkerOptions::new(task_queue)
        .max_cached_workflows(config.max_cached_workflows)
        .workflow_task_poller_behavior(PollerBehavior::SimpleMaximum(config.workflow_pollers))
        .activity_task_poller_behavior(PollerBehavior::SimpleMaximum(config.activity_pollers))
        // A dead worker's sticky queue holds its carts' next tasks until this passes; keep it
        // short so another worker picks them up quickly.
        .sticky_queue_schedule_to_start_timeout(Duration::from_secs(3))
        .graceful_shutdown_period(Duration::from_secs(10))
        .register_activities(activities)
        .register_workflow::<CartWorkflow>()?
        .register_workflow::<OrderWorkflow>()?
        .build();
    Ok(Worker::new(runtime, client, options)?)
}
