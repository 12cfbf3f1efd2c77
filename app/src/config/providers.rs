//! The providers the activities call: Stripe, email, the order store.
use super::{ConfigError, Env};
use crate::email::Mailer;
use crate::orders::Orders;
use crate::payments::Payments;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

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

    /// The order service over this store, starting order workflows on the shop's task queue:
    /// the worker's activities and the gateway's `/orders` use the same one.
    pub async fn orders(
        &self,
        client: temporalio_client::Client,
        shop: &super::ShopConfig,
    ) -> Result<Orders, ConfigError> {
        let flows = crate::workflows::order_flows::TemporalOrderFlows {
            client,
            task_queue: shop.task_queue.clone(),
            step: self.step,
            activity_timeout: shop.timing.activity_timeout,
            refund_attempts: shop.timing.refund_attempts,
        };
        Ok(Orders::new(self.shop_store(shop).await?, std::sync::Arc::new(flows)))
    }

    /// The store, its catalogue seeded from the shop's file if it has no products yet.
    pub async fn shop_store(&self, shop: &super::ShopConfig) -> Result<crate::orders::OrderStore, ConfigError> {
        let store = self.store().await?;
        store.seed_shipping_and_tax().await.map_err(|e| ConfigError {
            var: "DATABASE_URL",
            reason: format!("cannot seed the shipping methods and tax rates: {e}"),
        })?;
        match store.seed_products(&shop.catalogue).await {
            Ok(true) => tracing::info!(products = shop.catalogue.products.len(), "catalogue seeded"),
            Ok(false) => {}
            Err(e) => {
                return Err(ConfigError {
                    var: "SHOP_CATALOGUE_FILE",
                    reason: format!("cannot seed the catalogue: {e}"),
                });
            }
        }
        Ok(store)
    }
}
