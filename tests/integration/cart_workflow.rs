//! The cart workflow on a real dev server: updates and their validators, the original shop's
//! signals and query, the abandoned-cart timer, checkout, and continue-as-new.
use crate::helpers::{TestApp, eventually, fast_timing};
use app::cart::CartStatus;
use app::cart_client::{CartsError, CompatSignal};
use app::domain::Cents;
use app::workflows::cart::CartTiming;
use serde_json::json;
use std::time::Duration;

fn refused(result: Result<app::cart::CartView, CartsError>) -> (String, Option<&'static str>) {
    match result {
        Err(CartsError::Refused(r)) => (r.code.to_string(), r.code.field()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn updates_change_the_cart_and_return_server_priced_views() {
    let Some(app) = TestApp::spawn().await else { return };
    let id = app.new_cart().await;
    let view = app.add(&id, 0, 1).await.unwrap();
    assert_eq!(view.total_cents, Cents(99_900));
    let view = app.add(&id, 1, 2).await.unwrap();
    assert_eq!(view.lines.len(), 2);
    let view = app.add(&id, 1, 1).await.unwrap();
    assert_eq!(view.lines[1].quantity, 3, "same product merges into one line");
    let view = app.remove(&id, 0, 1).await.unwrap();
    assert_eq!(view.lines.len(), 1);
    assert_eq!(view.total_cents, Cents(3 * 69_900));
    let view = app.set_email(&id, "shopper@example.com").await.unwrap();
    assert_eq!(view.email.as_deref(), Some("shopper@example.com"));
    assert_eq!(app.get(&id).await, view, "the query sees what the updates returned");
}

#[tokio::test(flavor = "multi_thread")]
async fn rejected_updates_name_the_problem_and_leave_no_history() {
    let Some(app) = TestApp::spawn().await else { return };
    // No reminder timer firing during the test: on a loaded machine the refusals below can
    // take longer than the test timing's quiet period, and its events are not a refusal's.
    let mut input = app.input();
    input.timing.reminder_after = vec![Duration::from_secs(600)];
    let id = app.start_cart(input).await;
    app.add(&id, 2, 1).await.unwrap();
    let before = app.history_len(&id).await;

    assert_eq!(
        refused(app.add(&id, 99, 1).await),
        ("unknown_product".into(), Some("product_id"))
    );
    assert_eq!(
        refused(app.add(&id, 2, 0).await),
        ("invalid_quantity".into(), Some("quantity"))
    );
    assert_eq!(
        refused(app.add(&id, 2, 99).await),
        ("invalid_quantity".into(), Some("quantity"))
    );
    assert_eq!(
        refused(app.remove(&id, 3, 1).await),
        ("not_in_cart".into(), Some("product_id"))
    );
    assert_eq!(
        refused(app.set_email(&id, "not-an-email").await),
        ("invalid_email".into(), Some("email"))
    );
    assert_eq!(
        refused(app.checkout(&id, None).await),
        ("email_required".into(), Some("email"))
    );

    assert_eq!(
        app.history_len(&id).await,
        before,
        "a validator rejection writes nothing to history"
    );
    let view = app.get(&id).await;
    assert_eq!(
        (view.lines.len(), view.lines[0].quantity),
        (1, 1),
        "and changes nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn too_many_lines_are_refused() {
    let Some(app) = TestApp::spawn().await else { return };
    let mut input = app.input();
    input.limits.max_lines = 2;
    let id = app.start_cart(input).await;
    app.add(&id, 0, 1).await.unwrap();
    app.add(&id, 1, 1).await.unwrap();
    assert_eq!(
        refused(app.add(&id, 2, 1).await),
        ("too_many_lines".into(), Some("product_id"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn original_signals_and_query_work_and_malformed_ones_are_ignored() {
    let Some(app) = TestApp::spawn().await else { return };
    let id = app.new_cart().await;
    let send = |signal, payload| {
        let (carts, id) = (&app.carts, &id);
        async move { carts.signal_compat(id, signal, payload).await.unwrap() }
    };
    send(CompatSignal::Add, json!({"ProductId": 3, "Quantity": 2})).await;
    send(CompatSignal::Add, json!({"ProductId": "three"})).await; // malformed
    send(CompatSignal::Add, json!({"ProductId": 77, "Quantity": 1})).await; // unknown product
    send(CompatSignal::Add, json!("garbage")).await;
    send(CompatSignal::Remove, json!({"ProductId": 3, "Quantity": 1})).await;
    send(CompatSignal::Email, json!({"Email": "compat@example.com"})).await;
    send(CompatSignal::Email, json!({"Email": "broken"})).await;

    let view = eventually("the signals to be applied", Duration::from_secs(10), || async {
        let v = app.get(&id).await;
        (v.email.is_some()).then_some(v)
    })
    .await;
    assert_eq!(view.lines.len(), 1);
    assert_eq!((view.lines[0].product_id, view.lines[0].quantity), (3, 1));
    assert_eq!(view.email.as_deref(), Some("compat@example.com"));

    send(CompatSignal::Checkout, json!({"Email": "compat@example.com"})).await;
    let outcome = app.carts.outcome(&id).await.unwrap();
    assert_eq!(
        outcome.cart.status,
        CartStatus::CheckedOut,
        "the workflow survived the bad signals"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn checkout_charges_once_confirms_by_email_and_completes_with_a_receipt() {
    let Some(app) = TestApp::spawn().await else { return };
    let id = app.new_cart().await;
    app.add(&id, 1, 2).await.unwrap();
    app.set_email(&id, "buyer@example.com").await.unwrap();
    let view = app.checkout(&id, None).await.unwrap();
    assert_eq!(view.status, CartStatus::CheckedOut);
    let payment = view.payment_ref.clone().expect("a payment reference");
    assert_eq!(
        app.payments().find_by_metadata("cart_id", id.as_str()).await.unwrap(),
        vec![payment.clone()]
    );

    let outcome = app.carts.outcome(&id).await.unwrap();
    assert_eq!(outcome.cart, view);
    let mails = app.outbox_messages();
    assert_eq!(mails.len(), 1, "one confirmation");
    assert!(
        mails[0].contains("buyer@example.com") && mails[0].contains(&payment),
        "{}",
        mails[0]
    );
    assert!(matches!(
        app.add(&id, 1, 1).await,
        Err(CartsError::Closed | CartsError::NotFound)
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_declined_card_leaves_the_cart_open_and_a_retry_can_pay() {
    let Some(app) = TestApp::spawn().await else { return };
    let id = app.new_cart().await;
    app.add(&id, 2, 1).await.unwrap();
    app.set_email(&id, "unlucky@example.com").await.unwrap();

    let view = app.checkout(&id, Some("pm_card_chargeCustomerFail")).await.unwrap();
    assert_eq!(view.status, CartStatus::PaymentFailed);
    assert!(
        view.payment_error.as_deref().unwrap().contains("declined"),
        "{:?}",
        view.payment_error
    );
    assert_eq!(view.checkout_attempts, 1);

    let view = app.add(&id, 3, 1).await.expect("the cart is still usable");
    assert_eq!(view.status, CartStatus::Active);
    let view = app.checkout(&id, Some("pm_card_visa")).await.unwrap();
    assert_eq!((view.status, view.checkout_attempts), (CartStatus::CheckedOut, 2));
    assert_eq!(view.total_cents, Cents(39_900 + 59_900));
}

/// A change that arrives while a reminder is being sent must not make the workflow send the
/// same stage again once the email is out. Mailgun (a fake in the test) takes 2 s to answer,
/// so the change lands mid-send.
#[tokio::test(flavor = "multi_thread")]
async fn a_change_during_a_reminder_s_send_does_not_send_the_stage_again() {
    use crate::helpers::TestAppOptions;
    use wiremock::matchers::method;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let mailgun = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"id":"<1@mg>","message":"Queued"}"#)
                .set_delay(Duration::from_secs(2)),
        )
        .mount(&mailgun)
        .await;
    let mailer = app::email::Mailer::mailgun(&mailgun.uri(), "mg.test", "key-test", "Shop <shop@mg.test>").unwrap();
    let options = TestAppOptions {
        mailer: Some(mailer),
        ..Default::default()
    };
    let Some(app) = TestApp::spawn_with(options).await else {
        return;
    };
    let id = app.new_cart().await;
    app.add(&id, 0, 1).await.unwrap();
    app.set_email(&id, "busy@example.com").await.unwrap();
    let sends = || async { mailgun.received_requests().await.unwrap_or_default().len() };
    eventually("the reminder to go out", Duration::from_secs(10), || async {
        (sends().await == 1).then_some(())
    })
    .await;
    app.add(&id, 1, 1).await.unwrap();
    eventually("the reminder to be counted", Duration::from_secs(10), || async {
        (app.get(&id).await.reminders_sent == 1).then_some(())
    })
    .await;
    // Before the fix the same stage went out again at once; the one stage is now used up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sends().await, 1, "stage 0 was emailed once");
    assert_eq!(app.get(&id).await.reminders_sent, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_quiet_cart_gets_exactly_one_reminder_per_stage() {
    let Some(app) = TestApp::spawn().await else { return };
    let id = app.new_cart().await;
    app.add(&id, 0, 1).await.unwrap();
    app.set_email(&id, "forgetful@example.com").await.unwrap();
    eventually("a reminder", Duration::from_secs(10), || async {
        (app.get(&id).await.reminders_sent == 1).then_some(())
    })
    .await;
    // Several timer lengths later there is still just the one.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(app.get(&id).await.reminders_sent, 1);
    let mails = app.outbox_messages();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("forgetful@example.com") && mails[0].contains("iPhone 12 Pro"));
    assert!(mails[0].contains(&format!("http://shop.test/?cart=3D{id}")) || mails[0].contains(id.as_str()));
}

#[tokio::test(flavor = "multi_thread")]
async fn activity_resets_the_timer_and_a_new_email_rearms_it() {
    let Some(app) = TestApp::spawn().await else { return };
    let mut input = app.input();
    // Ten times the gap between changes, so a loaded machine stalling a change by a second
    // or two does not let the timer fire in between.
    input.timing.reminder_after = vec![Duration::from_millis(3000)];
    let id = app.start_cart(input).await;
    app.set_email(&id, "busy@example.com").await.unwrap();
    // Keep changing the cart more often than the timer: no reminder may go out.
    for _ in 0..8 {
        app.add(&id, 1, 1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        app.get(&id).await.reminders_sent,
        0,
        "every change restarts the countdown"
    );
    eventually("the first reminder", Duration::from_secs(10), || async {
        (app.get(&id).await.reminders_sent == 1).then_some(())
    })
    .await;
    app.set_email(&id, "other@example.com").await.unwrap();
    eventually("a reminder to the new address", Duration::from_secs(10), || async {
        (app.outbox_messages()
            .iter()
            .filter(|m| m.contains("other@example.com"))
            .count()
            == 1)
            .then_some(())
    })
    .await;
    assert_eq!(app.outbox_messages().len(), 2);
}

/// The lazy timer, read from the cart's history: changes more often than the timer write no
/// timer events (none cancelled, a start only when a fire finds the cart touched), and the one
/// reminder is scheduled a full quiet period after the last change, however close to the old
/// deadline that change came.
#[tokio::test(flavor = "multi_thread")]
async fn changes_only_postpone_the_timer_and_write_no_timer_events() {
    use temporalio_common::protos::temporal::api::enums::v1::EventType;
    let Some(app) = TestApp::spawn().await else { return };
    // Ten times the gap between changes: a stalled change must not let the timer fire.
    let quiet = Duration::from_millis(3000);
    let mut input = app.input();
    input.timing.reminder_after = vec![quiet];
    let id = app.start_cart(input).await;
    app.set_email(&id, "lazy@example.com").await.unwrap();
    for _ in 0..8 {
        app.add(&id, 1, 1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    eventually("the reminder", Duration::from_secs(10), || async {
        (app.get(&id).await.reminders_sent == 1).then_some(())
    })
    .await;
    let events = app.history_events(&id).await;
    let count = |t: EventType| events.iter().filter(|e| e.event_type == t as i32).count();
    assert_eq!(count(EventType::TimerCanceled), 0, "no timer is cancelled by a change");
    // The first timer, one re-arm per fire that found the cart touched (at most one per quiet
    // period of the 2.4 s of changes), and the expiry timer after the reminder.
    assert!(
        count(EventType::TimerStarted) <= 5,
        "{} timers",
        count(EventType::TimerStarted)
    );
    let at = |e: &temporalio_common::protos::temporal::api::history::v1::HistoryEvent| {
        let t = e.event_time.as_ref().unwrap();
        Duration::new(t.seconds as u64, t.nanos as u32)
    };
    let last_change = events
        .iter()
        .filter(|e| e.event_type == EventType::WorkflowExecutionUpdateAccepted as i32)
        .map(at)
        .max()
        .unwrap();
    let reminded = events
        .iter()
        .find(|e| e.event_type == EventType::ActivityTaskScheduled as i32)
        .map(at)
        .unwrap();
    assert!(
        reminded >= last_change + quiet,
        "the reminder came {:?} after the last change",
        reminded.saturating_sub(last_change)
    );
    assert_eq!(app.outbox_messages().len(), 1, "exactly one reminder");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_email_means_no_reminder_and_the_ttl_expires_the_cart() {
    let Some(app) = TestApp::spawn().await else { return };
    let mut input = app.input();
    input.timing = CartTiming {
        reminder_after: vec![Duration::from_millis(300)],
        expire_after: Duration::from_secs(2),
        ..fast_timing()
    };
    let id = app.start_cart(input).await;
    app.add(&id, 0, 1).await.unwrap();
    let outcome = app.carts.outcome(&id).await.unwrap();
    assert_eq!(outcome.cart.status, CartStatus::Expired);
    assert_eq!(outcome.cart.reminders_sent, 0);
    assert!(app.outbox_messages().is_empty(), "nobody to remind");
}

#[tokio::test(flavor = "multi_thread")]
async fn continue_as_new_keeps_the_whole_cart() {
    let Some(app) = TestApp::spawn().await else { return };
    let mut input = app.input();
    input.continue_after_messages = Some(3);
    let id = app.start_cart(input).await;
    for (product, qty) in [(0, 1), (1, 2), (2, 3), (3, 1), (0, 2)] {
        app.add(&id, product, qty).await.unwrap();
    }
    app.set_email(&id, "long@example.com").await.unwrap();
    app.remove(&id, 3, 1).await.unwrap();
    let view = app.get(&id).await;
    let described = app
        .carts
        .client()
        .get_workflow_handle::<app::workflows::cart::CartWorkflow>(id.to_string())
        .describe(Default::default())
        .await
        .unwrap();
    let first_run = described.raw_description.workflow_execution_info.as_ref().unwrap();
    assert_ne!(
        first_run.first_run_id,
        first_run.execution.as_ref().unwrap().run_id,
        "the cart continued as new"
    );
    let quantities: Vec<_> = view.lines.iter().map(|l| (l.product_id, l.quantity)).collect();
    assert_eq!(quantities, [(0, 3), (1, 2), (2, 3)]);
    assert_eq!(view.email.as_deref(), Some("long@example.com"));
    let view = app.checkout(&id, None).await.unwrap();
    assert_eq!(view.status, CartStatus::CheckedOut);
}
