//! Carts as operators find them: listed and counted by the search attributes the cart
//! workflow keeps ([`crate::workflows::search`]), through Temporal's visibility API. Visibility
//! is eventually consistent: a change shows here a moment (on a busy cluster, seconds) after
//! the cart itself has it; read the cart for its exact state.
use crate::cart::CartStatus;
use crate::cart_client::{CartsError, rpc_error};
use crate::workflows::cart::WORKFLOW_TYPE;
use crate::workflows::search::CartIndex;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::time::{Duration, SystemTime};
use temporalio_client::{Client, WorkflowCountOptions};
use temporalio_common::protos::temporal::api::workflowservice::v1::ListWorkflowExecutionsRequest;
use temporalio_common::search_attributes::SearchAttributes;

/// One cart in a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct CartSummary {
    pub cart_id: String,
    pub index: CartIndex,
    /// The workflow is still running (a checked-out cart's ends once its email is sent).
    pub running: bool,
}

/// A page of carts and the cursor of the next one.
#[derive(Debug)]
pub struct CartPage {
    pub carts: Vec<CartSummary>,
    pub next: Option<String>,
}

#[derive(Clone)]
pub struct CartDirectory {
    client: Client,
    rpc_timeout: Duration,
}

/// Carts of `status`, or of any status; carts whose runs began before the workflow kept
/// search attributes have none and are left out.
fn query(status: Option<CartStatus>) -> String {
    let statuses: Vec<String> = match status {
        Some(s) => vec![format!("'{}'", s.as_str())],
        None => CartStatus::ALL.iter().map(|s| format!("'{}'", s.as_str())).collect(),
    };
    format!(
        "WorkflowType = '{WORKFLOW_TYPE}' AND CartStatus IN ({})",
        statuses.join(", ")
    )
}

impl CartDirectory {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            rpc_timeout: Duration::from_secs(10),
        }
    }

    /// Newest first. `after` is the cursor a previous page returned; a cursor that is not one
    /// is [`CartsError::BadCursor`].
    pub async fn list(
        &self,
        status: Option<CartStatus>,
        limit: u32,
        after: Option<&str>,
    ) -> Result<CartPage, CartsError> {
        let next_page_token = match after {
            None => vec![],
            Some(cursor) => URL_SAFE_NO_PAD.decode(cursor).map_err(|_| CartsError::BadCursor)?,
        };
        let request = ListWorkflowExecutionsRequest {
            namespace: self.client.options().namespace.clone(),
            page_size: i32::try_from(limit).unwrap_or(i32::MAX),
            next_page_token,
            query: query(status),
        };
        let mut service = self.client.connection().workflow_service();
        let call = service.list_workflow_executions(tonic::Request::new(request));
        let response = tokio::time::timeout(self.rpc_timeout, call)
            .await
            .map_err(|_| CartsError::TimedOut)?
            .map_err(|status| match status.code() {
                tonic::Code::InvalidArgument if after.is_some() => CartsError::BadCursor,
                _ => rpc_error(status),
            })?
            .into_inner();
        let carts = response
            .executions
            .into_iter()
            .filter_map(|e| {
                let attrs = SearchAttributes::from_proto(&e.search_attributes.unwrap_or_default());
                Some(CartSummary {
                    cart_id: e.execution?.workflow_id,
                    index: CartIndex::from_attributes(&attrs)?,
                    running: e.close_time.is_none(),
                })
            })
            .collect();
        let next = (!response.next_page_token.is_empty()).then(|| URL_SAFE_NO_PAD.encode(&response.next_page_token));
        Ok(CartPage { carts, next })
    }

    /// How many carts are in each status (one count per status, concurrently).
    pub async fn stats(&self) -> Result<Vec<(CartStatus, u64)>, CartsError> {
        let counts = CartStatus::ALL.map(|status| async move {
            let call = self
                .client
                .count_workflows(query(Some(status)), WorkflowCountOptions::default());
            let count = tokio::time::timeout(self.rpc_timeout, call)
                .await
                .map_err(|_| CartsError::TimedOut)?
                .map_err(|e| match e {
                    temporalio_client::errors::ClientError::Rpc(status) => rpc_error(status),
                    other => CartsError::Other(other.into()),
                })?;
            Ok::<_, CartsError>((status, count.count() as u64))
        });
        futures::future::join_all(counts).await.into_iter().collect()
    }
}

/// When visibility last saw a change, for listings: seconds since the epoch.
pub fn unix_seconds(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
