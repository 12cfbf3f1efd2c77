//! Discount codes: what one takes off, and whether it may be used now. Counting uses is the
//! caller's (it needs the order store); this only compares the counts it is given.
use super::round_half_up;
use crate::domain::Cents;
use serde::{Deserialize, Serialize};
use std::time::SystemTime;

/// A code as a shop stores it: 1 to 32 of `A-Z`, `0-9`, `-`, `_`. Shoppers type codes in any
/// case, so parsing upper-cases them and `summer-10` finds `SUMMER-10`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DiscountCode(String);

pub const MAX_CODE_CHARS: usize = 32;

/// A code that cannot be any shop's. To a shopper, answer it as [`DiscountRefusal::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("discount_code must be 1 to 32 letters, digits, '-' or '_'")]
pub struct InvalidCode;

impl InvalidCode {
    pub fn field(self) -> &'static str {
        "discount_code"
    }
}

impl DiscountCode {
    pub fn parse(raw: &str) -> Result<Self, InvalidCode> {
        let s = raw.trim().to_ascii_uppercase();
        let ok = (1..=MAX_CODE_CHARS).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then_some(Self(s)).ok_or(InvalidCode)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DiscountCode {
    type Error = InvalidCode;
    fn try_from(s: String) -> Result<Self, InvalidCode> {
        Self::parse(&s)
    }
}

impl From<DiscountCode> for String {
    fn from(c: DiscountCode) -> String {
        c.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscountKind {
    /// Basis points of the subtotal: 1000 is 10%. More than 10000 counts as 10000.
    Percent { bp: u32 },
    /// A fixed amount, at most the subtotal.
    Fixed { cents: Cents },
}

impl DiscountKind {
    /// What it takes off `subtotal`: a percentage rounded half-up to the cent, a fixed amount
    /// capped at the subtotal. Never more than the subtotal.
    pub fn amount_off(self, subtotal: Cents) -> Cents {
        match self {
            DiscountKind::Percent { bp } => {
                let bp = u128::from(bp.min(10_000));
                super::cents(round_half_up(u128::from(subtotal.0) * bp, 10_000))
            }
            DiscountKind::Fixed { cents } => cents.min(subtotal),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discount {
    pub code: DiscountCode,
    pub kind: DiscountKind,
    /// The subtotal before any discount must reach this.
    pub min_subtotal: Option<Cents>,
    /// Usable from this instant on.
    pub valid_from: Option<SystemTime>,
    /// Usable until this instant, exclusive.
    pub valid_until: Option<SystemTime>,
    /// Uses by all shoppers together.
    pub max_uses: Option<u32>,
    /// Uses by one email address.
    pub max_uses_per_email: Option<u32>,
}

/// Why a code does not apply. [`DiscountRefusal::as_code`] is what the gateway answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum DiscountRefusal {
    /// The shop has no such code: the caller's finding, as the lookup is its.
    #[error("there is no such discount code")]
    Unknown,
    /// Expired, or not valid yet: either way not now.
    #[error("this discount code is not valid at this time")]
    Expired,
    /// All its uses, or all this email's, are taken.
    #[error("this discount code has been used up")]
    UsedUp,
    #[error("this discount code needs a subtotal of at least {min}")]
    Minimum { min: Cents },
}

impl DiscountRefusal {
    pub fn as_code(self) -> &'static str {
        match self {
            DiscountRefusal::Unknown => "discount_unknown",
            DiscountRefusal::Expired => "discount_expired",
            DiscountRefusal::UsedUp => "discount_used_up",
            DiscountRefusal::Minimum { .. } => "discount_minimum",
        }
    }

    /// The request field at fault: always the code the shopper entered.
    pub fn field(self) -> &'static str {
        "discount_code"
    }
}

impl Discount {
    /// Whether the code may be used at `now` on a cart of `subtotal` (before any discount),
    /// having been used `uses_so_far` times in all and `uses_by_this_email` times by this
    /// shopper's address. The refusals a shopper cannot cure come first: a minimum they could
    /// reach by adding to the cart is worth saying only once the code is otherwise good.
    pub fn check(
        &self,
        now: SystemTime,
        subtotal: Cents,
        uses_so_far: u32,
        uses_by_this_email: u32,
    ) -> Result<(), DiscountRefusal> {
        let started = self.valid_from.is_none_or(|from| now >= from);
        let ended = self.valid_until.is_some_and(|until| now >= until);
        if !started || ended {
            return Err(DiscountRefusal::Expired);
        }
        let used_up = self.max_uses.is_some_and(|max| uses_so_far >= max)
            || self.max_uses_per_email.is_some_and(|max| uses_by_this_email >= max);
        if used_up {
            return Err(DiscountRefusal::UsedUp);
        }
        match self.min_subtotal {
            Some(min) if subtotal < min => Err(DiscountRefusal::Minimum { min }),
            _ => Ok(()),
        }
    }
}
