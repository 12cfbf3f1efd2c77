//! Settings from the environment. Temporal's own connection settings (`TEMPORAL_ADDRESS`,
//! `TEMPORAL_NAMESPACE`, TLS, API key) are read by the SDK's envconfig; everything the shop
//! adds is a `SHOP_*` variable (plus the providers' customary `STRIPE_SECRET_KEY`, `MAILGUN_*`).
//! A missing or malformed value fails at start with a message naming the variable.
mod env;
mod gateway;
mod providers;
mod shop;
mod storefront;

pub use env::{ConfigError, Env};
pub use gateway::{GatewayConfig, RateLimitConfig, RequestRate, SharedLimitConfig};
pub use providers::{EmailConfig, OrdersConfig, StripeConfig};
pub use shop::{Compression, ReconcileConfig, ShopConfig, TemporalConfig, WorkerConfig};
pub use storefront::{EMULATOR_PUBLISHABLE_KEY, STRIPE_JS_URL, StorefrontConfig};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workflows::cart::CartTiming;
    use std::time::Duration;

    #[test]
    fn defaults_need_only_a_stripe_setting() {
        let env = Env::from_pairs([("SHOP_STRIPE_BASE_URL", "http://127.0.0.1:1")]);
        let shop = ShopConfig::from_env(&env).unwrap();
        assert_eq!(shop.task_queue, "ecommerce");
        assert_eq!(shop.timing, CartTiming::production());
        assert!(matches!(
            EmailConfig::from_env(&env, &shop.data_dir).unwrap(),
            EmailConfig::Outbox { .. }
        ));
        assert_eq!(StripeConfig::from_env(&env).unwrap().secret_key, "sk_test_emulator");
    }

    #[test]
    fn errors_name_the_variable() {
        let err = StripeConfig::from_env(&Env::from_pairs([])).unwrap_err();
        assert_eq!(err.var, "STRIPE_SECRET_KEY");
        let err = ShopConfig::from_env(&Env::from_pairs([("SHOP_CART_TTL", "soon")])).unwrap_err();
        assert_eq!(err.var, "SHOP_CART_TTL");
        let err = WorkerConfig::from_env(&Env::from_pairs([("SHOP_WORKER_POLLERS", "-1")])).unwrap_err();
        assert_eq!(err.var, "SHOP_WORKER_POLLERS");
        let err = EmailConfig::from_env(&Env::from_pairs([("SHOP_EMAIL_PROVIDER", "smtp")]), "d".as_ref()).unwrap_err();
        assert_eq!(err.var, "SHOP_SMTP_URL");
        let env = Env::from_pairs([("SHOP_EMAIL_PROVIDER", "mailgun"), ("MAILGUN_DOMAIN", "x.io")]);
        assert_eq!(
            EmailConfig::from_env(&env, "d".as_ref()).unwrap_err().var,
            "MAILGUN_API_KEY"
        );
    }

    #[test]
    fn durations_read_as_people_write_them() {
        let env = Env::from_pairs([("SHOP_REMINDER_AFTER", "500ms, 2s"), ("SHOP_CART_TTL", "7d")]);
        let shop = ShopConfig::from_env(&env).unwrap();
        assert_eq!(
            shop.timing.reminder_after,
            [Duration::from_millis(500), Duration::from_secs(2)]
        );
        assert_eq!(shop.timing.expire_after, Duration::from_secs(7 * 86_400));
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let env = Env::from_pairs([("STRIPE_SECRET_KEY", "sk_live_very_secret")]);
        let stripe = StripeConfig::from_env(&env).unwrap();
        assert!(!format!("{stripe:?}").contains("very_secret"));
        let mg = EmailConfig::Mailgun {
            base_url: "b".into(),
            domain: "d".into(),
            api_key: "key-secret".into(),
            from: "f".into(),
        };
        assert!(!format!("{mg:?}").contains("key-secret"));
    }
}
