//! The shopper limit: requests per client address, a token bucket per address (`governor`'s
//! GCRA), answered `429 rate_limited` with `Retry-After` when a client goes past it. Orders,
//! Stripe's webhook and the probes are not shopper traffic and are never limited.
//!
//! Behind a proxy every request comes from the proxy's address, so the client's address is
//! read from one configured header (`SHOP_CLIENT_IP_HEADER`, e.g. `X-Forwarded-For`), and
//! only then: a client could write any header itself, so without the setting the peer's
//! address counts.
use crate::error::ApiError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use app::config::RateLimitConfig;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::sync::Arc;

/// Addresses remembered before idle ones are dropped, so a spray of addresses cannot grow the
/// table without bound.
const PRUNE_ABOVE: usize = 50_000;

#[derive(Clone)]
pub struct ShopperLimit {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    header: Option<String>,
}

impl ShopperLimit {
    pub fn new(config: &RateLimitConfig) -> Self {
        let quota = Quota::per_second(config.per_second).allow_burst(config.burst);
        Self {
            limiter: Arc::new(DefaultKeyedRateLimiter::keyed(quota)),
            header: config.client_ip_header.clone(),
        }
    }

    fn client(&self, req: &ServiceRequest) -> Option<IpAddr> {
        let from_header = self.header.as_ref().and_then(|name| {
            let value = req.headers().get(name.as_str())?.to_str().ok()?;
            // A proxy appends the address it saw: the last entry is the one it vouches for.
            value.rsplit(',').next()?.trim().parse().ok()
        });
        from_header.or_else(|| req.peer_addr().map(|a| a.ip()))
    }

    /// `Err` with the wait when `req`'s client is past its limit.
    fn check(&self, req: &ServiceRequest) -> Result<(), std::time::Duration> {
        let Some(client) = self.client(req) else { return Ok(()) };
        if self.limiter.len() > PRUNE_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Whether a path is shopper traffic the limit applies to.
fn limited(path: &str) -> bool {
    !(path.starts_with("/orders") || path.starts_with("/stripe/") || path == "/healthz" || path == "/readyz")
}

/// The middleware (`actix_web::middleware::from_fn`); the limit rides in app data.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let verdict = match req.app_data::<actix_web::web::Data<ShopperLimit>>() {
        Some(limit) if limited(req.path()) => limit.check(&req),
        _ => Ok(()),
    };
    match verdict {
        Ok(()) => Ok(next.call(req).await?.map_into_boxed_body()),
        Err(wait) => {
            let response = ApiError::RateLimited(wait).error_response();
            Ok(req.into_response(response))
        }
    }
}
