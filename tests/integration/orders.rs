//! The order API from its contract, on SQLite and on PostgreSQL: auth, every route and status
//! code, the lifecycle, concurrent updates, checkout → order, cancel → refund, compensation.
use crate::helpers::{TestApp, TestAppOptions, eventually, guest_order, on_both_backends};
use crate::webapp::{Api, TOKEN};
use app::cart::CartStatus;
use app::orders::OrderStatus;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

/// A fresh PostgreSQL database on the machine's server (127.0.0.1:5432, trust auth), or `None`
/// after saying why; under `CI=true` an unreachable server fails the test instead.
pub(crate) async fn postgres_database() -> Option<String> {
    sqlx::any::install_default_drivers();
    let admin =
        std::env::var("SHOP_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let conn = sqlx::AnyPool::connect(&admin).await;
    let pool = match conn {
        Ok(p) => p,
        Err(e) => {
            let msg = format!("PostgreSQL at {admin} is unreachable: {e}");
            assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "{msg}");
            eprintln!("SKIPPED: {msg}");
            return None;
        }
    };
    // A database's name says when it was made. Those older than any test run are dropped, and
    // no younger one: another test run on this machine (a second clone, CI) may be using it.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let old: Vec<String> = sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 'shop_test_%'")
        .fetch_all(&pool)
        .await
        .unwrap_or_default();
    let made_at = |db: &str| db.strip_prefix("shop_test_")?.split('_').next()?.parse::<u64>().ok();
    for db in old.iter().filter(|d| made_at(d).is_some_and(|t| t + 3 * 3600 < now)) {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db}")))
            .execute(&pool)
            .await;
    }
    let name = format!("shop_test_{now}_{}_{:016x}", std::process::id(), rand_u64());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .unwrap();
    let base = admin.rsplit_once('/').unwrap().0;
    Some(format!("{base}/{name}"))
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

async fn spawn(database_url: Option<String>) -> Option<(TestApp, Api)> {
    let app = TestApp::spawn_with(TestAppOptions {
        database_url,
        ..Default::default()
    })
    .await?;
    let api = Api::spawn(&app).await;
    Some((app, api))
}

async fn contract(app: &TestApp, api: &Api) {
    let t = Some(TOKEN);
    // Nothing without the token, nothing with a wrong one.
    for (method, path) in [
        (Method::GET, "/orders"),
        (Method::GET, "/orders/1"),
        (Method::DELETE, "/orders/1"),
    ] {
        assert_eq!(
            api.send(method.clone(), path, None, None).await.0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        assert_eq!(
            api.send(method, path, None, Some("wrong")).await.0,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let body = json!({"customer_id": 7, "total_amount": 13.98});
    assert_eq!(
        api.send(Method::POST, "/orders", Some(body.clone()), None).await.0,
        StatusCode::UNAUTHORIZED
    );

    let (status, order) = api.send(Method::POST, "/orders", Some(body), t).await;
    assert_eq!(status, StatusCode::CREATED, "{order}");
    assert_eq!(
        (order["customer_id"].as_i64(), order["status"].as_str()),
        (Some(7), Some("pending"))
    );
    assert_eq!(
        (order["total_amount"].as_f64(), order["total_cents"].as_u64()),
        (Some(13.98), Some(1398))
    );
    assert!(order["created_at"].as_str().unwrap().ends_with('Z'));
    let id = order["id"].as_i64().unwrap();

    // Bad bodies: 400 for shape, 422 for values.
    let (s, e) = api
        .send(Method::POST, "/orders", Some(json!({"total_amount": 1.0})), t)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    let (s, e) = api
        .send(
            Method::POST,
            "/orders",
            Some(json!({"customer_id": "x", "total_amount": 1})),
            t,
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("customer_id"))
    );
    let (s, e) = api
        .send(
            Method::POST,
            "/orders",
            Some(json!({"customer_id": 1, "total_amount": 1.234})),
            t,
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("total_amount"))
    );
    let (s, _) = api
        .send(
            Method::POST,
            "/orders",
            Some(json!({"customer_id": 1, "total_amount": -5})),
            t,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let zero = json!({"customer_id": 1, "total_amount": 1, "lines": [{"product_id": 1, "name": "x", "unit_price_cents": 1, "quantity": 0}]});
    let (s, e) = api.send(Method::POST, "/orders", Some(zero), t).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("lines[0].quantity")),
        "{e}"
    );
    let (s, e) = api
        .send(
            Method::POST,
            "/orders",
            Some(json!({"customer_id": 1, "total_amount": 1, "email": "nope"})),
            t,
        )
        .await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("email")),
        "{e}"
    );

    let path = format!("/orders/{id}");
    assert_eq!(api.send(Method::GET, &path, None, t).await.1["id"], id);
    assert_eq!(
        api.send(Method::GET, "/orders/999999", None, t).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.send(Method::GET, "/orders/abc", None, t).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.send(Method::PUT, "/orders/999999", Some(json!({})), t).await.0,
        StatusCode::NOT_FOUND
    );

    // The lifecycle, through the workflow.
    let (s, o) = api
        .send(Method::PUT, &path, Some(json!({"total_amount": 20.5})), t)
        .await;
    assert_eq!((s, o["total_cents"].as_u64()), (StatusCode::OK, Some(2050)), "{o}");
    let (s, o) = api
        .send(Method::PUT, &path, Some(json!({"status": "processing"})), t)
        .await;
    assert_eq!((s, o["status"].as_str()), (StatusCode::OK, Some("processing")), "{o}");
    assert!(o["updated_at"].as_str() >= order["updated_at"].as_str());
    let (s, e) = api.send(Method::PUT, &path, Some(json!({"total_amount": 1})), t).await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("total_locked")),
        "{e}"
    );
    let (s, e) = api
        .send(Method::PUT, &path, Some(json!({"status": "pending"})), t)
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        e["error"]["message"].as_str().unwrap().contains("processing"),
        "names the current status: {e}"
    );
    let (s, _) = api
        .send(Method::PUT, &path, Some(json!({"status": "shipped"})), t)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, o) = api
        .send(Method::PUT, &path, Some(json!({"status": "completed"})), t)
        .await;
    assert_eq!((s, o["status"].as_str()), (StatusCode::OK, Some("completed")));
    let (s, _) = api
        .send(Method::PUT, &path, Some(json!({"status": "cancelled"})), t)
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "completed is final");

    // Listing: stable id order, status filter, keyset pages.
    let (_, second) = api
        .send(
            Method::POST,
            "/orders",
            Some(json!({"customer_id": 8, "total_amount": 1})),
            t,
        )
        .await;
    let (s, list) = api.send(Method::GET, "/orders?status=completed", None, t).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list.as_array().unwrap().iter().all(|o| o["status"] == "completed") && list[0]["id"] == id);
    let page = api
        .http()
        .get(format!("{}/orders?limit=1", api.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let cursor = page.headers()["x-next-cursor"].to_str().unwrap().to_owned();
    let (_, next) = api
        .send(Method::GET, &format!("/orders?limit=1&after={cursor}"), None, t)
        .await;
    assert_eq!(next[0]["id"], second["id"]);
    assert_eq!(
        api.send(Method::GET, "/orders?limit=0", None, t).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // DELETE keeps the row but answers as if it were gone.
    let second_path = format!("/orders/{}", second["id"]);
    assert_eq!(
        api.send(Method::DELETE, &second_path, None, t).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.send(Method::GET, &second_path, None, t).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.send(Method::DELETE, &second_path, None, t).await.0,
        StatusCode::NOT_FOUND
    );
    assert!(
        app.orders
            .store
            .row_exists(second["id"].as_i64().unwrap())
            .await
            .unwrap(),
        "kept for audit"
    );
    let (_, list) = api.send(Method::GET, "/orders", None, t).await;
    assert!(list.as_array().unwrap().iter().all(|o| o["id"] != second["id"]));
}

/// The handle of an order's workflow, by the order's id.
pub(crate) fn order_workflow(
    app: &TestApp,
    order_id: i64,
) -> temporalio_client::WorkflowHandle<temporalio_client::Client, app::workflows::order::OrderWorkflow> {
    app.carts
        .client()
        .get_workflow_handle::<app::workflows::order::OrderWorkflow>(app::workflows::order::workflow_id(order_id))
}

on_both_backends!(
    the_order_contract,
    an_order_left_alone_walks_to_completed,
    two_concurrent_updates_one_wins_and_nothing_is_lost,
    a_checkout_becomes_an_order_and_cancelling_it_refunds_the_card,
    a_payment_whose_order_cannot_be_recorded_is_refunded,
    a_refund_already_made_counts_and_a_refused_one_waits_for_an_operator,
    an_open_order_whose_workflow_is_gone_is_not_changed_silently,
    post_orders_with_an_idempotency_key_makes_one_order,
    guests_get_ids_of_their_own_even_all_at_once,
    a_cart_s_second_payment_is_refunded_not_folded_into_its_order,
    the_saga_voids_an_order_made_for_a_refunded_payment,
);

async fn the_order_contract(database_url: Option<String>) {
    let Some((app, api)) = spawn(database_url).await else {
        return;
    };
    contract(&app, &api).await;
}

async fn an_order_left_alone_walks_to_completed(database_url: Option<String>) {
    let opts = TestAppOptions {
        database_url,
        order_step: Some(Duration::from_millis(300)),
        ..Default::default()
    };
    let Some(app) = TestApp::spawn_with(opts).await else {
        return;
    };
    let api = Api::spawn(&app).await;
    let (_, order) = api
        .send(
            Method::POST,
            "/orders",
            Some(json!({"customer_id": 1, "total_amount": 2})),
            Some(TOKEN),
        )
        .await;
    let path = format!("/orders/{}", order["id"]);
    eventually("the order to complete", Duration::from_secs(15), || async {
        let (_, o) = api.send(Method::GET, &path, None, Some(TOKEN)).await;
        (o["status"] == "completed").then_some(())
    })
    .await;
}

async fn two_concurrent_updates_one_wins_and_nothing_is_lost(database_url: Option<String>) {
    let Some((_app, api)) = spawn(database_url).await else {
        return;
    };
    let t = Some(TOKEN);
    for round in 0..3 {
        let (_, order) = api
            .send(
                Method::POST,
                "/orders",
                Some(json!({"customer_id": 3, "total_amount": 1})),
                t,
            )
            .await;
        let path = format!("/orders/{}", order["id"]);
        let (a, b) = tokio::join!(
            api.send(Method::PUT, &path, Some(json!({"status": "cancelled"})), t),
            api.send(Method::PUT, &path, Some(json!({"status": "processing"})), t),
        );
        let (_, now) = api.send(Method::GET, &path, None, t).await;
        // Either processing went first and the cancel followed, or the cancel won and
        // processing was refused; never a 5xx, and the record agrees with the winner.
        assert_eq!(a.0, StatusCode::OK, "round {round}: cancel {a:?}");
        assert!(
            b.0 == StatusCode::OK || b.0 == StatusCode::CONFLICT,
            "round {round}: processing {b:?}"
        );
        assert_eq!(now["status"], "cancelled", "round {round}");
    }
}

async fn a_checkout_becomes_an_order_and_cancelling_it_refunds_the_card(database_url: Option<String>) {
    let Some((app, api)) = spawn(database_url).await else {
        return;
    };
    let id = app.new_cart().await;
    app.add(&id, 1, 2).await.unwrap();
    app.set_email(&id, "Order@Example.com").await.unwrap();
    let view = app.checkout(&id, None).await.unwrap();
    let order_id = view
        .order_id
        .unwrap_or_else(|| panic!("the cart shows its order: {view:?}"));
    let (s, order) = api
        .send(Method::GET, &format!("/orders/{order_id}"), None, Some(TOKEN))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(order["cart_id"], id.as_str());
    assert_eq!(order["payment_ref"].as_str(), view.payment_ref.as_deref());
    assert_eq!(order["total_cents"], 2 * 69_900);
    assert_eq!(
        order["lines"],
        json!([{"product_id": 1, "name": "iPhone 12", "unit_price_cents": 69_900, "quantity": 2}])
    );

    // A second guest checkout with the same address is the same customer.
    let other = app.new_cart().await;
    app.add(&other, 0, 1).await.unwrap();
    app.set_email(&other, "order@example.com").await.unwrap();
    let second = app.checkout(&other, None).await.unwrap().order_id.unwrap();
    let (_, second) = api
        .send(Method::GET, &format!("/orders/{second}"), None, Some(TOKEN))
        .await;
    assert_eq!(second["customer_id"], order["customer_id"]);

    let (s, cancelled) = api
        .send(
            Method::PUT,
            &format!("/orders/{order_id}"),
            Some(json!({"status": "cancelled"})),
            Some(TOKEN),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{cancelled}");
    let refund = cancelled["refund_ref"].as_str().expect("a refund reference").to_owned();
    let refunds = app
        .payments()
        .refunds_for(view.payment_ref.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(refunds, vec![refund], "exactly one refund at the emulator");
}

async fn a_payment_whose_order_cannot_be_recorded_is_refunded(database_url: Option<String>) {
    let opts = TestAppOptions {
        database_url: database_url.clone(),
        ..Default::default()
    };
    let Some(app) = TestApp::spawn_with(opts).await else {
        return;
    };
    // Break the order store under the worker: every attempt to record fails.
    sqlx::any::install_default_drivers();
    let url = database_url.unwrap_or_else(|| format!("sqlite://{}", app.dir.path().join("orders.db").display()));
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::query("DROP TABLE order_lines").execute(&pool).await.unwrap();

    let id = app.new_cart().await;
    app.add(&id, 3, 1).await.unwrap();
    app.set_email(&id, "unlucky@example.com").await.unwrap();
    let view = app.checkout(&id, None).await.unwrap();
    assert_eq!(view.status, CartStatus::PaymentFailed);
    let said = view.payment_error.as_deref().unwrap();
    assert!(said.contains("refunded"), "{said}");
    assert!(
        !said.contains("table") && !said.contains("database"),
        "the database's error text does not reach the shopper: {said}"
    );
    assert_eq!(view.order_id, None);
    let charged = app.payments().find_by_metadata("cart_id", id.as_str()).await.unwrap();
    assert_eq!(charged.len(), 1, "the card was charged once");
    let refunds = app.payments().refunds_for(&charged[0]).await.unwrap();
    assert_eq!(refunds.len(), 1, "and refunded once");
}

async fn a_refund_already_made_counts_and_a_refused_one_waits_for_an_operator(database_url: Option<String>) {
    let Some((app, api)) = spawn(database_url).await else {
        return;
    };
    let cancel = |order_id: i64| {
        let api = &api;
        async move {
            api.send(
                Method::PUT,
                &format!("/orders/{order_id}"),
                Some(json!({"status": "cancelled"})),
                Some(TOKEN),
            )
            .await
        }
    };
    // Refunded at Stripe by hand (another key) before the order is cancelled.
    let id = app.new_cart().await;
    app.add(&id, 2, 1).await.unwrap();
    app.set_email(&id, "refunded@example.com").await.unwrap();
    let view = app.checkout(&id, None).await.unwrap();
    let payment = view.payment_ref.clone().unwrap();
    let by_hand = app.payments().refund(&payment, "refund-by-hand").await.unwrap();
    let (s, order) = cancel(view.order_id.unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{order}");
    assert_eq!(order["refund_ref"], json!(by_hand), "the refund that was made counts");
    assert_eq!(app.payments().refunds_for(&payment).await.unwrap(), vec![by_hand]);

    // A payment Stripe does not know: the refund is refused for good, and the order says so.
    let order = app
        .orders
        .place(&app::orders::NewOrder {
            payment_ref: Some("pi_unknown_to_stripe".into()),
            ..guest_order("ghost@example.com", 500)
        })
        .await
        .unwrap();
    let (s, body) = cancel(order.id).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let order = eventually("the refusal on record", Duration::from_secs(30), || async {
        let (_, o) = api
            .send(Method::GET, &format!("/orders/{}", order.id), None, Some(TOKEN))
            .await;
        o["refund_error"].is_string().then_some(o)
    })
    .await;
    assert_eq!(order["status"], "cancelled");
    assert!(order["refund_ref"].is_null(), "{order}");
    let handle = order_workflow(&app, order["id"].as_i64().unwrap());
    handle
        .get_result(Default::default())
        .await
        .expect("the order workflow ends instead of retrying forever");
}

async fn an_open_order_whose_workflow_is_gone_is_not_changed_silently(database_url: Option<String>) {
    let Some((app, api)) = spawn(database_url).await else {
        return;
    };
    let order = app.orders.place(&guest_order("orphan@example.com", 700)).await.unwrap();
    let handle = order_workflow(&app, order.id);
    handle
        .terminate(
            temporalio_client::WorkflowTerminateOptions::builder()
                .reason("test".to_owned())
                .build(),
        )
        .await
        .unwrap();
    let path = format!("/orders/{}", order.id);
    for (method, body) in [
        (Method::PUT, Some(json!({"status": "processing"}))),
        (Method::DELETE, None),
    ] {
        let (s, body) = api.send(method.clone(), &path, body, Some(TOKEN)).await;
        assert_eq!(s, StatusCode::CONFLICT, "{method}: {body}");
        assert_eq!(body["error"]["code"], "order_workflow_gone", "{body}");
    }
    let (s, kept) = api.send(Method::GET, &path, None, Some(TOKEN)).await;
    assert_eq!(
        (s, &kept["status"]),
        (StatusCode::OK, &json!("pending")),
        "still there, unchanged"
    );
}

async fn post_orders_with_an_idempotency_key_makes_one_order(database_url: Option<String>) {
    let Some((_app, api)) = spawn(database_url).await else {
        return;
    };
    let post = |body: serde_json::Value| {
        let api = &api;
        async move {
            let r = api
                .http()
                .post(format!("{}/orders", api.base))
                .bearer_auth(TOKEN)
                .header("Idempotency-Key", "order-key-1")
                .json(&body)
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let body = json!({"customer_id": 42, "total_amount": 12.5});
    let answers = futures::future::join_all((0..3).map(|_| post(body.clone()))).await;
    let ids: Vec<_> = answers.iter().map(|(s, o)| (*s, o["id"].clone())).collect();
    assert!(ids.iter().all(|(s, _)| s.is_success()), "{answers:?}");
    assert!(
        ids.windows(2).all(|w| w[0].1 == w[1].1),
        "one order for three tries: {ids:?}"
    );
    let (status, again) = post(body.clone()).await;
    assert_eq!((status.is_success(), &again["id"]), (true, &ids[0].1));

    let (status, refused) = post(json!({"customer_id": 42, "total_amount": 99.0})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["code"], "idempotency_key_reused");
    let (_, list) = api.send(Method::GET, "/orders", None, Some(TOKEN)).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
}

async fn guests_get_ids_of_their_own_even_all_at_once(database_url: Option<String>) {
    let Some((app, api)) = spawn(database_url).await else {
        return;
    };
    let guest = |n: u32| guest_order(&format!("guest{n}@example.com"), 100);
    // Eight first-time guests at once: every one is recorded, each with its own customer.
    let made = futures::future::join_all((0..8).map(|n| {
        let (store, order) = (app.orders.store.clone(), guest(n));
        async move { store.create(&order).await }
    }))
    .await;
    let mut ids: Vec<i64> = made
        .into_iter()
        .map(|r| r.expect("a first-time guest is recorded at the first try").customer_id)
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8, "{ids:?}");
    assert!(ids.iter().all(|&id| id > app::orders::GUEST_IDS_FROM), "{ids:?}");

    // An account's own id is taken as given and never meets a guest's; ids in the guests'
    // range are refused at the edge.
    let (s, account) = api
        .send(
            Method::POST,
            "/orders",
            Some(json!({"customer_id": 1, "total_amount": 1})),
            Some(TOKEN),
        )
        .await;
    assert_eq!((s, &account["customer_id"]), (StatusCode::CREATED, &json!(1)));
    let later = app.orders.store.create(&guest(99)).await.unwrap();
    assert!(later.customer_id > app::orders::GUEST_IDS_FROM);
    let (s, body) = api
        .send(
            Method::POST,
            "/orders",
            Some(json!({"customer_id": ids[0], "total_amount": 1})),
            Some(TOKEN),
        )
        .await;
    assert_eq!(
        (s, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("customer_id"))
    );
}

/// Orders are keyed by payment: a succeeded payment for a cart whose order another payment
/// already made gets no order of its own and is refunded at once (counted at the emulator),
/// and the earlier order is left as it was.
async fn a_cart_s_second_payment_is_refunded_not_folded_into_its_order(database_url: Option<String>) {
    let Some((app, _api)) = spawn(database_url).await else {
        return;
    };
    let id = app.new_cart().await;
    app.add(&id, 2, 1).await.unwrap();
    app.set_email(&id, "twice@example.com").await.unwrap();
    let earlier = app
        .orders
        .place(&app::orders::NewOrder {
            cart_id: Some(id.to_string()),
            payment_ref: Some("pi_an_earlier_payment".into()),
            ..guest_order("twice@example.com", 500)
        })
        .await
        .unwrap();

    let view = app.checkout(&id, None).await.unwrap();
    assert_eq!(view.status, CartStatus::PaymentFailed, "{view:?}");
    assert!(view.payment_error.as_deref().unwrap().contains("refunded"));
    assert_eq!(view.order_id, None);
    let charged = app.payments().find_by_metadata("cart_id", id.as_str()).await.unwrap();
    assert_eq!(charged.len(), 1, "one payment");
    assert_eq!(
        app.payments().refunds_for(&charged[0]).await.unwrap().len(),
        1,
        "refunded once"
    );
    assert_eq!(
        app.orders.store.id_for_payment(&charged[0]).await.unwrap(),
        None,
        "no order for it"
    );
    let kept = app.orders.store.get(earlier.id).await.unwrap();
    assert_eq!(
        (kept.status, kept.refund_ref),
        (OrderStatus::Pending, None),
        "the earlier order is untouched"
    );
}

/// The saga's last step on real processes: an order row (with its workflow) made for a payment
/// that was then refunded is voided: cancelled with the refund on record, its workflow stopped.
/// A payment without an order is a no-op.
async fn the_saga_voids_an_order_made_for_a_refunded_payment(database_url: Option<String>) {
    let Some((app, _api)) = spawn(database_url).await else {
        return;
    };
    let order = app
        .orders
        .place(&app::orders::NewOrder {
            cart_id: Some(app::domain::CartId::random().to_string()),
            payment_ref: Some("pi_refunded_by_the_saga".into()),
            ..guest_order("void@example.com", 900)
        })
        .await
        .unwrap();
    let voided = app
        .orders
        .void_payment("pi_refunded_by_the_saga", "re_saga")
        .await
        .unwrap();
    assert_eq!(voided, Some(order.id));
    let row = app.orders.store.get(order.id).await.unwrap();
    assert_eq!(
        (row.status, row.refund_ref.as_deref()),
        (OrderStatus::Cancelled, Some("re_saga"))
    );
    let handle = order_workflow(&app, order.id);
    let described = handle.describe(Default::default()).await.unwrap();
    assert_eq!(
        described.status(),
        temporalio_client::WorkflowExecutionStatus::Terminated
    );
    // Again, and for a payment with no order: nothing more happens.
    assert_eq!(
        app.orders
            .void_payment("pi_refunded_by_the_saga", "re_saga")
            .await
            .unwrap(),
        Some(order.id)
    );
    assert_eq!(
        app.orders.void_payment("pi_without_an_order", "re_x").await.unwrap(),
        None
    );
}
