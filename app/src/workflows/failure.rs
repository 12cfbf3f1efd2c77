//! Failures in and out of the workflows: the refusals their handlers answer with, and reading
//! an activity's failure chain.
use crate::codes::Coded;
use temporalio_common::protos::temporal::api::failure::v1::{Failure, failure::FailureInfo};
use temporalio_sdk::ActivityExecutionError;

/// The message of the first application failure of type `kind` in the error's cause chain.
pub(crate) fn application_failure(err: &ActivityExecutionError, kind: &str) -> Option<String> {
    let mut next: Option<&Failure> = err.failure();
    while let Some(f) = next {
        if let Some(FailureInfo::ApplicationFailureInfo(info)) = &f.failure_info
            && info.r#type == kind
        {
            return Some(f.message.clone());
        }
        next = f.cause.as_deref();
    }
    None
}

/// The innermost failure message: the activity's own words rather than "Activity task failed".
pub(crate) fn root_message(err: &ActivityExecutionError) -> String {
    let mut message = err.to_string();
    let mut next: Option<&Failure> = err.failure();
    while let Some(f) = next {
        if !f.message.is_empty() {
            message = f.message.clone();
        }
        next = f.cause.as_deref();
    }
    message
}

/// What a validator or handler refuses a message with.
pub type Rejection = Box<dyn std::error::Error + Send + Sync>;

/// A refusal the client reads its code back from (`crate::codes::parse_refusal`), so the
/// gateway answers with the status and field of that code without a second round trip.
pub(crate) fn reject(err: impl Coded) -> Rejection {
    crate::codes::refusal_message(err.code(), &err, err.detail().as_ref()).into()
}
