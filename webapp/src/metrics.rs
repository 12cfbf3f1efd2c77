//! `GET /metrics`: the gateway's requests by route, method and status, and their latency, in
//! Prometheus' text format. The route label is the pattern (`/cart/{id}/add`), never the path,
//! so no cart id reaches the metrics and the series stay few. Behind a bearer token of its own
//! (`SHOP_METRICS_TOKEN`): the endpoint is on the public listener, traffic figures are the
//! shop's business, and a scraper's config should hold nothing that can change orders.
use crate::auth::{Authorized, Guarded};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder};
use std::time::Instant;

#[derive(Clone)]
pub struct HttpMetrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

impl Default for HttpMetrics {
    fn default() -> Self {
        let registry = Registry::new();
        let labels = &["method", "route", "status"];
        let requests = IntCounterVec::new(
            Opts::new("shop_http_requests_total", "HTTP requests answered, by route pattern"),
            labels,
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new("shop_http_request_duration_seconds", "Time to answer, by route pattern").buckets(vec![
                0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
            &["method", "route"],
        )
        .expect("valid metric");
        registry.register(Box::new(requests.clone())).expect("registered once");
        registry.register(Box::new(latency.clone())).expect("registered once");
        Self {
            registry,
            requests,
            latency,
        }
    }
}

/// The method as a label or span name: one of HTTP's own, or `_OTHER` (OpenTelemetry's word for
/// it). A method is any token a client cares to send, so taken as sent each invented one would
/// be a new series kept for the life of the process.
pub fn method_label(method: &Method) -> &'static str {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::CONNECT,
        Method::OPTIONS,
        Method::TRACE,
        Method::PATCH,
    ];
    STANDARD.iter().find(|m| *m == method).map_or("_OTHER", |m| m.as_str())
}

/// Counts every answer, the gateway's refusals (404, 429) included.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let metrics = req.app_data::<web::Data<HttpMetrics>>().cloned();
    let started = Instant::now();
    let method = method_label(req.method());
    let response = next.call(req).await?;
    if let Some(m) = metrics {
        // Unmatched paths are one series, not one per path a scanner tries.
        let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".into());
        let status = response.status().as_u16().to_string();
        m.requests.with_label_values(&[method, &route, &status]).inc();
        m.latency
            .with_label_values(&[method, &route])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(response)
}

/// The token `/metrics` asks for.
pub struct MetricsToken(pub String);

impl Guarded for MetricsToken {
    fn token(&self) -> &str {
        &self.0
    }
}

async fn metrics(
    _auth: Authorized<MetricsToken>,
    metrics: web::Data<HttpMetrics>,
) -> Result<HttpResponse, crate::error::ApiError> {
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&metrics.registry.gather(), &mut text)
        .expect("text encoding into a Vec");
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text))
}

/// Mounted when `SHOP_METRICS_TOKEN` is set.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_fold_into_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        assert_eq!(method_label(&Method::from_bytes(b"GET").unwrap()), "GET");
        for invented in ["FOO", "get", "PROPFIND", "X1"] {
            assert_eq!(
                method_label(&Method::from_bytes(invented.as_bytes()).unwrap()),
                "_OTHER"
            );
        }
    }
}
