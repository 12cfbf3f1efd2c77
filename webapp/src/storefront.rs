//! The storefront: the page at `/` with its stylesheet and scripts (compiled in, so the gateway
//! needs no asset folder or CDN), and what the page needs to take cards, `GET /storefront/config`
//! (where to load Stripe.js from and the publishable key), so the page itself stays static.
//!
//! The page holds the card field, so it goes out with a Content-Security-Policy: scripts from
//! the gateway and Stripe.js' origin only (no inline script or style: an injected one does not
//! run), frames from Stripe.js' origin only, and no site may frame the page (clickjacking).
use crate::api::StorefrontSettings;
use crate::fallback::RouteTable;
use actix_web::{HttpResponse, get, web};
use app::config::StorefrontConfig;
use utoipa_actix_web::service_config::ServiceConfig;

const PAGE: &str = include_str!("../static/index.html");
/// Served at `/assets/<name>` with their content types.
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "storefront.css",
        "text/css; charset=utf-8",
        include_str!("../static/storefront.css"),
    ),
    (
        "cart.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/cart.js"),
    ),
    (
        "checkout.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/checkout.js"),
    ),
];

/// Stripe's own Stripe.js, besides its own origin, frames 3-D Secure challenges from
/// hooks.stripe.com and calls api.stripe.com (Stripe's published CSP requirements).
const STRIPE_FRAMES: &str = "https://hooks.stripe.com";
const STRIPE_API: &str = "https://api.stripe.com";

/// The page's Content-Security-Policy for Stripe.js at `config`'s URL.
pub fn content_security_policy(config: &StorefrontConfig) -> String {
    let stripe = config.stripe_js_origin();
    let (frames, connect) = if stripe == "https://js.stripe.com" {
        (
            format!("{stripe} {STRIPE_FRAMES}"),
            format!("'self' {stripe} {STRIPE_API}"),
        )
    } else {
        // The emulator's stand-in calls the emulator it came from.
        (stripe.clone(), format!("'self' {stripe}"))
    };
    [
        "default-src 'self'".to_owned(),
        format!("script-src 'self' {stripe}"),
        "style-src 'self'".to_owned(),
        // Product pictures may live on any https host (the catalogue is the shop's own file).
        "img-src 'self' https: data:".to_owned(),
        format!("connect-src {connect}"),
        format!("frame-src {frames}"),
        "frame-ancestors 'none'".to_owned(),
        "base-uri 'none'".to_owned(),
        "form-action 'self'".to_owned(),
        "object-src 'none'".to_owned(),
    ]
    .join("; ")
}

/// The policy, worked out once at start.
#[derive(Clone)]
pub struct PagePolicy(pub String);

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(storefront_config);
}

/// The page and its assets, outside the OpenAPI document.
pub fn configure_page(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(page));
    for (name, content_type, body) in ASSETS {
        cfg.route(
            &format!("/assets/{name}"),
            web::get().to(move || async move {
                HttpResponse::Ok()
                    .content_type(content_type)
                    .insert_header(("Cache-Control", "no-cache"))
                    .insert_header(("X-Content-Type-Options", "nosniff"))
                    .body(body)
            }),
        );
    }
}

/// What `configure_page` mounts, for the 404/405 answers of unknown routes.
pub fn routes(table: &mut RouteTable) {
    table.add("/", vec!["GET"]);
    for (name, _, _) in ASSETS {
        table.add(&format!("/assets/{name}"), vec!["GET"]);
    }
}

async fn page(policy: web::Data<PagePolicy>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", policy.0.as_str()))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Referrer-Policy", "same-origin"))
        .body(PAGE)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_s_own_js_gets_its_frames_and_api_and_nothing_inline_runs() {
        let policy = content_security_policy(&StorefrontConfig::default());
        assert!(policy.contains("script-src 'self' https://js.stripe.com;"), "{policy}");
        assert!(
            policy.contains("frame-src https://js.stripe.com https://hooks.stripe.com;"),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe"), "{policy}");
    }

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        assert!(!PAGE.contains("<script>") && !PAGE.contains("<style") && !PAGE.contains("style="));
        assert!(!regex_like_handler(PAGE), "no inline event handlers");
    }

    /// `onclick=`, `onload=` and the like.
    fn regex_like_handler(page: &str) -> bool {
        page.split(|c: char| c.is_whitespace())
            .any(|word| word.starts_with("on") && word.contains('='))
    }
}
