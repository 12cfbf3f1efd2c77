//! What the storefront page needs to take cards: where to load Stripe.js from and the
//! publishable key, served as `GET /storefront/config` so the page itself stays a static file.
use crate::api::StorefrontSettings;
use actix_web::{HttpResponse, get, web};
use app::config::{ConfigError, Env};
use utoipa_actix_web::service_config::ServiceConfig;

/// Stripe's own, for production.
pub const STRIPE_JS_URL: &str = "https://js.stripe.com/v3/";
/// Any `pk_` key does for the emulator, which checks only the prefix.
pub const EMULATOR_PUBLISHABLE_KEY: &str = "pk_test_emulator";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorefrontConfig {
    pub stripe_js_url: String,
    /// `None` when none is configured: the page then says that card payments are unavailable.
    pub publishable_key: Option<String>,
}

impl Default for StorefrontConfig {
    fn default() -> Self {
        Self {
            stripe_js_url: STRIPE_JS_URL.into(),
            publishable_key: None,
        }
    }
}

impl StorefrontConfig {
    /// `SHOP_STRIPE_JS_URL` and `SHOP_STRIPE_PUBLISHABLE_KEY`. Against an emulator
    /// (`SHOP_STRIPE_BASE_URL` set) they default to the emulator's Stripe.js and a test key.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let emulator = env.get("SHOP_STRIPE_BASE_URL").map(|b| b.trim_end_matches('/'));
        let stripe_js_url = match (env.get("SHOP_STRIPE_JS_URL"), emulator) {
            (Some(url), _) => url.to_owned(),
            (None, Some(base)) => format!("{base}/js.stripe.com/v3/"),
            (None, None) => STRIPE_JS_URL.into(),
        };
        if !(stripe_js_url.starts_with("https://") || stripe_js_url.starts_with("http://")) {
            return Err(ConfigError {
                var: "SHOP_STRIPE_JS_URL",
                reason: format!("{stripe_js_url:?} is not an http(s) URL"),
            });
        }
        let publishable_key = match (env.get("SHOP_STRIPE_PUBLISHABLE_KEY"), emulator) {
            (Some(key), _) => Some(key.to_owned()),
            (None, Some(_)) => Some(EMULATOR_PUBLISHABLE_KEY.into()),
            (None, None) => None,
        };
        // Every visitor reads this value: a secret or restricted key here would be published.
        if let Some(key) = &publishable_key
            && !key.starts_with("pk_")
        {
            return Err(ConfigError {
                var: "SHOP_STRIPE_PUBLISHABLE_KEY",
                reason: "must be a publishable key (pk_live_… or pk_test_…); it is sent to every browser".into(),
            });
        }
        Ok(Self {
            stripe_js_url,
            publishable_key,
        })
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_emulator_serves_stripe_js_and_takes_a_test_key_unless_told_otherwise() {
        let env = Env::from_pairs([("SHOP_STRIPE_BASE_URL", "http://127.0.0.1:8420/")]);
        let config = StorefrontConfig::from_env(&env).unwrap();
        assert_eq!(config.stripe_js_url, "http://127.0.0.1:8420/js.stripe.com/v3/");
        assert_eq!(config.publishable_key.as_deref(), Some(EMULATOR_PUBLISHABLE_KEY));

        let env = Env::from_pairs([
            ("SHOP_STRIPE_BASE_URL", "http://127.0.0.1:8420"),
            ("SHOP_STRIPE_JS_URL", "http://127.0.0.1:9000/v3/"),
            ("SHOP_STRIPE_PUBLISHABLE_KEY", "pk_test_mine"),
        ]);
        let config = StorefrontConfig::from_env(&env).unwrap();
        assert_eq!(config.stripe_js_url, "http://127.0.0.1:9000/v3/");
        assert_eq!(config.publishable_key.as_deref(), Some("pk_test_mine"));
    }

    #[test]
    fn production_loads_stripe_s_own_js_and_never_publishes_a_secret_key() {
        let config = StorefrontConfig::from_env(&Env::from_pairs([])).unwrap();
        assert_eq!(config, StorefrontConfig::default());
        assert_eq!(config.stripe_js_url, STRIPE_JS_URL);

        for key in ["sk_live_oops", "rk_live_oops"] {
            let env = Env::from_pairs([("SHOP_STRIPE_PUBLISHABLE_KEY", key)]);
            let err = StorefrontConfig::from_env(&env).unwrap_err();
            assert_eq!(err.var, "SHOP_STRIPE_PUBLISHABLE_KEY");
            assert!(!err.to_string().contains(key), "the key is not echoed: {err}");
        }
        let env = Env::from_pairs([("SHOP_STRIPE_JS_URL", "js.stripe.com/v3/")]);
        assert_eq!(StorefrontConfig::from_env(&env).unwrap_err().var, "SHOP_STRIPE_JS_URL");
    }
}
