//! Operator routes, all behind `SHOP_OPERATOR_TOKEN` (a bearer token of its own, apart from the
//! orders token: support staff who look up carts need not be able to change orders).
//! - `admin`: carts listed and counted through Temporal's visibility (`/admin/carts`).
//! - `reconciliation`: the reconciler's recent passes (`/admin/reconciliation`).
//! - `codec`: the Temporal Web UI's remote codec (`POST /codec/decode`, `/codec/encode`).
pub mod admin;
pub mod codec;
pub mod reconciliation;

use crate::fallback::RouteTable;
use actix_web::web;
use app::codec::PayloadKeys;
use app::visibility::CartDirectory;

pub struct OperatorState {
    pub token: String,
    pub directory: CartDirectory,
    /// The shop's payload keys; `None` leaves `/codec` unmounted.
    pub payload_keys: Option<PayloadKeys>,
}

impl crate::auth::Guarded for OperatorState {
    fn token(&self) -> &str {
        &self.token
    }
}

/// The routes in the OpenAPI document.
pub fn configure_documented(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    admin::configure(cfg);
    reconciliation::configure(cfg);
}

/// The codec protocol's routes, outside the document (their shape is Temporal's).
pub fn configure(cfg: &mut web::ServiceConfig, state: &OperatorState) {
    if state.payload_keys.is_some() {
        codec::configure(cfg);
    }
}

/// What `configure` mounts, for the 404/405 answers of unknown routes.
pub fn routes(state: &OperatorState, table: &mut RouteTable) {
    if state.payload_keys.is_some() {
        table.add("/codec/decode", vec!["POST"]);
        table.add("/codec/encode", vec!["POST"]);
    }
}
