//! The wait both workflows are built on: a timer, or a change of their state, whichever comes
//! first.
use std::pin::pin;
use std::time::Duration;
use temporalio_sdk::workflows::select;
use temporalio_sdk::{CancellableFuture, TimerResult, WorkflowContext, WorkflowResult, WorkflowTermination};

pub(crate) enum Woken {
    Fired,
    Changed,
}

/// Waits `wait`, or until `changed` holds. A timer the change beat is cancelled: dropping it
/// would leave it running on the server. A timer cancelled under it (the workflow was
/// cancelled) ends the workflow as cancelled.
pub(crate) async fn timer_or_change<W>(
    ctx: &WorkflowContext<W>,
    wait: Duration,
    changed: impl FnMut(&W) -> bool,
) -> WorkflowResult<Woken> {
    let mut timer = pin!(ctx.timer(wait));
    let woken = select! {
        fired = timer.as_mut() => match fired {
            TimerResult::Fired => Woken::Fired,
            TimerResult::Cancelled => return Err(WorkflowTermination::cancelled()),
        },
        waited = ctx.wait_condition(changed) => {
            waited?;
            Woken::Changed
        }
    };
    if matches!(woken, Woken::Changed) {
        timer.cancel();
    }
    Ok(woken)
}
