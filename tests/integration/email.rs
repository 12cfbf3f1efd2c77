//! Email through each provider: the file outbox, SMTP to a real catcher process, and Mailgun's
//! HTTP API against a server in the test that checks the request's shape.
use crate::helpers::{ChildProc, free_port, tool};
use app::cart::{Cart, ItemChange, Limits};
use app::catalogue::Catalogue;
use app::domain::CartId;
use app::email::{self, Mailer};
use std::time::Duration;
use wiremock::matchers::{body_string_contains, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn sample() -> app::email::Message {
    let mut cart = Cart::default();
    cart.add(
        &Catalogue::embedded(),
        Limits::default(),
        &ItemChange {
            product_id: 1,
            quantity: 2,
        },
    )
    .unwrap();
    let cart = cart.view(&CartId::random());
    let shown = email::reminder_of(&cart, &Catalogue::embedded().products).unwrap();
    email::reminder("shopper@example.com", &cart, &shown, "http://shop.test")
}

#[tokio::test]
async fn the_file_outbox_writes_an_eml_per_message() {
    app::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer::outbox(dir.path().join("outbox"), "Shop <shop@test>").unwrap();
    mailer.send(&sample()).await.unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox")).unwrap().collect();
    assert_eq!(files.len(), 1);
    let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(
        text.contains("To: shopper@example.com") && text.contains("iPhone 12"),
        "{text}"
    );
}

#[tokio::test]
async fn smtp_delivers_to_a_real_catcher() {
    app::install_crypto_provider();
    let Some(python) = tool("python") else { return };
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let port = free_port();
    let _catcher = ChildProc::spawn(
        &python,
        &[
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
            maildir.to_str().unwrap(),
        ],
        &[],
        &dir.path().join("smtp.log"),
    );
    crate::helpers::process_wait(port, "SMTP catcher").await;
    let mailer = Mailer::smtp(&format!("smtp://127.0.0.1:{port}"), "Shop <shop@test>").unwrap();
    mailer.send(&sample()).await.unwrap();
    let new = maildir.join("new");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let text = loop {
        if let Some(Ok(entry)) = std::fs::read_dir(&new).ok().and_then(|mut d| d.next()) {
            break std::fs::read_to_string(entry.path()).unwrap();
        }
        assert!(std::time::Instant::now() < deadline, "no message reached the catcher");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        text.contains("shopper@example.com") && text.contains("You left something in your cart"),
        "{text}"
    );
}

#[tokio::test]
async fn mailgun_gets_a_well_formed_form_post() {
    app::install_crypto_provider();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v3/mg.example.com/messages"))
        .and(header("authorization", "Basic YXBpOmtleS10ZXN0")) // api:key-test
        .and(body_string_contains("to=shopper%40example.com"))
        .and(body_string_contains("o%3Atag=abandoned-cart"))
        .and(body_string_contains("subject=You+left+something+in+your+cart"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"id":"<1@mg>","message":"Queued"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let mailer = Mailer::mailgun(
        &server.uri(),
        "mg.example.com",
        "key-test",
        "Shop <shop@mg.example.com>",
    )
    .unwrap();
    mailer.send(&sample()).await.unwrap();

    // A refusal by Mailgun is a permanent error, not something to retry forever.
    let bad = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string("bad to"))
        .mount(&bad)
        .await;
    let mailer = Mailer::mailgun(&bad.uri(), "mg.example.com", "key-test", "Shop <shop@mg.example.com>").unwrap();
    assert!(matches!(
        mailer.send(&sample()).await,
        Err(app::email::MailError::Invalid(_))
    ));
}

/// An address the shop takes but lettre refuses (two dots in a row) fails the reminder's
/// activity for good. Its failure is kept in the cart's history in plain text (only payloads
/// go through the codec) and shown in the Web UI, so it must not quote the address; nor may the
/// worker's log. With the codec on, the address is then nowhere on the server.
#[tokio::test(flavor = "multi_thread")]
async fn an_address_lettre_refuses_is_in_no_history_and_no_log() {
    use crate::helpers::{TestApp, eventually, process_wait};
    use serde_json::json;
    const ADDRESS: &str = "a..b@x.jp";
    let Some(app) = TestApp::spawn_without_worker().await else {
        return;
    };
    let keys = [
        ("SHOP_PAYLOAD_KEYS", crate::codec::KEYS.to_owned()),
        ("SHOP_REMINDER_AFTER", "300ms".to_owned()),
    ];
    let mut env = app.worker_env(&app.stripe.url);
    env.extend(keys.iter().cloned());
    let worker_log = app.dir.path().join("worker.log");
    let _worker = ChildProc::spawn(&crate::helpers::workspace_binary("worker"), &[], &env, &worker_log);
    let port = free_port();
    let _gateway = app.gateway_process(port, &keys, "gateway");
    process_wait(port, "the gateway").await;
    let (url, http) = (format!("http://127.0.0.1:{port}"), reqwest::Client::new());
    let r = http.post(format!("{url}/cart")).send().await.unwrap();
    let id = r.json::<serde_json::Value>().await.unwrap()["workflowID"]
        .as_str()
        .unwrap()
        .to_owned();
    for (path, body) in [
        ("add", json!({"product_id": 1, "quantity": 1})),
        ("email", json!({"Email": ADDRESS})),
    ] {
        let r = http
            .put(format!("{url}/cart/{id}/{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_success(),
            "{path}: {}",
            r.text().await.unwrap_or_default()
        );
    }
    let histories = eventually("the reminder to fail", Duration::from_secs(30), || async {
        let all = crate::codec::all_histories(&app).await;
        let (_, cart, _) = all.iter().find(|(wf, _, _)| wf == &id)?;
        cart.to_string().contains("EmailRejected").then_some(all)
    })
    .await;
    for (wf, _, history) in &histories {
        assert!(
            !history.contains(ADDRESS),
            "{wf}'s history holds the address: {history}"
        );
    }
    let log = std::fs::read_to_string(&worker_log).unwrap();
    assert!(!log.contains(ADDRESS), "the worker logged the address: {log}");
}
