//! The gateway binary: configuration, a Temporal client, the HTTP server.
use app::carts::Carts;
use app::config::{Env, ShopConfig};
use std::net::TcpListener;
use std::time::Duration;
use webapp::startup::{Application, Settings};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    app::install_crypto_provider();
    app::telemetry::init();
    let env = Env::from_process();
    let shop = ShopConfig::from_env(&env)?;
    let address = env.string("SHOP_HTTP_ADDRESS", "127.0.0.1:8080");
    let settings = Settings {
        checkout_wait: env.duration("SHOP_CHECKOUT_WAIT", Duration::from_secs(20))?,
        workers: env.parse("SHOP_HTTP_WORKERS", 2)?,
        ..Settings::default()
    };
    let carts = Carts::new(app::temporal::connect_from_env().await?, shop);
    let listener = TcpListener::bind(&address)?;
    let app = Application::build(carts, settings, listener)?;
    tracing::info!(%address, "webapp listening");
    app.run_until_stopped().await?;
    Ok(())
}
