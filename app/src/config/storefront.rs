//! What the storefront page loads Stripe.js with: where from, and the publishable key. Stripe.js
//! runs with the page's whole power (it reads the card field), so it comes over https, or over
//! http from this machine only (an emulator in development).
use super::{ConfigError, Env};
use url::{Host, Url};

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
    /// The origin Stripe.js comes from, which the page's Content-Security-Policy lets in.
    pub fn stripe_js_origin(&self) -> String {
        Url::parse(&self.stripe_js_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }

    /// `SHOP_STRIPE_JS_URL` and `SHOP_STRIPE_PUBLISHABLE_KEY`. Against an emulator
    /// (`SHOP_STRIPE_BASE_URL` set) they default to the emulator's Stripe.js and a test key.
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let emulator = env.get("SHOP_STRIPE_BASE_URL").map(|b| b.trim_end_matches('/'));
        let stripe_js_url = match (env.get("SHOP_STRIPE_JS_URL"), emulator) {
            (Some(url), _) => url.to_owned(),
            (None, Some(base)) => format!("{base}/js.stripe.com/v3/"),
            (None, None) => STRIPE_JS_URL.into(),
        };
        if let Some(reason) = refuse_stripe_js(&stripe_js_url) {
            return Err(ConfigError {
                var: "SHOP_STRIPE_JS_URL",
                reason: format!("{stripe_js_url:?} {reason}"),
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

/// Why `url` may not serve Stripe.js, if it may not.
fn refuse_stripe_js(url: &str) -> Option<&'static str> {
    let Ok(parsed) = Url::parse(url) else {
        return Some("is not an http(s) URL");
    };
    let loopback = match parsed.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match parsed.scheme() {
        "https" => None,
        "http" if loopback => None,
        "http" => Some(
            "must be https unless it points at this machine (localhost, 127.0.0.1, ::1): anyone on the way could replace a script loaded over http, and it reads the card",
        ),
        _ => Some("is not an http(s) URL"),
    }
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

    #[test]
    fn stripe_js_comes_over_https_or_from_this_machine() {
        for url in [
            "https://js.stripe.com/v3/",
            "http://127.0.0.1:8420/js.stripe.com/v3/",
            "http://localhost:9/v3/",
            "http://[::1]:9/v3/",
        ] {
            let env = Env::from_pairs([("SHOP_STRIPE_JS_URL", url)]);
            let config = StorefrontConfig::from_env(&env).unwrap();
            assert_eq!(config.stripe_js_url, url);
        }
        for url in [
            "http://js.example.com/v3/",
            "http://10.0.0.5/v3/",
            "ftp://127.0.0.1/v3/",
        ] {
            let env = Env::from_pairs([("SHOP_STRIPE_JS_URL", url)]);
            assert_eq!(
                StorefrontConfig::from_env(&env).unwrap_err().var,
                "SHOP_STRIPE_JS_URL",
                "{url}"
            );
        }
        // Derived from an emulator elsewhere on the network: refused too, naming the setting.
        let env = Env::from_pairs([("SHOP_STRIPE_BASE_URL", "http://stripe-emulator:8420")]);
        assert_eq!(StorefrontConfig::from_env(&env).unwrap_err().var, "SHOP_STRIPE_JS_URL");
    }

    #[test]
    fn the_origin_is_what_the_page_s_policy_names() {
        let env = Env::from_pairs([("SHOP_STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/")]);
        assert_eq!(
            StorefrontConfig::from_env(&env).unwrap().stripe_js_origin(),
            "http://127.0.0.1:8420"
        );
        assert_eq!(StorefrontConfig::default().stripe_js_origin(), "https://js.stripe.com");
    }
}
