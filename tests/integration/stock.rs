//! Selling what is in stock at today's price: the catalogue in the database, stock held by
//! carts on a reservation that lapses, prices checked again at checkout. Counted at the
//! emulator (PaymentIntents) and in the database (on hand, reserved), on both databases.
use crate::checkout_flow::{Emulator, SECRET};
use crate::helpers::{TestApp, TestAppOptions, eventually, fast_timing, on_both_backends};
use crate::webapp::{Api, TOKEN};
use app::catalogue::Product;
use app::workflows::cart::CartTiming;
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use webapp::startup::Settings;

const OPERATOR: &str = "test-operator-token";

struct Shop {
    app: TestApp,
    api: Api,
    stripe: Emulator,
}

impl Shop {
    async fn open(database_url: Option<String>, timing: CartTiming) -> Option<Self> {
        let app = TestApp::spawn_with(TestAppOptions {
            database_url,
            ..Default::default()
        })
        .await?;
        let api = Self::gateway(&app, timing).await;
        let stripe = Emulator::of(&app);
        Some(Self { app, api, stripe })
    }

    /// A gateway whose carts use `timing`, with the operator routes.
    async fn gateway(app: &TestApp, timing: CartTiming) -> Api {
        let settings = Settings {
            operator: Some(app.operator(OPERATOR)),
            webhook_secret: Some(SECRET.into()),
            checkout_wait: Duration::from_secs(30),
            ..Settings::default()
        };
        Api::spawn_with(app, app.carts.clone().with_timing(timing), settings).await
    }

    async fn put_product(&self, id: u32, body: Value) -> (StatusCode, Value) {
        let path = format!("/admin/products/{id}");
        self.api.send(Method::PUT, &path, Some(body), Some(OPERATOR)).await
    }

    async fn adjust(&self, id: u32, delta: i64) -> (StatusCode, Value) {
        let path = format!("/admin/products/{id}/stock");
        let body = json!({ "delta": delta });
        self.api.send(Method::POST, &path, Some(body), Some(OPERATOR)).await
    }

    async fn stock(&self, id: u32) -> Product {
        self.app
            .orders
            .store
            .product(id)
            .await
            .unwrap()
            .expect("the product exists")
    }

    /// A cart holding `quantity` of `product`, with an email.
    async fn cart_with(&self, product: u32, quantity: u32) -> String {
        let id = self.api.new_cart().await;
        let (status, body) = self.api.add(&id, product, quantity).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.email(&id).await;
        id
    }

    async fn email(&self, id: &str) {
        let (status, body) = self
            .api
            .put(&format!("/cart/{id}/email"), r#"{"email": "stock@example.com"}"#, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    async fn checkout(&self, id: &str, body: Value) -> (StatusCode, Value) {
        self.api
            .put(&format!("/cart/{id}/checkout"), &body.to_string(), None)
            .await
    }

    /// The amounts of the cart's PaymentIntents that succeeded.
    async fn charged(&self, cart: &str) -> Vec<u64> {
        let mut amounts = vec![];
        for intent in self.stripe.intent_ids_of(cart).await {
            let pi = self.stripe.intent(&intent).await;
            if pi["status"] == "succeeded" {
                amounts.push(pi["amount"].as_u64().unwrap());
            }
        }
        amounts
    }
}

on_both_backends!(
    holds_are_set_not_added_and_orphans_are_released,
    twenty_carts_race_for_the_last_three_units,
    prices_are_checked_again_at_checkout,
    reservations_lapse_are_released_and_come_back_with_a_refund,
);

/// The store alone: a hold is set to the units asked for (a retried reserve takes nothing
/// more), a product short of stock keeps what the cart held, and a hold whose cart no longer
/// runs (still there long after its lapse) is released by the reconciliation pass's sweep.
async fn holds_are_set_not_added_and_orphans_are_released(database_url: Option<String>) {
    use app::orders::Hold;
    use std::time::SystemTime;
    let Some(shop) = Shop::open(database_url, fast_timing()).await else {
        return;
    };
    let store = &shop.app.orders.store;
    assert_eq!(
        shop.put_product(30, json!({"name": "Lamp", "price_cents": 900, "stock": 5}))
            .await
            .0,
        StatusCode::CREATED
    );
    let hold = |quantity| {
        [Hold {
            product_id: 30,
            quantity,
        }]
    };
    let later = SystemTime::now() + Duration::from_secs(600);
    for _ in 0..2 {
        let held = store.reserve("cart-a", &hold(3), later).await.unwrap();
        assert_eq!((held[0].held, held[0].left), (true, Some(5)));
    }
    assert_eq!(
        shop.stock(30).await.reserved,
        3,
        "set, not added: a retry takes nothing more"
    );
    let short = store.reserve("cart-b", &hold(3), later).await.unwrap();
    assert_eq!((short[0].held, short[0].left), (false, Some(2)));
    assert_eq!(store.reservations("cart-b").await.unwrap(), []);
    let lapsed_long_ago = SystemTime::now() - Duration::from_secs(7200);
    store.reserve("cart-b", &hold(2), lapsed_long_ago).await.unwrap();
    assert_eq!(shop.stock(30).await.reserved, 5);
    let cutoff = SystemTime::now() - Duration::from_secs(3600);
    assert_eq!(store.release_lapsed(cutoff).await.unwrap(), 1, "only the orphan");
    assert_eq!(store.reservations("cart-a").await.unwrap(), [(30, 3)]);
    assert_eq!(shop.stock(30).await.reserved, 3);
}

async fn twenty_carts_race_for_the_last_three_units(database_url: Option<String>) {
    let Some(shop) = Shop::open(database_url, fast_timing()).await else {
        return;
    };
    let (status, body) = shop
        .put_product(7, json!({"name": "The last ones", "price_cents": 2500, "stock": 3}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut carts = vec![];
    for _ in 0..20 {
        carts.push(shop.api.new_cart().await);
    }
    let outcomes = join_all(carts.iter().map(|id| async {
        let (status, body) = shop.api.add(id, 7, 1).await;
        if status != StatusCode::OK {
            return (status, body);
        }
        shop.email(id).await;
        shop.checkout(id, json!({})).await
    }))
    .await;

    let paid = outcomes.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused: Vec<_> = outcomes.iter().filter(|(s, _)| *s == StatusCode::CONFLICT).collect();
    assert_eq!((paid, refused.len()), (3, 17), "{outcomes:?}");
    for (_, body) in &refused {
        assert_eq!(body["error"]["code"], "out_of_stock", "{body}");
        // Named as the request spelt it (the shop client sends the original's `ProductId`).
        assert_eq!(body["error"]["field"], "ProductId");
        assert_eq!(
            (&body["error"]["product_id"], &body["error"]["left"]),
            (&json!(7), &json!(0))
        );
    }
    let mut succeeded = 0;
    let mut made = 0;
    for id in &carts {
        succeeded += shop.charged(id).await.len();
        made += shop.stripe.intent_ids_of(id).await.len();
    }
    assert_eq!(
        (succeeded, made),
        (3, 3),
        "one PaymentIntent per paid cart, none for the others"
    );
    let product = shop.stock(7).await;
    assert_eq!((product.stock, product.reserved), (Some(0), 0));
}

async fn prices_are_checked_again_at_checkout(database_url: Option<String>) {
    let Some(shop) = Shop::open(database_url, fast_timing()).await else {
        return;
    };
    for (id, price) in [(8, 1000), (9, 2000)] {
        let body = json!({"name": format!("Product {id}"), "price_cents": price, "stock": null});
        assert_eq!(shop.put_product(id, body).await.0, StatusCode::CREATED);
    }

    // A price that rose stops the checkout before anything is charged.
    let dearer = shop.cart_with(8, 2).await;
    let body = json!({"name": "Product 8", "price_cents": 1200, "stock": null});
    assert_eq!(shop.put_product(8, body).await.0, StatusCode::OK);
    let (status, stopped) = shop.checkout(&dearer, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{stopped}");
    assert_eq!(stopped["error"]["code"], "price_changed");
    assert_eq!(
        stopped["error"]["changes"],
        json!([{"product_id": 8, "old_price_cents": 1000, "new_price_cents": 1200}])
    );
    assert_eq!(stopped["error"]["total_cents"], 2400);
    // A stale acceptance (not the total now) charges nothing either.
    let (status, stale) = shop.checkout(&dearer, json!({"accept_total_cents": 2000})).await;
    assert_eq!(
        (status, &stale["error"]["total_cents"]),
        (StatusCode::CONFLICT, &json!(2400))
    );
    assert!(
        shop.stripe.intent_ids_of(&dearer).await.is_empty(),
        "nothing charged yet"
    );
    let (status, paid) = shop.checkout(&dearer, json!({"accept_total_cents": 2400})).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["receipt"]["total_cents"], 2400);
    assert_eq!(shop.charged(&dearer).await, [2400], "charged the new price, once");

    // A lower price is simply taken.
    let cheaper = shop.cart_with(9, 1).await;
    let body = json!({"name": "Product 9", "price_cents": 1500, "stock": null});
    assert_eq!(shop.put_product(9, body).await.0, StatusCode::OK);
    let (status, paid) = shop.checkout(&cheaper, json!({})).await;
    assert_eq!(
        (status, &paid["receipt"]["total_cents"]),
        (StatusCode::OK, &json!(1500))
    );
    assert_eq!(shop.charged(&cheaper).await, [1500]);

    // A product no longer sold is named; accepting the total without it pays for the rest.
    let mixed = shop.cart_with(8, 1).await;
    assert_eq!(shop.api.add(&mixed, 9, 1).await.0, StatusCode::OK);
    let body = json!({"name": "Product 8", "price_cents": 1200, "stock": null, "active": false});
    assert_eq!(shop.put_product(8, body).await.0, StatusCode::OK);
    let (status, stopped) = shop.checkout(&mixed, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{stopped}");
    assert_eq!(
        stopped["error"]["changes"],
        json!([{"product_id": 8, "old_price_cents": 1200, "new_price_cents": null}])
    );
    let (status, paid) = shop.checkout(&mixed, json!({"accept_total_cents": 1500})).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    assert_eq!(paid["receipt"]["lines"].as_array().unwrap().len(), 1);
    assert_eq!(shop.charged(&mixed).await, [1500]);
    // And the gateway no longer lists it, nor lets it be added.
    let (_, listed) = shop.api.get("/products").await;
    assert!(
        listed["products"].as_array().unwrap().iter().all(|p| p["id"] != 8),
        "{listed}"
    );
    let other = shop.api.new_cart().await;
    let (status, refused) = shop.api.add(&other, 8, 1).await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("unknown_product"))
    );
}

async fn reservations_lapse_are_released_and_come_back_with_a_refund(database_url: Option<String>) {
    let timing = CartTiming {
        reservation_ttl: Duration::from_secs(2),
        ..fast_timing()
    };
    let Some(shop) = Shop::open(database_url, timing).await else {
        return;
    };
    assert_eq!(
        shop.put_product(10, json!({"name": "One left", "price_cents": 700, "stock": 1}))
            .await
            .0,
        StatusCode::CREATED
    );
    let first = shop.cart_with(10, 1).await;
    let second = shop.api.new_cart().await;
    let (status, refused) = shop.api.add(&second, 10, 1).await;
    assert_eq!(
        (status, &refused["error"]["left"]),
        (StatusCode::CONFLICT, &json!(0)),
        "{refused}"
    );

    // The first cart's hold lapses on its timer: the unit is free, the line stays, unreserved.
    let lapsed = eventually("the reservation to lapse", Duration::from_secs(20), || async {
        let (_, cart) = shop.api.get(&format!("/cart/{first}")).await;
        (cart["lines"][0]["reserved"] == false).then_some(cart)
    })
    .await;
    assert_eq!(lapsed["lines"][0]["quantity"], 1);
    assert_eq!(shop.stock(10).await.reserved, 0);
    assert_eq!(
        shop.api.add(&second, 10, 1).await.0,
        StatusCode::OK,
        "another cart takes it"
    );

    // The first cart's checkout cannot take it back while the second holds it...
    let (status, short) = shop.checkout(&first, json!({})).await;
    assert_eq!(
        (status, &short["error"]["code"]),
        (StatusCode::CONFLICT, &json!("out_of_stock")),
        "{short}"
    );
    // ...and can once a remove gives it back, at once.
    let (status, _) = shop
        .api
        .put(
            &format!("/cart/{second}/remove"),
            r#"{"product_id": 10, "quantity": 1}"#,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shop.stock(10).await.reserved, 0);
    let (status, paid) = shop.checkout(&first, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{paid}");
    let product = shop.stock(10).await;
    assert_eq!((product.stock, product.reserved), (Some(0), 0), "sold");

    // A cancelled order is refunded and its unit goes back on the shelf.
    let order = paid["receipt"]["order_id"].as_i64().unwrap();
    let (status, body) = shop
        .api
        .send(
            Method::PUT,
            &format!("/orders/{order}"),
            Some(json!({"status": "cancelled"})),
            Some(TOKEN),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    eventually("the unit to come back", Duration::from_secs(30), || async {
        (shop.stock(10).await.stock == Some(1)).then_some(())
    })
    .await;

    // An expired cart gives its units back too.
    let brief = CartTiming {
        expire_after: Duration::from_secs(2),
        reservation_ttl: Duration::from_secs(600),
        ..fast_timing()
    };
    let api = Shop::gateway(&shop.app, brief).await;
    let short_lived = api.new_cart().await;
    assert_eq!(api.add(&short_lived, 10, 1).await.0, StatusCode::OK);
    assert_eq!(shop.stock(10).await.reserved, 1);
    settled_as(&api, &short_lived, "expired").await;
    assert_eq!(shop.stock(10).await.reserved, 0);
}

async fn settled_as(api: &Api, id: &str, want: &str) {
    crate::checkout_flow::settled(api, id, want).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn operators_manage_products_behind_their_token() {
    let Some(shop) = Shop::open(None, fast_timing()).await else {
        return;
    };
    let path = "/admin/products";
    assert_eq!(
        shop.api.send(Method::GET, path, None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        shop.api
            .send(Method::GET, path, None, Some("wrong-token-wrong-token-wrong-token"))
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let put = |body: Value| shop.put_product(20, body);
    assert_eq!(
        shop.api
            .send(Method::PUT, "/admin/products/20", Some(json!({})), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    for (body, field) in [
        (json!({"name": "Mug", "price_cents": -5, "stock": 1}), "price_cents"),
        (json!({"name": "Mug", "price_cents": 9.99, "stock": 1}), "price_cents"),
        (json!({"name": "Mug", "price_cents": 500, "stock": -1}), "stock"),
        (json!({"name": "Mug", "price_cents": 500}), "stock"),
        (json!({"name": "", "price_cents": 500, "stock": 1}), "name"),
    ] {
        let (status, refused) = put(body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(refused["error"]["field"], field, "{refused}");
    }
    assert!(
        shop.app.orders.store.product(20).await.unwrap().is_none(),
        "nothing saved"
    );

    let (status, made) = put(json!({"name": "Mug", "sku": "MUG-1", "price_cents": 500, "stock": 4})).await;
    assert_eq!((status, &made["available"]), (StatusCode::CREATED, &json!(4)), "{made}");
    let (_, listed) = shop.api.get("/products").await;
    let mug = listed["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == 20)
        .cloned()
        .unwrap();
    assert_eq!(
        (&mug["price_cents"], &mug["low_stock"], &mug["in_stock"]),
        (&json!(500), &json!(4), &json!(true))
    );

    // A cart holds two; stock cannot be corrected below that.
    let cart = shop.api.new_cart().await;
    assert_eq!(shop.api.add(&cart, 20, 2).await.0, StatusCode::OK);
    let (status, body) = shop.adjust(20, -3).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::CONFLICT, &json!("stock_reserved")),
        "{body}"
    );
    let (status, body) = shop.adjust(20, 10).await;
    assert_eq!(
        (status, &body["stock"], &body["reserved"]),
        (StatusCode::OK, &json!(14), &json!(2)),
        "{body}"
    );
    assert_eq!(shop.adjust(20, 0).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, body) = shop
        .api
        .send(
            Method::POST,
            "/admin/products/99/stock",
            Some(json!({"delta": 1})),
            Some(OPERATOR),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("product_not_found"))
    );
    let (status, body) = put(json!({"name": "Mug", "price_cents": 500, "stock": 1})).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::CONFLICT, &json!("stock_reserved")),
        "{body}"
    );
    let (status, body) = shop
        .put_product(
            21,
            json!({"name": "Other", "sku": "MUG-1", "price_cents": 1, "stock": null}),
        )
        .await;
    assert_eq!(
        (status, &body["error"]["field"]),
        (StatusCode::CONFLICT, &json!("sku")),
        "{body}"
    );
    let (_, all) = shop.api.send(Method::GET, path, None, Some(OPERATOR)).await;
    assert_eq!(
        all["products"].as_array().unwrap().len(),
        5,
        "the four seeded and the mug: {all}"
    );
}
