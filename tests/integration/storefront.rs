//! The storefront page in real headless Chromium (Debian's chromium + chromedriver, driven by
//! fantoccini), paying as a real Stripe shop does: the page mounts Stripe.js's card field (the
//! emulator's stand-in, tools/stripe_js/v3.js), the gateway makes the PaymentIntent, Stripe.js
//! confirms it with the typed card and runs 3-D Secure when the bank asks, and the page shows
//! the outcome the cart learnt by webhook. Temporal, the emulator, the worker and the gateway
//! each run as their own process, as in production. Screenshots go to test-output/.
use crate::helpers::{ChildProc, TestApp, eventually, free_port, process_wait, required, workspace_root};
use app::cart::CartStatus;
use app::domain::CartId;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::time::Duration;

const WEBHOOK_SECRET: &str = "whsec_storefront_test";
/// Cards as the emulator knows them: the bank asks for 3-D Secure; paid; declined.
const THREE_DS_CARD: &str = "4000002760003184";
const VISA: &str = "4242424242424242";
const DECLINED_CARD: &str = "4000000000000002";

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
struct Shop {
    client: Client,
    base: String,
    stripe: reqwest::Client,
    _gateway: ChildProc,
    _worker: ChildProc,
    _driver: ChildProc,
    // Last: its processes and folder outlive the ones above.
    app: TestApp,
}

impl Shop {
    async fn open() -> Option<Self> {
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

    async fn js(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.unwrap()
    }

    /// Waits until `condition` (a JS expression) holds, busy or not (a 3-D Secure challenge
    /// waits for the shopper in the middle of a checkout).
    async fn wait(&self, what: &str, condition: &str) {
        let script = format!("return !!({condition});");
        eventually(what, Duration::from_secs(30), || async {
            (self.js(&script).await == json!(true)).then_some(())
        })
        .await;
    }

    /// Waits until no request is in flight and `condition` (a JS expression) holds.
    async fn settle(&self, what: &str, condition: &str) {
        self.wait(what, &format!("document.body.dataset.busy !== '1' && ({condition})"))
            .await;
    }

    async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
            .click()
            .await
            .unwrap();
    }

    async fn text(&self, css: &str) -> String {
        let el = self.client.find(Locator::Css(css)).await.unwrap();
        el.text().await.unwrap().trim().to_owned()
    }

    async fn type_into(&self, css: &str, keys: &str) {
        let input = self.client.find(Locator::Css(css)).await.unwrap();
        input.clear().await.unwrap();
        input.send_keys(keys).await.unwrap();
    }

    async fn add(&self, product: u32) {
        self.click(&format!(r#"[data-product-id="{product}"] button.add"#))
            .await;
        self.settle(
            "the line in the cart",
            &format!(r#"document.querySelector('li.line[data-product-id="{product}"]')"#),
        )
        .await;
    }

    async fn remove(&self, product: u32) {
        self.click(&format!(r#"li.line[data-product-id="{product}"] button.remove"#))
            .await;
        self.settle(
            "the removal",
            &format!(r#"!document.querySelector('li.line[data-product-id="{product}"]')"#),
        )
        .await;
    }

    async fn save_email(&self, email: &str) {
        self.type_into("#email", email).await;
        self.click("#save-email").await;
        self.settle(
            "the email to be saved",
            "document.querySelector('#cart-status').textContent === 'Email saved.'",
        )
        .await;
    }

    /// Types a card into Stripe.js's field as a shopper would.
    async fn enter_card(&self, number: &str) {
        self.type_into("#card-element input[name=cardnumber]", number).await;
        self.type_into("#card-element input[name=exp-date]", "1234").await;
        self.type_into("#card-element input[name=cvc]", "123").await;
    }

    /// Answers the bank's 3-D Secure challenge once it is on screen.
    async fn authenticate(&self, label: &str) {
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

    async fn cart_id(&self) -> CartId {
        let id = self.js("return localStorage.getItem('cartId');").await;
        CartId::parse(id.as_str().expect("the page keeps its cart id")).unwrap()
    }

    /// The statuses of this cart's PaymentIntents at the emulator, sorted.
    async fn intents_of(&self, cart: &CartId) -> Vec<String> {
        let list: Value = self
            .stripe
            .get(format!("{}/v1/payment_intents?limit=100", self.app.stripe.url))
            .bearer_auth("sk_test_x")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
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
    async fn fits_a_phone(&self, what: &str) {
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

    async fn screenshot(&self, name: &str) {
        let dir = workspace_root().join("test-output");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), self.client.screenshot().await.unwrap()).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shopper_pays_with_3d_secure_in_a_real_browser() {
    let Some(shop) = Shop::open().await else { return };
    shop.add(0).await;
    let qty = shop
        .client
        .find(Locator::Css(r#"[data-product-id="1"] input.qty"#))
        .await
        .unwrap();
    qty.clear().await.unwrap();
    qty.send_keys("2").await.unwrap();
    shop.add(1).await;
    shop.remove(0).await;
    assert_eq!(shop.text("#cart-total").await, "$1,398.00");
    shop.save_email("browser@example.com").await;
    let id = shop.cart_id().await;
    assert_eq!(
        shop.app.get(&id).await.email.as_deref(),
        Some("browser@example.com"),
        "the server has the email"
    );

    shop.enter_card(THREE_DS_CARD).await;
    shop.click("#checkout").await;
    shop.authenticate("Complete authentication").await;
    shop.settle("the receipt", "!document.querySelector('#receipt').hidden")
        .await;
    let total = shop.text("#receipt-total").await;
    assert!(total.contains("$1,398.00"), "{total}");
    let payment = shop.text("#payment-ref").await;
    assert!(payment.starts_with("pi_"), "{payment}");
    shop.screenshot("storefront-receipt.png").await;
    let paid = shop.app.get(&id).await;
    assert_eq!(
        paid.status,
        CartStatus::CheckedOut,
        "the page showed what the server did"
    );
    assert_eq!(paid.payment_ref.as_deref(), Some(payment.as_str()));
    assert_eq!(
        shop.intents_of(&id).await,
        ["succeeded"],
        "one PaymentIntent, paid once"
    );

    // The link in a reminder email opens that cart.
    let reminded = shop.app.new_cart().await;
    shop.app.add(&reminded, 3, 2).await.unwrap();
    shop.client
        .goto(&format!("{}/?cart={reminded}", shop.base))
        .await
        .unwrap();
    shop.settle(
        "the linked cart",
        r#"document.querySelector('li.line[data-product-id="3"]')"#,
    )
    .await;
    assert_eq!(
        shop.js("return localStorage.getItem('cartId');").await,
        json!(reminded.as_str())
    );
    shop.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_3d_secure_challenge_leaves_the_cart_usable_and_another_card_pays_on_a_phone() {
    let Some(shop) = Shop::open().await else { return };
    shop.fits_a_phone("an empty cart").await;
    shop.add(2).await;
    shop.save_email("phone@example.com").await;
    let id = shop.cart_id().await;

    shop.enter_card(THREE_DS_CARD).await;
    shop.click("#checkout").await;
    shop.wait("the 3-D Secure challenge", "document.querySelector('[role=dialog]')")
        .await;
    shop.fits_a_phone("the 3-D Secure challenge").await;
    shop.screenshot("storefront-3ds-phone.png").await;
    shop.authenticate("Fail authentication").await;
    shop.settle(
        "the failure",
        "!document.querySelector('#decline').hidden && !document.querySelector('#checkout').disabled",
    )
    .await;
    let failure = shop.text("#decline").await;
    assert!(failure.contains("authentication"), "{failure}");
    assert!(shop.js("return document.querySelector('#receipt').hidden;").await == json!(true));
    let cart = shop.app.get(&id).await;
    assert_eq!(cart.status, CartStatus::PaymentFailed, "{cart:?}");
    assert_eq!(
        cart.payment_error.as_deref(),
        Some(failure.as_str()),
        "the page shows the server's word"
    );
    shop.fits_a_phone("the failure").await;
    shop.screenshot("storefront-auth-failed-phone.png").await;

    // The cart takes changes again, and another card pays for it.
    shop.add(3).await;
    shop.enter_card(VISA).await;
    shop.click("#checkout").await;
    shop.settle("the receipt", "!document.querySelector('#receipt').hidden")
        .await;
    let paid = shop.app.get(&id).await;
    assert_eq!(paid.status, CartStatus::CheckedOut);
    assert_eq!(paid.checkout_attempts, 2);
    assert_eq!(paid.lines.len(), 2, "both lines were paid for");
    assert_eq!(
        shop.intents_of(&id).await,
        ["canceled", "succeeded"],
        "the failed attempt's PaymentIntent charged nothing and was closed; the second paid once"
    );
    shop.client.clone().close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declined_card_shows_the_decline_and_the_cart_stays_usable() {
    let Some(shop) = Shop::open().await else { return };
    shop.add(1).await;
    shop.save_email("declined@example.com").await;
    let id = shop.cart_id().await;

    // Stripe.js checks the card before anything is sent.
    shop.click("#checkout").await;
    shop.settle("the missing card", "document.querySelector('#card-msg').textContent")
        .await;
    assert!(shop.text("#card-msg").await.contains("card number"));
    shop.type_into("#card-element input[name=cardnumber]", "4242424242424241")
        .await;
    shop.settle("the invalid number", "document.querySelector('#card-msg').textContent")
        .await;
    assert_eq!(shop.text("#card-msg").await, "Your card number is invalid.");
    let cart = shop.app.get(&id).await;
    assert_eq!(
        (cart.status, cart.checkout_attempts),
        (CartStatus::Active, 0),
        "no checkout for a card that cannot pay"
    );

    shop.enter_card(DECLINED_CARD).await;
    shop.click("#checkout").await;
    shop.settle(
        "the decline",
        "!document.querySelector('#decline').hidden && !document.querySelector('#checkout').disabled",
    )
    .await;
    let decline = shop.text("#decline").await;
    assert!(decline.to_lowercase().contains("declined"), "{decline}");
    assert!(shop.js("return document.querySelector('#receipt').hidden;").await == json!(true));
    assert_eq!(shop.app.get(&id).await.status, CartStatus::PaymentFailed);
    assert_eq!(
        shop.intents_of(&id).await,
        ["canceled"],
        "nothing charged, and the declined attempt closed so no later card can pay it"
    );
    shop.screenshot("storefront-decline.png").await;

    shop.add(2).await;
    shop.remove(1).await;
    assert_eq!(shop.app.get(&id).await.item_count, 1, "the cart took both changes");
    shop.fits_a_phone("a cart after a decline").await;
    shop.screenshot("storefront-phone.png").await;
    shop.client.clone().close().await.unwrap();
}
