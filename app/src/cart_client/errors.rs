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
    #[error("Temporal is unavailable: {0}")]
    Unavailable(String),
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
