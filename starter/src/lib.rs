//! What the shop's scripts share: [`shop_client`], a typed client for the cart API over HTTP,
//! used by the load benchmark and the integration tests, and [`journey`], the benchmark's
//! shopper journey with the history budget one journey must stay within.
pub mod journey;
pub mod shop_client;
