//! The gateway binary: configuration, a Temporal client, the HTTP server.
use app::cart_client::Carts;
use app::config::{Env, OrdersConfig, ShopConfig, TemporalConfig};
use app::orders::Orders;
use app::settings::{ORDERS, SHOP, TEMPORAL, TRACES, WEBAPP, help, in_force};

const ABOUT: &str =
    "webapp: the shop's HTTP gateway (storefront, cart API, orders, operator routes) in front of Temporal.

Usage: webapp            serve until SIGINT/SIGTERM, then drain";
use app::visibility::CartDirectory;
use std::net::TcpListener;
use std::time::Duration;
use webapp::operator::OperatorState;
use webapp::rate_limit::RateLimitConfig;
use webapp::startup::{Application, Settings};
use webapp::storefront::StorefrontConfig;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    app::install_crypto_provider();
    app::telemetry::init();
    let groups = [TEMPORAL, SHOP, WEBAPP, ORDERS, TRACES];
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        print!("{}", help(ABOUT, &groups));
        return Ok(());
    }
    let env = Env::from_process();
    tracing::info!(settings = %in_force(&env, &groups), "webapp settings in force (the rest at their defaults)");
    let traces = app::traces::Tracing::install("shop-webapp", &env)?;
    let shop = ShopConfig::from_env(&env)?;
    let address = env.string("SHOP_HTTP_ADDRESS", "127.0.0.1:8080");
    let mut settings = Settings {
        checkout_wait: env.duration("SHOP_CHECKOUT_WAIT", Duration::from_secs(20))?,
        workers: env.parse("SHOP_HTTP_WORKERS", 2)?,
        cors_origins: cors_origins(&env, &shop.storefront_url, &address),
        ..Settings::default()
    };
    tracing::info!(origins = ?settings.cors_origins, "CORS allow-list");
    settings.rate_limit = rate_limit(&env)?;
    settings.storefront = StorefrontConfig::from_env(&env)?;
    match &settings.storefront.publishable_key {
        Some(_) => {
            tracing::info!(stripe_js = %settings.storefront.stripe_js_url, "storefront takes cards with Stripe.js")
        }
        None => tracing::warn!("SHOP_STRIPE_PUBLISHABLE_KEY is not set: the storefront cannot take cards"),
    }
    settings.webhook_secret = env.get("STRIPE_WEBHOOK_SECRET").map(str::to_owned);
    if settings.webhook_secret.is_none() {
        tracing::warn!("STRIPE_WEBHOOK_SECRET is not set: /stripe/webhook is off; payments settle by status checks");
    }
    let temporal = TemporalConfig::from_env(&env)?;
    let client = app::temporal::connect_from_env(&temporal).await?;
    settings.orders = match env.get("SHOP_ORDERS_TOKEN") {
        Some(token) => {
            let config = OrdersConfig::from_env(&env, &shop.data_dir)?;
            let orders = Orders::new(
                config.store().await?,
                client.clone(),
                shop.task_queue.clone(),
                config.step,
                shop.timing.activity_timeout,
            );
            Some((orders, token.to_owned()))
        }
        None => {
            tracing::warn!("SHOP_ORDERS_TOKEN is not set: the /orders API is off");
            None
        }
    };
    settings.operator = match env.get("SHOP_OPERATOR_TOKEN") {
        Some(token) => Some(OperatorState {
            token: token.to_owned(),
            directory: CartDirectory::new(client.clone()),
            payload_keys: temporal.payload_keys.clone(),
        }),
        None => {
            tracing::warn!("SHOP_OPERATOR_TOKEN is not set: the operator routes (/admin/carts, /codec) are off");
            None
        }
    };
    let carts = Carts::new(client, shop);
    let listener = TcpListener::bind(&address)?;
    let app = Application::build(carts, settings, listener)?;
    tracing::info!(%address, "webapp listening");
    app.run_until_stopped().await?;
    traces.shutdown();
    Ok(())
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
fn rate_limit(env: &Env) -> Result<Option<RateLimitConfig>, app::config::ConfigError> {
    if env.get("SHOP_RATE_LIMIT") == Some("off") {
        return Ok(None);
    }
    let defaults = RateLimitConfig::default();
    let client_ip_header = match env.get("SHOP_CLIENT_IP_HEADER") {
        None => None,
        Some(name) => Some(name.parse().map_err(|_| app::config::ConfigError {
            var: "SHOP_CLIENT_IP_HEADER",
            reason: format!("{name:?} is not a header name"),
        })?),
    };
    Ok(Some(RateLimitConfig {
        per_second: env.parse("SHOP_RATE_LIMIT", defaults.per_second)?,
        burst: env.parse("SHOP_RATE_LIMIT_BURST", defaults.burst)?,
        client_ip_header,
    }))
}
