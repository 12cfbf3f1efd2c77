//! What carts are made of and how the processes that serve them run: the shop, the worker,
//! the shop's Temporal settings.
use super::{ConfigError, Env};
use crate::cart::Limits;
use crate::catalogue::Catalogue;
use crate::codec::PayloadKeys;
use crate::domain::CartIdKey;
use crate::workflows::cart::CartTiming;
use std::path::PathBuf;

/// What every process that starts or drives carts needs to agree on.
#[derive(Debug, Clone)]
pub struct ShopConfig {
    pub task_queue: String,
    pub data_dir: PathBuf,
    /// Seeds an empty database's catalogue; its currency is the shop's.
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
            refund_attempts: env.parse("SHOP_REFUND_ATTEMPTS", production.refund_attempts)?,
            reservation_ttl: env.duration("SHOP_RESERVATION_TTL", production.reservation_ttl)?,
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
                .secret("SHOP_CART_ID_KEY")?
                .map(|secret| CartIdKey::new(secret.as_bytes()))
                .transpose()
                .map_err(|reason| ConfigError {
                    var: "SHOP_CART_ID_KEY",
                    reason,
                })?,
        })
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

/// gRPC compression toward Temporal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    Off,
    /// Off toward a server on this host (loopback), where compressing small messages only
    /// costs CPU; gzip toward any other (Temporal Cloud, a server across a network).
    Auto,
}

/// How every shop process talks to Temporal, beyond the SDK's own `TEMPORAL_*` settings.
#[derive(Debug, Clone)]
pub struct TemporalConfig {
    /// `SHOP_TEMPORAL_COMPRESSION`: `auto` (the default), `gzip` or `off`.
    pub compression: Compression,
    /// `SHOP_PAYLOAD_KEYS=id:base64key[,id:base64key…]` encrypts every payload (see [`crate::codec`]).
    /// Every client and worker of one shop needs the same keys.
    pub payload_keys: Option<PayloadKeys>,
}

impl TemporalConfig {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let compression = match env.get("SHOP_TEMPORAL_COMPRESSION").unwrap_or("auto") {
            "auto" => Compression::Auto,
            "gzip" | "on" => Compression::Gzip,
            "off" | "none" => Compression::Off,
            other => {
                return Err(ConfigError {
                    var: "SHOP_TEMPORAL_COMPRESSION",
                    reason: format!("{other:?} is none of auto, gzip and off"),
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

/// The reconciler's Schedule and window.
#[derive(Debug, Clone)]
pub struct ReconcileConfig {
    /// `SHOP_RECONCILE_EVERY` (default 15m; `off`: no Schedule, `worker reconcile` still works).
    pub every: Option<std::time::Duration>,
    /// `SHOP_RECONCILE_GRACE`: a payment younger than this may still be on its way to an order,
    /// so the sweep leaves it to a later pass. Default: the longest checkout wait
    /// (`SHOP_PAYMENT_WAIT`) plus ten minutes for the order's retries.
    pub grace: std::time::Duration,
    /// How far back the first pass reads, with no pass on record (`SHOP_RECONCILE_LOOKBACK`, 7d).
    pub first_lookback: std::time::Duration,
}

impl ReconcileConfig {
    pub fn from_env(env: &Env, timing: &CartTiming) -> Result<Self, ConfigError> {
        let every = match env.get("SHOP_RECONCILE_EVERY") {
            Some("off") => None,
            _ => Some(env.duration("SHOP_RECONCILE_EVERY", std::time::Duration::from_secs(15 * 60))?),
        };
        Ok(Self {
            every,
            grace: env.duration(
                "SHOP_RECONCILE_GRACE",
                timing.payment_wait + std::time::Duration::from_secs(600),
            )?,
            first_lookback: env.duration("SHOP_RECONCILE_LOOKBACK", std::time::Duration::from_secs(7 * 86_400))?,
        })
    }

    pub fn sweep(&self, since: Option<i64>) -> crate::activities::SweepRequest {
        crate::activities::SweepRequest {
            grace: self.grace,
            first_lookback: self.first_lookback,
            since,
        }
    }
}
