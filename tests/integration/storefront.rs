//! The storefront page in real headless Chromium (Debian's chromium + chromedriver, driven by
//! fantoccini), paying as a real Stripe shop does: the page mounts Stripe.js's card field (the
//! emulator's stand-in, tools/stripe_js/v3.js), the gateway makes the PaymentIntent, Stripe.js
//! confirms it with the typed card and runs 3-D Secure when the bank asks, and the page shows
//! the outcome the cart learnt by webhook. Temporal, the emulator, the worker and the gateway
//! each run as their own process, as in production. Screenshots go to test-output/.
use crate::helpers::browser::{DECLINED_CARD, Shop, THREE_DS_CARD, VISA};
use app::cart::CartStatus;
use fantoccini::Locator;
use serde_json::json;

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
