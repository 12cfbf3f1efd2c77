use serde::{Deserialize, Serialize};

/// How many of one product a cart line holds: 1..=99, the bound a shop UI offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Quantity(u32);

impl Quantity {
    pub const MAX: u32 = 99;

    pub fn parse(n: u32) -> Result<Self, String> {
        if (1..=Self::MAX).contains(&n) {
            Ok(Self(n))
        } else {
            Err(format!("quantity must be between 1 and {}, got {n}", Self::MAX))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Quantity {
    type Error = String;
    fn try_from(n: u32) -> Result<Self, String> {
        Self::parse(n)
    }
}

impl From<Quantity> for u32 {
    fn from(q: Quantity) -> u32 {
        q.0
    }
}

#[cfg(test)]
mod tests {
    use super::Quantity;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn accepts_exactly_one_to_ninety_nine(n in 0u32..1000) {
            prop_assert_eq!(Quantity::parse(n).is_ok(), (1..=99).contains(&n));
        }
    }
}
