//! The gateway's own settings: where it listens, how long a checkout waits, which other sites
//! may call it, the shopper rate limit, the storefront's Stripe.js, and the tokens and secret
//! that turn on the orders API, the operator routes and the webhook.
use super::{ConfigError, Env, ShopConfig};
use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

pub struct GatewayConfig {
    pub address: String,
    pub workers: usize,
    pub checkout_wait: Duration,
    pub cors_origins: Vec<String>,
    /// `None`: shopper routes unlimited (`SHOP_RATE_LIMIT=off`).
    pub rate_limit: Option<RateLimitConfig>,
    pub storefront: StorefrontConfig,
    /// Stripe's webhook signing secret; `None` leaves `/stripe/webhook` unmounted.
    pub webhook_secret: Option<String>,
    /// The `/orders` API's bearer token; `None` leaves it unmounted.
    pub orders_token: Option<String>,
    /// The operator routes' bearer token; `None` leaves them unmounted.
    pub operator_token: Option<String>,
}

impl fmt::Debug for GatewayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: &Option<String>| if s.is_some() { "<redacted>" } else { "unset" };
        f.debug_struct("GatewayConfig")
            .field("address", &self.address)
            .field("workers", &self.workers)
            .field("checkout_wait", &self.checkout_wait)
            .field("cors_origins", &self.cors_origins)
            .field("rate_limit", &self.rate_limit)
            .field("storefront", &self.storefront)
            .field("webhook_secret", &set(&self.webhook_secret))
            .field("orders_token", &set(&self.orders_token))
            .field("operator_token", &set(&self.operator_token))
            .finish()
    }
}

impl GatewayConfig {
    pub fn from_env(env: &Env, shop: &ShopConfig) -> Result<Self, ConfigError> {
        let address = env.string("SHOP_HTTP_ADDRESS", "127.0.0.1:8080");
        Ok(Self {
            checkout_wait: env.duration("SHOP_CHECKOUT_WAIT", Duration::from_secs(20))?,
            workers: env.parse("SHOP_HTTP_WORKERS", 2)?,
            cors_origins: cors_origins(env, &shop.storefront_url, &address),
            rate_limit: rate_limit(env)?,
            storefront: StorefrontConfig::from_env(env)?,
            webhook_secret: env.get("STRIPE_WEBHOOK_SECRET").map(str::to_owned),
            orders_token: env.get("SHOP_ORDERS_TOKEN").map(str::to_owned),
            operator_token: env.get("SHOP_OPERATOR_TOKEN").map(str::to_owned),
            address,
        })
    }
}

/// The per-client limit on shopper routes.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    /// Sustained requests per second per client.
    pub per_second: NonZeroU32,
    /// Requests a client may send at once before the sustained rate applies.
    pub burst: NonZeroU32,
    /// The header a trusted proxy puts the client's address in; `None`: the peer address.
    pub client_ip_header: Option<String>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            per_second: NonZeroU32::new(20).unwrap(),
            burst: NonZeroU32::new(60).unwrap(),
            client_ip_header: None,
        }
    }
}

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

/// `SHOP_CORS_ORIGINS` (comma-separated), or by default the storefront's own origin and the
/// same port on localhost and 127.0.0.1.
fn cors_origins(env: &Env, storefront: &str, address: &str) -> Vec<String> {
    if let Some(list) = env.get("SHOP_CORS_ORIGINS") {
        return list
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect();
    }
    let port = address.rsplit(':').next().unwrap_or("8080");
    let mut origins = vec![storefront.trim_end_matches('/').to_owned()];
    for host in ["localhost", "127.0.0.1"] {
        let origin = format!("http://{host}:{port}");
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    origins
}

/// `SHOP_RATE_LIMIT` requests per second per client (`off` turns the limit off), bursts of
/// `SHOP_RATE_LIMIT_BURST`, the client's address from `SHOP_CLIENT_IP_HEADER` if a proxy sets it.
fn rate_limit(env: &Env) -> Result<Option<RateLimitConfig>, ConfigError> {
    if env.get("SHOP_RATE_LIMIT") == Some("off") {
        return Ok(None);
    }
    let defaults = RateLimitConfig::default();
    let client_ip_header = match env.get("SHOP_CLIENT_IP_HEADER") {
        None => None,
        Some(name) if is_header_name(name) => Some(name.to_ascii_lowercase()),
        Some(name) => {
            return Err(ConfigError {
                var: "SHOP_CLIENT_IP_HEADER",
                reason: format!("{name:?} is not a header name"),
            });
        }
    };
    Ok(Some(RateLimitConfig {
        per_second: env.parse("SHOP_RATE_LIMIT", defaults.per_second)?,
        burst: env.parse("SHOP_RATE_LIMIT_BURST", defaults.burst)?,
        client_ip_header,
    }))
}

/// An HTTP header name: one or more of the token characters of RFC 9110.
fn is_header_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_ip_header_must_be_a_header_name() {
        let env = Env::from_pairs([("SHOP_CLIENT_IP_HEADER", "X-Forwarded-For")]);
        let limit = rate_limit(&env).unwrap().unwrap();
        assert_eq!(limit.client_ip_header.as_deref(), Some("x-forwarded-for"));
        let env = Env::from_pairs([("SHOP_CLIENT_IP_HEADER", "not a header")]);
        assert_eq!(rate_limit(&env).unwrap_err().var, "SHOP_CLIENT_IP_HEADER");
    }

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
