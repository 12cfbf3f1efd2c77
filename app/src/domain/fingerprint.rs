//! Idempotency keys that notice a reused key. A client's `Idempotency-Key` is the update id,
//! and Temporal answers a repeated id with the first update's result without running anything,
//! so the workflow never sees the second request. To tell "the same request again" from "a
//! different request under the same key", each update carries the fingerprint of the request
//! that sent it and its result carries the fingerprint back: the caller compares the one it
//! got with its own, as Stripe does with its idempotency keys.
//!
//! The value is flattened, so the wire form is the plain argument or result with one optional
//! field more: histories and callers from before fingerprints decode unchanged.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Fingerprinted<T> {
    #[serde(flatten)]
    pub value: T,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_fingerprint: Option<String>,
}

impl<T> Fingerprinted<T> {
    pub fn new(value: T, request_fingerprint: Option<String>) -> Self {
        Self {
            value,
            request_fingerprint,
        }
    }

    /// The answer to this request: `value`, carrying this request's fingerprint back.
    pub fn reply<R>(&self, value: R) -> Fingerprinted<R> {
        Fingerprinted::new(value, self.request_fingerprint.clone())
    }
}

/// A digest of what a request asks for (its route and its parsed body), so the same request
/// sent twice matches however its JSON was spelled. Hashed, because it sits in history.
pub fn fingerprint(route: &str, body: &impl Serialize) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(route.as_bytes());
    hash.update([0]);
    hash.update(serde_json::to_vec(body).unwrap_or_default());
    hash.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::ItemChange;

    #[test]
    fn an_argument_from_before_fingerprints_decodes() {
        let old: Fingerprinted<ItemChange> = serde_json::from_str(r#"{"product_id":1,"quantity":2}"#).unwrap();
        assert_eq!(old.value.quantity, 2);
        assert_eq!(old.request_fingerprint, None);
        let plain = serde_json::to_value(Fingerprinted::new(old.value.clone(), None)).unwrap();
        assert_eq!(plain, serde_json::json!({"product_id":1,"quantity":2}));
    }

    #[test]
    fn the_fingerprint_tells_route_and_body_apart() {
        let a = ItemChange {
            product_id: 1,
            quantity: 2,
        };
        let b = ItemChange {
            product_id: 1,
            quantity: 3,
        };
        assert_eq!(fingerprint("add", &a), fingerprint("add", &a.clone()));
        assert_ne!(fingerprint("add", &a), fingerprint("add", &b));
        assert_ne!(fingerprint("add", &a), fingerprint("remove", &a));
    }
}
