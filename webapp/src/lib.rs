//! The storefront gateway: actix-web in front of the cart workflows.
//!
//! # Layout
//! - [`startup`]: builds the server on a listener (port 0 in tests) and runs it until stopped.
//! - [`carts`]: the cart routes, each a thin call into `app::cart_client`.
//! - [`orders`]: the `/orders` contract (bearer token), a thin call into `app::orders`.
//! - [`cors`]: the browser origins allowed (an allow-list; any loopback origin on the dev stack).
//! - [`auth`]: the bearer-token extractor of the orders and operator routes.
//! - [`error`]: the one table from error kind to status and JSON error body.
//! - [`fallback`]: 404 / 405 for requests no route takes, and actix-web's own errors in our shape.
//! - [`webhook`]: `POST /stripe/webhook`, signature-checked, delivered to the cart as a signal.
//! - [`metrics`]: `GET /metrics` (requests by route pattern, status and latency; its own token).
//! - [`request_trace`]: request ids, the request's span as the trace the Temporal calls carry, the access line.
//! - [`rate_limit`]: the per-client shopper limit (429 with `Retry-After`).
//! - [`operator`]: operator routes (`/admin/carts`; the Web UI's remote codec), each behind a token of its own.
//! - [`storefront`]: `GET /storefront/config`, the page's Stripe.js URL and publishable key.
//! - [`api`]: typed response bodies, from which the OpenAPI document is generated.
//! - [`original`]: the original tutorial's field names beside ours, so its frontend works unchanged.
//! - `static/index.html`: the storefront page, compiled in and served at `/`.
pub mod api;
pub mod auth;
pub mod carts;
pub mod cors;
pub mod error;
pub mod fallback;
pub mod metrics;
pub mod operator;
pub mod orders;
pub mod original;
pub mod rate_limit;
pub mod request_trace;
pub mod startup;
pub mod storefront;
pub mod webhook;
