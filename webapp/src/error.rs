//! One table from error kind to HTTP status and code; every error leaves as
//! `{"error": {"code", "message", "field"?}}`. A client mistake is never a 500.
use crate::api::{ErrorBody, ErrorDetail};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use app::carts::CartsError;
use app::orders::{OrdersError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { field: Option<String>, message: String },
    #[error("request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("no such route")]
    NoRoute,
    #[error("this route does not take this method; it takes {0}")]
    MethodNotAllowed(String),
    #[error("cart not found")]
    CartNotFound,
    #[error("order not found")]
    OrderNotFound,
    #[error("a bearer token is required")]
    Unauthorized,
    #[error("the bearer token is not valid")]
    Forbidden,
    #[error("{message}")]
    Unprocessable { field: String, message: String },
    #[error("too many requests from this client; retry after {} s", retry_after_secs(*.0))]
    RateLimited(std::time::Duration),
    #[error("{0}")]
    Orders(#[from] OrdersError),
    #[error("{0}")]
    Carts(#[from] CartsError),
}

impl ApiError {
    /// (status, code, field) for each kind: the one place statuses are decided.
    fn parts(&self) -> (StatusCode, String, Option<String>) {
        match self {
            ApiError::BadRequest { field, .. } => (StatusCode::BAD_REQUEST, "invalid_request".into(), field.clone()),
            ApiError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into(), None),
            ApiError::NoRoute => (StatusCode::NOT_FOUND, "not_found".into(), None),
            ApiError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed".into(), None),
            ApiError::CartNotFound | ApiError::Carts(CartsError::NotFound) => {
                (StatusCode::NOT_FOUND, "cart_not_found".into(), None)
            }
            ApiError::OrderNotFound | ApiError::Orders(OrdersError::NotFound(_)) => {
                (StatusCode::NOT_FOUND, "order_not_found".into(), None)
            }
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized".into(), None),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited".into(), None),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden".into(), None),
            ApiError::Unprocessable { field, .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value".into(),
                Some(field.clone()),
            ),
            ApiError::Orders(OrdersError::Refused { code, .. }) => (StatusCode::CONFLICT, code.clone(), None),
            ApiError::Orders(OrdersError::Store(_) | OrdersError::Temporal(_)) => {
                (StatusCode::SERVICE_UNAVAILABLE, "orders_unavailable".into(), None)
            }
            ApiError::Carts(CartsError::AlreadyExists) => (StatusCode::CONFLICT, "cart_exists".into(), None),
            ApiError::Carts(CartsError::Closed) => (StatusCode::CONFLICT, "cart_closed".into(), None),
            ApiError::Carts(CartsError::Refused(r)) if r.code == "cart_locked" || r.code == "payment_pending" => {
                (StatusCode::CONFLICT, r.code.clone(), None)
            }
            ApiError::Carts(CartsError::Refused(r)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                r.code.clone(),
                r.field.map(str::to_owned),
            ),
            ApiError::Carts(CartsError::Unavailable(_)) => {
                (StatusCode::SERVICE_UNAVAILABLE, "temporal_unavailable".into(), None)
            }
            ApiError::Carts(CartsError::TimedOut) => (StatusCode::SERVICE_UNAVAILABLE, "temporal_timeout".into(), None),
            ApiError::Carts(CartsError::KeyReused) | ApiError::Orders(OrdersError::KeyReused) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused".into(),
                Some("Idempotency-Key".into()),
            ),
            ApiError::Carts(CartsError::BadCursor) => {
                (StatusCode::BAD_REQUEST, "invalid_request".into(), Some("after".into()))
            }
            ApiError::Carts(CartsError::Other(_)) => (StatusCode::INTERNAL_SERVER_ERROR, "internal".into(), None),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code, field) = self.parts();
        let message = match status {
            _ if code == "orders_unavailable" => {
                tracing::warn!(error = %self, "orders unavailable");
                "orders are unavailable right now; retry shortly".to_owned()
            }
            _ if code == "temporal_timeout" => {
                tracing::warn!("Temporal did not answer within the deadline");
                "the cart service did not answer in time; retry with the same Idempotency-Key and the change is applied once"
                    .to_owned()
            }
            StatusCode::INTERNAL_SERVER_ERROR => {
                tracing::error!(error = %self, "internal error");
                "internal error".to_owned()
            }
            _ => self.to_string(),
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("Retry-After", "2"));
        }
        if let ApiError::RateLimited(wait) = self {
            response.insert_header(("Retry-After", retry_after_secs(*wait).to_string()));
        }
        if let ApiError::MethodNotAllowed(allow) = self {
            response.insert_header(("Allow", allow.as_str()));
        }
        response.json(ErrorBody {
            error: ErrorDetail { code, message, field },
        })
    }
}

/// Parses a JSON body, naming the field at fault when it can.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], limit: usize) -> Result<T, ApiError> {
    if body.len() > limit {
        return Err(ApiError::TooLarge(limit));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = (path != ".").then_some(path);
        ApiError::BadRequest {
            field,
            message: e.into_inner().to_string(),
        }
    })
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Orders(e.into())
    }
}

/// The code for an error response that did not come from [`ApiError`] (actix-web's own:
/// an oversized body, a malformed path), by its status.
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "invalid_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        s if s.is_server_error() => "internal",
        _ => "invalid_request",
    }
}

/// Whole seconds, rounded up and at least one: `Retry-After` takes no fractions.
fn retry_after_secs(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}
