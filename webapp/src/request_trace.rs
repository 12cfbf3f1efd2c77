//! Every request gets a request id (the caller's `X-Request-Id` when well-formed, a new one
//! otherwise; sent back either way) and a server span that continues the caller's W3C
//! `traceparent`. Both are the current OpenTelemetry context while the request is handled, so
//! the Temporal calls a handler makes carry them to the worker (`app::traces`), and each request
//! ends in one access line that names them. The line holds the route pattern, never the path,
//! a body or the caller's address.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use app::traces::{REQUEST_ID, is_request_id};
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::{FutureExt, SpanKind, Status, TraceContextExt, Tracer};
use opentelemetry::{KeyValue, global};
use std::time::Instant;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

struct Headers<'a>(&'a HeaderMap);

impl opentelemetry::propagation::Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

pub async fn trace(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|id| is_request_id(id))
        .map_or_else(|| uuid::Uuid::new_v4().simple().to_string(), str::to_owned);
    let parent = app::traces::caller_context(&Headers(req.headers()));
    let method = crate::metrics::method_label(req.method());
    let tracer = global::tracer("webapp");
    // Named by its route once routing has found one.
    let span = tracer
        .span_builder(method)
        .with_kind(SpanKind::Server)
        .with_attributes([
            KeyValue::new("http.request.method", method),
            KeyValue::new("shop.request_id", request_id.clone()),
        ])
        .start_with_context(&tracer, &parent);
    let cx = parent
        .with_span(span)
        .with_baggage([KeyValue::new(REQUEST_ID, request_id.clone())]);
    let started = Instant::now();
    let result = next.call(req).with_context(cx.clone()).await;
    let _current = cx.clone().attach();
    let span = cx.span();
    let mut response = match result {
        Ok(response) => response,
        Err(e) => {
            span.set_status(Status::error(e.to_string()));
            span.end();
            return Err(e);
        }
    };
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let status = response.status();
    span.update_name(format!("{method} {route}"));
    span.set_attribute(KeyValue::new("http.route", route.clone()));
    span.set_attribute(KeyValue::new("http.response.status_code", i64::from(status.as_u16())));
    if status.is_server_error() {
        span.set_status(Status::error(status.to_string()));
    }
    span.end();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    tracing::info!(%method, %route, status = status.as_u16(), ms = started.elapsed().as_millis() as u64, "answered");
    Ok(response)
}
