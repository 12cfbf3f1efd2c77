//! Durable logic. Deterministic code only: time comes from `workflow_time`, waiting from the
//! SDK's timers and conditions, and every side effect is an activity.
pub mod cart;
mod failure;
pub mod fingerprint;
pub mod order;
pub mod search;

use std::time::Duration;
use temporalio_common::RetryPolicy;
use temporalio_sdk::ActivityOptions;

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
