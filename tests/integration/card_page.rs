//! The card page's Content-Security-Policy: scripts from the gateway and Stripe.js' origin only,
//! frames from Stripe.js' origin only, no framing of the page, nothing inline; its stylesheet and
//! scripts are files the gateway serves. (The Chromium test in `storefront.rs` pays on the page
//! with the policy in force.)
use crate::helpers::TestApp;
use crate::webapp::Api;
use app::config::StorefrontConfig;
use reqwest::StatusCode;
use webapp::startup::Settings;

#[tokio::test(flavor = "multi_thread")]
async fn the_storefront_page_goes_out_with_a_policy_that_admits_only_stripe_js() {
    let Some(app) = TestApp::spawn().await else { return };
    let stripe_js = format!("{}/js.stripe.com/v3/", app.stripe.url);
    let settings = Settings {
        storefront: StorefrontConfig {
            stripe_js_url: stripe_js,
            publishable_key: Some("pk_test_emulator".into()),
        },
        ..Settings::default()
    };
    let api = Api::spawn_with(&app, app.carts.clone(), settings).await;
    let r = api.http().get(format!("{}/", api.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let policy = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    let directives: Vec<&str> = policy.split("; ").collect();
    let stripe = &app.stripe.url;
    for expected in [
        format!("script-src 'self' {stripe}"),
        format!("frame-src {stripe}"),
        "frame-ancestors 'none'".into(),
        "style-src 'self'".into(),
        "default-src 'self'".into(),
        "object-src 'none'".into(),
    ] {
        assert!(directives.contains(&expected.as_str()), "{expected:?} in {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    let page = r.text().await.unwrap();
    assert!(!page.contains("<script>") && !page.contains("<style"), "nothing inline");

    for (asset, kind) in [
        ("storefront.css", "text/css"),
        ("cart.js", "text/javascript"),
        ("checkout.js", "text/javascript"),
    ] {
        assert!(page.contains(&format!("/assets/{asset}")), "{asset}");
        let r = api
            .http()
            .get(format!("{}/assets/{asset}", api.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
        assert!(
            r.headers()["content-type"].to_str().unwrap().starts_with(kind),
            "{asset}"
        );
    }
}
