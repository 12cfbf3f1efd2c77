//! The worker: reads configuration (`worker migrate` only migrates the order store), builds the activities' clients, and hosts the cart
//! workflow on a Temporal task queue until Ctrl-C or SIGTERM, then drains and exits.
use app::activities::{ReconcileActivities, ShopActivities};
use app::cart_client::Carts;
use app::config::{
    EmailConfig, Env, OrdersConfig, ReconcileConfig, ShopConfig, StripeConfig, TemporalConfig, WorkerConfig,
};
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
    /// Run one reconciliation pass over Stripe's payments, print what it found, and exit.
    Reconcile {
        /// Read payments created this long ago and since (e.g. `7d`), instead of from where the
        /// last pass left off.
        #[arg(long, value_parser = humantime::parse_duration)]
        since: Option<std::time::Duration>,
    },
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
    let reconcile_config = ReconcileConfig::from_env(&env, &shop.timing)?;
    let reconcile = ReconcileActivities {
        payments: stripe.client()?,
        store: orders_config.store().await?,
        carts: Carts::new(client.clone(), shop.clone()),
    };
    if let Some(Command::Reconcile { since }) = args.command {
        return reconcile_once(&reconcile, &reconcile_config, since).await;
    }
    let activities = ShopActivities {
        payments: stripe.client()?,
        orders: orders_config.orders(client.clone(), &shop).await?,
        mailer: email.mailer()?,
        storefront_url: shop.storefront_url.clone(),
    };
    // Carts do not wait on the sweep: a worker that cannot set its Schedule up serves them
    // anyway, and the next worker to start tries again.
    if let Some(every) = reconcile_config.every {
        match app::reconcile::ensure_schedule(&client, &shop.task_queue, every, reconcile_config.sweep(None)).await {
            Ok(()) => tracing::info!(every = %humantime::format_duration(every), "reconciliation scheduled"),
            Err(e) => tracing::error!(error = %e, "reconciliation not scheduled; `worker reconcile` still runs a pass"),
        }
    }
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
    let worker = app::worker::build(
        &runtime,
        client,
        &shop.task_queue,
        &worker_config,
        activities,
        reconcile,
    )?;
    // scripts/dev.sh waits for this line before it says the system is up.
    tracing::info!(task_queue = %shop.task_queue, "worker polling");
    let drained = app::worker::run_until(worker, app::telemetry::shutdown_signal, app::worker::DRAIN_DEADLINE).await?;
    if drained != app::worker::Drained::Finished {
        // The SDK's tasks may still be retrying calls to a server that is gone; dropping the
        // runtime would wait for them, and flushing traces could wait on a collector too.
        std::process::exit(1);
    }
    traces.shutdown();
    tracing::info!("worker stopped");
    Ok(())
}

/// `worker reconcile`: one pass in this process, its record printed as JSON.
async fn reconcile_once(
    acts: &ReconcileActivities,
    config: &ReconcileConfig,
    since: Option<std::time::Duration>,
) -> anyhow::Result<()> {
    let since = since.map(|d| app::reconcile::unix(std::time::SystemTime::now()) - d.as_secs() as i64);
    let reconciler = app::reconcile::Reconciler {
        payments: &acts.payments,
        store: &acts.store,
        carts: &acts.carts,
        grace: config.grace,
    };
    let plan = app::reconcile::SweepPlan {
        since,
        first_lookback: config.first_lookback,
    };
    let run = app::reconcile::sweep(&reconciler, plan).await?;
    println!("{}", serde_json::to_string_pretty(&run)?);
    Ok(())
}
