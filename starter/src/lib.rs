//! What the shop's scripts share: [`shop_client`], a typed client for the cart API over HTTP,
//! used by the load benchmark and the integration tests.
pub mod shop_client;
