use super::process::{StripeEmulator, TemporalServer};
use app::activities::ShopActivities;
use app::cart::Limits;
use app::cart::{CartView, EmailChange, ItemChange};
use app::cart_client::{CartChange, Carts, CartsError};
use app::catalogue::Catalogue;
use app::config::{OrdersConfig, ShopConfig, WorkerConfig};
use app::domain::CartId;
use app::domain::CheckoutRequest;
use app::email::Mailer;
use app::orders::Orders;
use app::payments::Payments;
use app::workflows::cart::{CartInput, CartTiming};
use std::path::PathBuf;
use std::time::Duration;
use temporalio_client::WorkflowFetchHistoryOptions;
use temporalio_sdk::Runtime;

/// The key test gateways and worker processes sign cart ids with (`SHOP_CART_ID_KEY`).
pub const TEST_CART_ID_KEY: &str = "test-cart-id-key-0123456789";

/// An order as a back office records it straight in the store: a guest with `email` paying
/// `cents` in USD. Tie it to a cart or a payment with struct update syntax.
pub fn guest_order(email: &str, cents: u64) -> app::orders::NewOrder {
    app::orders::NewOrder {
        email: Some(email.into()),
        total_cents: app::domain::Cents(cents),
        currency: "usd".into(),
        ..Default::default()
    }
}

/// Timings for tests: a reminder after 0.8 s of quiet, no expiry within a test's life.
pub fn fast_timing() -> CartTiming {
    CartTiming {
        reminder_after: vec![Duration::from_millis(800)],
        expire_after: Duration::from_secs(120),
        activity_timeout: Duration::from_secs(5),
        order_attempts: 2,
        payment_attempts: 8,
        // Long, so a test that expects a webhook to settle a payment cannot pass by a status check.
        payment_check_after: Duration::from_secs(120),
        payment_wait: Duration::from_secs(120),
        refund_attempts: 3,
        reservation_ttl: Duration::from_secs(600),
    }
}

#[derive(Default)]
pub struct TestAppOptions {
    /// Point the worker's Stripe client here instead of at the emulator (a fault proxy).
    pub stripe_url: Option<String>,
    /// Send email this way instead of to the file outbox.
    pub mailer: Option<Mailer>,
    /// Start no in-process worker (the test runs the worker binary itself).
    pub no_worker: bool,
    /// The order store: a SQLite file in the test's folder unless given (e.g. PostgreSQL).
    pub database_url: Option<String>,
    /// Each order fulfilment step; long by default so tests drive the lifecycle themselves.
    pub order_step: Option<Duration>,
}

pub struct TestApp {
    // First, so the worker stops while the server it talks to is still up.
    worker: Option<InProcessWorker>,
    pub temporal: TemporalServer,
    pub stripe: StripeEmulator,
    pub carts: Carts,
    pub outbox: PathBuf,
    pub task_queue: String,
    pub orders: Orders,
    /// The order store the app and its worker processes use.
    pub database_url: String,
    // Last, so the processes above are gone before their folder is removed.
    pub dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn spawn() -> Option<Self> {
        Self::spawn_with(TestAppOptions::default()).await
    }

    pub async fn spawn_with(opts: TestAppOptions) -> Option<Self> {
        app::install_crypto_provider();
        let dir = tempfile::Builder::new().prefix("shop-test-").tempdir().unwrap();
        let (temporal, stripe) = tokio::join!(TemporalServer::start(dir.path()), StripeEmulator::start(dir.path()));
        let (temporal, stripe) = (temporal?, stripe?);
        let task_queue = format!("test-{}", CartId::random());
        let outbox = dir.path().join("outbox");
        let shop = ShopConfig {
            task_queue: task_queue.clone(),
            data_dir: dir.path().to_path_buf(),
            catalogue: Catalogue::embedded(),
            limits: Limits::default(),
            timing: fast_timing(),
            continue_after_messages: None,
            storefront_url: "http://shop.test".into(),
            cart_id_key: Some(app::domain::CartIdKey::new(TEST_CART_ID_KEY.as_bytes()).unwrap()),
        };
        let client = app::temporal::connect(&temporal.address()).await.unwrap();
        let url = opts.database_url.clone().unwrap_or_else(|| app_sqlite_url(dir.path()));
        // The order service the worker and the gateway build, over this test's store.
        let orders_config = OrdersConfig {
            database_url: url.clone(),
            step: opts.order_step.unwrap_or(Duration::from_secs(600)),
        };
        let orders = orders_config.orders(client.clone(), &shop).await.unwrap();
        // The gateway's catalogue cache: short, so a test's product change shows at once.
        let catalogue = std::sync::Arc::new(app::catalogue::CatalogueCache::new(
            orders.store.clone(),
            Duration::from_millis(200),
        ));
        let carts = Carts::new(client, shop).with_catalogue(catalogue);
        let mut app = Self {
            worker: None,
            temporal,
            stripe,
            carts,
            outbox,
            task_queue,
            orders,
            database_url: url,
            dir,
        };
        if !opts.no_worker {
            let stripe_url = opts.stripe_url.clone().unwrap_or_else(|| app.stripe.url.clone());
            let mailer = match opts.mailer {
                Some(m) => m,
                None => Mailer::outbox(app.outbox.clone(), "Shop <shop@test>").unwrap(),
            };
            app.start_worker(stripe_url, mailer);
        }
        Some(app)
    }

    /// Operator routes behind `token`, over this app's carts and catalogue.
    pub fn operator(&self, token: &str) -> webapp::operator::OperatorState {
        webapp::operator::OperatorState {
            token: token.into(),
            directory: app::visibility::CartDirectory::new(self.carts.client().clone()),
            catalogue: self.carts.catalogue().expect("the test app has a catalogue").clone(),
        }
    }

    /// The app without an in-process worker: the test runs the worker binary itself.
    pub async fn spawn_without_worker() -> Option<Self> {
        Self::spawn_with(TestAppOptions {
            no_worker: true,
            ..Default::default()
        })
        .await
    }

    /// The worker binary joined to this app, its Stripe calls going to `stripe_url`, its output
    /// in `<log>.log` in the test's folder. Killed when dropped.
    pub fn worker_process(&self, stripe_url: &str, log: &str) -> super::ChildProc {
        let bin = super::workspace_binary("worker");
        let log = self.dir.path().join(format!("{log}.log"));
        super::ChildProc::spawn(&bin, &[], &self.worker_env(stripe_url), &log)
    }

    /// Waits until the worker process logging to `<log>.log` polls its task queue (a debug
    /// build starting on a loaded machine can take seconds: migrations, the schedule).
    pub async fn polling(&self, log: &str) -> std::time::Instant {
        let log = self.dir.path().join(format!("{log}.log"));
        super::eventually("the worker to poll", Duration::from_secs(60), || async {
            let text = std::fs::read_to_string(&log).ok()?;
            text.contains("worker polling").then(std::time::Instant::now)
        })
        .await
    }

    /// The gateway binary (webapp) in front of this app on 127.0.0.1:`port`, with `extra`
    /// variables on top of the ones it needs to join, its output in `<log>.log` in the test's
    /// folder. Killed when dropped.
    pub fn gateway_process(&self, port: u16, extra: &[(&'static str, String)], log: &str) -> super::ChildProc {
        let bin = super::workspace_binary("webapp");
        let log = self.dir.path().join(format!("{log}.log"));
        let mut env = vec![
            ("TEMPORAL_ADDRESS", self.temporal.address()),
            ("SHOP_TASK_QUEUE", self.task_queue.clone()),
            ("SHOP_CART_ID_KEY", TEST_CART_ID_KEY.into()),
            ("SHOP_HTTP_ADDRESS", format!("127.0.0.1:{port}")),
            ("SHOP_DATA_DIR", self.dir.path().display().to_string()),
            ("RUST_LOG", "info".into()),
        ];
        env.extend_from_slice(extra);
        super::ChildProc::spawn(&bin, &[], &env, &log)
    }

    /// An in-process worker whose Stripe is at `stripe_url` (a fault proxy, say), mailing to
    /// the app's outbox.
    pub fn start_worker_with_outbox(&mut self, stripe_url: String) {
        let mailer = Mailer::outbox(self.outbox.clone(), "Shop <shop@test>").unwrap();
        self.start_worker(stripe_url, mailer);
    }

    pub fn start_worker(&mut self, stripe_url: String, mailer: Mailer) {
        let activities = ShopActivities {
            payments: Payments::new("sk_test_x", Some(&stripe_url), "pm_card_visa").unwrap(),
            orders: self.orders.clone(),
            mailer,
            storefront_url: "http://shop.test".into(),
        };
        let reconcile = app::activities::ReconcileActivities {
            payments: Payments::new("sk_test_x", Some(&stripe_url), "pm_card_visa").unwrap(),
            store: self.orders.store.clone(),
            carts: self.carts.clone(),
        };
        self.worker = Some(InProcessWorker::start(
            self.temporal.address(),
            self.task_queue.clone(),
            activities,
            reconcile,
        ));
    }

    pub fn stop_worker(&mut self) {
        self.worker = None;
    }

    /// The environment the worker binary needs to join this app.
    pub fn worker_env(&self, stripe_url: &str) -> Vec<(&'static str, String)> {
        vec![
            ("TEMPORAL_ADDRESS", self.temporal.address()),
            ("SHOP_TASK_QUEUE", self.task_queue.clone()),
            ("SHOP_STRIPE_BASE_URL", stripe_url.to_owned()),
            ("SHOP_DATA_DIR", self.dir.path().display().to_string()),
            ("SHOP_OUTBOX_DIR", self.outbox.display().to_string()),
            ("DATABASE_URL", self.database_url.clone()),
            ("RUST_LOG", "info".into()),
        ]
    }

    pub fn payments(&self) -> Payments {
        Payments::new("sk_test_x", Some(&self.stripe.url), "pm_card_visa").unwrap()
    }

    pub fn input(&self) -> CartInput {
        self.carts.input(CartId::random())
    }

    pub async fn start_cart(&self, input: CartInput) -> CartId {
        let id = input.id.clone();
        self.carts.start(input).await.expect("cart starts");
        id
    }

    pub async fn new_cart(&self) -> CartId {
        self.start_cart(self.input()).await
    }

    pub async fn add(&self, id: &CartId, product_id: u32, quantity: u32) -> Result<CartView, CartsError> {
        self.carts
            .change(id, CartChange::Add(ItemChange { product_id, quantity }), None)
            .await
    }

    pub async fn remove(&self, id: &CartId, product_id: u32, quantity: u32) -> Result<CartView, CartsError> {
        self.carts
            .change(id, CartChange::Remove(ItemChange { product_id, quantity }), None)
            .await
    }

    pub async fn set_email(&self, id: &CartId, email: &str) -> Result<CartView, CartsError> {
        self.carts
            .change(id, CartChange::Email(EmailChange { email: email.into() }), None)
            .await
    }

    /// Checks out with `card` (a test PaymentMethod id) or the worker's default card.
    pub async fn checkout(&self, id: &CartId, card: Option<&str>) -> Result<CartView, CartsError> {
        let req = CheckoutRequest {
            payment_method: card.map(str::to_owned),
            ..Default::default()
        };
        let view = self.carts.checkout(id, req, None, Duration::from_secs(60)).await?;
        Ok(view.expect("payment outcome within 60 s"))
    }

    pub async fn get(&self, id: &CartId) -> CartView {
        self.carts.get(id).await.expect("query answers")
    }

    fn history(&self, id: &CartId) -> temporalio_client::WorkflowHistory {
        let handle = self
            .carts
            .client()
            .get_workflow_handle::<app::workflows::cart::CartWorkflow>(id.to_string());
        handle.fetch_history(WorkflowFetchHistoryOptions::default())
    }

    /// Events in the cart's history that the cart itself caused (updates, timers, activities),
    /// leaving out workflow task bookkeeping: on a loaded machine a task for a rejected update
    /// can time out and be written to history, which is the server's business, not the cart's.
    pub async fn history_len(&self, id: &CartId) -> usize {
        use temporalio_common::protos::temporal::api::enums::v1::EventType;
        let tasks = [
            EventType::WorkflowTaskScheduled,
            EventType::WorkflowTaskStarted,
            EventType::WorkflowTaskCompleted,
            EventType::WorkflowTaskTimedOut,
            EventType::WorkflowTaskFailed,
        ]
        .map(|t| t as i32);
        let events = self.history(id).into_events().await.unwrap();
        events.iter().filter(|e| !tasks.contains(&e.event_type)).count()
    }

    /// Every event of the cart's current run.
    pub async fn history_events(
        &self,
        id: &CartId,
    ) -> Vec<temporalio_common::protos::temporal::api::history::v1::HistoryEvent> {
        self.history(id).into_events().await.unwrap()
    }

    /// History of the cart's current run as the SDK's JSON, for replay tests.
    pub async fn history_json(&self, id: &CartId) -> Vec<u8> {
        self.history(id).to_json().await.unwrap()
    }

    /// The `.eml` files in the outbox, as text.
    pub fn outbox_messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.outbox) else {
            return vec![];
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect()
    }
}

fn app_sqlite_url(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("orders.db").display())
}

/// A worker on its own thread and runtime, stopped through its shutdown handle on drop.
struct InProcessWorker {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl InProcessWorker {
    fn start(
        address: String,
        task_queue: String,
        activities: ShopActivities,
        reconcile: app::activities::ReconcileActivities,
    ) -> Self {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let client = app::temporal::connect(&address).await.unwrap();
                let runtime = Runtime::from_current_tokio(Default::default()).unwrap();
                let config = WorkerConfig {
                    workflow_pollers: 4,
                    activity_pollers: 2,
                    max_cached_workflows: 100,
                    autoscale_pollers: false,
                    metrics_address: None,
                };
                let mut worker =
                    app::worker::build(&runtime, client, &task_queue, &config, activities, reconcile).unwrap();
                let shutdown = worker.shutdown_handle();
                let run = worker.run();
                tokio::pin!(run);
                tokio::select! {
                    result = &mut run => result.unwrap(),
                    _ = stopped => {
                        shutdown();
                        let _ = run.await;
                    }
                }
            });
        });
        Self {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for InProcessWorker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
