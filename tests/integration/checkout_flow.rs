//! The checkout as a real shop takes cards: a PaymentIntent per attempt, the shopper's browser
//! confirming it (or 3-D Secure after a server confirm), the outcome by signed webhook or, when
//! no webhook comes, by status check, and a payment the shopper leaves is cancelled. The
//! emulator plays Stripe and the browser's part (confirm, authenticate) is done on its API.
use crate::helpers::{TestApp, TestAppOptions, eventually, fast_timing};
use crate::webapp::Api;
use app::workflows::cart::CartTiming;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use webapp::startup::Settings;

pub(crate) const SECRET: &str = "whsec_test_secret";
/// A card that asks for 3-D Secure (localstripe's list).
pub(crate) const THREE_DS_CARD: &str = "4000002500003155";

/// The emulator's API as a test (or the shopper's browser) uses it.
pub(crate) struct Emulator {
    url: String,
    http: reqwest::Client,
}

impl Emulator {
    pub(crate) fn of(app: &TestApp) -> Self {
        Self {
            url: app.stripe.url.clone(),
            // A fresh connection per call: aiohttp may close an idle one just as it is reused
            // (CI saw hyper's UnexpectedMessage on the webhook registration).
            http: reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap(),
        }
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        let (status, body) = self.try_post(path, form).await;
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// A call as the shop's server or the shopper's browser makes it, whatever it answers.
    pub(crate) async fn try_post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth("sk_test_x")
            .form(form)
            .send()
            .await
            .unwrap();
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Confirms a PaymentIntent with a card, as Stripe.js does; Stripe's status code.
    pub(crate) async fn confirm(&self, intent: &str, card: &str) -> StatusCode {
        let path = format!("/v1/payment_intents/{intent}/confirm");
        self.try_post(&path, &[("payment_method", card)]).await.0
    }

    /// A payment made straight at Stripe (not by the shop) carrying `cart`'s metadata, paid.
    pub(crate) async fn pay_outside_the_shop(&self, cart: &str, cents: u64) -> String {
        let amount = cents.to_string();
        let pi = self
            .post(
                "/v1/payment_intents",
                &[
                    ("amount", amount.as_str()),
                    ("currency", "usd"),
                    ("metadata[cart_id]", cart),
                    ("metadata[attempt]", "1"),
                    ("payment_method", "pm_card_visa"),
                    ("confirm", "true"),
                ],
            )
            .await;
        assert_eq!(pi["status"], "succeeded", "{pi}");
        pi["id"].as_str().unwrap().to_owned()
    }

    /// How many refunds Stripe holds for a PaymentIntent.
    pub(crate) async fn refunds_of(&self, intent: &str) -> usize {
        let r = self
            .http
            .get(format!("{}/v1/refunds?payment_intent={intent}&limit=100", self.url))
            .bearer_auth("sk_test_x")
            .send()
            .await
            .unwrap();
        let list: Value = r.json().await.unwrap();
        list["data"].as_array().unwrap().len()
    }

    /// Sends webhooks for this app's events to `gateway` signed with [`SECRET`].
    pub(crate) async fn register_webhook(&self, gateway: &str) {
        let url = format!("{gateway}/stripe/webhook");
        let r = self
            .http
            .post(format!("{}/_config/webhooks/test", self.url))
            .form(&[("url", url.as_str()), ("secret", SECRET)])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    pub(crate) async fn card(&self, number: &str) -> String {
        let pm = self
            .post(
                "/v1/payment_methods",
                &[
                    ("type", "card"),
                    ("card[number]", number),
                    ("card[exp_month]", "12"),
                    ("card[exp_year]", "2034"),
                    ("card[cvc]", "123"),
                ],
            )
            .await;
        pm["id"].as_str().unwrap().to_owned()
    }

    /// The shopper's answer to the bank's 3-D Secure challenge.
    pub(crate) async fn authenticate(&self, intent: &str, client_secret: &str, success: bool) {
        let path = format!("/v1/payment_intents/{intent}/_authenticate?success={success}");
        self.post(&path, &[("client_secret", client_secret)]).await;
    }

    pub(crate) async fn intent(&self, id: &str) -> Value {
        let r = self
            .http
            .get(format!("{}/v1/payment_intents/{id}", self.url))
            .bearer_auth("sk_test_x")
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
    }

    /// The statuses of this cart's PaymentIntents.
    pub(crate) async fn intents_of(&self, cart: &str) -> Vec<String> {
        let intents = self.payment_intents_of(cart).await;
        intents
            .iter()
            .map(|pi| pi["status"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The ids of this cart's PaymentIntents.
    pub(crate) async fn intent_ids_of(&self, cart: &str) -> Vec<String> {
        let intents = self.payment_intents_of(cart).await;
        intents.iter().map(|pi| pi["id"].as_str().unwrap().to_owned()).collect()
    }

    async fn payment_intents_of(&self, cart: &str) -> Vec<Value> {
        let r = self
            .http
            .get(format!("{}/v1/payment_intents?limit=100", self.url))
            .bearer_auth("sk_test_x")
            .send()
            .await
            .unwrap();
        let list: Value = r.json().await.unwrap();
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|pi| pi["metadata"]["cart_id"] == cart)
            .cloned()
            .collect()
    }
}

async fn spawn(timing: CartTiming, webhook: bool) -> Option<(TestApp, Api, Emulator)> {
    let app = TestApp::spawn_with(TestAppOptions::default()).await?;
    let (api, stripe) = gateway(&app, timing, webhook).await;
    Some((app, api, stripe))
}

/// A gateway whose carts use `timing`, checking its webhooks with [`SECRET`] and waiting 30 s
/// for a checkout; with `webhook`, the emulator sends it the app's events.
pub(crate) async fn gateway(app: &TestApp, timing: CartTiming, webhook: bool) -> (Api, Emulator) {
    let settings = Settings {
        webhook_secret: Some(SECRET.into()),
        checkout_wait: Duration::from_secs(30),
        ..Settings::default()
    };
    let api = Api::spawn_with(app, app.carts.clone().with_timing(timing), settings).await;
    let stripe = Emulator::of(app);
    if webhook {
        stripe.register_webhook(&api.base).await;
    }
    (api, stripe)
}

/// A cart with a line and an email, ready to check out.
pub(crate) async fn filled_cart(api: &Api) -> String {
    let id = api.new_cart().await;
    assert_eq!(api.add(&id, 1, 1).await.0, StatusCode::OK);
    let (status, _) = api
        .put(&format!("/cart/{id}/email"), r#"{"Email": "card@example.com"}"#, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    id
}

/// A filled cart checked out with a card whose bank asks for 3-D Secure: the answer is 202
/// `requires_action`. Returns the cart, the PaymentIntent and its client secret.
async fn checkout_needing_3ds(api: &Api, stripe: &Emulator) -> (String, String, String) {
    let id = filled_cart(api).await;
    let card = stripe.card(THREE_DS_CARD).await;
    let body = json!({ "PaymentMethod": card }).to_string();
    let (status, answer) = api.put(&format!("/cart/{id}/checkout"), &body, None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["status"], "requires_action");
    assert_eq!(answer["poll"], format!("/cart/{id}"));
    let intent = answer["payment_intent"].as_str().unwrap().to_owned();
    let secret = answer["client_secret"].as_str().unwrap().to_owned();
    (id, intent, secret)
}

pub(crate) async fn settled(api: &Api, id: &str, want: &str) -> Value {
    eventually(&format!("the cart to be {want}"), Duration::from_secs(30), || async {
        let (_, cart) = api.get(&format!("/cart/{id}")).await;
        (cart["status"] == want).then_some(cart)
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn three_d_secure_approved_in_the_browser_completes_by_webhook() {
    let Some((app, api, stripe)) = spawn(fast_timing(), true).await else {
        return;
    };
    let (id, intent, secret) = checkout_needing_3ds(&api, &stripe).await;

    // Checking out again while the bank waits answers with the same PaymentIntent.
    let (status, again) = api
        .put(
            &format!("/cart/{id}/checkout"),
            r#"{"PaymentMethod": "pm_card_visa"}"#,
            None,
        )
        .await;
    assert_eq!(
        (status, &again["payment_intent"]),
        (StatusCode::ACCEPTED, &json!(intent))
    );

    stripe.authenticate(&intent, &secret, true).await;
    let cart = settled(&api, &id, "checked_out").await;
    assert_eq!(cart["payment_ref"], json!(intent));
    assert!(cart["order_id"].is_i64(), "{cart}");
    assert_eq!(
        stripe.intents_of(&id).await,
        vec!["succeeded"],
        "one PaymentIntent, paid once"
    );
    assert_eq!(orders_paid_by(&app, &intent).await, 1, "one order for the payment");
}

pub(crate) async fn orders_paid_by(app: &TestApp, intent: &str) -> usize {
    let query = app::orders::ListQuery {
        limit: 100,
        ..Default::default()
    };
    let orders = app.orders.store.list(&query).await.unwrap();
    orders
        .iter()
        .filter(|o| o.payment_ref.as_deref() == Some(intent))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_authentication_leaves_the_cart_usable() {
    let Some((_app, api, stripe)) = spawn(fast_timing(), true).await else {
        return;
    };
    let (id, intent, secret) = checkout_needing_3ds(&api, &stripe).await;
    stripe.authenticate(&intent, &secret, false).await;
    let cart = settled(&api, &id, "payment_failed").await;
    assert!(
        cart["payment_error"].as_str().unwrap().contains("authentication"),
        "{cart}"
    );
    assert_eq!(
        api.add(&id, 2, 1).await.0,
        StatusCode::OK,
        "the cart takes changes again"
    );
    // A new attempt, with a card that needs nothing more, pays.
    let (status, paid) = api.put(&format!("/cart/{id}/checkout"), "", None).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["receipt"]["checkout_attempts"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_confirmed_checkout_gets_the_client_secret_and_pays_by_webhook() {
    let Some((_app, api, stripe)) = spawn(fast_timing(), true).await else {
        return;
    };
    let id = filled_cart(&api).await;
    let (status, answer) = api
        .put(&format!("/cart/{id}/checkout"), r#"{"confirm": "client"}"#, None)
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["status"], "requires_payment");
    let intent = answer["payment_intent"].as_str().unwrap();
    assert!(answer["client_secret"].as_str().unwrap().starts_with(intent));
    assert_eq!(
        stripe.intent(intent).await["status"],
        "requires_payment_method",
        "nothing charged yet"
    );

    // What Stripe.js does with the card the shopper typed.
    stripe
        .post(
            &format!("/v1/payment_intents/{intent}/confirm"),
            &[("payment_method", "pm_card_visa")],
        )
        .await;
    let cart = settled(&api, &id, "checked_out").await;
    assert_eq!(cart["payment_ref"], json!(intent));
    assert_eq!(stripe.intents_of(&id).await, vec!["succeeded"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_webhook_the_status_check_completes_the_checkout() {
    let timing = CartTiming {
        payment_check_after: Duration::from_secs(1),
        ..fast_timing()
    };
    let Some((_app, api, stripe)) = spawn(timing, false).await else {
        return;
    };
    let (id, intent, secret) = checkout_needing_3ds(&api, &stripe).await;
    stripe.authenticate(&intent, &secret, true).await;
    let cart = settled(&api, &id, "checked_out").await;
    assert_eq!(cart["payment_ref"], json!(intent));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_the_shopper_leaves_is_cancelled_and_the_cart_is_usable_again() {
    let timing = CartTiming {
        payment_wait: Duration::from_secs(2),
        ..fast_timing()
    };
    let Some((_app, api, stripe)) = spawn(timing, true).await else {
        return;
    };
    let id = filled_cart(&api).await;
    let (_, answer) = api
        .put(&format!("/cart/{id}/checkout"), r#"{"confirm": "client"}"#, None)
        .await;
    let intent = answer["payment_intent"].as_str().unwrap().to_owned();
    let cart = settled(&api, &id, "payment_failed").await;
    assert!(cart["payment_error"].as_str().unwrap().contains("in time"), "{cart}");
    assert_eq!(stripe.intent(&intent).await["status"], "canceled");
    assert_eq!(api.add(&id, 2, 1).await.0, StatusCode::OK);
}

/// Signs `payload` as Stripe does, at `t`.
fn signature(payload: &str, t: u64, secret: &str) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{payload}").as_bytes());
    let sig: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={sig}")
}

async fn deliver(api: &Api, payload: &str, signature: Option<String>) -> StatusCode {
    let mut req = api
        .http()
        .post(format!("{}/stripe/webhook", api.base))
        .header("content-type", "application/json")
        .body(payload.to_owned());
    if let Some(sig) = signature {
        req = req.header("Stripe-Signature", sig);
    }
    req.send().await.unwrap().status()
}

#[tokio::test(flavor = "multi_thread")]
async fn webhooks_need_a_valid_signature_and_a_redelivered_event_has_one_effect() {
    let Some((app, api, stripe)) = spawn(fast_timing(), false).await else {
        return;
    };
    let (id, intent, secret) = checkout_needing_3ds(&api, &stripe).await;
    stripe.authenticate(&intent, &secret, true).await;
    let event = json!({
        "id": "evt_redelivered", "type": "payment_intent.succeeded",
        "data": {"object": {"id": intent, "object": "payment_intent", "status": "succeeded",
                            "metadata": {"cart_id": id, "attempt": "1"}}}
    })
    .to_string();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();

    // Forged, stale, missing: refused, and the cart still waits (no status check for 2 min).
    assert_eq!(
        deliver(&api, &event, Some(signature(&event, now, "whsec_forged"))).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        deliver(&api, &event, Some(signature(&event, now - 600, SECRET))).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(deliver(&api, &event, None).await, StatusCode::BAD_REQUEST);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(api.get(&format!("/cart/{id}")).await.1["status"], "checking_out");

    // The genuine event, three times at once: one order, one receipt.
    let sends = (0..3).map(|_| deliver(&api, &event, Some(signature(&event, now, SECRET))));
    for status in futures::future::join_all(sends).await {
        assert_eq!(status, StatusCode::OK);
    }
    settled(&api, &id, "checked_out").await;
    assert_eq!(orders_paid_by(&app, &intent).await, 1, "one order for the payment");
    eventually("the receipt email", Duration::from_secs(10), || async {
        (!app.outbox_messages().is_empty()).then_some(())
    })
    .await;
    assert_eq!(app.outbox_messages().len(), 1, "one receipt");

    // An event for a cart that is gone, or for no cart, is acknowledged and ignored.
    let stray = json!({"id": "evt_stray", "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_x", "metadata": {"cart_id": "cart-0123456789abcdef0123456789abcdef"}}}})
    .to_string();
    assert_eq!(
        deliver(&api, &stray, Some(signature(&stray, now, SECRET))).await,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_that_beats_the_payment_call_s_answer_still_makes_one_charge_and_one_order() {
    use crate::helpers::{Faults, FaultyProxy};
    // The first answer to creating the PaymentIntent is lost: the worker retries (same key)
    // while the emulator's webhook for it arrives before the cart knows the PaymentIntent's id.
    let Some(mut app) = TestApp::spawn_without_worker().await else {
        return;
    };
    // Each call waits 2 s at the proxy: the webhook (1 s after the PaymentIntent is made)
    // reaches the cart while the retry is still on its way.
    let faults = Faults {
        lose_responses: 1,
        delay: Duration::from_secs(2),
        path_prefix: "/v1/payment_intents".into(),
    };
    let proxy = FaultyProxy::start(&app.stripe.url, faults).await;
    app.start_worker_with_outbox(proxy.url.clone());
    let (api, stripe) = gateway(&app, fast_timing(), true).await;

    let id = filled_cart(&api).await;
    let (status, paid) = api.put(&format!("/cart/{id}/checkout"), "", None).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    let intent = paid["receipt"]["payment_ref"].as_str().unwrap().to_owned();
    assert!(proxy.hits() >= 2, "the lost answer was retried");
    assert_eq!(stripe.intents_of(&id).await, vec!["succeeded"], "one PaymentIntent");
    assert_eq!(orders_paid_by(&app, &intent).await, 1, "one order");
}
