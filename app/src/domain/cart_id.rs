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
}

impl fmt::Display for CartId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CartId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
