//! The original tutorial's Vue frontend (temporalio/temporal-ecommerce, `frontend/`) against our
//! gateway: exactly the requests its `src/api.js` sends, with its headers, and exactly the fields
//! its views read (`Store`: `products[].Id/Name/Image/Price`, `workflowID`; `Cart`: `Items[]`
//! with `Id/Name/Image/Price/Quantity`, removal by `item.Id`; `Checkout`: `{ email }`), from a
//! page served on another local port (CORS).
use crate::helpers::TestApp;
use crate::webapp::Api;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use webapp::startup::Settings;

const PAGE: &str = "http://localhost:8000";

/// What `api.js` sends: JSON accept and content type, from the page's origin.
async fn call(api: &Api, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = api
        .http()
        .request(method, format!("{}{path}", api.base))
        .header("accept", "application/json")
        .header("Content-Type", "application/json")
        .header("Origin", PAGE);
    if let Some(b) = body {
        req = req.body(b.to_string());
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    assert_eq!(
        r.headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(PAGE),
        "{path}: the page may read the answer"
    );
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn preflight(api: &Api, origin: &str) -> StatusCode {
    api.http()
        .request(Method::OPTIONS, format!("{}/cart/x/add", api.base))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "PUT")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_original_frontend_s_requests_get_the_fields_it_reads() {
    let Some(app) = TestApp::spawn().await else { return };
    let settings = Settings {
        cors_origins: vec![webapp::cors::LOOPBACK.into()],
        ..Settings::default()
    };
    let api = Api::spawn_with(&app, app.carts.clone(), settings).await;
    assert_eq!(
        preflight(&api, PAGE).await,
        StatusCode::OK,
        "a page on another local port"
    );
    assert_ne!(preflight(&api, "http://shop.example.com").await, StatusCode::OK);

    // Store.js: the products, then a cart.
    let (status, data) = call(&api, Method::GET, "/products", None).await;
    assert_eq!(status, StatusCode::OK);
    let items = data["products"].as_array().unwrap();
    for item in items {
        assert!(item["Id"].is_u64() && item["Name"].is_string(), "{item}");
        assert!(item["Description"].is_string() && item["Image"].is_string(), "{item}");
        let price = item["Price"].as_f64().expect("Price is a number, in dollars");
        assert_eq!((price * 100.0).round() as u64, item["price_cents"].as_u64().unwrap());
    }
    let (status, created) = call(&api, Method::POST, "/cart", None).await;
    assert_eq!(status, StatusCode::CREATED);
    let workflow = created["workflowID"].as_str().unwrap().to_owned();
    let (status, _) = call(&api, Method::GET, &format!("/cart/{workflow}"), None).await;
    assert_eq!(status, StatusCode::OK, "the page checks its stored cart exists");

    // Store.js addToCart(item): { ProductId: item.Id, Quantity: 1 }.
    let (first, second) = (&items[0], &items[1]);
    for item in [first, first, second] {
        let body = json!({"ProductId": item["Id"], "Quantity": 1});
        let (status, cart) = call(&api, Method::PUT, &format!("/cart/{workflow}/add"), Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{cart}");
        assert!(cart["Items"].is_array(), "every cart answer has Items: {cart}");
    }

    // Cart.js: data.Items, each shown with Image, Name, Price, Quantity, removed by its Id.
    let (_, cart) = call(&api, Method::GET, &format!("/cart/{workflow}"), None).await;
    let lines = cart["Items"].as_array().unwrap();
    assert_eq!(lines.len(), 2, "{cart}");
    let line = &lines[0];
    assert_eq!(
        (&line["ProductId"], &line["Id"], &line["Quantity"]),
        (&first["Id"], &first["Id"], &json!(2))
    );
    assert_eq!(
        (&line["Name"], &line["Image"], &line["Price"]),
        (&first["Name"], &first["Image"], &first["Price"])
    );
    let body = json!({"ProductId": line["Id"], "Quantity": 1});
    let (status, cart) = call(&api, Method::PUT, &format!("/cart/{workflow}/remove"), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{cart}");
    assert_eq!(cart["Items"][0]["Quantity"], 1, "{cart}");

    // Checkout.js: { email }, then the cart reads Email.
    let body = json!({"email": "original@example.com"});
    let (status, answer) = call(&api, Method::PUT, &format!("/cart/{workflow}/checkout"), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["receipt"]["Email"], "original@example.com", "{answer}");
    let (_, cart) = call(&api, Method::GET, &format!("/cart/{workflow}"), None).await;
    assert_eq!(
        (&cart["Email"], &cart["status"]),
        (&json!("original@example.com"), &json!("checked_out"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn field_names_in_any_case_as_the_go_api_took_them() {
    let Some(app) = TestApp::spawn().await else { return };
    let api = Api::spawn(&app).await;
    let id = api.new_cart().await;
    for body in [
        r#"{"ProductID":1,"Quantity":2}"#,
        r#"{"productid":2,"QUANTITY":1}"#,
        r#"{"product_id":3,"quantity":1}"#,
    ] {
        let (status, cart) = api.put(&format!("/cart/{id}/add"), body, None).await;
        assert_eq!(status, StatusCode::OK, "{body}: {cart}");
    }
    let (_, cart) = api.get(&format!("/cart/{id}")).await;
    assert_eq!(cart["item_count"], 4, "{cart}");
    let (status, err) = api.put(&format!("/cart/{id}/add"), r#"{"Quantity":1}"#, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
    assert!(
        err["error"]["message"].as_str().unwrap().contains("product_id"),
        "{err}"
    );
    let (status, _) = api
        .put(&format!("/cart/{id}/email"), r#"{"EMAIL":"any@example.com"}"#, None)
        .await;
    assert_eq!(status, StatusCode::OK);

    // Without `loopback`, another local port is not on the allow-list.
    assert_ne!(preflight(&api, PAGE).await, StatusCode::OK);
}
