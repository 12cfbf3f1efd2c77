//! Minting cart ids the gateway can check without asking anyone: `cart-`, 64 random bits and
//! the first 64 bits of their HMAC-SHA256 under a key from configuration. A cart's workflow is
//! started by its first change (update-with-start), so an id must prove that this shop made
//! it before a workflow is started for it; a forged one is answered 404 and costs nothing.
use super::CartId;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

#[derive(Clone)]
pub struct CartIdKey(Vec<u8>);

impl std::fmt::Debug for CartIdKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CartIdKey(..)")
    }
}

impl CartIdKey {
    /// At least 16 bytes of secret; every gateway of a shop must share it.
    pub fn new(secret: &[u8]) -> Result<Self, String> {
        if secret.len() < 16 {
            return Err("the cart id key must be at least 16 bytes".into());
        }
        Ok(Self(secret.to_vec()))
    }

    /// A key of this process's own, for a gateway run without one: its ids do not verify at
    /// any other gateway, or at this one after a restart.
    pub fn random() -> Self {
        Self(rand::random::<[u8; 32]>().to_vec())
    }

    pub fn mint(&self) -> CartId {
        let random = format!("{:016x}", rand::random::<u64>());
        let id = format!("cart-{random}{}", self.tag(&random));
        CartId::parse(&id).expect("a minted id parses")
    }

    /// Whether this key minted `id`. Ids from before minting (128 random bits) do not verify.
    pub fn minted(&self, id: &CartId) -> bool {
        let hex = &id.as_str()["cart-".len()..];
        let (random, tag) = hex.split_at(16);
        let mut mac = self.mac();
        mac.update(random.as_bytes());
        let Ok(tag) = decode_hex(tag) else { return false };
        // Constant-time: the comparison must not tell a forger how much of the tag was right.
        mac.verify_truncated_left(&tag).is_ok()
    }

    fn tag(&self, random: &str) -> String {
        let mut mac = self.mac();
        mac.update(random.as_bytes());
        let bytes = mac.finalize().into_bytes();
        bytes[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length")
    }
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, ()> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2).ok_or(())?, 16).map_err(|_| ()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_ids_verify_under_their_key_only() {
        let key = CartIdKey::new(b"0123456789abcdef").unwrap();
        let other = CartIdKey::new(b"fedcba9876543210").unwrap();
        let id = key.mint();
        assert!(key.minted(&id));
        assert!(!other.minted(&id));
        assert!(!key.minted(&CartId::random()), "a random (legacy or forged) id");
        let mut forged = id.as_str().to_owned();
        let last = if forged.ends_with('0') { '1' } else { '0' };
        forged.pop();
        forged.push(last);
        assert!(!key.minted(&CartId::parse(&forged).unwrap()));
        assert!(CartIdKey::new(b"short").is_err());
    }
}
