//! The history budget: the benchmark's journey (`starter::journey`), played once through the
//! gateway on a real dev server and worker, writes at most `HISTORY_BUDGET` events and
//! workflow tasks to its cart's history. A count, not a time, so it holds on any machine: a
//! change that makes every shopper cost the server more fails here, and raising the budget is
//! a decision made in `starter/src/journey.rs`, on purpose.
use crate::helpers::TestApp;
use crate::webapp::Api;
use app::workflows::cart::CartTiming;
use starter::journey::{HISTORY_BUDGET, HistoryCount, STEPS};
use webapp::startup::Settings;

#[tokio::test(flavor = "multi_thread")]
async fn the_benchmark_journey_stays_within_the_history_budget() {
    let Some(app) = TestApp::spawn().await else { return };
    // The shop's own timings, as the benchmark's stack has them: the journey is over long
    // before the inactivity timer is due (the tests' fast timings would fire it mid-journey).
    // A generous deadline: on a loaded machine a first change can take seconds, and this
    // test counts events, it does not time them.
    let carts = app
        .carts
        .clone()
        .with_timing(CartTiming::production())
        .with_rpc_timeout(std::time::Duration::from_secs(30));
    let api = Api::spawn_with(&app, carts, Settings::default()).await;
    let shop = api.shop();
    let id = api.new_cart().await;
    for step in STEPS {
        let answer = step.send(&shop, &id, 1).await.unwrap();
        assert!(answer.status.is_success(), "{step:?}: {}", answer.error());
    }
    let cart = shop.get(&id).await.unwrap().cart().unwrap();
    assert_eq!(
        (cart.lines.len(), cart.email.as_deref()),
        (2, Some("shopper1@example.com")),
        "the journey did what it says: {cart:?}"
    );

    let history = app
        .carts
        .client()
        .get_workflow_handle::<app::workflows::cart::CartWorkflow>(id.clone())
        .fetch_history(Default::default())
        .into_events()
        .await
        .unwrap();
    let count = HistoryCount::of(&history);
    let kinds: Vec<String> = history.iter().map(|e| format!("{:?}", e.event_type())).collect();
    println!("one journey: {count:?}\n{}", kinds.join("\n"));
    assert!(
        count.within(&HISTORY_BUDGET),
        "the journey wrote {count:?}, over the budget {HISTORY_BUDGET:?}:\n{}",
        kinds.join("\n")
    );
}
