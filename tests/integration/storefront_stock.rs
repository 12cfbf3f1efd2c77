//! The storefront as the catalogue and stock make it, in real headless Chromium on a phone's
//! width: a note when few are left, a product sold out, the shop's answer when a cart asks for
//! more than there is, and the prompt when prices changed before checkout, paid only when the
//! shopper accepts the new total.
use crate::helpers::browser::{Shop, VISA};
use crate::helpers::eventually;
use app::cart::CartStatus;
use app::domain::Cents;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn stock_notes_and_the_price_prompt_on_a_phone() {
    let Some(shop) = Shop::open().await else { return };
    let store = &shop.app.orders.store;
    // Few of one phone left, none of another: the page says so once it lists them again.
    for (id, stock) in [(2, Some(2)), (3, Some(0))] {
        let mut product = store.product(id).await.unwrap().unwrap();
        product.stock = stock;
        store.put_product(&product).await.unwrap();
    }
    // The gateway lists products from a copy at most two seconds old: wait for it, then reload.
    let products = format!("{}/products", shop.base);
    eventually("the gateway to list the new stock", Duration::from_secs(15), || async {
        let listed: Value = reqwest::get(&products).await.unwrap().json().await.unwrap();
        (listed["products"][3]["in_stock"] == json!(false)).then_some(())
    })
    .await;
    shop.client.refresh().await.unwrap();
    shop.settle("the page to reload", "document.body.dataset.ready === '1'")
        .await;
    shop.fits_a_phone("the product list").await;
    assert_eq!(shop.text(r#"[data-product-id="2"] .stock"#).await, "Only 2 left");
    assert_eq!(shop.text(r#"[data-product-id="3"] .stock"#).await, "Sold out");
    let sold_out = shop
        .js(r#"return document.querySelector('[data-product-id="3"] button.add').disabled;"#)
        .await;
    assert_eq!(sold_out, json!(true));

    // Asking for more than there is: the shop's answer, beside the product; nothing added.
    shop.type_into(r#"[data-product-id="2"] input.qty"#, "3").await;
    shop.click(r#"[data-product-id="2"] button.add"#).await;
    shop.settle(
        "the stock answer",
        r#"document.querySelector('[data-product-id="2"] .msg').textContent"#,
    )
    .await;
    assert_eq!(
        shop.text(r#"[data-product-id="2"] .msg"#).await,
        "Only 2 left: your cart can hold at most 2."
    );
    shop.screenshot("storefront-out-of-stock-phone.png").await;

    // A price rises between the add and the checkout: the page asks before anything is paid.
    shop.add(1).await;
    shop.save_email("prices@example.com").await;
    let id = shop.cart_id().await;
    let mut dearer = store.product(1).await.unwrap().unwrap();
    let old = dearer.price_cents;
    dearer.price_cents = Cents(old.0 + 5_000);
    store.put_product(&dearer).await.unwrap();
    shop.enter_card(VISA).await;
    shop.click("#checkout").await;
    shop.settle("the price prompt", "!document.querySelector('#prices').hidden")
        .await;
    assert_eq!(shop.text("#price-old-total").await, "$699.00");
    assert_eq!(shop.text("#price-new-total").await, "$749.00");
    let change = shop.text("#price-list li").await;
    assert!(
        change.contains("iPhone 12") && change.contains("$699.00 → $749.00"),
        "{change}"
    );
    assert!(
        shop.intents_of(&id).await.is_empty(),
        "nothing charged before the shopper agrees"
    );
    shop.fits_a_phone("the price prompt").await;
    shop.screenshot("storefront-price-changed-phone.png").await;

    shop.click("#accept-prices").await;
    shop.settle("the receipt", "!document.querySelector('#receipt').hidden")
        .await;
    assert_eq!(shop.text("#receipt-total").await, "$749.00");
    let paid = shop.app.get(&id).await;
    assert_eq!((paid.status, paid.total_cents), (CartStatus::CheckedOut, Cents(74_900)));
    let amounts = charged(&shop, paid.payment_ref.as_deref().unwrap()).await;
    assert_eq!(amounts, json!([74_900, "succeeded"]), "charged the new total, once");
    assert_eq!(shop.intents_of(&id).await, ["succeeded"]);
    shop.client.clone().close().await.unwrap();
}

/// The PaymentIntent's amount and status at the emulator.
async fn charged(shop: &Shop, intent: &str) -> Value {
    let pi = shop.stripe_get(&format!("/v1/payment_intents/{intent}")).await;
    json!([pi["amount"], pi["status"]])
}
