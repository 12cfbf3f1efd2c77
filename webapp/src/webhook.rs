//! `POST /stripe/webhook`: Stripe's report of a PaymentIntent's change, verified with the
//! endpoint's signing secret and handed to the cart the PaymentIntent belongs to as a signal.
//! The cart deduplicates by event id and ignores events of other attempts, so this route only
//! checks the signature and translates; it answers 2xx for anything it will never act on (so
//! Stripe stops resending) and 503 when the cart cannot be reached (so Stripe resends).
use crate::api::Status;
use crate::carts::State;
use crate::error::ApiError;
use crate::orders::OrdersState;
use actix_web::{HttpRequest, HttpResponse, post, web};
use app::cart_client::CartsError;
use app::domain::{CartId, PaymentEvent, PaymentStatus};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::time::{SystemTime, UNIX_EPOCH};
use utoipa_actix_web::service_config::ServiceConfig;

/// Stripe's own default: a signature older (or newer) than this is refused as a replay.
const TOLERANCE_SECS: i64 = 300;

pub struct WebhookSecret(pub String);

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(stripe_webhook);
}

/// Stripe's webhook for PaymentIntent events (`Stripe-Signature` checked on the raw body).
#[utoipa::path(tag = "payments",
    params(("Stripe-Signature" = String, Header, description = "t=<unix time>,v1=<HMAC-SHA256 of \"t.body\">")),
    request_body(content = String, content_type = "application/json", description = "a Stripe event, as Stripe sent it"),
    responses((status = 200, body = Status), (status = 400, body = crate::api::ErrorBody),
    (status = 503, body = crate::api::ErrorBody)))]
#[post("/stripe/webhook")]
async fn stripe_webhook(
    state: web::Data<State>,
    secret: web::Data<WebhookSecret>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let signature = req
        .headers()
        .get("Stripe-Signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    verify(&body, signature, &secret.0, unix_now()).map_err(|reason| ApiError::BadRequest {
        field: Some("Stripe-Signature".into()),
        message: reason.into(),
    })?;
    let event: Value = serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest {
        field: None,
        message: format!("event is not JSON: {e}"),
    })?;
    let Some((cart, event)) = payment_event(&event) else {
        return Ok(ignored("not a PaymentIntent outcome of a cart"));
    };
    let succeeded = event.status == PaymentStatus::Succeeded;
    let intent = event.intent.clone();
    match state.carts.payment_event(&cart, event).await {
        Ok(()) => Ok(status("delivered")),
        // A success for a cart that has ended is not that cart's to settle: unless an order
        // records it, the reconciler refunds it.
        Err(CartsError::NotFound | CartsError::Closed) if succeeded => {
            if let Some(orders) = req.app_data::<web::Data<OrdersState>>()
                && orders
                    .orders
                    .store
                    .id_for_payment(&intent)
                    .await
                    .ok()
                    .flatten()
                    .is_some()
            {
                return Ok(ignored("the cart's own payment, already an order"));
            }
            let carts = &state.carts;
            app::reconcile::check_payment(carts.client(), &carts.shop().task_queue, &intent)
                .await
                .map_err(|e| ApiError::from(CartsError::Unavailable(e.to_string())))?;
            tracing::info!(payment_intent = %intent, "payment of an ended cart handed to the reconciler");
            Ok(status("reconciling"))
        }
        Err(CartsError::NotFound | CartsError::Closed) => Ok(ignored("the cart is gone")),
        Err(e) => Err(e.into()),
    }
}

fn status(word: &str) -> HttpResponse {
    HttpResponse::Ok().json(Status { status: word.into() })
}

fn ignored(why: &str) -> HttpResponse {
    tracing::info!(why, "webhook event acknowledged and ignored");
    status("ignored")
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Checks `Stripe-Signature: t=<unix>,v1=<hex hmac>[,v1=...]`: the HMAC-SHA256 of
/// `"<t>.<payload>"` under the endpoint secret, within the tolerance of now.
pub fn verify(payload: &[u8], header: &str, secret: &str, now: i64) -> Result<(), &'static str> {
    let mut timestamp = None;
    let mut signatures = vec![];
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.extend(decode_hex(sig)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or("Stripe-Signature has no timestamp")?;
    if signatures.is_empty() {
        return Err("Stripe-Signature has no v1 signature");
    }
    let valid = signatures.iter().any(|sig| {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        mac.verify_slice(sig).is_ok()
    });
    if !valid {
        return Err("the signature does not match");
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err("the signature's timestamp is outside the tolerance");
    }
    Ok(())
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The cart and what happened, for the three PaymentIntent outcomes a cart waits for.
fn payment_event(event: &Value) -> Option<(CartId, PaymentEvent)> {
    let status = match event["type"].as_str()? {
        "payment_intent.succeeded" => PaymentStatus::Succeeded,
        "payment_intent.payment_failed" => PaymentStatus::Failed,
        "payment_intent.canceled" => PaymentStatus::Canceled,
        _ => return None,
    };
    let intent = &event["data"]["object"];
    let cart = CartId::parse(intent["metadata"]["cart_id"].as_str()?).ok()?;
    Some((
        cart,
        PaymentEvent {
            event_id: event["id"].as_str()?.to_owned(),
            intent: intent["id"].as_str()?.to_owned(),
            status,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(payload: &[u8], secret: &str, t: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(payload);
        let sig: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        format!("t={t},v1={sig}")
    }

    #[test]
    fn a_signature_is_checked_against_secret_body_and_time() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(body, "whsec_a", 1_000_000);
        assert_eq!(verify(body, &header, "whsec_a", 1_000_100), Ok(()));
        assert!(verify(body, &header, "whsec_b", 1_000_100).is_err(), "another secret");
        assert!(
            verify(br#"{"id":"evt_2"}"#, &header, "whsec_a", 1_000_100).is_err(),
            "another body"
        );
        assert!(verify(body, &header, "whsec_a", 1_000_301).is_err(), "stale");
        assert!(verify(body, "", "whsec_a", 1_000_000).is_err(), "missing");
        assert!(
            verify(body, "t=1000000,v1=zz", "whsec_a", 1_000_000).is_err(),
            "not hex"
        );
    }
}
