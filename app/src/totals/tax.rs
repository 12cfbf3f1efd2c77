//! Sales tax and VAT: which rate applies to an address, and how much of an amount is tax.
//! Rates are the operator's table (a seed is below); whether prices contain the tax is the
//! shop's [`TaxMode`].
use super::{Address, round_half_up};
use crate::domain::Cents;
use serde::{Deserialize, Serialize};

/// Whether the shop's prices contain the tax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum TaxMode {
    /// US style: prices are before tax, which is added on top. The default, as the
    /// catalogue is priced in dollars.
    #[default]
    Exclusive,
    /// VAT style: prices contain the tax, which is shown but not added.
    Inclusive,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaxRate {
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// A region code as [`Address::region`] holds it (a US state); `None`: the whole country.
    pub region: Option<String>,
    /// Basis points: 825 is 8.25%.
    pub rate_bp: u32,
    /// Whether shipping is taxed like the goods (VAT countries) or not (most US states).
    pub taxes_shipping: bool,
}

impl TaxRate {
    /// The tax in `amount`, rounded half-up to the cent: `amount × rate / 10000` added on top
    /// (exclusive), or `amount × rate / (10000 + rate)` contained in it (inclusive).
    pub fn tax_on(&self, amount: Cents, mode: TaxMode) -> Cents {
        let (amount, rate) = (u128::from(amount.0), u128::from(self.rate_bp));
        let tax = match mode {
            TaxMode::Exclusive => round_half_up(amount * rate, 10_000),
            TaxMode::Inclusive => round_half_up(amount * rate, 10_000 + rate),
        };
        super::cents(tax)
    }
}

/// The rate for `address`: its region's when there is one, else its country's, else none
/// (no tax collected there). Codes compare regardless of case.
pub fn rate_for<'r>(rates: &'r [TaxRate], address: &Address) -> Option<&'r TaxRate> {
    let in_country = |r: &&TaxRate| r.country.eq_ignore_ascii_case(&address.country);
    let regional = rates
        .iter()
        .filter(in_country)
        .find(|r| matches!((&r.region, &address.region), (Some(want), Some(have)) if want.eq_ignore_ascii_case(have)));
    regional.or_else(|| rates.iter().filter(in_country).find(|r| r.region.is_none()))
}

/// A shop's rates until an operator sets its own. Illustrative, not tax advice: the US
/// figures are the state-wide base rates without local add-ons, and states not listed
/// collect nothing; the VAT figures are the standard rates.
pub fn default_tax_rates() -> Vec<TaxRate> {
    let us = |state: &str, rate_bp| TaxRate {
        country: "US".into(),
        region: Some(state.into()),
        rate_bp,
        taxes_shipping: false,
    };
    let vat = |country: &str, rate_bp| TaxRate {
        country: country.into(),
        region: None,
        rate_bp,
        taxes_shipping: true,
    };
    vec![
        us("CA", 725),
        us("NY", 400),
        us("TX", 625),
        us("WA", 650),
        vat("GB", 2000),
        vat("DE", 1900),
        vat("FR", 2000),
        vat("NL", 2100),
    ]
}
