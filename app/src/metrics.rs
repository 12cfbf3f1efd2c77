//! The shop's own counters and the payment call latency, on the worker's Prometheus endpoint
//! beside the SDK's metrics (`SHOP_METRICS_ADDRESS`). Installed once per process; until then
//! (tests with an in-process worker, a worker without the endpoint) every call is a no-op.
//!
//! Workflow code counts only when it is not replaying, so a cart rebuilt from history on
//! another worker counts nothing twice. A workflow task that fails and is retried can count
//! its step again: these are operational figures, not the books (the orders table is).
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use temporalio_common::telemetry::metrics::{
    CoreMeter, Counter, HistogramDuration, MetricAttributes, MetricKeyValue, MetricParameters, NewAttributes,
};

struct ShopMetrics {
    meter: Arc<dyn CoreMeter>,
    carts_started: Counter,
    checkouts: Counter,
    carts_expired: Counter,
    reminders_sent: Counter,
    refunds: Counter,
    order_transitions: Counter,
    reconciled: Counter,
    payment_calls: HistogramDuration,
}

static METRICS: OnceLock<ShopMetrics> = OnceLock::new();

fn param(name: &'static str, description: &'static str) -> MetricParameters {
    MetricParameters::builder().name(name).description(description).build()
}

/// Registers the shop's instruments on `meter` (the SDK's Prometheus meter); once per process.
pub fn install(meter: Arc<dyn CoreMeter>) {
    let metrics = ShopMetrics {
        carts_started: meter.counter(param("shop_carts_started", "cart workflows begun (first runs only)")),
        checkouts: meter.counter(param("shop_checkouts", "checkout attempts by outcome")),
        carts_expired: meter.counter(param(
            "shop_carts_expired",
            "carts that ended unpaid after the quiet period",
        )),
        reminders_sent: meter.counter(param("shop_reminders_sent", "abandoned-cart reminder emails sent")),
        refunds: meter.counter(param(
            "shop_refunds",
            "payments refunded (a paid cart that got no order, a cancelled order)",
        )),
        order_transitions: meter.counter(param(
            "shop_order_transitions",
            "order status changes recorded, by new status",
        )),
        reconciled: meter.counter(param(
            "shop_reconciled_payments",
            "payments the reconciler refunded (an orphan) or could not put right (unresolved)",
        )),
        payment_calls: meter.histogram_duration(param(
            "shop_payment_call_duration",
            "one call to Stripe to create or recover a payment, by outcome",
        )),
        meter,
    };
    let _ = METRICS.set(metrics);
}

fn with(f: impl FnOnce(&ShopMetrics)) {
    if let Some(m) = METRICS.get() {
        f(m)
    }
}

fn labels(m: &ShopMetrics, pairs: &[(&'static str, &str)]) -> MetricAttributes {
    m.meter.new_attributes(NewAttributes::from(
        pairs.iter().map(|(k, v)| MetricKeyValue::new(*k, (*v).to_owned())),
    ))
}

pub fn cart_started() {
    with(|m| m.carts_started.add(1, &labels(m, &[])));
}

/// `paid`, `declined` (card refused or not completed), `unsettled` (no clear answer, looked
/// up next), `refunded` (paid but no order could be recorded) or `refund_refused`.
pub fn checkout(outcome: &str) {
    with(|m| m.checkouts.add(1, &labels(m, &[("outcome", outcome)])));
}

pub fn cart_expired() {
    with(|m| m.carts_expired.add(1, &labels(m, &[])));
}

pub fn reminder_sent() {
    with(|m| m.reminders_sent.add(1, &labels(m, &[])));
}

pub fn refunded() {
    with(|m| m.refunds.add(1, &labels(m, &[])));
}

pub fn order_transition(status: &str) {
    with(|m| m.order_transitions.add(1, &labels(m, &[("status", status)])));
}

/// `ok`, `declined` or `error`.
pub fn payment_call(outcome: &str, took: Duration) {
    with(|m| m.payment_calls.record(took, &labels(m, &[("outcome", outcome)])));
}

/// `refunded` (an orphan payment refunded) or `unresolved` (left for an operator).
pub fn reconciled(outcome: &str) {
    with(|m| m.reconciled.add(1, &labels(m, &[("outcome", outcome)])));
}
