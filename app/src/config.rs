//! Settings from the environment. Temporal's own connection settings (`TEMPORAL_ADDRESS`,
//! `TEMPORAL_NAMESPACE`, TLS, API key) are read by the SDK's envconfig; everything the shop
//! adds is a `SHOP_*` variable (plus the providers' customary `STRIPE_SECRET_KEY`, `MAILGUN_*`).
//! A missing or malformed value fails at start with a message naming the variable.
use crate::cart::Limits;
use crate::catalogue::Catalogue;
use crate::codec::PayloadKeys;
use crate::domain::CartIdKey;
use crate::email::Mailer;
use crate::payments::Payments;
use crate::workflows::cart::CartTiming;
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

/// The environment as a map, so tests can pass their own.
pub struct Env(HashMap<String, String>);

impl Env {
    pub fn from_process() -> Self {
        Self(std::env::vars().collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self(pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect())
    }

    pub fn get(&self, var: &str) -> Option<&str> {
        self.0.get(var).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    pub fn string(&self, var: &'static str, default: &str) -> String {
        self.get(var).unwrap_or(default).to_owned()
    }

    pub fn required(&self, var: &'static str, why: &str) -> Result<String, ConfigError> {
        self.get(var).map(str::to_owned).ok_or_else(|| ConfigError {
            var,
            reason: format!("not set; {why}"),
        })
    }

    pub fn parse<T: FromStr>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        Ok(self.parse_optional(var)?.unwrap_or(default))
    }

    /// `None` when unset; a value that does not parse is an error naming the variable.
    pub fn parse_optional<T: FromStr>(&self, var: &'static str) -> Result<Option<T>, ConfigError>
    where
        T::Err: fmt::Display,
    {
        self.get(var)
            .map(|raw| {
                raw.parse().map_err(|e| ConfigError {
                    var,
                    reason: format!("cannot parse {raw:?}: {e}"),
                })
            })
            .transpose()
    }

    pub fn duration(&self, var: &'static str, default: Duration) -> Result<Duration, ConfigError> {
        match self.get(var) {
            None => Ok(default),
            Some(raw) => parse_duration(var, raw),
        }
    }

    pub fn durations(&self, var: &'static str, default: &[Duration]) -> Result<Vec<Duration>, ConfigError> {
        match self.get(var) {
            None => Ok(default.to_vec()),
            Some(raw) => raw.split(',').map(|part| parse_duration(var, part.trim())).collect(),
        }
    }
}

fn parse_duration(var: &'static str, raw: &str) -> Result<Duration, ConfigError> {
    humantime::parse_duration(raw).map_err(|e| ConfigError {
        var,
        reason: format!("{raw:?} is not a duration like 500ms, 90s, 1h or 7d: {e}"),
    })
}

/// What every process that starts or drives carts needs to agree on.
#[derive(Debug, Clone)]
pub struct ShopConfig {
    pub task_queue: String,
    pub data_dir: PathBuf,
    pub catalogue: Catalogue,
    pub limits: Limits,
    pub timing: CartTiming,
    pub continue_after_messages: Option<u32>,
    pub storefront_url: String,
    /// Signs the cart ids the gateway mints (`SHOP_CART_ID_KEY`); shared by every gateway.
    pub cart_id_key: Option<CartIdKey>,
}

impl ShopConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let catalogue = match env.get("SHOP_CATALOGUE_FILE") {
            Some(path) => Catalogue::load(path.as_ref()).map_err(|e| ConfigError {
                var: "SHOP_CATALOGUE_FILE",
                reason: e.to_string(),
            })?,
            None => Catalogue::embedded(),
        };
        let production = CartTiming::production();
        let timing = CartTiming {
            reminder_after: env.durations("SHOP_REMINDER_AFTER", &production.reminder_after)?,
            expire_after: env.duration("SHOP_CART_TTL", production.expire_after)?,
            activity_timeout: env.duration("SHOP_ACTIVITY_TIMEOUT", production.activity_timeout)?,
            order_attempts: env.parse("SHOP_ORDER_ATTEMPTS", production.order_attempts)?,
            payment_attempts: env.parse("SHOP_PAYMENT_ATTEMPTS", production.payment_attempts)?,
            payment_check_after: env.duration("SHOP_PAYMENT_CHECK_AFTER", production.payment_check_after)?,
            payment_wait: env.duration("SHOP_PAYMENT_WAIT", production.payment_wait)?,
        };
        let continue_after_messages = env.parse_optional("SHOP_CONTINUE_AS_NEW_AFTER")?;
        Ok(Self {
            task_queue: env.string("SHOP_TASK_QUEUE", "ecommerce"),
            data_dir: PathBuf::from(env.string("SHOP_DATA_DIR", "data")),
            catalogue,
            limits: Limits {
                max_lines: env.parse("SHOP_MAX_LINES", Limits::default().max_lines)?,
            },
            timing,
            continue_after_messages,
            storefront_url: env.string("SHOP_STOREFRONT_URL", "http://127.0.0.1:8080"),
            cart_id_key: env
                .get("SHOP_CART_ID_KEY")
                .map(|secret| CartIdKey::new(secret.as_bytes()))
                .transpose()
                .map_err(|reason| ConfigError {
                    var: "SHOP_CART_ID_KEY",
                    reason,
                })?,
        })
    }
}

/// Stripe credentials. Debug never shows the key.
#[derive(Clone)]
pub struct StripeConfig {
    pub secret_key: String,
    /// `None` is api.stripe.com; otherwise an emulator such as `http://127.0.0.1:8420`.
    pub base_url: Option<String>,
    pub payment_method: String,
}

impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig")
            .field("secret_key", &"<redacted>")
            .field("base_url", &self.base_url)
            .field("payment_method", &self.payment_method)
            .finish()
    }
}

impl StripeConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let base_url = env.get("SHOP_STRIPE_BASE_URL").map(str::to_owned);
        let secret_key = match (env.get("STRIPE_SECRET_KEY"), &base_url) {
            (Some(key), _) => key.to_owned(),
            // Emulators accept any test key.
            (None, Some(_)) => "sk_test_emulator".to_owned(),
            (None, None) => {
                return Err(ConfigError {
                    var: "STRIPE_SECRET_KEY",
                    reason: "not set; set it for real Stripe, or set SHOP_STRIPE_BASE_URL to a local emulator".into(),
                });
            }
        };
        Ok(Self {
            secret_key,
            base_url,
            payment_method: env.string("SHOP_STRIPE_PAYMENT_METHOD", "pm_card_visa"),
        })
    }

    pub fn client(&self) -> Result<Payments, ConfigError> {
        Payments::new(&self.secret_key, self.base_url.as_deref(), &self.payment_method).map_err(|e| ConfigError {
            var: "SHOP_STRIPE_BASE_URL",
            reason: e.to_string(),
        })
    }
}

/// Which way email leaves. Debug never shows credentials.
#[derive(Clone)]
pub enum EmailConfig {
    Outbox {
        dir: PathBuf,
        from: String,
    },
    Smtp {
        url: String,
        from: String,
    },
    Mailgun {
        base_url: String,
        domain: String,
        api_key: String,
        from: String,
    },
}

impl fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmailConfig::Outbox { dir, .. } => write!(f, "Outbox({})", dir.display()),
            EmailConfig::Smtp { .. } => write!(f, "Smtp(<url redacted>)"),
            EmailConfig::Mailgun { base_url, domain, .. } => write!(f, "Mailgun({base_url}, {domain})"),
        }
    }
}

impl EmailConfig {
    pub fn from_env(env: &Env, data_dir: &std::path::Path) -> Result<Self, ConfigError> {
        let from = env.string("SHOP_EMAIL_FROM", "Shop <shop@localhost>");
        match env.string("SHOP_EMAIL_PROVIDER", "file").as_str() {
            "file" => Ok(EmailConfig::Outbox {
                dir: env
                    .get("SHOP_OUTBOX_DIR")
                    .map_or_else(|| data_dir.join("outbox"), PathBuf::from),
                from,
            }),
            "smtp" => Ok(EmailConfig::Smtp {
                url: env.required("SHOP_SMTP_URL", "the smtp provider needs e.g. smtp://127.0.0.1:2525")?,
                from,
            }),
            "mailgun" => Ok(EmailConfig::Mailgun {
                base_url: env.string("MAILGUN_BASE_URL", "https://api.mailgun.net"),
                domain: env.required("MAILGUN_DOMAIN", "the mailgun provider needs the sending domain")?,
                api_key: env.required("MAILGUN_API_KEY", "the mailgun provider needs an API key")?,
                from,
            }),
            other => Err(ConfigError {
                var: "SHOP_EMAIL_PROVIDER",
                reason: format!("{other:?} is not one of file, smtp, mailgun"),
            }),
        }
    }

    pub fn mailer(&self) -> Result<Mailer, ConfigError> {
        let (var, result) = match self {
            EmailConfig::Outbox { dir, from } => ("SHOP_OUTBOX_DIR", Mailer::outbox(dir.clone(), from)),
            EmailConfig::Smtp { url, from } => ("SHOP_SMTP_URL", Mailer::smtp(url, from)),
            EmailConfig::Mailgun {
                base_url,
                domain,
                api_key,
                from,
            } => ("MAILGUN_BASE_URL", Mailer::mailgun(base_url, domain, api_key, from)),
        };
        result.map_err(|e| ConfigError {
            var,
            reason: e.to_string(),
        })
    }
}

/// Where orders live and how fast they move.
#[derive(Clone)]
pub struct OrdersConfig {
    /// `sqlite://…?mode=rwc` (default, in the data folder) or `postgres://…`.
    pub database_url: String,
    /// Each fulfilment step (pending → processing → completed).
    pub step: Duration,
}

impl fmt::Debug for OrdersConfig {
    /// A database URL can carry a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = self.database_url.split(':').next().unwrap_or("");
        f.debug_struct("OrdersConfig")
            .field("database", &scheme)
            .field("step", &self.step)
            .finish()
    }
}

impl OrdersConfig {
    pub fn from_env(env: &Env, data_dir: &std::path::Path) -> Result<Self, ConfigError> {
        let default_url = format!("sqlite://{}?mode=rwc", data_dir.join("orders.db").display());
        let database_url = env.string("DATABASE_URL", &default_url);
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            return Err(ConfigError {
                var: "DATABASE_URL",
                reason: "must start with sqlite: or postgres:".into(),
            });
        }
        Ok(Self {
            database_url,
            step: env.duration("SHOP_ORDER_STEP", Duration::from_secs(60))?,
        })
    }

    /// Connects (creating the data folder for SQLite) and applies migrations.
    pub async fn store(&self) -> Result<crate::orders::OrderStore, ConfigError> {
        let err = |reason: String| ConfigError {
            var: "DATABASE_URL",
            reason,
        };
        if let Some(path) = self.database_url.strip_prefix("sqlite://")
            && let Some(dir) = std::path::Path::new(path.split('?').next().unwrap_or(path)).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
        }
        crate::orders::OrderStore::connect(&self.database_url)
            .await
            .map_err(|e| err(e.to_string()))
    }
}

/// The worker's own knobs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Workflow-task pollers; ~20 halved start/signal latency against the default 5 here.
    pub workflow_pollers: usize,
    pub activity_pollers: usize,
    /// Workflows kept in memory between tasks; an evicted cart is rebuilt by replay.
    pub max_cached_workflows: usize,
    /// `SHOP_WORKER_POLLERS=auto`: the SDK scales workflow pollers (2 up to 40) by the server's
    /// feedback instead of keeping `workflow_pollers` open.
    pub autoscale_pollers: bool,
    /// `SHOP_METRICS_ADDRESS` (e.g. `127.0.0.1:9464`): Prometheus metrics at `/metrics` there,
    /// the SDK's own and the shop's; unset, none are exported.
    pub metrics_address: Option<std::net::SocketAddr>,
}

impl WorkerConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            workflow_pollers: match env.get("SHOP_WORKER_POLLERS") {
                Some("auto") => 20,
                _ => env.parse("SHOP_WORKER_POLLERS", 20)?,
            },
            autoscale_pollers: env.get("SHOP_WORKER_POLLERS") == Some("auto"),
            activity_pollers: env.parse("SHOP_WORKER_ACTIVITY_POLLERS", 5)?,
            // 2,000 keeps 10,000 open carts under 300 MiB; a smaller cache cost nothing
            // measurable in the benchmark (histories are short, a replay is cheap).
            max_cached_workflows: env.parse("SHOP_WORKER_MAX_CACHED", 2_000)?,
            metrics_address: env.parse_optional("SHOP_METRICS_ADDRESS")?,
        })
    }
}

/// How every shop process talks to Temporal, beyond the SDK's own `TEMPORAL_*` settings.
#[derive(Debug, Clone)]
pub struct TemporalConfig {
    /// gRPC gzip (the SDK's default). `SHOP_TEMPORAL_COMPRESSION=off` saves the CPU of
    /// compressing small messages toward a server on the same host or network.
    pub compression: bool,
    /// `SHOP_PAYLOAD_KEYS=id:base64key[,id:base64key…]` encrypts every payload (see [`crate::codec`]).
    /// Every client and worker of one shop needs the same keys.
    pub payload_keys: Option<PayloadKeys>,
}

impl TemporalConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let compression = match env.get("SHOP_TEMPORAL_COMPRESSION").unwrap_or("gzip") {
            "gzip" | "on" => true,
            "off" | "none" => false,
            other => {
                return Err(ConfigError {
                    var: "SHOP_TEMPORAL_COMPRESSION",
                    reason: format!("{other:?} is neither gzip nor off"),
                });
            }
        };
        let payload_keys = env
            .get("SHOP_PAYLOAD_KEYS")
            .map(PayloadKeys::parse)
            .transpose()
            .map_err(|reason| ConfigError {
                var: "SHOP_PAYLOAD_KEYS",
                reason,
            })?;
        Ok(Self {
            compression,
            payload_keys,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
