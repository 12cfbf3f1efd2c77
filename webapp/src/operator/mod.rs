//! Operator routes, each group behind a bearer token of its own:
//! - `admin`: carts listed and counted through Temporal's visibility (`/admin/carts`), behind
//!   `SHOP_OPERATOR_TOKEN` (apart from the orders token: support staff who look up carts need
//!   not be able to change orders).
//! - `codec`: the Temporal Web UI's remote codec (`POST /codec/decode`, `/codec/encode`), behind
//!   `SHOP_CODEC_TOKEN`: it decrypts any payload, which looking carts up does not need.
//! - `reconciliation`: the reconciler's recent passes (`/admin/reconciliation`), behind
//!   `SHOP_OPERATOR_TOKEN`.
//! - `products`: the catalogue and its stock (`/admin/products`), behind `SHOP_OPERATOR_TOKEN`.
//! - `discounts`: discount codes (`/admin/discounts`), behind `SHOP_OPERATOR_TOKEN`.
//! - `rates`: shipping methods and tax rates (`/admin/shipping`, `/admin/tax-rates`), behind
//!   `SHOP_OPERATOR_TOKEN`.
pub mod admin;
pub mod codec;
pub mod discounts;
pub mod products;
pub mod rates;
pub mod reconciliation;

pub use codec::CodecState;

use app::catalogue::CatalogueCache;
use app::visibility::CartDirectory;
use std::sync::Arc;

pub struct OperatorState {
    pub token: String,
    pub directory: CartDirectory,
    /// The gateway's catalogue cache, cleared by a change made here.
    pub catalogue: Arc<CatalogueCache>,
}

impl crate::auth::Guarded for OperatorState {
    fn token(&self) -> &str {
        &self.token
    }
}

/// The routes in the OpenAPI document.
pub fn configure_documented(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    admin::configure(cfg);
    products::configure(cfg);
    rates::configure(cfg);
    discounts::configure(cfg);
    reconciliation::configure(cfg);
}

/// A `PUT` that creates or replaces: 201 with what it made, or 200 with what it replaced.
pub(crate) fn saved<T: serde::Serialize>(created: bool, body: T) -> actix_web::HttpResponse {
    if created {
        actix_web::HttpResponse::Created().json(body)
    } else {
        actix_web::HttpResponse::Ok().json(body)
    }
}
