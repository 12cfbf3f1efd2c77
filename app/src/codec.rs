//! Customer data encrypted at rest in Temporal: a payload codec (AES-256-GCM) that every client
//! and worker of the shop installs when `SHOP_PAYLOAD_KEYS` is set. Workflow inputs and results,
//! update, signal and query payloads, activity inputs and results and failure details all pass
//! through it, so the server, its database and its Web UI only ever hold ciphertext.
//!
//! The format is the one Temporal's samples in other languages use, so their codec servers can
//! read ours: metadata `encoding: binary/encrypted` and `encryption-key-id: <id>`, data the
//! 12-byte nonce followed by the sealed protobuf encoding of the original payload. Each payload
//! names its key, so keys rotate: put the new key first (it encrypts), keep the old ones after
//! it for as long as histories written with them live.
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use futures::future::BoxFuture;
use prost::Message as _;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use temporalio_common::data_converters::{PayloadCodec, PayloadConversionError, SerializationContextData};
use temporalio_common::protos::temporal::api::common::v1::Payload;

pub const ENCODING: &str = "binary/encrypted";
pub const KEY_ID: &str = "encryption-key-id";
const NONCE_LEN: usize = 12;

/// The keys, by id; the first configured one encrypts. Debug shows ids only.
#[derive(Clone)]
pub struct PayloadKeys {
    current: String,
    keys: Arc<HashMap<String, Aes256Gcm>>,
}

impl fmt::Debug for PayloadKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<&String> = self.keys.keys().collect();
        ids.sort();
        f.debug_struct("PayloadKeys")
            .field("encrypts_with", &self.current)
            .field("ids", &ids)
            .finish()
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CodecError {
    #[error("payload is encrypted with key {0:?}, which is not configured")]
    UnknownKey(String),
    #[error("payload cannot be decrypted: wrong key or tampered data")]
    Sealed,
    #[error("decrypted payload is not a Temporal payload")]
    Malformed,
}

impl PayloadKeys {
    /// `id:base64key[,id:base64key...]`, each key 32 random bytes in standard base64
    /// (`openssl rand -base64 32`).
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut current = None;
        let mut keys = HashMap::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, key) = entry
                .split_once(':')
                .ok_or_else(|| format!("{:?} is not id:base64key", redact(entry)))?;
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(format!("key id {id:?} must be letters, digits, - or _"));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(key)
                .map_err(|_| format!("key {id:?} is not base64"))?;
            let cipher = Aes256Gcm::new_from_slice(&bytes)
                .map_err(|_| format!("key {id:?} is {} bytes; AES-256 needs 32", bytes.len()))?;
            if keys.insert(id.to_owned(), cipher).is_some() {
                return Err(format!("key id {id:?} appears twice"));
            }
            current.get_or_insert_with(|| id.to_owned());
        }
        let current = current.ok_or("no key given")?;
        Ok(Self {
            current,
            keys: Arc::new(keys),
        })
    }

    pub fn encrypt(&self, payload: &Payload) -> Payload {
        let cipher = &self.keys[&self.current];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(&nonce, payload.encode_to_vec().as_slice())
            .expect("AES-GCM encryption of an in-memory buffer cannot fail");
        let mut data = nonce.to_vec();
        data.extend_from_slice(&sealed);
        Payload {
            metadata: HashMap::from([
                ("encoding".to_owned(), ENCODING.as_bytes().to_vec()),
                (KEY_ID.to_owned(), self.current.as_bytes().to_vec()),
            ]),
            data,
            ..Default::default()
        }
    }

    /// A payload that is not encrypted (written before the codec was turned on, or by a
    /// process without it) passes through unchanged, so turning the codec on needs no migration.
    pub fn decrypt(&self, payload: Payload) -> Result<Payload, CodecError> {
        if payload.metadata.get("encoding").map(Vec::as_slice) != Some(ENCODING.as_bytes()) {
            return Ok(payload);
        }
        let id = String::from_utf8_lossy(payload.metadata.get(KEY_ID).map(Vec::as_slice).unwrap_or_default());
        let cipher = self
            .keys
            .get(id.as_ref())
            .ok_or_else(|| CodecError::UnknownKey(id.to_string()))?;
        if payload.data.len() < NONCE_LEN {
            return Err(CodecError::Sealed);
        }
        let (nonce, sealed) = payload.data.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().expect("split at NONCE_LEN");
        let plain = cipher
            .decrypt(&Nonce::from(nonce), sealed)
            .map_err(|_| CodecError::Sealed)?;
        Payload::decode(plain.as_slice()).map_err(|_| CodecError::Malformed)
    }
}

fn redact(entry: &str) -> String {
    match entry.split_once(':') {
        Some((id, _)) => format!("{id}:…"),
        None => "…".into(),
    }
}

/// The SDK's hook: encrypts everything sent to the server, decrypts everything received.
pub struct EncryptionCodec(pub PayloadKeys);

impl PayloadCodec for EncryptionCodec {
    fn encode(
        &self,
        _: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> BoxFuture<'static, Result<Vec<Payload>, PayloadConversionError>> {
        let encoded = payloads.iter().map(|p| self.0.encrypt(p)).collect();
        Box::pin(async move { Ok(encoded) })
    }

    fn decode(
        &self,
        _: &SerializationContextData,
        payloads: Vec<Payload>,
    ) -> BoxFuture<'static, Result<Vec<Payload>, PayloadConversionError>> {
        let decoded: Result<Vec<_>, _> = payloads.into_iter().map(|p| self.0.decrypt(p)).collect();
        Box::pin(async move { decoded.map_err(|e| PayloadConversionError::EncodingError(Box::new(e))) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "k2:HxwdHh8QERITFBUWFxgZGhscHR4fAAECAwQFBgcICQo=";

    fn json(text: &str) -> Payload {
        Payload {
            metadata: HashMap::from([("encoding".to_owned(), b"json/plain".to_vec())]),
            data: text.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    #[test]
    fn round_trips_and_hides_the_plaintext() {
        let keys = PayloadKeys::parse(K1).unwrap();
        let plain = json(r#"{"email":"ada@example.com"}"#);
        let sealed = keys.encrypt(&plain);
        assert_eq!(sealed.metadata["encoding"], ENCODING.as_bytes());
        assert_eq!(sealed.metadata[KEY_ID], b"k1");
        assert!(!String::from_utf8_lossy(&sealed.data).contains("ada@"));
        assert_ne!(keys.encrypt(&plain).data, sealed.data, "a fresh nonce each time");
        assert_eq!(keys.decrypt(sealed).unwrap(), plain);
    }

    #[test]
    fn old_keys_still_decrypt_after_rotation_and_plain_payloads_pass() {
        let old = PayloadKeys::parse(K1).unwrap();
        let rotated = PayloadKeys::parse(&format!("{K2},{K1}")).unwrap();
        let sealed_before = old.encrypt(&json("1"));
        assert_eq!(rotated.decrypt(sealed_before).unwrap(), json("1"));
        assert_eq!(rotated.encrypt(&json("2")).metadata[KEY_ID], b"k2");
        assert_eq!(rotated.decrypt(json("3")).unwrap(), json("3"));
        let unknown = rotated.encrypt(&json("4"));
        assert_eq!(old.decrypt(unknown), Err(CodecError::UnknownKey("k2".into())));
    }

    #[test]
    fn tampering_is_detected() {
        let keys = PayloadKeys::parse(K1).unwrap();
        let mut sealed = keys.encrypt(&json("1"));
        let last = sealed.data.len() - 1;
        sealed.data[last] ^= 1;
        assert_eq!(keys.decrypt(sealed), Err(CodecError::Sealed));
    }

    #[test]
    fn bad_key_specs_are_refused_without_echoing_the_key() {
        for spec in [
            "",
            "k1",
            "k1:notbase64!",
            "k1:AAEC",
            "bad id:AAEC",
            &format!("{K1},{K1}"),
        ] {
            let err = PayloadKeys::parse(spec).unwrap_err();
            assert!(!err.contains("AAEC"), "{err}");
        }
        assert!(!format!("{:?}", PayloadKeys::parse(K1).unwrap()).contains("AAEC"));
    }
}
