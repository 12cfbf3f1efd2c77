//! Limits per client address, answered `429 rate_limited` with `Retry-After`:
//! - requests: a rate with bursts on every route but Stripe's webhook and `/healthz` (the
//!   shopper routes, `/readyz`, which costs a Temporal call, and the token routes);
//! - failed token checks (every 401 or 403): a few a minute, after which the client's token
//!   routes answer 429 before any token is looked at, so tokens cannot be guessed at speed.
//!
//! Each gateway counts alone, or, with `SHOP_REDIS_URL`, all of them count together in Redis
//! (`shared`), falling back to counting alone while Redis does not answer.
//!
//! Behind a proxy every request comes from the proxy's address, so the client's address is
//! read from one configured header (`SHOP_CLIENT_IP_HEADER`, e.g. `X-Forwarded-For`), and
//! only then: a client could write any header itself, so without the setting the peer's
//! address counts. IPv6 clients are counted by their /64, the block one subscriber gets.
mod gcra;
mod shared;

use crate::error::ApiError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use app::config::RateLimitConfig;
use gcra::{LocalLimiter, Quota, Take};
use shared::SharedLimiter;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct ShopperLimit(Arc<Limits>);

struct Limits {
    requests: Option<Quota>,
    token_failures: Quota,
    header: Option<String>,
    local: LocalLimiter,
    shared: Option<SharedLimiter>,
}

impl ShopperLimit {
    pub fn new(config: &RateLimitConfig) -> Self {
        let shared = config
            .redis
            .as_ref()
            .and_then(|r| match SharedLimiter::new(&r.url, &r.prefix) {
                Ok(shared) => Some(shared),
                Err(e) => {
                    tracing::warn!(error = %e, "SHOP_REDIS_URL is not usable: this gateway limits on its own");
                    None
                }
            });
        Self(Arc::new(Limits {
            requests: config
                .requests
                .as_ref()
                .map(|r| Quota::per_second(r.per_second, r.burst)),
            token_failures: Quota::per_minute(config.token_failures_per_minute),
            header: config.client_ip_header.clone(),
            local: LocalLimiter::default(),
            shared,
        }))
    }

    async fn check(&self, key: &str, quota: Quota, take: Take) -> Result<(), Duration> {
        match &self.0.shared {
            Some(shared) => shared.check(key, quota, take, &self.0.local).await,
            None => self.0.local.check(key, quota, take),
        }
    }
}

/// The key a client is counted under: its address, an IPv6 one cut to its /64. With a trusted
/// header, the last address of its last line: a proxy appends what it saw, as a new entry or as
/// a line of its own, and whatever comes before was written by the client.
fn client_key(req: &ServiceRequest, header: Option<&str>) -> Option<String> {
    let from_header = header.and_then(|name| {
        let line = req.headers().get_all(name).last()?.to_str().ok()?;
        parse_address(line.rsplit(',').next()?.trim())
    });
    let ip = from_header.or_else(|| req.peer_addr().map(|a| a.ip()))?;
    Some(match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    })
}

/// An address as proxies write it: bare, or with a port (`198.51.100.1:4711`, `[2001:db8::1]:443`).
fn parse_address(entry: &str) -> Option<IpAddr> {
    entry
        .parse()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}

/// Routes that are asked for a bearer token.
fn token_route(path: &str) -> bool {
    ["/orders", "/admin", "/metrics", "/codec"].iter().any(|base| {
        path.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Routes the request rate applies to: all but Stripe's webhook (Stripe's addresses, and it
/// retries) and `/healthz` (answered from memory, for the orchestrator).
fn rate_limited(path: &str) -> bool {
    !(path.starts_with("/stripe/") || path == "/healthz")
}

/// The middleware (`actix_web::middleware::from_fn`); the limits ride in app data.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let limit = req.app_data::<actix_web::web::Data<ShopperLimit>>().cloned();
    let client = limit.as_ref().and_then(|l| client_key(&req, l.0.header.as_deref()));
    let (Some(limit), Some(client)) = (limit, client) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let path = req.path();
    let mut verdict = Ok(());
    if let Some(quota) = limit.0.requests.filter(|_| rate_limited(path)) {
        verdict = limit.check(&format!("req:{client}"), quota, Take::One).await;
    }
    let failures = format!("auth:{client}");
    if verdict.is_ok() && token_route(path) {
        verdict = limit.check(&failures, limit.0.token_failures, Take::Peek).await;
    }
    if let Err(wait) = verdict {
        let response = ApiError::RateLimited(wait).error_response();
        return Ok(req.into_response(response));
    }
    let response = next.call(req).await?.map_into_boxed_body();
    if matches!(response.status(), StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN) {
        // Spent, not checked: this answer is given; the next attempt is the one refused.
        let _ = limit.check(&failures, limit.0.token_failures, Take::One).await;
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn key(req: TestRequest) -> Option<String> {
        client_key(&req.to_srv_request(), Some("x-forwarded-for"))
    }

    #[test]
    fn the_last_entry_of_the_last_line_is_the_client() {
        let peer = "192.0.2.1:5000".parse().unwrap();
        let req = TestRequest::default()
            .peer_addr(peer)
            .append_header(("X-Forwarded-For", "203.0.113.7"))
            .append_header(("X-Forwarded-For", "198.51.100.4, 198.51.100.9:4711"));
        assert_eq!(key(req).as_deref(), Some("198.51.100.9"));
        let req = TestRequest::default().peer_addr(peer);
        assert_eq!(key(req).as_deref(), Some("192.0.2.1"), "no header: the peer");
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a = TestRequest::default().append_header(("X-Forwarded-For", "2001:db8:1:2::1"));
        let b = TestRequest::default().append_header(("X-Forwarded-For", "[2001:db8:1:2:ffff::9]:443"));
        assert_eq!(key(a).as_deref(), Some("2001:db8:1:2::/64"));
        assert_eq!(key(b).as_deref(), Some("2001:db8:1:2::/64"));
        let mapped = TestRequest::default().append_header(("X-Forwarded-For", "::ffff:198.51.100.4"));
        assert_eq!(key(mapped).as_deref(), Some("198.51.100.4"));
    }

    #[test]
    fn which_routes_are_limited() {
        for path in ["/orders", "/orders/7", "/admin/carts", "/metrics", "/codec/decode"] {
            assert!(token_route(path) && rate_limited(path), "{path}");
        }
        for path in ["/products", "/cart/x/add", "/readyz", "/"] {
            assert!(!token_route(path) && rate_limited(path), "{path}");
        }
        assert!(!token_route("/ordersx") && !token_route("/metricsx") && !token_route("/administer"));
        assert!(!rate_limited("/healthz") && !rate_limited("/stripe/webhook"));
    }
}
