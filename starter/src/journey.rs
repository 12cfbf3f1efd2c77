//! The benchmark's shopper journey (`POST /cart`, 3 × add, `GET`, remove, `GET`, email) and
//! what one journey may cost Temporal: [`HISTORY_BUDGET`], the one place that says so. The
//! load generator (`bench`) plays it and reports the counts; the integration test
//! `history_budget` plays it once and fails when a journey writes more.
use crate::shop_client::{Answer, ShopClient};
use temporalio_common::protos::temporal::api::enums::v1::EventType;
use temporalio_common::protos::temporal::api::history::v1::HistoryEvent;

/// What one journey may write to its cart's history. Raise it only on purpose, saying why in
/// the commit: every event is work (and storage) for the Temporal server, once per shopper.
///
/// 31 events: the start and its first task (4), then per update (4 adds/removes/emails after
/// the first, and the first) a task's three events plus accepted and completed, the one
/// inactivity timer, and one local activity's marker per change that holds stock (3 adds and
/// a remove: the reservation in the shop's database, since 0.2.0). Reads are queries and
/// write nothing; search attributes ride on the start.
pub const HISTORY_BUDGET: HistoryCount = HistoryCount {
    events: 31,
    workflow_tasks: 5,
};

/// Events and workflow tasks of one cart's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCount {
    pub events: usize,
    /// Completed workflow tasks: each is a round trip of the worker with the server.
    pub workflow_tasks: usize,
}

impl HistoryCount {
    pub fn of(history: &[HistoryEvent]) -> Self {
        Self {
            events: history.len(),
            workflow_tasks: history
                .iter()
                .filter(|e| e.event_type == EventType::WorkflowTaskCompleted as i32)
                .count(),
        }
    }

    /// Within the budget on both counts.
    pub fn within(&self, budget: &HistoryCount) -> bool {
        self.events <= budget.events && self.workflow_tasks <= budget.workflow_tasks
    }
}

/// One request of the journey, after `POST /cart`.
#[derive(Debug, Clone, Copy)]
pub enum Step {
    Add(u32),
    Get,
    Remove(u32),
    Email,
}

/// The journey's requests after `POST /cart`, in order.
pub const STEPS: [Step; 7] = [
    Step::Add(0),
    Step::Add(1),
    Step::Add(2),
    Step::Get,
    Step::Remove(1),
    Step::Get,
    Step::Email,
];

impl Step {
    /// The route, as the gateway's metrics name it.
    pub fn route(&self) -> &'static str {
        match self {
            Step::Add(_) => "PUT /cart/{id}/add",
            Step::Get => "GET /cart/{id}",
            Step::Remove(_) => "PUT /cart/{id}/remove",
            Step::Email => "PUT /cart/{id}/email",
        }
    }

    /// Sends this step for cart `id` of shopper `n`.
    pub async fn send(&self, shop: &ShopClient, id: &str, n: usize) -> reqwest::Result<Answer> {
        match *self {
            Step::Add(product) => shop.add(id, product, 1).await,
            Step::Get => shop.get(id).await,
            Step::Remove(product) => shop.remove(id, product, 1).await,
            Step::Email => shop.set_email(id, &format!("shopper{n}@example.com")).await,
        }
    }
}
