//! How the shop ships, taxes and discounts, in the database (issue #21's first slices): seeded
//! with the defaults, changed by operators behind their token, each bad field named; on both
//! databases.
use crate::helpers::{TestApp, TestAppOptions, on_both_backends};
use crate::webapp::Api;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use webapp::startup::Settings;

const OPERATOR: &str = "test-operator-token";

/// The app on `database_url` and a gateway with the operator routes.
async fn operator_gateway(database_url: Option<String>) -> Option<(TestApp, Api)> {
    let app = TestApp::spawn_with(TestAppOptions {
        database_url,
        ..Default::default()
    })
    .await?;
    let settings = Settings {
        operator: Some(app.operator(OPERATOR)),
        ..Settings::default()
    };
    let api = Api::spawn_with(&app, app.carts.clone(), settings).await;
    Some((app, api))
}

async fn admin(api: &Api, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    api.send(method, path, body, Some(OPERATOR)).await
}

on_both_backends!(
    operators_set_shipping_methods_and_tax_rates,
    operators_set_discount_codes
);

async fn operators_set_discount_codes(database_url: Option<String>) {
    let Some((app, api)) = operator_gateway(database_url).await else {
        return;
    };
    assert_eq!(
        api.send(Method::GET, "/admin/discounts", None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let ten = json!({"percent_off_bp": 1000, "min_subtotal_cents": 2000, "max_uses": 100, "max_uses_per_email": 1,
                     "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"});
    let (status, made) = admin(&api, Method::PUT, "/admin/discounts/summer-10", Some(ten)).await;
    assert_eq!(
        (status, &made["code"], &made["uses"]),
        (StatusCode::CREATED, &json!("SUMMER-10"), &json!(0)),
        "{made}"
    );
    let fixed = json!({"amount_off_cents": 500});
    let (status, replaced) = admin(&api, Method::PUT, "/admin/discounts/SUMMER-10", Some(fixed)).await;
    assert_eq!(
        (status, &replaced["amount_off_cents"], &replaced["percent_off_bp"]),
        (StatusCode::OK, &json!(500), &Value::Null)
    );
    for (path, body, field) in [
        ("/admin/discounts/no%20spaces", json!({"amount_off_cents": 1}), "code"),
        ("/admin/discounts/X", json!({}), "percent_off_bp"),
        (
            "/admin/discounts/X",
            json!({"percent_off_bp": 10, "amount_off_cents": 1}),
            "percent_off_bp",
        ),
        ("/admin/discounts/X", json!({"percent_off_bp": 10001}), "percent_off_bp"),
        ("/admin/discounts/X", json!({"amount_off_cents": 0}), "amount_off_cents"),
        (
            "/admin/discounts/X",
            json!({"amount_off_cents": 1, "valid_from": "tomorrow"}),
            "valid_from",
        ),
        (
            "/admin/discounts/X",
            json!({"amount_off_cents": 1, "valid_from": "2026-02-01T00:00:00Z", "valid_until": "2026-01-01T00:00:00Z"}),
            "valid_until",
        ),
        (
            "/admin/discounts/X",
            json!({"amount_off_cents": 1, "max_uses": 0}),
            "max_uses",
        ),
    ] {
        let (status, refused) = admin(&api, Method::PUT, path, Some(body)).await;
        assert_eq!(
            (status, &refused["error"]["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)),
            "{path}: {refused}"
        );
    }
    let (_, listed) = admin(&api, Method::GET, "/admin/discounts", None).await;
    assert_eq!(listed["discounts"].as_array().unwrap().len(), 1, "{listed}");
    let code = app::totals::DiscountCode::parse("summer-10").unwrap();
    let (stored, uses) = app.orders.store.discount(&code).await.unwrap().unwrap();
    assert_eq!(
        (stored.kind, uses),
        (
            app::totals::DiscountKind::Fixed {
                cents: app::domain::Cents(500)
            },
            0
        )
    );
}

async fn operators_set_shipping_methods_and_tax_rates(database_url: Option<String>) {
    let Some((app, api)) = operator_gateway(database_url).await else {
        return;
    };
    assert_eq!(
        api.send(Method::GET, "/admin/shipping", None, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.send(
            Method::GET,
            "/admin/tax-rates",
            None,
            Some("not-the-operator-token-at-all")
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    // Seeded: standard (free from $75.00) and express, and the seed's tax rates.
    let (status, listed) = admin(&api, Method::GET, "/admin/shipping", None).await;
    assert_eq!(status, StatusCode::OK);
    let codes: Vec<_> = listed["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["code"].clone())
        .collect();
    assert_eq!(codes, [json!("express"), json!("standard")]);
    assert_eq!(listed["methods"][1]["free_above_cents"], 7500);
    let (_, rates) = admin(&api, Method::GET, "/admin/tax-rates", None).await;
    let ca = rates["rates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["country"] == "US" && r["region"] == "CA")
        .cloned();
    assert_eq!(ca.map(|r| r["rate_bp"].clone()), Some(json!(725)), "{rates}");

    let method = json!({"name": "Pickup point", "countries": ["nl", "DE"], "price_cents": 299});
    let (status, made) = admin(&api, Method::PUT, "/admin/shipping/pickup", Some(method.clone())).await;
    assert_eq!(
        (status, &made["countries"]),
        (StatusCode::CREATED, &json!(["NL", "DE"])),
        "{made}"
    );
    let cheaper = json!({"name": "Pickup point", "countries": ["NL"], "price_cents": 199, "free_above_cents": 5000});
    let (status, replaced) = admin(&api, Method::PUT, "/admin/shipping/pickup", Some(cheaper)).await;
    assert_eq!((status, &replaced["price_cents"]), (StatusCode::OK, &json!(199)));
    for (path, body, field) in [
        ("/admin/shipping/Pick Up", method.clone(), "code"),
        (
            "/admin/shipping/pickup",
            json!({"name": "P", "countries": ["XX"], "price_cents": 1}),
            "countries",
        ),
        (
            "/admin/shipping/pickup",
            json!({"name": "P", "countries": [], "price_cents": 1}),
            "countries",
        ),
        (
            "/admin/shipping/pickup",
            json!({"name": " ", "countries": ["NL"], "price_cents": 1}),
            "name",
        ),
        (
            "/admin/shipping/pickup",
            json!({"name": "P", "countries": ["NL"], "price_cents": 2000000}),
            "price_cents",
        ),
    ] {
        let (status, refused) = admin(&api, Method::PUT, path, Some(body)).await;
        assert_eq!(
            (status, &refused["error"]["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)),
            "{path}: {refused}"
        );
    }

    let (status, rate) = admin(&api, Method::PUT, "/admin/tax-rates/us/or", Some(json!({"rate_bp": 0}))).await;
    assert_eq!((status, &rate["region"]), (StatusCode::CREATED, &json!("OR")), "{rate}");
    let vat = json!({"rate_bp": 2100, "taxes_shipping": true});
    let (status, rate) = admin(&api, Method::PUT, "/admin/tax-rates/NL", Some(vat)).await;
    assert_eq!(
        (status, &rate["region"]),
        (StatusCode::OK, &Value::Null),
        "the seed's NL rate, replaced"
    );
    for (path, body, field) in [
        ("/admin/tax-rates/US/ZZ", json!({"rate_bp": 100}), "region"),
        ("/admin/tax-rates/XX", json!({"rate_bp": 100}), "country"),
        ("/admin/tax-rates/FR", json!({"rate_bp": 10001}), "rate_bp"),
    ] {
        let (status, refused) = admin(&api, Method::PUT, path, Some(body)).await;
        assert_eq!(
            (status, &refused["error"]["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!(field)),
            "{path}: {refused}"
        );
    }
    let stored = app.orders.store.shipping_methods().await.unwrap();
    let pickup = stored.iter().find(|m| m.code == "pickup").unwrap();
    assert_eq!(
        (pickup.countries.as_slice(), pickup.price_cents.0),
        (["NL".to_owned()].as_slice(), 199)
    );
}
