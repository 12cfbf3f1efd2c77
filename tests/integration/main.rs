//! Integration tests against real processes: each test starts its own Temporal dev server
//! (the `temporal` CLI from ./.venv), Stripe emulator and, where needed, SMTP catcher, on free
//! ports. A missing tool skips the test with a message, except under `CI=true`, where it fails.
mod helpers;

mod orders;

mod admin;
mod card_page;
mod cart_workflow;
mod checkout_flow;
mod codec;
mod dev_script;
mod docs;
mod durability;
mod email;
mod faults;
mod help;
mod history_budget;
mod metrics;
mod migrations;
mod order_final;
mod original_frontend;
mod payment_recovery;
mod payments;
mod rate_limit;
mod reconcile;
mod refused_at_start;
mod replay;
mod scale_out;
mod shipping_tax;
mod starter;
mod stock;
mod storefront;
mod storefront_stock;
mod traces;
mod webapp;
