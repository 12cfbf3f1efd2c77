//! What can go wrong talking to a cart, and how the client's and the server's errors map onto
//! it; the client's own deadline around every call.
use crate::cart::Refusal;
use std::time::Duration;
use temporalio_client::RpcOptions;
use temporalio_client::errors::{WorkflowInteractionError, WorkflowUpdateError};

#[derive(Debug, thiserror::Error)]
pub enum CartsError {
    #[error("cart not found")]
    NotFound,
    #[error("a cart with this id already exists")]
    AlreadyExists,
    /// The workflow refused the change (validator) — the cart is unchanged.
    #[error("{}", .0.message)]
    Refused(Refusal),
    /// The cart's life has ended (checked out or expired); it only answers queries.
    #[error("the cart is closed")]
    Closed,
    /// Temporal cannot take the call right now: retry shortly. The detail (the server's own
    /// words) is for the log, not for the client, so it is not in the message.
    #[error("the cart service is unavailable right now; retry shortly")]
    Unavailable(String),
    /// The cart's workflow task is being retried after its worker died (the server refuses
    /// updates and queries to it meanwhile): retry shortly, with the same `Idempotency-Key`, and
    /// the change is applied once.
    #[error("the cart is recovering from a worker failure; retry shortly")]
    Recovering,
    /// No answer within the deadline. A change may still be applied: retry it with the same
    /// update id (`Idempotency-Key`) and it is applied once.
    #[error("Temporal did not answer in time")]
    TimedOut,
    /// The update id (`Idempotency-Key`) was used before for a different request; the
    /// first request's result is not this one's.
    #[error("this Idempotency-Key was already used for a different request")]
    KeyReused,
    /// A listing's `after` is not a cursor a previous page returned.
    #[error("not a cursor from a previous page")]
    BadCursor,
    /// Kept whole, so a log of it shows the chain of causes.
    #[error("unexpected Temporal error: {0}")]
    Other(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// How far the RPC's own deadline trails ours, so ours is the one that fires.
const RPC_BACKSTOP: Duration = Duration::from_secs(2);

pub(super) fn rpc_options(deadline: Duration) -> RpcOptions {
    RpcOptions::builder().timeout(deadline + RPC_BACKSTOP).build()
}

/// Runs `call` under a deadline of our own. The client reports its own deadline in several
/// guises (`DeadlineExceeded`, `Cancelled: Timeout expired`, an h2 error); ours always reads
/// [`CartsError::TimedOut`].
pub(super) async fn within<T>(
    limit: Duration,
    call: impl Future<Output = Result<T, CartsError>>,
) -> Result<T, CartsError> {
    tokio::time::timeout(limit, call)
        .await
        .unwrap_or(Err(CartsError::TimedOut))
}

pub(crate) fn rpc_error(status: tonic::Status) -> CartsError {
    use tonic::Code;
    match status.code() {
        Code::NotFound => CartsError::NotFound,
        Code::FailedPrecondition if names_detail(&status, WORKFLOW_NOT_READY) => CartsError::Recovering,
        Code::DeadlineExceeded | Code::Cancelled => CartsError::TimedOut,
        Code::Unavailable | Code::ResourceExhausted | Code::Unknown => {
            CartsError::Unavailable(status.message().to_owned())
        }
        // A broken HTTP/2 stream (a server restarting, a connection reset) is a transport
        // fault, not a bug of ours.
        Code::Internal if status.message().contains("h2") || status.message().contains("transport") => {
            CartsError::Unavailable(status.message().to_owned())
        }
        _ => CartsError::Other(Box::new(status)),
    }
}

/// The typed detail the server gives with a FailedPrecondition when a workflow's task keeps
/// failing (`serviceerror.NewWorkflowNotReady`: from its third attempt, updates and queries are
/// refused rather than queued behind a task that may never complete).
const WORKFLOW_NOT_READY: &str = "temporal.api.errordetails.v1.WorkflowNotReadyFailure";

/// Whether the status's first typed detail is `type_name`. The SDK's own decoder does not look
/// at the type, and an empty message such as this one decodes from anything.
fn names_detail(status: &tonic::Status, type_name: &str) -> bool {
    use prost::Message as _;
    use temporalio_common::protos::google::rpc::Status;
    Status::decode(status.details())
        .ok()
        .and_then(|s| s.details.into_iter().next())
        .is_some_and(|d| d.type_url.rsplit('/').next() == Some(type_name))
}

pub(super) fn signal_error(err: WorkflowInteractionError) -> CartsError {
    match err {
        WorkflowInteractionError::NotFound(_) => CartsError::NotFound,
        WorkflowInteractionError::Rpc(status) => rpc_error(status),
        other => CartsError::Other(other.into()),
    }
}

pub(super) fn update_error(err: WorkflowUpdateError) -> CartsError {
    match err {
        WorkflowUpdateError::NotFound(status) if status.message().contains("completed") => CartsError::Closed,
        WorkflowUpdateError::NotFound(_) => CartsError::NotFound,
        WorkflowUpdateError::Failed(failure) => CartsError::Refused(Refusal::parse(&failure.message)),
        WorkflowUpdateError::Rpc(status) => rpc_error(status),
        other => CartsError::Other(other.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use temporalio_common::protos::google::rpc::Status;

    fn status(code: tonic::Code, detail: &str) -> tonic::Status {
        use prost::Message as _;
        let mut details = Status {
            code: code as i32,
            message: "Unable to perform workflow execution update due to Workflow Task in failed state.".into(),
            details: vec![Default::default()],
        };
        details.details[0].type_url = format!("type.googleapis.com/{detail}");
        tonic::Status::with_details(code, "not ready", details.encode_to_vec().into())
    }

    #[test]
    fn a_failing_workflow_task_is_transient_by_its_typed_detail() {
        let recovering = rpc_error(status(tonic::Code::FailedPrecondition, WORKFLOW_NOT_READY));
        assert!(matches!(recovering, CartsError::Recovering), "{recovering:?}");
        // Another precondition, even worded the same, is not.
        let other = rpc_error(status(
            tonic::Code::FailedPrecondition,
            "temporal.api.errordetails.v1.NamespaceInvalidStateFailure",
        ));
        assert!(matches!(other, CartsError::Other(_)), "{other:?}");
        let bare = rpc_error(tonic::Status::failed_precondition("Workflow Task in failed state"));
        assert!(matches!(bare, CartsError::Other(_)), "{bare:?}");
    }

    #[test]
    fn unavailable_says_nothing_of_the_servers_words() {
        let e = rpc_error(tonic::Status::unavailable("tcp connect error: 127.0.0.1:7233 refused"));
        assert!(matches!(&e, CartsError::Unavailable(detail) if detail.contains("7233")));
        assert!(!e.to_string().contains("7233"), "{e}");
    }
}
