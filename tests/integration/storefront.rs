//! The storefront page in real headless Chromium (Debian's chromium + chromedriver, driven by
//! fantoccini): a shopper adds, removes, sets an email and pays; a declined card shows the
//! decline. Screenshots go to test-output/.
use crate::helpers::{ChildProc, TestApp, eventually, free_port, process_wait, required, workspace_root};
use crate::webapp::Api;
use app::cart::CartStatus;
use app::domain::CartId;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::time::Duration;

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

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.unwrap()
}

/// Waits until no request is in flight and `condition` (a JS expression) holds.
async fn settle(client: &Client, what: &str, condition: &str) {
    let script = format!("return document.body.dataset.busy !== '1' && !!({condition});");
    eventually(what, Duration::from_secs(30), || async {
        (js(client, &script).await == json!(true)).then_some(())
    })
    .await;
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn screenshot(client: &Client, name: &str) {
    let dir = workspace_root().join("test-output");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), client.screenshot().await.unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shopper_pays_and_a_declined_card_shows_the_decline_in_a_real_browser() {
    let Some(app) = TestApp::spawn().await else { return };
    let Some((_driver, client)) = browser(app.dir.path()).await else {
        return;
    };
    let api = Api::spawn(&app).await;
    client.goto(&format!("{}/", api.base)).await.unwrap();
    settle(&client, "the page to load", "document.body.dataset.ready === '1'").await;

    click(&client, r#"[data-product-id="0"] button.add"#).await;
    settle(
        &client,
        "the first line",
        r#"document.querySelector('li.line[data-product-id="0"]')"#,
    )
    .await;
    let qty = client
        .find(Locator::Css(r#"[data-product-id="1"] input.qty"#))
        .await
        .unwrap();
    qty.clear().await.unwrap();
    qty.send_keys("2").await.unwrap();
    click(&client, r#"[data-product-id="1"] button.add"#).await;
    settle(
        &client,
        "the second line",
        r#"document.querySelector('li.line[data-product-id="1"]')"#,
    )
    .await;
    click(&client, r#"li.line[data-product-id="0"] button.remove"#).await;
    settle(
        &client,
        "the removal",
        r#"!document.querySelector('li.line[data-product-id="0"]')"#,
    )
    .await;
    assert_eq!(
        client
            .find(Locator::Css("#cart-total"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .trim(),
        "$1,398.00"
    );
    client
        .find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys("browser@example.com")
        .await
        .unwrap();
    click(&client, "#save-email").await;
    settle(&client, "the email to be saved", "true").await;

    let id = js(&client, "return localStorage.getItem('cartId');").await;
    let id = CartId::parse(id.as_str().expect("the page keeps its cart id")).unwrap();
    assert_eq!(
        app.get(&id).await.email.as_deref(),
        Some("browser@example.com"),
        "the server has the email"
    );

    client
        .find(Locator::Css("#card"))
        .await
        .unwrap()
        .select_by_value("pm_card_visa")
        .await
        .unwrap();
    click(&client, "#checkout").await;
    settle(&client, "the receipt", "!document.querySelector('#receipt').hidden").await;
    let total = client
        .find(Locator::Css("#receipt-total"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(total.contains("$1,398.00"), "{total}");
    let payment = client
        .find(Locator::Css("#payment-ref"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(payment.contains("pi_"), "{payment}");
    screenshot(&client, "storefront-receipt.png").await;
    let paid = app.carts.get(&id).await.unwrap_or_else(|_| panic!("cart {id} answers"));
    assert_eq!(
        paid.status,
        CartStatus::CheckedOut,
        "the page showed what the server did"
    );

    click(&client, "#new-cart").await;
    settle(&client, "a fresh page", "document.body.dataset.ready === '1'").await;
    click(&client, r#"[data-product-id="2"] button.add"#).await;
    settle(
        &client,
        "a line in the new cart",
        r#"document.querySelector('li.line[data-product-id="2"]')"#,
    )
    .await;
    client
        .find(Locator::Css("#email"))
        .await
        .unwrap()
        .send_keys("declined@example.com")
        .await
        .unwrap();
    click(&client, "#save-email").await;
    settle(&client, "the email", "true").await;
    client
        .find(Locator::Css("#card"))
        .await
        .unwrap()
        .select_by_value("pm_card_chargeCustomerFail")
        .await
        .unwrap();
    click(&client, "#checkout").await;
    settle(&client, "the decline", "!document.querySelector('#decline').hidden").await;
    let decline = client
        .find(Locator::Css("#decline"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(decline.to_lowercase().contains("declined"), "{decline}");
    assert!(js(&client, "return document.querySelector('#receipt').hidden;").await == json!(true));
    screenshot(&client, "storefront-decline.png").await;

    client.set_window_size(375, 812).await.unwrap();
    let fits = js(
        &client,
        "return document.documentElement.scrollWidth <= window.innerWidth;",
    )
    .await;
    let wide = js(&client, r#"return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth).map(e => e.tagName + '#' + e.id + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right));"#).await;
    assert_eq!(
        fits,
        json!(true),
        "no sideways scrolling at phone width; too wide: {wide}"
    );
    screenshot(&client, "storefront-phone.png").await;

    // The link in a reminder email opens that cart.
    let reminded = app.new_cart().await;
    app.add(&reminded, 3, 2).await.unwrap();
    client.goto(&format!("{}/?cart={reminded}", api.base)).await.unwrap();
    settle(
        &client,
        "the linked cart",
        r#"document.querySelector('li.line[data-product-id="3"]')"#,
    )
    .await;
    assert_eq!(
        js(&client, "return localStorage.getItem('cartId');").await,
        json!(reminded.as_str())
    );
    client.close().await.unwrap();
}
