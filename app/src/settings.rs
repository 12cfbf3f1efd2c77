//! The binaries' settings as one list each: `--help` prints it, and the startup line shows the
//! ones set, secrets redacted. (README's configuration table is the long form.)
use crate::config::Env;

pub struct Setting {
    pub name: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
    /// Shown as `<redacted>` at startup.
    pub secret: bool,
}

const fn s(name: &'static str, default: &'static str, meaning: &'static str) -> Setting {
    Setting {
        name,
        default,
        meaning,
        secret: false,
    }
}

const fn secret(name: &'static str, meaning: &'static str) -> Setting {
    Setting {
        name,
        default: "unset",
        meaning,
        secret: true,
    }
}

/// Read by every process that talks to Temporal.
pub const TEMPORAL: &[Setting] = &[
    s("TEMPORAL_ADDRESS", "localhost:7233", "the Temporal frontend"),
    s("TEMPORAL_NAMESPACE", "default", "the namespace"),
    secret(
        "TEMPORAL_API_KEY",
        "Temporal Cloud API key (or TEMPORAL_TLS_* for mTLS)",
    ),
    s(
        "SHOP_TASK_QUEUE",
        "ecommerce",
        "task queue of the workers and of new carts",
    ),
    secret(
        "SHOP_PAYLOAD_KEYS",
        "id:base64key[,...]: encrypt every payload (AES-256-GCM)",
    ),
    s(
        "SHOP_TEMPORAL_COMPRESSION",
        "auto",
        "gzip, off, or auto: off toward this host",
    ),
];

/// What carts are made of; the gateway and the worker must agree.
pub const SHOP: &[Setting] = &[
    s("SHOP_DATA_DIR", "data", "outbox and SQLite order store"),
    s(
        "SHOP_CATALOGUE_FILE",
        "embedded",
        "products that seed an empty database (JSON, prices in cents)",
    ),
    s(
        "SHOP_RESERVATION_TTL",
        "15m",
        "how long a cart holds stock after its last change",
    ),
    s("SHOP_MAX_LINES", "50", "distinct products per cart"),
    s("SHOP_REMINDER_AFTER", "1h,23h", "reminder stages"),
    s("SHOP_CART_TTL", "7d", "quiet time until a cart expires"),
    s("SHOP_ACTIVITY_TIMEOUT", "30s", "one payment or email attempt"),
    s("SHOP_PAYMENT_ATTEMPTS", "8", "payment call attempts before a lookup"),
    s(
        "SHOP_PAYMENT_CHECK_AFTER",
        "60s",
        "first status check of an unsettled payment",
    ),
    s("SHOP_PAYMENT_WAIT", "30m", "how long a checkout waits for the shopper"),
    s(
        "SHOP_ORDER_ATTEMPTS",
        "6",
        "attempts at recording an order before refunding",
    ),
    s(
        "SHOP_REFUND_ATTEMPTS",
        "10",
        "attempts at a refund before an operator is needed",
    ),
    s(
        "SHOP_RECONCILE_EVERY",
        "15m",
        "how often the reconciler sweeps Stripe's payments (off: never)",
    ),
    s(
        "SHOP_RECONCILE_GRACE",
        "payment wait + 10m",
        "a payment younger than this is left to a later sweep",
    ),
    s("SHOP_RECONCILE_LOOKBACK", "7d", "how far back the first sweep reads"),
    s("SHOP_STOREFRONT_URL", "http://127.0.0.1:8080", "links in emails"),
    s(
        "SHOP_CONTINUE_AS_NEW_AFTER",
        "unset",
        "force continue-as-new after N messages",
    ),
];

pub const WORKER: &[Setting] = &[
    secret("STRIPE_SECRET_KEY", "real Stripe"),
    s("SHOP_STRIPE_BASE_URL", "unset", "a Stripe emulator instead"),
    s(
        "SHOP_STRIPE_PAYMENT_METHOD",
        "pm_card_visa",
        "test-mode card when a checkout names none",
    ),
    s("SHOP_EMAIL_PROVIDER", "file", "file, smtp or mailgun"),
    s("SHOP_EMAIL_FROM", "Shop <shop@localhost>", "sender"),
    s("SHOP_OUTBOX_DIR", "$SHOP_DATA_DIR/outbox", "for file"),
    secret("SHOP_SMTP_URL", "for smtp: smtp://host:port or smtps://user:pass@host"),
    s("MAILGUN_DOMAIN", "unset", "for mailgun"),
    secret("MAILGUN_API_KEY", "for mailgun"),
    s("MAILGUN_BASE_URL", "https://api.mailgun.net", "for mailgun"),
    s("SHOP_WORKER_POLLERS", "20", "workflow pollers, or auto"),
    s("SHOP_WORKER_ACTIVITY_POLLERS", "5", "activity pollers"),
    s("SHOP_WORKER_MAX_CACHED", "2000", "carts kept in memory"),
    s(
        "SHOP_METRICS_ADDRESS",
        "unset",
        "Prometheus metrics (SDK and shop) at host:port/metrics",
    ),
];

/// OpenTelemetry's own variables, as every OTLP exporter reads them ([`crate::traces`]).
pub const TRACES: &[Setting] = &[
    s(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "unset",
        "export traces to this collector (OTLP/HTTP, e.g. http://localhost:4318)",
    ),
    secret(
        "OTEL_EXPORTER_OTLP_HEADERS",
        "k=v,...: headers for the collector (API keys)",
    ),
    s(
        "OTEL_SERVICE_NAME",
        "shop-worker / shop-webapp",
        "the service spans are from",
    ),
    s(
        "OTEL_SDK_DISABLED",
        "false",
        "true: no spans and no trace ids in the logs",
    ),
];

/// The order store: the worker records orders, the gateway serves `/orders`.
pub const ORDERS: &[Setting] = &[
    secret(
        "DATABASE_URL",
        "the order store (default SQLite in the data folder; postgres://...)",
    ),
    s("SHOP_ORDER_STEP", "60s", "each fulfilment step"),
];

pub const WEBAPP: &[Setting] = &[
    s("SHOP_HTTP_ADDRESS", "127.0.0.1:8080", "where the gateway listens"),
    s("SHOP_HTTP_WORKERS", "2", "HTTP worker threads"),
    s(
        "SHOP_CHECKOUT_WAIT",
        "20s",
        "how long a checkout request waits before 202",
    ),
    secret("SHOP_CART_ID_KEY", "signs minted cart ids (shared by every gateway)"),
    secret("SHOP_ORDERS_TOKEN", "bearer token of /orders (32+ characters)"),
    secret("SHOP_OPERATOR_TOKEN", "bearer token of /admin/carts (32+ characters)"),
    secret("SHOP_METRICS_TOKEN", "bearer token of /metrics (32+ characters)"),
    secret(
        "SHOP_CODEC_TOKEN",
        "bearer token of /codec, which decrypts payloads (32+ characters)",
    ),
    secret("STRIPE_WEBHOOK_SECRET", "signing secret of /stripe/webhook"),
    s(
        "SHOP_STRIPE_JS_URL",
        "https://js.stripe.com/v3/",
        "Stripe.js for the storefront",
    ),
    s("SHOP_STRIPE_PUBLISHABLE_KEY", "unset", "the storefront's pk_ key"),
    s(
        "SHOP_RATE_LIMIT",
        "20",
        "shopper requests per second per client, or off",
    ),
    s("SHOP_RATE_LIMIT_BURST", "60", "burst allowed"),
    s(
        "SHOP_AUTH_FAILURES_PER_MINUTE",
        "10",
        "failed token checks per client a minute, then 429",
    ),
    s(
        "SHOP_REDIS_URL",
        "unset (each gateway limits alone)",
        "Redis every gateway shares the limits in",
    ),
    s(
        "SHOP_REDIS_PREFIX",
        "cartflow:limit",
        "prefix of the limits' Redis keys",
    ),
    s(
        "SHOP_CLIENT_IP_HEADER",
        "unset",
        "header a trusted proxy puts the client address in",
    ),
    s(
        "SHOP_CORS_ORIGINS",
        "the storefront's origin",
        "CORS allow-list (loopback: any local origin)",
    ),
];

/// `--help`: what the binary does and every setting it reads.
pub fn help(groups: &[&[Setting]]) -> String {
    let mut out = String::from("Configured by environment variables only:\n");
    for setting in groups.iter().flat_map(|g| g.iter()) {
        out.push_str(&format!(
            "  {:<30} {} (default: {})\n",
            setting.name, setting.meaning, setting.default
        ));
    }
    out.push_str("\nSee README.md, \"Configuration\", for the details.\n");
    out
}

/// The process's arguments parsed by clap, its `--help` ending with the settings of `groups`.
pub fn parse_args<A: clap::Parser>(groups: &[&[Setting]]) -> A {
    let matches = A::command().after_help(help(groups)).get_matches();
    A::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// The settings given in `env`, as `NAME=value`, secrets as `NAME=<redacted>`; the rest are
/// at their defaults.
pub fn in_force(env: &Env, groups: &[&[Setting]]) -> String {
    groups
        .iter()
        .flat_map(|g| g.iter())
        .filter_map(|setting| {
            let value = env.get(setting.name)?;
            let shown = if setting.secret {
                "<redacted>".into()
            } else {
                without_credentials(value)
            };
            Some(format!("{}={shown}", setting.name))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `value` with the credentials of a URL in it (`scheme://user:pass@host`) hidden: a setting
/// that is no secret itself (a collector's endpoint, say) can still name one.
pub fn without_credentials(value: &str) -> std::borrow::Cow<'_, str> {
    if let Some((scheme, rest)) = value.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && !userinfo.contains('/')
    {
        return format!("{scheme}://<redacted>@{host}").into();
    }
    value.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_and_unset_settings_left_out() {
        let env = Env::from_pairs([("SHOP_PAYLOAD_KEYS", "k:c2VjcmV0"), ("SHOP_TASK_QUEUE", "q")]);
        assert_eq!(
            in_force(&env, &[TEMPORAL]),
            "SHOP_TASK_QUEUE=q SHOP_PAYLOAD_KEYS=<redacted>"
        );
        assert!(help(&[TEMPORAL, WORKER]).contains("SHOP_METRICS_ADDRESS"));
    }

    #[test]
    fn credentials_in_a_url_are_hidden() {
        assert_eq!(
            without_credentials("https://user:pa55@otel.example.com/v1"),
            "https://<redacted>@otel.example.com/v1"
        );
        assert_eq!(without_credentials("http://127.0.0.1:4318"), "http://127.0.0.1:4318");
        assert_eq!(without_credentials("http://host/a@b"), "http://host/a@b");
        let env = Env::from_pairs([("OTEL_EXPORTER_OTLP_ENDPOINT", "http://u:p@c:4318")]);
        assert_eq!(
            in_force(&env, &[TRACES]),
            "OTEL_EXPORTER_OTLP_ENDPOINT=http://<redacted>@c:4318"
        );
    }

    #[test]
    fn every_secret_looking_name_is_marked_secret() {
        for setting in [TEMPORAL, SHOP, WORKER, ORDERS, WEBAPP, TRACES]
            .iter()
            .flat_map(|g| g.iter())
        {
            let looks = ["KEY", "TOKEN", "SECRET", "HEADERS", "DATABASE_URL", "SMTP_URL"]
                .iter()
                .any(|w| setting.name.contains(w))
                && setting.name != "SHOP_STRIPE_PUBLISHABLE_KEY";
            assert_eq!(setting.secret, looks, "{}", setting.name);
        }
    }
}
