use serde::{Deserialize, Serialize};
use std::fmt;

/// A cart's id, which is also its workflow id: `cart-` and 32 hex digits of OS randomness
/// (128 bits), so ids can be neither guessed nor collide the way time-based ids did.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CartId(String);

const PREFIX: &str = "cart-";

impl CartId {
    pub fn random() -> Self {
        Self(format!("{PREFIX}{:032x}", rand::random::<u128>()))
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        let hex = raw.strip_prefix(PREFIX).unwrap_or_default();
        if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "cart id must be `cart-` followed by 32 lowercase hex digits, got {raw:?}"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What logs and spans name the cart by: the id itself works as a bearer credential
    /// (whoever holds it can change the cart and check it out), so it never goes in a log.
    pub fn tag(&self) -> CartTag {
        CartTag::of(&self.0)
    }
}

/// The first 12 hex digits of the SHA-256 of a cart id: enough to follow one cart through the
/// logs of every process (the same id gives the same tag everywhere), not enough to act on it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CartTag([u8; 6]);

impl CartTag {
    /// The tag of any text that stands for a cart, parsed or not (a request path's segment).
    pub fn of(raw: &str) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(raw.as_bytes());
        let mut tag = [0; 6];
        tag.copy_from_slice(&digest[..6]);
        Self(tag)
    }
}

impl fmt::Display for CartTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for CartTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for CartId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Debug output ends up in logs (a `?view`, an error's chain), so it shows the tag only.
impl fmt::Debug for CartId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CartId({})", self.tag())
    }
}

parsed_from_string!(CartId);

#[cfg(test)]
mod tests {
    use super::CartId;

    #[test]
    fn random_ids_parse_and_differ() {
        let a = CartId::random();
        let b = CartId::random();
        assert_ne!(a, b);
        assert_eq!(CartId::parse(a.as_str()).unwrap(), a);
    }

    #[test]
    fn the_tag_is_stable_short_and_not_the_id() {
        let id = CartId::parse("cart-0123456789abcdef0123456789abcdef").unwrap();
        let tag = id.tag().to_string();
        assert_eq!(tag.len(), 12);
        assert!(tag.bytes().all(|b| b.is_ascii_hexdigit()), "{tag}");
        assert_eq!(tag, CartId::parse(id.as_str()).unwrap().tag().to_string());
        assert!(!id.as_str().contains(&tag) && !format!("{id:?}").contains("0123456789abcdef"));
        assert_ne!(tag, CartId::random().tag().to_string());
    }

    #[test]
    fn rejects_guessable_or_foreign_ids() {
        for bad in [
            "",
            "cart-",
            "cart-123",
            "1690000000",
            "cart-ABCDEFABCDEFABCDEFABCDEFABCDEFAB",
            "order-00000000000000000000000000000000",
        ] {
            assert!(CartId::parse(bad).is_err(), "{bad}");
        }
    }
}
