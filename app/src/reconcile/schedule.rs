//! Starting the reconciler through Temporal: the Schedule that sweeps every
//! `SHOP_RECONCILE_EVERY` (one per task queue, kept in step with the setting at every worker
//! start), and the check of one payment whose cart has ended.
use crate::activities::SweepRequest;
use crate::workflows::reconcile::{ReconcileInput, ReconcileWorkflow};
use std::time::Duration;
use temporalio_client::errors::WorkflowStartError;
use temporalio_client::schedules::{
    CreateScheduleOptions, ScheduleAction, ScheduleError, ScheduleOverlapPolicy, ScheduleSpec,
};
use temporalio_client::{Client, RpcOptions, WorkflowIdConflictPolicy, WorkflowStartOptions};

pub fn schedule_id(task_queue: &str) -> String {
    format!("reconcile-{task_queue}")
}

/// Creates the sweep's Schedule, or brings an existing one to `every` and `req`. A pass still
/// running when the next is due makes that one skip (overlap policy Skip).
pub async fn ensure_schedule(
    client: &Client,
    task_queue: &str,
    every: Duration,
    req: SweepRequest,
) -> anyhow::Result<()> {
    let id = schedule_id(task_queue);
    let action = || {
        ScheduleAction::start_workflow(
            ReconcileWorkflow::run,
            ReconcileInput::Sweep(req.clone()),
            task_queue.to_owned(),
            format!("{id}-pass"),
        )
    };
    let options = CreateScheduleOptions::builder()
        .action(action())
        .spec(ScheduleSpec::from_interval(every))
        .overlap_policy(ScheduleOverlapPolicy::Skip)
        .build();
    match client.create_schedule(id.clone(), options).await {
        Ok(_) => Ok(()),
        Err(ScheduleError::Rpc(status)) if status.code() == tonic::Code::AlreadyExists => {
            let action = action();
            client
                .get_schedule_handle(id)
                .update(
                    move |u| {
                        u.set_spec(ScheduleSpec::from_interval(every))
                            .set_action(action)
                            .set_overlap_policy(ScheduleOverlapPolicy::Skip);
                    },
                    RpcOptions::default(),
                )
                .await?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Hands a succeeded payment whose cart has ended to the reconciler: a workflow per payment, so
/// a redelivered webhook joins the check already running.
pub async fn check_payment(client: &Client, task_queue: &str, intent: &str) -> Result<(), WorkflowStartError> {
    let options = WorkflowStartOptions::new(task_queue.to_owned(), format!("reconcile-{intent}"))
        .id_conflict_policy(WorkflowIdConflictPolicy::UseExisting)
        .task_timeout(crate::workflows::options::WORKFLOW_TASK_TIMEOUT)
        .build();
    let input = ReconcileInput::Payment {
        intent: intent.to_owned(),
    };
    match client.start_workflow(ReconcileWorkflow::run, input, options).await {
        Ok(_) | Err(WorkflowStartError::AlreadyStarted { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}
