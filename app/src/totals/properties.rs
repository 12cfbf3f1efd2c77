//! Properties of the rules in the module docs, over carts from empty to a dozen lines at up to
//! the catalogue's $10,000,000 a unit; the tax is checked against a second, plainer reading.
use super::tests::{code, form};
use super::*;
use crate::domain::Cents;
use proptest::prelude::*;

fn lines() -> impl Strategy<Value = Vec<(Cents, u32)>> {
    prop::collection::vec(((0u64..=1_000_000_000).prop_map(Cents), 0u32..=99), 0..12)
}

fn kind() -> impl Strategy<Value = DiscountKind> {
    prop_oneof![
        (0u32..=12_000).prop_map(|bp| DiscountKind::Percent { bp }),
        (0u64..=20_000_000_000).prop_map(|c| DiscountKind::Fixed { cents: Cents(c) }),
    ]
}

fn rate() -> impl Strategy<Value = TaxRate> {
    (0u32..=10_000, any::<bool>()).prop_map(|(rate_bp, taxes_shipping)| TaxRate {
        country: "ZZ".into(),
        region: None,
        rate_bp,
        taxes_shipping,
    })
}

fn mode() -> impl Strategy<Value = TaxMode> {
    prop_oneof![Just(TaxMode::Exclusive), Just(TaxMode::Inclusive)]
}

/// Any text, text that looks like an address field, or a real code in either case.
fn field() -> impl Strategy<Value = String> {
    let codes: Vec<&str> = COUNTRIES.iter().chain(&US_STATES).copied().collect();
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 -]{0,14}",
        "\\PC{0,110}",
        prop::sample::select(codes).prop_map(|c| c.to_owned()),
        prop::sample::select(COUNTRIES.to_vec()).prop_map(|c| c.to_lowercase()),
    ]
}

/// The tax the module docs describe, read another way: the discount shared out one left-over
/// cent at a time to the first largest remainder not yet served, rounding as `(2n + d) / 2d`.
fn plain_tax(lines: &[(Cents, u32)], discount: u64, shipping: u64, rate: &TaxRate, mode: TaxMode) -> u128 {
    let totals: Vec<u128> = lines.iter().map(|(p, q)| u128::from(p.0) * u128::from(*q)).collect();
    let sum: u128 = totals.iter().sum();
    let d = u128::from(discount);
    let mut parts: Vec<u128> = totals.iter().map(|t| (d * t).checked_div(sum).unwrap_or(0)).collect();
    let remainders: Vec<u128> = totals.iter().map(|t| (d * t).checked_rem(sum).unwrap_or(0)).collect();
    let mut served = vec![false; totals.len()];
    for _ in 0..(d - parts.iter().sum::<u128>()) {
        let mut best: Option<usize> = None;
        for i in 0..totals.len() {
            if !served[i] && best.is_none_or(|b| remainders[i] > remainders[b]) {
                best = Some(i);
            }
        }
        let best = best.unwrap();
        parts[best] += 1;
        served[best] = true;
    }
    let r = u128::from(rate.rate_bp);
    let denominator = match mode {
        TaxMode::Exclusive => 10_000,
        TaxMode::Inclusive => 10_000 + r,
    };
    let round = |amount: u128| (2 * amount * r + denominator) / (2 * denominator);
    let goods: u128 = totals.iter().zip(&parts).map(|(t, p)| round(t - p)).sum();
    goods
        + if rate.taxes_shipping {
            round(u128::from(shipping))
        } else {
            0
        }
}

proptest! {
    #[test]
    fn the_breakdown_adds_up_in_both_modes(
        lines in lines(), kind in kind(), shipping in prop::option::of(0u64..=100_000),
        rate in prop::option::of(rate()), mode in mode(),
    ) {
        let d = code(kind);
        let b = breakdown(&lines, Some(&d), shipping.map(Cents), rate.as_ref(), mode);
        let before_tax = b.subtotal_cents.0 - b.discount_cents.0 + b.shipping_cents.0;
        match mode {
            TaxMode::Exclusive => prop_assert_eq!(b.total_cents.0, before_tax + b.tax_cents.0),
            TaxMode::Inclusive => {
                prop_assert_eq!(b.total_cents.0, before_tax);
                prop_assert!(b.tax_cents <= b.total_cents);
            }
        }
        let subtotal: u64 = lines.iter().map(|(p, q)| p.times(*q).0).sum();
        prop_assert_eq!(b.subtotal_cents.0, subtotal);
        prop_assert_eq!(b.shipping_cents.0, shipping.unwrap_or(0));
        prop_assert_eq!(b.tax_mode, mode);
        if rate.is_none() {
            prop_assert_eq!(b.tax_cents, Cents(0));
        }
    }

    #[test]
    fn a_percentage_never_passes_the_subtotal(lines in lines(), bp in 0u32..=30_000, mode in mode()) {
        let d = code(DiscountKind::Percent { bp });
        let b = breakdown(&lines, Some(&d), None, None, mode);
        prop_assert!(b.discount_cents <= b.subtotal_cents);
        prop_assert_eq!(b.total_cents.0, b.subtotal_cents.0 - b.discount_cents.0);
        let exact = (2 * u128::from(b.subtotal_cents.0) * u128::from(bp.min(10_000)) + 10_000) / 20_000;
        prop_assert_eq!(u128::from(b.discount_cents.0), exact);
    }

    #[test]
    fn allocated_parts_sum_to_the_discount_and_fit_their_lines(
        discount in 0u64..=20_000_000_000,
        totals in prop::collection::vec(prop_oneof![Just(0u64), 0u64..=99_000_000_000], 0..12),
    ) {
        let totals: Vec<Cents> = totals.into_iter().map(Cents).collect();
        let parts = allocate(Cents(discount), &totals);
        let sum: u64 = totals.iter().map(|t| t.0).sum();
        prop_assert_eq!(parts.len(), totals.len());
        prop_assert_eq!(parts.iter().map(|p| p.0).sum::<u64>(), discount.min(sum));
        let d = u128::from(discount.min(sum));
        for (part, total) in parts.iter().zip(&totals) {
            prop_assert!(part <= total);
            // Within a cent of the exact share: |part - d × total / sum| < 1.
            let (scaled, exact) = (u128::from(part.0) * u128::from(sum), d * u128::from(total.0));
            prop_assert!(scaled.abs_diff(exact) < u128::from(sum.max(1)));
        }
    }

    #[test]
    fn tax_is_rounded_line_by_line_as_documented(
        lines in lines(), kind in kind(), shipping in 0u64..=100_000, rate in rate(), mode in mode(),
    ) {
        let d = code(kind);
        let b = breakdown(&lines, Some(&d), Some(Cents(shipping)), Some(&rate), mode);
        let expected = plain_tax(&lines, b.discount_cents.0, shipping, &rate, mode);
        prop_assert_eq!(u128::from(b.tax_cents.0), expected);
    }

    #[test]
    fn parsing_an_address_never_panics_and_settles(
        name in field(), line1 in field(), line2 in field(), city in field(),
        postal_code in prop_oneof![field(), "[0-9]{5}(-[0-9]{4})?"], region in field(),
        country in prop_oneof![field(), Just("us".to_owned())],
    ) {
        let raw = AddressForm { name, line1, line2, city, postal_code, region, country };
        if let Ok(a) = Address::parse(raw) {
            prop_assert_eq!(Address::parse(AddressForm::from(a.clone())), Ok(a.clone()));
            let json = serde_json::to_string(&a).unwrap();
            prop_assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), a);
        }
    }

    #[test]
    fn a_sensible_us_address_parses(state in prop::sample::select(US_STATES.to_vec()), zip in "[0-9]{5}") {
        let a = Address::parse(form("us", &state.to_lowercase(), &zip)).unwrap();
        prop_assert_eq!(a.region.as_deref(), Some(state));
    }

    #[test]
    fn a_code_parses_to_itself(raw in "\\PC{0,40}") {
        if let Ok(c) = DiscountCode::parse(&raw) {
            prop_assert_eq!(DiscountCode::parse(c.as_str()), Ok(c.clone()));
            prop_assert!(c.as_str().eq_ignore_ascii_case(raw.trim()));
        }
    }
}
