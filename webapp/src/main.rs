//! The gateway binary: configuration, a Temporal client, the HTTP server.
use app::cart_client::Carts;
use app::catalogue::CatalogueCache;
use app::config::{Env, GatewayConfig, OrdersConfig, ShopConfig, TemporalConfig};
use app::settings::{ORDERS, SHOP, TEMPORAL, TRACES, WEBAPP, in_force, parse_args};
use app::visibility::CartDirectory;
use std::net::TcpListener;
use std::sync::Arc;

/// How stale a gateway's list of products may be: an operator's change made through another
/// gateway shows here within this long.
const CATALOGUE_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(2);
use webapp::operator::{CodecState, OperatorState};
use webapp::startup::{Application, Settings};

/// The shop's HTTP gateway (storefront, cart API, orders, operator routes) in front of
/// Temporal; serves until SIGINT or SIGTERM, then drains.
#[derive(clap::Parser)]
#[command(name = "webapp")]
struct Args {}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    app::install_crypto_provider();
    app::telemetry::init();
    let groups = [TEMPORAL, SHOP, WEBAPP, ORDERS, TRACES];
    let _: Args = parse_args(&groups);
    let env = Env::from_process();
    tracing::info!(settings = %in_force(&env, &groups), "webapp settings in force (the rest at their defaults)");
    let traces = app::traces::Tracing::install("shop-webapp", &env)?;
    let shop = ShopConfig::from_env(&env)?;
    let gateway = GatewayConfig::from_env(&env, &shop)?;
    tracing::info!(origins = ?gateway.cors_origins, "CORS allow-list");
    match &gateway.storefront.publishable_key {
        Some(_) => {
            tracing::info!(stripe_js = %gateway.storefront.stripe_js_url, "storefront takes cards with Stripe.js")
        }
        None => tracing::warn!("SHOP_STRIPE_PUBLISHABLE_KEY is not set: the storefront cannot take cards"),
    }
    if gateway.webhook_secret.is_none() {
        tracing::warn!("STRIPE_WEBHOOK_SECRET is not set: /stripe/webhook is off; payments settle by status checks");
    }
    let temporal = TemporalConfig::from_env(&env)?;
    let client = app::temporal::connect_from_env(&temporal).await?;
    // The catalogue and the orders live in one database, which the gateway always reads.
    let orders_config = OrdersConfig::from_env(&env, &shop.data_dir)?;
    let all_orders = orders_config.orders(client.clone(), &shop).await?;
    let catalogue = Arc::new(CatalogueCache::new(all_orders.store.clone(), CATALOGUE_CACHE_TTL));
    // Filled once now, so the first cart answered carries the products' pictures.
    if let Err(e) = catalogue.active().await {
        tracing::warn!(error = %e, "catalogue not read at start; GET /products will retry");
    }
    let orders = match &gateway.orders_token {
        Some(token) => Some((all_orders, token.clone())),
        None => {
            tracing::warn!("SHOP_ORDERS_TOKEN is not set: the /orders API is off");
            None
        }
    };
    let operator = match &gateway.operator_token {
        Some(token) => Some(OperatorState {
            token: token.clone(),
            directory: CartDirectory::new(client.clone()),
            catalogue: catalogue.clone(),
        }),
        None => {
            tracing::warn!("SHOP_OPERATOR_TOKEN is not set: /admin/carts and /admin/products are off");
            None
        }
    };
    let codec = match (&gateway.codec_token, &temporal.payload_keys) {
        (Some(token), Some(keys)) => Some(CodecState {
            token: token.clone(),
            keys: keys.clone(),
        }),
        (Some(_), None) => {
            tracing::warn!("SHOP_CODEC_TOKEN is set but SHOP_PAYLOAD_KEYS is not: /codec is off (nothing to decrypt)");
            None
        }
        (None, _) => None,
    };
    if gateway.metrics_token.is_none() {
        tracing::warn!("SHOP_METRICS_TOKEN is not set: the gateway's /metrics is off");
    }
    let address = gateway.address.clone();
    let settings = Settings {
        checkout_wait: gateway.checkout_wait,
        workers: gateway.workers,
        cors_origins: gateway.cors_origins,
        orders,
        webhook_secret: gateway.webhook_secret,
        storefront: gateway.storefront,
        rate_limit: Some(gateway.rate_limit),
        operator,
        codec,
        metrics_token: gateway.metrics_token,
        ..Settings::default()
    };
    let carts = Carts::new(client, shop).with_catalogue(catalogue);
    let listener = TcpListener::bind(&address)?;
    let app = Application::build(carts, settings, listener)?;
    tracing::info!(%address, "webapp listening");
    app.run_until(app::telemetry::shutdown_signal()).await?;
    traces.shutdown();
    Ok(())
}
