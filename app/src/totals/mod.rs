//! A cart's money beyond its lines: the shipping address, shipping, tax and discount codes,
//! and the breakdown they make. Pure: the caller looks up the methods, rates, code and its
//! uses, and passes `now`, so a workflow can compute it deterministically and a test by hand.
//!
//! # The rules
//! All amounts are integer cents; intermediate products are `u128`, never floats. "Rounded
//! half-up" means to the nearest cent, a half cent up (all amounts here are non-negative).
//!
//! 1. **Subtotal**: the sum of the line totals, unit price × quantity.
//! 2. **Discount**, applied to the goods only, never to shipping: a percentage is
//!    `subtotal × bp / 10000` rounded half-up (bp capped at 10000); a fixed amount is capped
//!    at the subtotal. So the discount is at most the subtotal and no total is negative.
//!    Whether a code may be used at all is [`Discount::check`], done by the caller first.
//! 3. **Allocation**: the discount is shared among the lines in proportion to their totals by
//!    the largest-remainder method ([`allocate`]): each line's share is
//!    `discount × line / subtotal`; each gets its floor, and the cents left over go one each
//!    to the lines with the largest remainders, the earlier line first on a tie. The parts
//!    sum to the discount exactly, and none is more than its line.
//! 4. **Shipping**: the chosen method's price, free when the subtotal after discount reaches
//!    its threshold ([`ShippingMethod::price_for`]). Shipping is never discounted.
//! 5. **Tax**, per line on the line's total less its part of the discount, and on shipping
//!    when the rate taxes shipping; each amount's tax rounded half-up on its own, then summed.
//!    Per line, because that is what an invoice line or a one-line refund shows; it can differ
//!    from the tax on the whole by up to half a cent per line.
//!    - Exclusive ([`TaxMode::Exclusive`], US style): `tax = amount × rate_bp / 10000`;
//!      `total = subtotal − discount + shipping + tax`.
//!    - Inclusive ([`TaxMode::Inclusive`], VAT style): prices and shipping contain the tax,
//!      `tax = amount × rate_bp / (10000 + rate_bp)`; `total = subtotal − discount + shipping`,
//!      and the tax is shown, not added.
//!
//! No rate for the address (see [`rate_for`]) means no tax. A subtotal or total beyond
//! `u64::MAX` cents is refused with a panic, never wrapped (see [`breakdown`]).
//!
//! # Worked example
//! A cart in California: 2 × $19.99 and 1 × $5.00, code `TEN` (10%), standard shipping, CA
//! 7.25% exclusive, shipping untaxed. Subtotal 4498; discount 449.8 → 450; shares 399.98 and
//! 50.02, floors 399 + 50, the left-over cent to the first line: 400 and 50. Shipping 599
//! (4048 is below the 7500 threshold). Tax 3598 × 7.25% = 260.855 → 261 and 450 × 7.25% =
//! 32.625 → 33: 294 (the whole 4048 would give 293). Total 4498 − 450 + 599 + 294 = 4941.
mod address;
mod breakdown;
mod discount;
mod regions;
mod shipping;
mod tax;

pub use address::{Address, AddressError, AddressForm, MAX_LINE_CHARS, MAX_POSTAL_CHARS, MAX_REGION_CHARS};
pub use breakdown::{Breakdown, allocate, breakdown};
pub use discount::{Discount, DiscountCode, DiscountKind, DiscountRefusal, InvalidCode, MAX_CODE_CHARS};
pub use regions::{COUNTRIES, US_STATES};
pub use shipping::{ShippingMethod, default_methods};
pub use tax::{TaxMode, TaxRate, default_tax_rates, rate_for};

/// `numerator / denominator` to the nearest integer, a half up. `denominator` is never 0 here.
fn round_half_up(numerator: u128, denominator: u128) -> u128 {
    let (quotient, remainder) = (numerator / denominator, numerator % denominator);
    quotient + u128::from(remainder * 2 >= denominator)
}

/// Back to cents once the arithmetic is done; see [`breakdown`]'s panics.
fn cents(amount: u128) -> crate::domain::Cents {
    crate::domain::Cents(u64::try_from(amount).expect("an amount beyond u64::MAX cents"))
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
