//! What the storefront page needs to take cards: where to load Stripe.js from and the
//! publishable key, served as `GET /storefront/config` so the page itself stays a static file.
use crate::api::StorefrontSettings;
use actix_web::{HttpResponse, get, web};
use app::config::StorefrontConfig;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(storefront_config);
}

/// Where the storefront loads Stripe.js from and the publishable key it uses.
#[utoipa::path(tag = "storefront", responses((status = 200, body = StorefrontSettings)))]
#[get("/storefront/config")]
async fn storefront_config(config: web::Data<StorefrontConfig>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-cache"))
        .json(StorefrontSettings {
            stripe_js_url: config.stripe_js_url.clone(),
            publishable_key: config.publishable_key.clone(),
        })
}
