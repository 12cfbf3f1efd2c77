//! Carts operators can find: after shopper journeys, `/admin/carts` lists them by status with
//! their item count, total and last change, pages through them, and `/admin/carts/stats`
//! counts them, all through Temporal's visibility (polled with a deadline: it is eventually
//! consistent). Behind the operator token, with no personal data in what it shows.
//!
//! The freshness rule: the status is always the cart's; the item count, total and last change
//! are as of the first change, the last status change or the last time the cart's timer fired,
//! so an open cart's later changes show in the list only then. `GET /cart/{id}` is exact.
use crate::helpers::{TestApp, eventually};
use crate::webapp::Api;
use app::workflows::cart::CartTiming;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;
use webapp::startup::Settings;

const OPERATOR: &str = "test-operator-token";

async fn admin(api: &Api, path: &str) -> (StatusCode, Value) {
    api.send(Method::GET, path, None, Some(OPERATOR)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn operators_list_and_count_carts_by_status() {
    let Some(app) = TestApp::spawn().await else { return };
    let settings = Settings {
        operator: Some(app.operator(OPERATOR)),
        ..Settings::default()
    };
    let api = Api::spawn_with(&app, app.carts.clone(), settings).await;

    // Two open carts (one with two lines), one checked out; a minted cart never touched
    // has no workflow and so is not listed.
    let open_one = api.new_cart().await;
    api.add(&open_one, 1, 2).await;
    let open_two = api.new_cart().await;
    let (_, first_change) = api.add(&open_two, 2, 1).await;
    api.add(&open_two, 3, 1).await;
    let (_, cart_two) = api.get(&format!("/cart/{open_two}")).await;
    assert_eq!(
        cart_two["lines"].as_array().map(Vec::len),
        Some(2),
        "the cart is exact: {cart_two}"
    );
    let paid = api.new_cart().await;
    api.add(&paid, 1, 1).await;
    let (status, body) = api
        .put(
            &format!("/cart/{paid}/checkout"),
            r#"{"Email": "admin.test@example.com"}"#,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let _untouched = api.new_cart().await;

    let (status, _) = api.send(Method::GET, "/admin/carts", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = api
        .send(Method::GET, "/admin/carts", None, Some("test-orders-token"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the orders token is not the operator's");

    let active = eventually("both open carts indexed", Duration::from_secs(20), || async {
        let (status, body) = admin(&api, "/admin/carts?status=active").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let carts = body["carts"].as_array().unwrap().clone();
        (carts.len() == 2).then_some(carts)
    })
    .await;
    // Listed from its start (the first change's update-with-start set the attributes): the
    // second add is not published until the status changes or the cart's timer fires.
    let two = active.iter().find(|c| c["cart_id"] == open_two.as_str()).unwrap();
    assert_eq!(
        (&two["item_count"], &two["total_cents"]),
        (&json!(1), &first_change["total_cents"]),
        "as the first change left it: {two}"
    );
    assert_ne!(two["total_cents"], cart_two["total_cents"]);
    let one = active.iter().find(|c| c["cart_id"] == open_one.as_str()).unwrap();
    assert_eq!(one["item_count"], 2, "{one}");
    assert_eq!(
        (two["status"].as_str(), two["running"].as_bool()),
        (Some("active"), Some(true))
    );
    assert!(two["updated_at"].as_u64().unwrap() > 1_700_000_000, "{two}");
    assert!(
        active.iter().all(|c| c.get("email").is_none()),
        "no personal data: {active:?}"
    );

    let checked_out = eventually(
        "the paid cart indexed as checked out",
        Duration::from_secs(20),
        || async {
            let (_, body) = admin(&api, "/admin/carts?status=checked_out").await;
            let carts = body["carts"].as_array().unwrap().clone();
            (carts.len() == 1).then_some(carts)
        },
    )
    .await;
    assert_eq!(checked_out[0]["cart_id"], paid.as_str());
    // A status change publishes the counts with it.
    let (_, paid_cart) = api.get(&format!("/cart/{paid}")).await;
    assert_eq!(
        (&checked_out[0]["item_count"], &checked_out[0]["total_cents"]),
        (&json!(1), &paid_cart["total_cents"])
    );

    // Pages of one, followed by their cursors, give every cart once.
    let mut seen = vec![];
    let mut path = "/admin/carts?limit=1".to_owned();
    loop {
        let (status, body) = admin(&api, &path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        seen.extend(
            body["carts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["cart_id"].as_str().unwrap().to_owned()),
        );
        match body["next"].as_str() {
            Some(next) => path = format!("/admin/carts?limit=1&after={next}"),
            None => break,
        }
        assert!(seen.len() <= 3, "{seen:?}");
    }
    seen.sort();
    let mut want = vec![open_one.clone(), open_two.clone(), paid.clone()];
    want.sort();
    assert_eq!(seen, want);

    let stats = eventually("the counts", Duration::from_secs(20), || async {
        let (status, stats) = admin(&api, "/admin/carts/stats").await;
        assert_eq!(status, StatusCode::OK, "{stats}");
        (stats["total"] == 3).then_some(stats)
    })
    .await;
    let by_status = &stats["by_status"];
    assert_eq!(
        (
            &by_status["active"],
            &by_status["checked_out"],
            &by_status["expired"],
            &by_status["checking_out"]
        ),
        (&json!(2), &json!(1), &json!(0), &json!(0)),
        "{stats}"
    );

    for (path, field) in [
        ("/admin/carts?status=lost", None),
        ("/admin/carts?after=***", Some("after")),
        ("/admin/carts?limit=0", Some("limit")),
    ] {
        let (status, body) = admin(&api, path).await;
        assert!(status.is_client_error(), "{path}: {status} {body}");
        if let Some(field) = field {
            assert_eq!(body["error"]["field"], field, "{path}: {body}");
        }
    }
}

/// Between status changes an open cart's counts catch up when its inactivity timer fires (at
/// most once per fire): a cart changed twice is listed with both changes after that.
#[tokio::test(flavor = "multi_thread")]
async fn an_open_carts_counts_catch_up_when_its_timer_fires() {
    let Some(app) = TestApp::spawn().await else { return };
    let settings = Settings {
        operator: Some(app.operator(OPERATOR)),
        ..Settings::default()
    };
    let timing = CartTiming {
        reminder_after: vec![Duration::from_secs(2)],
        expire_after: Duration::from_secs(600),
        ..CartTiming::production()
    };
    let api = Api::spawn_with(&app, app.carts.clone().with_timing(timing), settings).await;
    let id = api.new_cart().await;
    api.add(&id, 1, 1).await;
    let (_, cart) = api.add(&id, 2, 3).await;
    let listed = eventually("the cart with both changes", Duration::from_secs(30), || async {
        let (_, body) = admin(&api, "/admin/carts?status=active").await;
        let carts = body["carts"].as_array().unwrap().clone();
        let c = carts.into_iter().find(|c| c["cart_id"] == id.as_str())?;
        (c["item_count"] == 4).then_some(c)
    })
    .await;
    assert_eq!(listed["total_cents"], cart["total_cents"]);
}
