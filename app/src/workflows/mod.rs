//! Durable logic. Deterministic code only: time comes from `workflow_time`, waiting from the
//! SDK's timers and conditions, and every side effect is an activity.
pub mod cart;
pub mod failure;
pub mod options;
pub mod order;
pub mod order_flows;
pub mod reconcile;
pub mod search;
mod wait;
