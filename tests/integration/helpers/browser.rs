//! The storefront page in real headless Chromium (Debian's chromium + chromedriver, driven by
//! fantoccini), over the whole shop with each part its own process, as in production: the
//! fixture the storefront tests share. Screenshots go to test-output/.
use super::{ChildProc, TestApp, eventually, free_port, process_wait, required, workspace_root};
use app::domain::CartId;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::time::Duration;

pub const WEBHOOK_SECRET: &str = "whsec_storefront_test";
/// Cards as the emulator knows them: the bank asks for 3-D Secure; paid; declined.
pub const THREE_DS_CARD: &str = "4000002760003184";
pub const VISA: &str = "4242424242424242";
pub const DECLINED_CARD: &str = "4000000000000002";

async fn browser(dir: &std::path::Path) -> Option<(ChildProc, Client)> {
    let chromium = required("/usr/bin/chromium".into())?;
    let driver = required("/usr/bin/chromedriver".into())?;
    let port = free_port();
    let proc = ChildProc::spawn(
        &driver,
        &[&format!("--port={port}")],
        &[],
        &dir.join("chromedriver.log"),
    );
    process_wait(port, "chromedriver").await;
    let profile = dir.join("chromium-profile");
    let caps = json!({ "goog:chromeOptions": {
        "binary": chromium,
        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--window-size=1280,900", format!("--user-data-dir={}", profile.display())],
    }});
    let Value::Object(caps) = caps else { unreachable!() };
    let client = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .unwrap();
    Some((proc, client))
}

/// The whole shop, each part its own process, and a browser on its storefront.
pub struct Shop {
    pub client: Client,
    pub base: String,
    pub stripe: reqwest::Client,
    _gateway: ChildProc,
    _worker: ChildProc,
    _driver: ChildProc,
    // Last: its processes and folder outlive the ones above.
    pub app: TestApp,
}

impl Shop {
    pub async fn open() -> Option<Self> {
        let app = TestApp::spawn_without_worker().await?;
        let (driver, client) = browser(app.dir.path()).await?;
        let worker = app.worker_process(&app.stripe.url, "worker");
        let port = free_port();
        let gateway = app.gateway_process(
            port,
            &[
                // Also what points the page at the emulator's Stripe.js, with a test key.
                ("SHOP_STRIPE_BASE_URL", app.stripe.url.clone()),
                ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET.into()),
                // No status check within a test's life: only the webhook can settle a payment.
                ("SHOP_PAYMENT_CHECK_AFTER", "10m".into()),
            ],
            "gateway",
        );
        process_wait(port, "the gateway").await;
        let shop = Self {
            client,
            base: format!("http://127.0.0.1:{port}"),
            // A fresh connection per call: aiohttp may close an idle one just as it is reused.
            stripe: reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap(),
            _gateway: gateway,
            _worker: worker,
            _driver: driver,
            app,
        };
        // The emulator posts PaymentIntent events to this gateway, signed like Stripe's.
        let r = shop
            .stripe
            .post(format!("{}/_config/webhooks/storefront", shop.app.stripe.url))
            .form(&[
                ("url", format!("{}/stripe/webhook", shop.base)),
                ("secret", WEBHOOK_SECRET.into()),
            ])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "webhook registration: {}", r.status());
        shop.client.goto(&format!("{}/", shop.base)).await.unwrap();
        shop.settle("the page to load", "document.body.dataset.ready === '1'")
            .await;
        let stripe_js = shop
            .js("return [...document.scripts].map(s => s.src).find(s => s.includes('js.stripe.com'));")
            .await;
        assert_eq!(
            stripe_js,
            json!(format!("{}/js.stripe.com/v3/", shop.app.stripe.url)),
            "the page loads the emulator's Stripe.js"
        );
        shop.wait(
            "the card field",
            "document.querySelector('#card-element input[name=cardnumber]')",
        )
        .await;
        Some(shop)
    }

    pub async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Waits until `condition` (a JS expression) holds, busy or not (a 3-D Secure challenge
    /// waits for the shopper in the middle of a checkout).
    pub async fn wait(&self, what: &str, condition: &str) {
        let script = format!("return !!({condition});");
        eventually(what, Duration::from_secs(30), || async {
            (self.js(&script).await == json!(true)).then_some(())
        })
        .await;
    }

    /// Waits until no request is in flight and `condition` (a JS expression) holds.
    pub async fn settle(&self, what: &str, condition: &str) {
        self.wait(what, &format!("document.body.dataset.busy !== '1' && ({condition})"))
            .await;
    }

    pub async fn click(&self, css: &str) {
        let el = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        // In the middle of the screen, clear of the sticky header a phone's width puts over it.
        let arg = serde_json::to_value(&el).unwrap();
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'});", vec![arg])
            .await
            .unwrap();
        el.click().await.unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        let el = self.client.find(Locator::Css(css)).await.unwrap();
        el.text().await.unwrap().trim().to_owned()
    }

    pub async fn type_into(&self, css: &str, keys: &str) {
        let input = self.client.find(Locator::Css(css)).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(keys).await.unwrap();
    }

    pub async fn add(&self, product: u32) {
        self.click(&format!(r#"[data-product-id="{product}"] button.add"#))
            .await;
        self.settle(
            "the line in the cart",
            &format!(r#"document.querySelector('li.line[data-product-id="{product}"]')"#),
        )
        .await;
    }

    pub async fn remove(&self, product: u32) {
        self.click(&format!(r#"li.line[data-product-id="{product}"] button.remove"#))
            .await;
        self.settle(
            "the removal",
            &format!(r#"!document.querySelector('li.line[data-product-id="{product}"]')"#),
        )
        .await;
    }

    pub async fn save_email(&self, email: &str) {
        self.type_into("#email", email).await;
        self.click("#save-email").await;
        self.settle(
            "the email to be saved",
            "document.querySelector('#cart-status').textContent === 'Email saved.'",
        )
        .await;
    }

    /// Types a card into Stripe.js's field as a shopper would.
    pub async fn enter_card(&self, number: &str) {
        self.type_into("#card-element input[name=cardnumber]", number).await;
        self.type_into("#card-element input[name=exp-date]", "1234").await;
        self.type_into("#card-element input[name=cvc]", "123").await;
    }

    /// Answers the bank's 3-D Secure challenge once it is on screen.
    pub async fn authenticate(&self, label: &str) {
        let xpath = format!("//div[@role='dialog']//button[normalize-space()='{label}']");
        self.wait("the 3-D Secure challenge", "document.querySelector('[role=dialog]')")
            .await;
        self.client
            .find(Locator::XPath(&xpath))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }

    pub async fn cart_id(&self) -> CartId {
        let id = self.js("return localStorage.getItem('cartId');").await;
        CartId::parse(id.as_str().expect("the page keeps its cart id")).unwrap()
    }

    /// A GET of the emulator's API, as the shop's server makes it.
    pub async fn stripe_get(&self, path: &str) -> Value {
        self.stripe
            .get(format!("{}{path}", self.app.stripe.url))
            .bearer_auth("sk_test_x")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The statuses of this cart's PaymentIntents at the emulator, sorted.
    pub async fn intents_of(&self, cart: &CartId) -> Vec<String> {
        let list = self.stripe_get("/v1/payment_intents?limit=100").await;
        let mut statuses: Vec<String> = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|pi| pi["metadata"]["cart_id"] == cart.as_str())
            .map(|pi| pi["status"].as_str().unwrap().to_owned())
            .collect();
        statuses.sort();
        statuses
    }

    /// At phone width nothing scrolls sideways; names what sticks out if something does.
    pub async fn fits_a_phone(&self, what: &str) {
        self.client.set_window_size(375, 812).await.unwrap();
        self.wait("the phone-width layout", "window.innerWidth <= 375").await;
        let fits = self.js("return document.documentElement.scrollWidth <= 375;").await;
        let wide = self.js(r#"return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 375).map(e => e.tagName + '#' + e.id + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right));"#).await;
        assert_eq!(
            fits,
            json!(true),
            "{what}: no sideways scrolling at 375 px; too wide: {wide}"
        );
    }

    pub async fn screenshot(&self, name: &str) {
        let dir = workspace_root().join("test-output");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), self.client.screenshot().await.unwrap()).unwrap();
    }
}
