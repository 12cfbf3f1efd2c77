//! From error kind to code (`app::codes`, whose table holds each code's status and field);
//! every error leaves as `{"error": {"code", "message", "field"?}}`. A client mistake is never
//! a 500.
use crate::api::{ErrorBody, ErrorDetail, RefusalDetail};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use app::cart_client::CartsError;
use app::codes::Code;
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
    #[error("the shop's catalogue cannot be read right now; retry shortly")]
    CatalogueUnavailable,
    /// An error whose field is named as the client spelt it (`ProductId` for `product_id`).
    #[error("{error}")]
    AsSent {
        error: Box<ApiError>,
        renamed: Vec<(String, String)>,
    },
}

impl ApiError {
    /// Each kind's code (which decides the status, `app::codes`) and the field at fault.
    fn parts(&self) -> (Code, Option<String>) {
        let code = match self {
            ApiError::AsSent { error, renamed } => {
                let (code, field) = error.parts();
                let field = field.map(|f| {
                    renamed
                        .iter()
                        .find(|(ours, _)| *ours == f)
                        .map_or(f, |(_, theirs)| theirs.clone())
                });
                return (code, field);
            }
            ApiError::CatalogueUnavailable => Code::CatalogueUnavailable,
            ApiError::Orders(OrdersError::Store(StoreError::ProductNotFound(_))) => Code::ProductNotFound,
            ApiError::Orders(OrdersError::Store(StoreError::SkuTaken(_))) => Code::SkuTaken,
            ApiError::Orders(OrdersError::Store(StoreError::StockReserved { .. })) => Code::StockReserved,
            ApiError::Orders(OrdersError::Store(StoreError::StockUntracked(_))) => Code::StockUntracked,
            ApiError::BadRequest { field, .. } => return (Code::InvalidRequest, field.clone()),
            ApiError::Unprocessable { field, .. } => return (Code::InvalidValue, Some(field.clone())),
            ApiError::Carts(CartsError::BadCursor) => return (Code::InvalidRequest, Some("after".into())),
            ApiError::TooLarge(_) => Code::PayloadTooLarge,
            ApiError::NoRoute => Code::NotFound,
            ApiError::MethodNotAllowed(_) => Code::MethodNotAllowed,
            ApiError::CartNotFound | ApiError::Carts(CartsError::NotFound) => Code::CartNotFound,
            ApiError::OrderNotFound | ApiError::Orders(OrdersError::NotFound(_)) => Code::OrderNotFound,
            ApiError::Unauthorized => Code::Unauthorized,
            ApiError::RateLimited(_) => Code::RateLimited,
            ApiError::Forbidden => Code::Forbidden,
            ApiError::Orders(OrdersError::Refused { code, .. }) => *code,
            ApiError::Orders(OrdersError::Store(_) | OrdersError::Temporal(_)) => Code::OrdersUnavailable,
            ApiError::Carts(CartsError::AlreadyExists) => Code::CartExists,
            ApiError::Carts(CartsError::Closed) => Code::CartClosed,
            ApiError::Carts(CartsError::Refused(r)) => r.code,
            ApiError::Carts(CartsError::Unavailable(_)) => Code::TemporalUnavailable,
            ApiError::Carts(CartsError::TimedOut) => Code::TemporalTimeout,
            ApiError::Carts(CartsError::Recovering) => Code::CartRecovering,
            ApiError::Carts(CartsError::KeyReused) | ApiError::Orders(OrdersError::KeyReused) => {
                Code::IdempotencyKeyReused
            }
            ApiError::Carts(CartsError::Other(_)) => Code::Internal,
        };
        (code, code.field().map(str::to_owned))
    }
}

impl ApiError {
    /// What a refusal carries besides its message (units left, changed prices).
    fn detail(&self) -> RefusalDetail {
        match self {
            ApiError::AsSent { error, .. } => error.detail(),
            ApiError::Carts(CartsError::Refused(r)) => r
                .detail
                .clone()
                .and_then(|d| serde_json::from_value(d).ok())
                .unwrap_or_default(),
            _ => RefusalDetail::default(),
        }
    }
}

/// The status a code answers with.
pub(crate) fn status(code: Code) -> StatusCode {
    StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status(self.parts().0)
    }

    fn error_response(&self) -> HttpResponse {
        let (code, field) = self.parts();
        let status = status(code);
        let message = match code {
            Code::OrdersUnavailable => {
                tracing::warn!(error = %self, "orders unavailable");
                "orders are unavailable right now; retry shortly".to_owned()
            }
            Code::CatalogueUnavailable => {
                tracing::warn!(error = %self, "catalogue unavailable");
                "the shop's catalogue cannot be read right now; retry shortly".to_owned()
            }
            // The server's own words stay in the log: they name hosts, ports and internals.
            Code::TemporalUnavailable => {
                let detail = match self {
                    ApiError::Carts(CartsError::Unavailable(detail)) => detail.as_str(),
                    _ => "",
                };
                tracing::warn!(detail, "Temporal unavailable");
                self.to_string()
            }
            Code::CartRecovering => {
                tracing::warn!("a cart's workflow task is being retried after its worker failed");
                "the cart is recovering from a worker failure; retry with the same Idempotency-Key and the change is applied once"
                    .to_owned()
            }
            Code::TemporalTimeout => {
                tracing::warn!("Temporal did not answer within the deadline");
                "the cart service did not answer in time; retry with the same Idempotency-Key and the change is applied once"
                    .to_owned()
            }
            Code::Internal => {
                tracing::error!(error = %self, "internal error");
                "internal error".to_owned()
            }
            _ => self.to_string(),
        };
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if code == Code::CartRecovering {
            // A live worker picks the task up within about a second of the dead one's timing out.
            response.insert_header(("Retry-After", "1"));
        } else if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("Retry-After", "2"));
        }
        if let ApiError::RateLimited(wait) = self {
            response.insert_header(("Retry-After", retry_after_secs(*wait).to_string()));
        }
        if let ApiError::MethodNotAllowed(allow) = self {
            response.insert_header(("Allow", allow.as_str()));
        }
        response.json(ErrorBody {
            error: ErrorDetail {
                code: code.as_str().into(),
                message,
                field,
                detail: self.detail(),
            },
        })
    }
}

/// Parses a JSON body, naming the field at fault when it can.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8], limit: usize) -> Result<T, ApiError> {
    if body.len() > limit {
        return Err(ApiError::TooLarge(limit));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(bad_json)
}

/// As [`parse_json`], with the object's field names `names` taken in any case and with or
/// without underscores, as the original shop's API took them (`ProductID`, `ProductId`).
pub fn parse_json_any_case<T: serde::de::DeserializeOwned>(
    body: &[u8],
    limit: usize,
    names: &[&str],
) -> Result<T, ApiError> {
    parse_json_as_sent(body, limit, names).map(|(value, _)| value)
}

/// As [`parse_json_any_case`], answering also each renamed key as `(ours, the client's)`, so a
/// later refusal can name the field as the client spelt it ([`ApiError::as_sent`]).
pub fn parse_json_as_sent<T: serde::de::DeserializeOwned>(
    body: &[u8],
    limit: usize,
    names: &[&str],
) -> Result<(T, Vec<(String, String)>), ApiError> {
    let mut value: serde_json::Value = parse_json(body, limit)?;
    let renamed = crate::original::canonical_keys(&mut value, names);
    match serde_path_to_error::deserialize(value) {
        Ok(parsed) => Ok((parsed, renamed)),
        Err(e) => Err(bad_json(e).as_sent(renamed)),
    }
}

impl ApiError {
    /// This error, its field named as the client spelt it.
    pub fn as_sent(self, renamed: Vec<(String, String)>) -> ApiError {
        if renamed.is_empty() {
            return self;
        }
        ApiError::AsSent {
            error: Box::new(self),
            renamed,
        }
    }
}

fn bad_json(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let field = (path != ".").then_some(path);
    ApiError::BadRequest {
        field,
        message: e.into_inner().to_string(),
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Orders(e.into())
    }
}

/// The code for an error response that did not come from [`ApiError`] (actix-web's own:
/// an oversized body, a malformed path), by its status.
pub fn code_for_status(status: StatusCode) -> Code {
    match status {
        StatusCode::BAD_REQUEST => Code::InvalidRequest,
        StatusCode::UNAUTHORIZED => Code::Unauthorized,
        StatusCode::FORBIDDEN => Code::Forbidden,
        StatusCode::NOT_FOUND => Code::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => Code::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
        StatusCode::TOO_MANY_REQUESTS => Code::RateLimited,
        StatusCode::SERVICE_UNAVAILABLE => Code::Unavailable,
        s if s.is_server_error() => Code::Internal,
        _ => Code::InvalidRequest,
    }
}

/// Whole seconds, rounded up and at least one: `Retry-After` takes no fractions.
fn retry_after_secs(wait: std::time::Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}
