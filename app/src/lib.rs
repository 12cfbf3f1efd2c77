//! Domain and durable logic of a shop whose every shopping cart is a long-lived Temporal workflow.
//! No HTTP here: the gateway (`webapp`) and the `worker` only wire these pieces, and the
//! `starter` plays a shopper against the gateway.
//!
//! # Layout
//! - [`domain`]: newtypes input is parsed into at the edge (`CartId`, `Email`, `Quantity`, `Cents`).
//! - [`catalogue`]: the products, their prices in integer cents and their stock (in the database,
//!   seeded from a replaceable JSON file).
//! - [`cart`]: cart state and the pure rules that change it; shared by validators and handlers.
//! - [`totals`]: a cart's shipping address, shipping, tax and discount codes, and its breakdown (pure).
//! - [`workflows::cart`]: the cart workflow (updates, compatibility signals, query, the
//!   abandoned-cart timer, checkout, continue-as-new).
//! - [`activities`]: the workflow's side effects: charging a card and sending email.
//! - [`orders`]: the shop's database (SQLite or PostgreSQL via sqlx, embedded migrations): order
//!   records and their status rules, products, stock and the carts' reservations.
//! - [`payments`], [`email`]: the Stripe and mail clients the activities use.
//! - [`reconcile`]: every succeeded payment ends in one order or a full refund (strays, sweeps).
//! - [`metrics`]: the shop's counters and payment latency on the worker's Prometheus endpoint.
//! - [`codes`]: every error code, with its HTTP status and the field at fault: one table.
//! - [`config`]: settings from the environment, each failure naming its variable.
//! - [`cart_client`]: a typed client for cart workflows (start, update, signal, query) used by the gateway and the tests.
//! - [`settings`]: each binary's settings, for `--help` and the startup line (secrets redacted).
//! - [`temporal`]: connecting to Temporal from its own environment variables.
//! - [`codec`]: the payload codec that encrypts what the shop stores in Temporal.
//! - [`traces`]: one trace per request across gateway and worker, exported over OTLP when asked.
//! - [`visibility`]: carts listed and counted by their search attributes, for operators.
//! - [`worker`]: builds the Temporal worker that hosts the workflows and activities.
pub mod activities;
pub mod cart;
pub mod cart_client;
pub mod catalogue;
pub mod codec;
pub mod codes;
pub mod config;
pub mod domain;
pub mod email;
pub mod metrics;
pub mod orders;
pub mod payments;
pub mod reconcile;
pub mod settings;
pub mod telemetry;
pub mod temporal;
pub mod totals;
pub mod traces;
pub mod visibility;
pub mod worker;
pub mod workflows;

/// Picks aws-lc-rs as the process's TLS crypto provider. Temporal's client enables rustls' ring
/// backend while async-stripe, reqwest and lettre use aws-lc-rs; with both compiled in, rustls
/// refuses to guess and the first TLS client built panics. Every binary calls this first.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
