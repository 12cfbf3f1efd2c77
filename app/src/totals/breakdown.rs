//! A cart's money from its lines and what applies to it: the rules of the module docs, in
//! one pass, with nothing looked up.
use super::{Discount, TaxMode, TaxRate, cents};
use crate::domain::Cents;
use serde::{Deserialize, Serialize};

/// What a cart costs, as a checkout shows it and a payment charges `total_cents`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Breakdown {
    /// The lines' totals, as priced (tax included when `tax_mode` is inclusive).
    pub subtotal_cents: Cents,
    pub discount_cents: Cents,
    pub shipping_cents: Cents,
    /// Added to the total when exclusive; the part of it that is tax when inclusive.
    pub tax_cents: Cents,
    pub total_cents: Cents,
    /// How to read `tax_cents`: a view says "plus tax" or "including VAT".
    pub tax_mode: TaxMode,
}

/// Shares `discount` among lines in proportion to their totals by the largest-remainder
/// method: each line gets the floor of its exact share, and the cents left over go one each
/// to the lines with the largest remainders (the earlier line on a tie). The parts sum to the
/// discount exactly and none exceeds its line. A discount above the lines' sum is capped to it.
pub fn allocate(discount: Cents, line_totals: &[Cents]) -> Vec<Cents> {
    let totals: Vec<u128> = line_totals.iter().map(|t| u128::from(t.0)).collect();
    allocate_exact(u128::from(discount.0), &totals)
        .into_iter()
        .map(cents)
        .collect()
}

fn allocate_exact(discount: u128, totals: &[u128]) -> Vec<u128> {
    let sum: u128 = totals.iter().sum();
    let discount = discount.min(sum);
    if discount == 0 {
        return vec![0; totals.len()];
    }
    // The discount and every total are cents that fit in a u64, so their product fits in a u128.
    let shares: Vec<(u128, u128)> = totals
        .iter()
        .map(|&t| (discount * t / sum, discount * t % sum))
        .collect();
    let mut parts: Vec<u128> = shares.iter().map(|&(floor, _)| floor).collect();
    let left_over = discount - parts.iter().sum::<u128>();
    let mut order: Vec<usize> = (0..totals.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(shares[i].1), i));
    // Fewer cents are left over than there are non-zero remainders, so each goes to a line
    // whose exact share was not whole: its floor is below its total, and one more still fits.
    for &i in order
        .iter()
        .take(usize::try_from(left_over).expect("fewer than the lines"))
    {
        parts[i] += 1;
    }
    parts
}

/// The breakdown of a cart of `lines` (unit price, quantity), with `discount` (already
/// [`Discount::check`]ed: this applies what it is given), `shipping` (the chosen method's
/// [`super::ShippingMethod::price_for`]), and `tax` (the address's [`super::rate_for`]).
///
/// # Panics
/// When the subtotal or the total exceeds `u64::MAX` cents (1.8 × 10^17 dollars): no real
/// cart comes near, and a wrong amount would be worse than a loud failure.
pub fn breakdown(
    lines: &[(Cents, u32)],
    discount: Option<&Discount>,
    shipping: Option<Cents>,
    tax: Option<&TaxRate>,
    mode: TaxMode,
) -> Breakdown {
    let totals: Vec<u128> = lines
        .iter()
        .map(|&(unit, quantity)| u128::from(unit.0) * u128::from(quantity))
        .collect();
    let subtotal = cents(totals.iter().sum());
    let discount = discount.map_or(Cents(0), |d| d.kind.amount_off(subtotal));
    let parts = allocate_exact(u128::from(discount.0), &totals);
    let shipping = shipping.unwrap_or_default();

    let tax_cents = match tax {
        None => 0,
        Some(rate) => {
            let goods: u128 = totals
                .iter()
                .zip(&parts)
                .map(|(&total, &part)| u128::from(rate.tax_on(cents(total - part), mode).0))
                .sum();
            let on_shipping = if rate.taxes_shipping {
                rate.tax_on(shipping, mode).0
            } else {
                0
            };
            goods + u128::from(on_shipping)
        }
    };

    let before_tax = u128::from(subtotal.0) - u128::from(discount.0) + u128::from(shipping.0);
    let total = match mode {
        TaxMode::Exclusive => before_tax + tax_cents,
        TaxMode::Inclusive => before_tax,
    };
    Breakdown {
        subtotal_cents: subtotal,
        discount_cents: discount,
        shipping_cents: shipping,
        tax_cents: cents(tax_cents),
        total_cents: cents(total),
        tax_mode: mode,
    }
}
