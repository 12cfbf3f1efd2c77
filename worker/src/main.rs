//! The worker: reads configuration (`worker migrate` only migrates the order store), builds the activities' clients, and hosts the cart
//! workflow on a Temporal task queue until Ctrl-C or SIGTERM, then drains and exits.
use app::activities::ShopActivities;
use app::config::{EmailConfig, Env, OrdersConfig, ShopConfig, StripeConfig, TemporalConfig, WorkerConfig};
use app::settings::{ORDERS, SHOP, TEMPORAL, TRACES, WORKER, in_force, parse_args};

/// Hosts the shop's cart and order workflows and their activities on a Temporal task queue,
/// until SIGINT or SIGTERM, then drains.
#[derive(clap::Parser)]
#[command(name = "worker")]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Apply the order store's migrations and exit (they also run at start).
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    app::install_crypto_provider();
    app::telemetry::init();
    let settings = [TEMPORAL, SHOP, WORKER, ORDERS, TRACES];
    let args: Args = parse_args(&settings);
    let env = Env::from_process();
    tracing::info!(settings = %in_force(&env, &settings), "worker settings in force (the rest at their defaults)");
    let shop = ShopConfig::from_env(&env)?;
    if let Some(Command::Migrate) = args.command {
        OrdersConfig::from_env(&env, &shop.data_dir)?.store().await?;
        println!("order store migrated");
        return Ok(());
    }
    let traces = app::traces::Tracing::install("shop-worker", &env)?;
    let worker_config = WorkerConfig::from_env(&env)?;
    let stripe = StripeConfig::from_env(&env)?;
    let email = EmailConfig::from_env(&env, &shop.data_dir)?;
    let orders_config = OrdersConfig::from_env(&env, &shop.data_dir)?;
    let temporal = TemporalConfig::from_env(&env)?;
    let client = app::temporal::connect_from_env(&temporal).await?;
    app::temporal::ensure_search_attributes(&client).await?;
    let activities = ShopActivities {
        payments: stripe.client()?,
        orders: orders_config.orders(client.clone(), &shop).await?,
        mailer: email.mailer()?,
        storefront_url: shop.storefront_url.clone(),
    };
    tracing::info!(
        task_queue = %shop.task_queue,
        stripe = stripe.base_url.as_deref().unwrap_or("api.stripe.com"),
        email = %activities.mailer.describe(),
        orders = ?orders_config,
        "starting worker"
    );

    let (runtime, metrics) = app::worker::runtime(&worker_config)?;
    if let Some(address) = metrics {
        tracing::info!(%address, "metrics at http://{address}/metrics");
    }
    let worker = app::worker::build(&runtime, client, &shop.task_queue, &worker_config, activities)?;
    // scripts/dev.sh waits for this line before it says the system is up.
    tracing::info!(task_queue = %shop.task_queue, "worker polling");
    app::worker::run_until(worker, app::telemetry::shutdown_signal()).await?;
    traces.shutdown();
    tracing::info!("worker stopped");
    Ok(())
}
