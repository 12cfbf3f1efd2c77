//! The storefront gateway: actix-web in front of the cart workflows.
//!
//! # Layout
//! - [`startup`]: builds the server on a listener (port 0 in tests) and runs it until stopped.
//! - [`routes`]: the HTTP routes, each a thin call into `app::carts`.
//! - [`error`]: the one table from error kind to status and JSON error body.
pub mod error;
pub mod routes;
pub mod startup;
