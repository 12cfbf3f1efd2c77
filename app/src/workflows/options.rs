//! Every activity's timeouts and retry policy, and the workflows' task timeout, in one place.
use super::cart::CartTiming;
use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_sdk::{ActivityOptions, LocalActivityOptions};

/// How long the server waits for a worker to finish a workflow task before handing it to
/// another. Temporal's default is 10 s, so a worker killed mid-task left its carts stuck that
/// long. A cart's task is a few milliseconds of work (a replay of a cache miss included, since
/// continue-as-new keeps histories short), so 3 s only ever fires for a dead or wedged worker.
/// The cost: a task that really does take longer (a worker starved of CPU) is timed out and
/// retried elsewhere instead of finishing.
pub const WORKFLOW_TASK_TIMEOUT: Duration = Duration::from_secs(3);

pub(crate) fn payment_options(timing: &CartTiming) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(timing.activity_timeout)
        .heartbeat_timeout(crate::activities::HEARTBEAT_TIMEOUT)
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(30))
                .maximum_attempts(timing.payment_attempts.max(1))
                .build(),
        )
        .build()
}

pub(crate) fn order_options(timing: &CartTiming) -> ActivityOptions {
    // Heartbeats, as for payments: an order left half-recorded by a dead worker is retried in
    // seconds, not after the whole timeout.
    ActivityOptions::with_start_to_close_timeout(timing.activity_timeout)
        .heartbeat_timeout(crate::activities::HEARTBEAT_TIMEOUT)
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .maximum_interval(Duration::from_secs(10))
                .maximum_attempts(timing.order_attempts.max(1))
                .build(),
        )
        .build()
}

pub(crate) fn email_options(timing: &CartTiming) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(timing.activity_timeout)
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(1))
                .maximum_interval(Duration::from_secs(60))
                .maximum_attempts(10)
                .build(),
        )
        .build()
}

/// For what must eventually happen (a refund owed, an order's status on record): no attempt
/// limit, backing off to a minute; every failed attempt stays visible on the workflow.
pub(crate) fn retry_forever(timeout: Duration) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(timeout)
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .maximum_interval(Duration::from_secs(60))
                .build(),
        )
        .build()
}

pub(crate) fn default_refund_attempts() -> u32 {
    10
}

/// `attempts` tries, the wait between them doubling from `first` up to a minute; then the
/// caller gives up and says so (never an activity retried without end by accident).
pub(crate) fn bounded(timeout: Duration, first: Duration, attempts: u32) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(timeout)
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(first)
                .backoff_coefficient(2.0)
                .maximum_interval(Duration::from_secs(60))
                .maximum_attempts(attempts.max(1))
                .build(),
        )
        .build()
}

/// For a refund: `attempts` times (10: about seven minutes), then left for an operator and
/// the reconciler's next pass.
pub(crate) fn refund_options(timeout: Duration, attempts: u32) -> ActivityOptions {
    bounded(timeout, Duration::from_millis(500), attempts)
}

/// For handing a disowned payment to the reconciler: a few attempts, then the sweep's job.
pub(crate) fn stray_options(timing: &CartTiming) -> ActivityOptions {
    bounded(timing.activity_timeout, Duration::from_secs(1), timing.refund_attempts)
}

/// Stock and prices asked from inside a change: a local activity (one marker event, no task of
/// its own), a few quick attempts well within the gateway's deadline; then the change is
/// refused as `catalogue_unavailable` and the shopper retries.
pub(crate) fn stock_options() -> LocalActivityOptions {
    LocalActivityOptions::builder()
        .start_to_close_timeout(Duration::from_secs(2))
        .schedule_to_close_timeout(Duration::from_secs(6))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(200))
                .backoff_coefficient(2.0)
                .maximum_attempts(4)
                .build(),
        )
        .build()
}

/// Releasing a cart's stock must happen in the end (a lapse, an expiry, a checkout given up):
/// a local activity retried without a limit, backing off to a minute.
pub(crate) fn release_options() -> LocalActivityOptions {
    LocalActivityOptions::builder()
        .start_to_close_timeout(Duration::from_secs(5))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_millis(500))
                .maximum_interval(Duration::from_secs(60))
                .build(),
        )
        .build()
}
