//! `GET /metrics`: the gateway's requests by route, method and status, and their latency, in
//! Prometheus' text format. The route label is the pattern (`/cart/{id}/add`), never the path,
//! so no cart id reaches the metrics and the series stay few. Behind the orders bearer token:
//! the endpoint is on the public listener, and traffic figures are the shop's business.
use crate::auth::Authorized;
use crate::orders::OrdersState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
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

/// Counts every answer, the gateway's refusals (404, 429) included.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let metrics = req.app_data::<web::Data<HttpMetrics>>().cloned();
    let started = Instant::now();
    let method = req.method().to_string();
    let response = next.call(req).await?;
    if let Some(m) = metrics {
        // Unmatched paths are one series, not one per path a scanner tries.
        let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".into());
        let status = response.status().as_u16().to_string();
        m.requests.with_label_values(&[&method, &route, &status]).inc();
        m.latency
            .with_label_values(&[&method, &route])
            .observe(started.elapsed().as_secs_f64());
    }
    Ok(response)
}

async fn metrics(
    _auth: Authorized<OrdersState>,
    metrics: web::Data<HttpMetrics>,
) -> Result<HttpResponse, crate::error::ApiError> {
    let mut text = Vec::new();
    TextEncoder::new()
        .encode(&metrics.registry.gather(), &mut text)
        .expect("text encoding into a Vec");
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(text))
}

/// Mounted with the orders API, whose token guards it.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(metrics));
}
