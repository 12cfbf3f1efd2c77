//! The gateway's own settings: where it listens, how long a checkout waits, which other sites
//! may call it, the shopper rate limit, the storefront's Stripe.js, and the tokens and secret
//! that turn on the orders API, the operator routes, the metrics, the codec and the webhook.
use super::{ConfigError, Env, ShopConfig, StorefrontConfig};
use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

pub struct GatewayConfig {
    pub address: String,
    pub workers: usize,
    pub checkout_wait: Duration,
    pub cors_origins: Vec<String>,
    pub rate_limit: RateLimitConfig,
    pub storefront: StorefrontConfig,
    /// Stripe's webhook signing secret; `None` leaves `/stripe/webhook` unmounted.
    pub webhook_secret: Option<String>,
    /// The `/orders` API's bearer token; `None` leaves it unmounted.
    pub orders_token: Option<String>,
    /// The operator routes' bearer token; `None` leaves them unmounted.
    pub operator_token: Option<String>,
    /// `/metrics`' own token, so a Prometheus config holds nothing that can change orders;
    /// `None` leaves it unmounted.
    pub metrics_token: Option<String>,
    /// `/codec`'s own token: it decrypts any payload, which looking carts up does not need;
    /// `None` leaves it unmounted.
    pub codec_token: Option<String>,
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
            .field("metrics_token", &set(&self.metrics_token))
            .field("codec_token", &set(&self.codec_token))
            .finish()
    }
}

impl GatewayConfig {
    pub fn from_env(env: &Env, shop: &ShopConfig) -> Result<Self, ConfigError> {
        let address = env.string("SHOP_HTTP_ADDRESS", "127.0.0.1:8080");
        let tokens = [
            ("SHOP_ORDERS_TOKEN", env.token("SHOP_ORDERS_TOKEN")?),
            ("SHOP_OPERATOR_TOKEN", env.token("SHOP_OPERATOR_TOKEN")?),
            ("SHOP_METRICS_TOKEN", env.token("SHOP_METRICS_TOKEN")?),
            ("SHOP_CODEC_TOKEN", env.token("SHOP_CODEC_TOKEN")?),
        ];
        distinct(&tokens)?;
        let [orders_token, operator_token, metrics_token, codec_token] = tokens.map(|(_, token)| token);
        Ok(Self {
            checkout_wait: env.duration("SHOP_CHECKOUT_WAIT", Duration::from_secs(20))?,
            workers: env.parse("SHOP_HTTP_WORKERS", 2)?,
            cors_origins: cors_origins(env, &shop.storefront_url, &address),
            rate_limit: rate_limit(env)?,
            storefront: StorefrontConfig::from_env(env)?,
            webhook_secret: env.secret("STRIPE_WEBHOOK_SECRET")?.map(str::to_owned),
            orders_token,
            operator_token,
            metrics_token,
            codec_token,
            address,
        })
    }
}

/// Each token opens its own routes only: one token in two settings would give whoever holds it
/// (a Prometheus config, say) both.
fn distinct(tokens: &[(&'static str, Option<String>)]) -> Result<(), ConfigError> {
    for (i, (var, token)) in tokens.iter().enumerate() {
        if let Some((other, _)) = tokens[..i].iter().find(|(_, t)| t.is_some() && t == token) {
            return Err(ConfigError {
                var,
                reason: format!("is the same as {other}; each token must be its own"),
            });
        }
    }
    Ok(())
}

/// The per-client limits: requests, and failed token checks.
#[derive(Debug, Clone)]
pub struct RateLimitConfig {
    /// `None` (`SHOP_RATE_LIMIT=off`): requests are not limited; failed token checks still are.
    pub requests: Option<RequestRate>,
    /// Failed token checks (401, 403) a client may make a minute before its token routes
    /// answer 429 (`SHOP_AUTH_FAILURES_PER_MINUTE`).
    pub token_failures_per_minute: NonZeroU32,
    /// The header a trusted proxy puts the client's address in; `None`: the peer address.
    pub client_ip_header: Option<String>,
    /// `SHOP_REDIS_URL`: every gateway counts in this Redis; `None`: each gateway alone.
    pub redis: Option<SharedLimitConfig>,
}

#[derive(Debug, Clone, Copy)]
pub struct RequestRate {
    /// Sustained requests per second per client.
    pub per_second: NonZeroU32,
    /// Requests a client may send at once before the sustained rate applies.
    pub burst: NonZeroU32,
}

#[derive(Clone)]
pub struct SharedLimitConfig {
    pub url: String,
    /// Put before every key (`SHOP_REDIS_PREFIX`), so shops or tests can share one Redis.
    pub prefix: String,
}

impl fmt::Debug for SharedLimitConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedLimitConfig")
            .field("url", &crate::settings::without_credentials(&self.url))
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            requests: Some(RequestRate {
                per_second: NonZeroU32::new(20).unwrap(),
                burst: NonZeroU32::new(60).unwrap(),
            }),
            token_failures_per_minute: NonZeroU32::new(10).unwrap(),
            client_ip_header: None,
            redis: None,
        }
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

/// `SHOP_RATE_LIMIT` requests per second per client (`off` turns that limit off), bursts of
/// `SHOP_RATE_LIMIT_BURST`, failed token checks, the client's address from
/// `SHOP_CLIENT_IP_HEADER` if a proxy sets it, and Redis to share them in.
fn rate_limit(env: &Env) -> Result<RateLimitConfig, ConfigError> {
    let defaults = RateLimitConfig::default();
    let rate = defaults.requests.expect("limited by default");
    let requests = match env.get("SHOP_RATE_LIMIT") {
        Some("off") => None,
        _ => Some(RequestRate {
            per_second: env.parse("SHOP_RATE_LIMIT", rate.per_second)?,
            burst: env.parse("SHOP_RATE_LIMIT_BURST", rate.burst)?,
        }),
    };
    let redis = match env.get("SHOP_REDIS_URL") {
        None => None,
        Some(url) if url.starts_with("redis://") => Some(SharedLimitConfig {
            url: url.to_owned(),
            prefix: env.string("SHOP_REDIS_PREFIX", "cartflow:limit"),
        }),
        Some(_) => {
            return Err(ConfigError {
                var: "SHOP_REDIS_URL",
                reason: "is not a redis:// URL (redis://[:password@]host:port[/db]; TLS is not built in)".into(),
            });
        }
    };
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
    Ok(RateLimitConfig {
        requests,
        token_failures_per_minute: env.parse("SHOP_AUTH_FAILURES_PER_MINUTE", defaults.token_failures_per_minute)?,
        client_ip_header,
        redis,
    })
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
    fn tokens_are_long_distinct_and_no_placeholders() {
        let shop = ShopConfig::from_env(&Env::from_pairs([])).unwrap();
        let long = "0123456789abcdef0123456789abcdef";
        let env = Env::from_pairs([("SHOP_ORDERS_TOKEN", long), ("SHOP_METRICS_TOKEN", long)]);
        let err = GatewayConfig::from_env(&env, &shop).unwrap_err();
        assert_eq!(err.var, "SHOP_METRICS_TOKEN");
        assert!(err.to_string().contains("SHOP_ORDERS_TOKEN"), "{err}");
        let env = Env::from_pairs([("SHOP_CODEC_TOKEN", "short")]);
        assert_eq!(
            GatewayConfig::from_env(&env, &shop).unwrap_err().var,
            "SHOP_CODEC_TOKEN"
        );
        let env = Env::from_pairs([("STRIPE_WEBHOOK_SECRET", "whsec_replace_me")]);
        assert_eq!(
            GatewayConfig::from_env(&env, &shop).unwrap_err().var,
            "STRIPE_WEBHOOK_SECRET"
        );
        let env = Env::from_pairs([("SHOP_OPERATOR_TOKEN", long)]);
        let config = GatewayConfig::from_env(&env, &shop).unwrap();
        assert_eq!(config.operator_token.as_deref(), Some(long));
        assert!(!format!("{config:?}").contains(long));
    }

    #[test]
    fn a_client_ip_header_must_be_a_header_name() {
        let env = Env::from_pairs([("SHOP_CLIENT_IP_HEADER", "X-Forwarded-For")]);
        let limit = rate_limit(&env).unwrap();
        assert_eq!(limit.client_ip_header.as_deref(), Some("x-forwarded-for"));
        let env = Env::from_pairs([("SHOP_CLIENT_IP_HEADER", "not a header")]);
        assert_eq!(rate_limit(&env).unwrap_err().var, "SHOP_CLIENT_IP_HEADER");
    }
}
