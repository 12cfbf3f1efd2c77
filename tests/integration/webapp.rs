//! The HTTP gateway on port 0 in front of a real dev server and worker.
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use starter::shop_client::ShopClient;
use webapp::startup::{Application, Settings};

/// The bearer token the test gateways require for `/orders`.
pub(crate) const TOKEN: &str = "test-orders-token";
/// The bearer token the test gateways require for `/metrics`, which is not the orders one.
pub(crate) const METRICS_TOKEN: &str = "test-metrics-token";

#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) base: String,
    http: reqwest::Client,
}

impl Api {
    pub(crate) async fn spawn(app: &TestApp) -> Self {
        Self::spawn_with(app, app.carts.clone(), Settings::default()).await
    }

    /// A gateway over `carts` (e.g. with a short RPC deadline) with `settings`, plus the orders API.
    pub(crate) async fn spawn_with(app: &TestApp, carts: app::cart_client::Carts, settings: Settings) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let settings = Settings {
            orders: Some((app.orders.clone(), TOKEN.into())),
            metrics_token: Some(METRICS_TOKEN.into()),
            ..settings
        };
        let server = Application::build(carts, settings, listener).unwrap();
        let base = format!("http://127.0.0.1:{}", server.port());
        tokio::spawn(server.run_until_stopped());
        Self {
            base,
            http: reqwest::Client::new(),
        }
    }

    /// A gateway already running at `base` (`http://host:port`), e.g. one dev.sh started.
    pub(crate) fn at(base: String) -> Self {
        Self {
            base,
            http: reqwest::Client::new(),
        }
    }

    /// A request with the orders bearer token (or `token` instead), answered as status + JSON.
    pub(crate) async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn put(&self, path: &str, body: &str, key: Option<&str>) -> (StatusCode, Value) {
        let mut req = self
            .http
            .put(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        let r = req.send().await.unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    /// The shopper's side of this gateway, typed.
    pub(crate) fn shop(&self) -> ShopClient {
        ShopClient::with_http(self.base.clone(), self.http.clone())
    }

    pub(crate) async fn new_cart(&self) -> String {
        let made = self.shop().new_cart().await.unwrap();
        assert_eq!(made.status, StatusCode::CREATED);
        made.cart_id().unwrap().to_owned()
    }

    pub(crate) async fn add(&self, id: &str, product: u32, qty: u32) -> (StatusCode, Value) {
        let added = self.shop().add(id, product, qty).await.unwrap();
        (added.status, added.body)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shopper_journey_over_http() {
    let Some(app) = TestApp::spawn().await else { return };
    let api = Api::spawn(&app).await;
    assert_eq!(api.get("/healthz").await.0, StatusCode::OK);
    assert_eq!(api.get("/readyz").await.0, StatusCode::OK);
    let (status, products) = api.get("/products").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(products["products"][0]["price_cents"], 99_900);
    assert_eq!(products["products"][0]["price"], "$999.00");

    let id = api.new_cart().await;
    assert!(id.starts_with("cart-") && id.len() == 37, "{id}");
    assert_eq!(api.add(&id, 0, 1).await.0, StatusCode::OK);
    let (_, cart) = api
        .put(&format!("/cart/{id}/add"), r#"{"product_id": 1, "quantity": 2}"#, None)
        .await;
    assert_eq!(cart["total_cents"], 99_900 + 2 * 69_900);
    let (_, cart) = api
        .put(
            &format!("/cart/{id}/remove"),
            r#"{"ProductId": 0, "Quantity": 1}"#,
            None,
        )
        .await;
    assert_eq!(cart["lines"].as_array().unwrap().len(), 1);
    let (status, _) = api
        .put(&format!("/cart/{id}/email"), r#"{"Email": "web@example.com"}"#, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, cart) = api.get(&format!("/cart/{id}")).await;
    assert_eq!(
        (cart["total"].as_str(), cart["email"].as_str()),
        (Some("$1,398.00"), Some("web@example.com"))
    );

    let (status, body) = api
        .put(&format!("/cart/{id}/checkout"), r#"{"Email": "web@example.com"}"#, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["receipt"]["status"], "checked_out");
    let (status, body) = api.add(&id, 2, 1).await;
    // 409 either way: `cart_locked` while the confirmation email is still going out,
    // `cart_closed` once the workflow has completed.
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        ["cart_locked", "cart_closed"].contains(&body["error"]["code"].as_str().unwrap()),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_get_precise_json_errors_and_change_nothing() {
    let Some(app) = TestApp::spawn().await else { return };
    let api = Api::spawn(&app).await;
    let id = api.new_cart().await;
    api.add(&id, 2, 1).await;

    let missing = "cart-0123456789abcdef0123456789abcdef";
    assert_eq!(api.get(&format!("/cart/{missing}")).await.0, StatusCode::NOT_FOUND);
    let (status, body) = api.get("/cart/1690000000").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("cart_not_found"))
    );

    let (status, body) = api.put(&format!("/cart/{id}/add"), "{not json", None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (status, body) = api
        .put(&format!("/cart/{id}/add"), r#"{"ProductId": "x", "Quantity": 1}"#, None)
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("ProductId")),
        "{body}"
    );
    // Named as the request spelt it: the shop client sends the original's `ProductId`.
    let (status, body) = api.add(&id, 9, 1).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("ProductId"))
    );
    let (status, body) = api.add(&id, 2, 500).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Quantity"))
    );
    let (status, body) = api
        .put(&format!("/cart/{id}/email"), r#"{"Email": "nope"}"#, None)
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("Email"))
    );
    let huge = format!(r#"{{"Email": "{}@x.io"}}"#, "a".repeat(20_000));
    assert_eq!(
        api.put(&format!("/cart/{id}/email"), &huge, None).await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );

    let (_, cart) = api.get(&format!("/cart/{id}")).await;
    assert_eq!(cart["item_count"], 1, "nothing was lost or added: {cart}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idempotency_key_applies_a_retried_request_once() {
    let Some(app) = TestApp::spawn().await else { return };
    let api = Api::spawn(&app).await;
    let id = api.new_cart().await;
    let body = r#"{"ProductId": 3, "Quantity": 2}"#;
    let (_, first) = api.put(&format!("/cart/{id}/add"), body, Some("client-retry-1")).await;
    let (_, second) = api.put(&format!("/cart/{id}/add"), body, Some("client-retry-1")).await;
    assert_eq!(first, second);
    assert_eq!(api.get(&format!("/cart/{id}")).await.1["item_count"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decline_is_402_and_the_cart_stays_usable() {
    let Some(app) = TestApp::spawn().await else { return };
    let api = Api::spawn(&app).await;
    let id = api.new_cart().await;
    api.add(&id, 1, 1).await;
    let declined = r#"{"Email": "web@example.com", "PaymentMethod": "pm_card_chargeCustomerFail"}"#;
    let (status, body) = api.put(&format!("/cart/{id}/checkout"), declined, None).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{body}");
    assert_eq!(body["error"]["code"], "payment_declined");
    assert_eq!(api.add(&id, 2, 1).await.0, StatusCode::OK);
    let (status, body) = api.put(&format!("/cart/{id}/checkout"), "", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_openapi_document_matches_the_live_api() {
    let Some(schemathesis) = crate::helpers::tool("schemathesis") else {
        return;
    };
    let Some(app) = TestApp::spawn().await else { return };
    let api = Api::spawn(&app).await;
    let (status, doc) = api.get("/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/products",
        "/cart",
        "/cart/{id}",
        "/cart/{id}/add",
        "/cart/{id}/checkout",
        "/readyz",
        "/storefront/config",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
    let docs = reqwest::get(format!("{}/docs/", api.base)).await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(
        docs.text().await.unwrap().contains("swagger"),
        "the docs UI is served by the webapp itself"
    );

    let out = tokio::process::Command::new(schemathesis)
        .args(["run", &format!("{}/openapi.json", api.base)])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        ])
        .args([
            "--max-examples",
            "15",
            "--seed",
            "1",
            "--workers",
            "1",
            "--phases",
            "examples,coverage,fuzzing",
        ])
        .env("NO_COLOR", "1")
        .kill_on_drop(true)
        .output()
        .await
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Update-with-start: `POST /cart` only mints a signed id; the cart's first change starts its
/// workflow, two first changes at once meet in one workflow, and an id the gateway did not
/// mint starts nothing and is 404.
#[tokio::test(flavor = "multi_thread")]
async fn a_cart_s_workflow_starts_with_its_first_change_and_a_forged_id_starts_nothing() {
    use app::domain::CartId;
    let Some(app) = TestApp::spawn().await else { return };
    let api = Api::spawn(&app).await;
    let exists = |id: String| {
        let client = app.carts.client().clone();
        async move {
            let handle = client.get_workflow_handle::<app::workflows::cart::CartWorkflow>(id);
            handle.describe(Default::default()).await.is_ok()
        }
    };

    let id = api.new_cart().await;
    assert!(!exists(id.clone()).await, "no workflow for a cart nobody touched");
    let (status, empty) = api.get(&format!("/cart/{id}")).await;
    assert_eq!(
        (status, empty["item_count"].as_u64()),
        (StatusCode::OK, Some(0)),
        "{empty}"
    );
    let (status, body) = api
        .put(&format!("/cart/{id}/checkout"), r#"{"Email": "a@b.co"}"#, None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("cart_empty"))
    );
    assert!(!exists(id.clone()).await, "a checkout of nothing starts nothing");

    let (a, b) = tokio::join!(api.add(&id, 0, 1), api.add(&id, 1, 2));
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "{} {}", a.1, b.1);
    let (_, cart) = api.get(&format!("/cart/{id}")).await;
    assert_eq!(
        cart["item_count"], 3,
        "both first changes are in the one workflow: {cart}"
    );
    assert!(exists(id.clone()).await);

    // The original shop's signals start a minted cart too.
    let minted = app.carts.mint().id;
    app.carts
        .signal_compat(
            &minted,
            app::cart_client::CompatSignal::Add,
            json!({"ProductId": 2, "Quantity": 1}),
        )
        .await
        .unwrap();
    crate::helpers::eventually("the signal's item", std::time::Duration::from_secs(10), || async {
        (app.get(&minted).await.item_count == 1).then_some(())
    })
    .await;

    let forged = CartId::random().to_string();
    assert_eq!(api.get(&format!("/cart/{forged}")).await.0, StatusCode::NOT_FOUND);
    let (status, body) = api.add(&forged, 0, 1).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("cart_not_found"))
    );
    assert!(!exists(forged).await, "a forged id starts no workflow");
}

/// `GET /metrics` after a little traffic: requests counted by route pattern and status, with
/// latency, never labelled with a cart id; only with the metrics token, which opens nothing else
/// (and the orders token does not open the metrics).
#[tokio::test(flavor = "multi_thread")]
async fn the_gateway_s_metrics_count_requests_by_route_pattern_behind_the_token() {
    let Some(app) = TestApp::spawn().await else { return };
    let api = Api::spawn(&app).await;
    let id = api.new_cart().await;
    assert_eq!(api.add(&id, 0, 1).await.0, StatusCode::OK);
    assert_eq!(api.add(&id, 1, 1).await.0, StatusCode::OK);
    assert_eq!(api.get("/no/such/route").await.0, StatusCode::NOT_FOUND);

    let scrape = |token: Option<&'static str>| {
        let api = api.clone();
        async move {
            let mut req = api.http().get(format!("{}/metrics", api.base));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    assert_eq!(scrape(None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(scrape(Some(TOKEN)).await.0, StatusCode::FORBIDDEN);
    let (status, _) = api
        .send(reqwest::Method::GET, "/orders", None, Some(METRICS_TOKEN))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the metrics token opens no orders");
    let (status, text) = scrape(Some(METRICS_TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains(r#"shop_http_requests_total{method="PUT",route="/cart/{id}/add",status="200"} 2"#),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(text.contains("shop_http_request_duration_seconds_bucket"), "{text}");
    assert!(!text.contains(&id), "no cart id in the metrics");
}
