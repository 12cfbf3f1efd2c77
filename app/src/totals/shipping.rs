//! The ways a shop ships, what each costs and where it goes. Prices are in the shop's currency,
//! like the catalogue's, whatever country the parcel goes to.
use crate::domain::Cents;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShippingMethod {
    /// What a checkout names to choose it, such as `standard`.
    pub code: String,
    /// What the shopper reads.
    pub name: String,
    /// ISO 3166-1 alpha-2 codes of the countries it ships to.
    pub countries: Vec<String>,
    pub price_cents: Cents,
    /// Free when the subtotal after discount reaches this (`>=`), so a discount code can cost
    /// the shopper free shipping; `None`: never free.
    pub free_above_cents: Option<Cents>,
}

impl ShippingMethod {
    /// Whether it ships to `country`; case does not matter, an [`super::Address`] is upper case.
    pub fn serves(&self, country: &str) -> bool {
        self.countries.iter().any(|c| c.eq_ignore_ascii_case(country))
    }

    /// What the shopper pays for it on a cart whose subtotal, after any discount, is this.
    pub fn price_for(&self, subtotal_after_discount: Cents) -> Cents {
        match self.free_above_cents {
            Some(threshold) if subtotal_after_discount >= threshold => Cents(0),
            _ => self.price_cents,
        }
    }
}

/// Where the seed methods ship: the US, Canada and four European markets.
const SEED_COUNTRIES: [&str; 6] = ["US", "CA", "GB", "DE", "FR", "NL"];

/// A shop's methods until an operator sets its own: standard ($5.99, free from $75.00) and
/// express ($14.99) to the same six countries.
pub fn default_methods() -> Vec<ShippingMethod> {
    let countries = || SEED_COUNTRIES.iter().map(|&c| c.to_owned()).collect::<Vec<_>>();
    vec![
        ShippingMethod {
            code: "standard".into(),
            name: "Standard (3-5 business days)".into(),
            countries: countries(),
            price_cents: Cents(599),
            free_above_cents: Some(Cents(7_500)),
        },
        ShippingMethod {
            code: "express".into(),
            name: "Express (1-2 business days)".into(),
            countries: countries(),
            price_cents: Cents(1_499),
            free_above_cents: None,
        },
    ]
}
