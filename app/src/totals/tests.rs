//! Worked examples, each checkable by hand; the properties are in `properties.rs`.
use super::*;
use crate::domain::Cents;
use std::time::{Duration, SystemTime};

pub(super) fn code(kind: DiscountKind) -> Discount {
    Discount {
        code: DiscountCode::parse("test").unwrap(),
        kind,
        min_subtotal: None,
        valid_from: None,
        valid_until: None,
        max_uses: None,
        max_uses_per_email: None,
    }
}

pub(super) fn form(country: &str, region: &str, postal_code: &str) -> AddressForm {
    AddressForm {
        name: " Ada Lovelace ".into(),
        line1: "1 Market St".into(),
        line2: String::new(),
        city: "San Francisco".into(),
        postal_code: postal_code.into(),
        region: region.into(),
        country: country.into(),
    }
}

fn method(code: &str) -> ShippingMethod {
    default_methods().into_iter().find(|m| m.code == code).unwrap()
}

#[test]
fn a_us_cart_in_california_with_ten_percent_off_and_shipping() {
    let address = Address::parse(form("us", "ca", "94103")).unwrap();
    let rates = default_tax_rates();
    let rate = rate_for(&rates, &address).unwrap();
    let lines = [(Cents(1_999), 2), (Cents(500), 1)];
    let ten = code(DiscountKind::Percent { bp: 1_000 });
    assert_eq!(
        allocate(Cents(450), &[Cents(3_998), Cents(500)]),
        [Cents(400), Cents(50)]
    );
    let shipping = method("standard").price_for(Cents(4_498 - 450));
    let b = breakdown(&lines, Some(&ten), Some(shipping), Some(rate), TaxMode::Exclusive);
    assert_eq!(
        b,
        Breakdown {
            subtotal_cents: Cents(4_498),
            discount_cents: Cents(450),
            shipping_cents: Cents(599),
            // 261 + 33 line by line; 7.25% of the whole 4048 would be 293.
            tax_cents: Cents(294),
            total_cents: Cents(4_941),
            tax_mode: TaxMode::Exclusive,
        }
    );
}

#[test]
fn a_german_cart_with_vat_included_and_five_euros_off() {
    let address = Address::parse(form("DE", "", "10115")).unwrap();
    let rates = default_tax_rates();
    let rate = rate_for(&rates, &address).unwrap();
    assert_eq!((rate.rate_bp, rate.taxes_shipping), (1_900, true));
    let lines = [(Cents(4_999), 1), (Cents(1_250), 2)];
    // Shares of 500 over 4999 and 2500: 333.31 and 166.69, so the left-over cent goes second.
    assert_eq!(
        allocate(Cents(500), &[Cents(4_999), Cents(2_500)]),
        [Cents(333), Cents(167)]
    );
    let five = code(DiscountKind::Fixed { cents: Cents(500) });
    let shipping = method("standard").price_for(Cents(7_499 - 500));
    let b = breakdown(&lines, Some(&five), Some(shipping), Some(rate), TaxMode::Inclusive);
    // VAT in 4666 is 744.99 -> 745, in 2333 372.49 -> 372, in the 599 shipping 95.64 -> 96.
    assert_eq!(
        (
            b.subtotal_cents,
            b.discount_cents,
            b.shipping_cents,
            b.tax_cents,
            b.total_cents
        ),
        (Cents(7_499), Cents(500), Cents(599), Cents(1_213), Cents(7_598))
    );
}

#[test]
fn no_rate_no_tax_and_no_lines_nothing_at_all() {
    let oregon = Address::parse(form("US", "OR", "97201")).unwrap();
    assert_eq!(rate_for(&default_tax_rates(), &oregon), None);
    let b = breakdown(
        &[],
        Some(&code(DiscountKind::Fixed { cents: Cents(500) })),
        None,
        None,
        TaxMode::Exclusive,
    );
    assert_eq!(
        (b.subtotal_cents, b.discount_cents, b.total_cents),
        (Cents(0), Cents(0), Cents(0))
    );
}

#[test]
fn discounts_round_half_up_and_never_pass_the_subtotal() {
    assert_eq!(DiscountKind::Percent { bp: 1_000 }.amount_off(Cents(5)), Cents(1));
    assert_eq!(DiscountKind::Percent { bp: 1_000 }.amount_off(Cents(4)), Cents(0));
    assert_eq!(DiscountKind::Percent { bp: 25_000 }.amount_off(Cents(999)), Cents(999));
    assert_eq!(
        DiscountKind::Fixed { cents: Cents(2_000) }.amount_off(Cents(1_500)),
        Cents(1_500)
    );
    assert_eq!(allocate(Cents(1), &[Cents(100), Cents(100)]), [Cents(1), Cents(0)]);
    assert_eq!(allocate(Cents(9), &[Cents(0), Cents(3)]), [Cents(0), Cents(3)]);
}

#[test]
fn a_region_rate_wins_over_the_country_and_shipping_is_free_from_the_threshold() {
    let rates = vec![
        TaxRate {
            country: "CA".into(),
            region: None,
            rate_bp: 500,
            taxes_shipping: true,
        },
        TaxRate {
            country: "CA".into(),
            region: Some("ON".into()),
            rate_bp: 1_300,
            taxes_shipping: true,
        },
    ];
    let ontario = Address::parse(form("CA", "on", "M5V 2T6")).unwrap();
    let quebec = Address::parse(form("CA", "QC", "H2X 1Y4")).unwrap();
    assert_eq!(rate_for(&rates, &ontario).unwrap().rate_bp, 1_300);
    assert_eq!(rate_for(&rates, &quebec).unwrap().rate_bp, 500);
    let standard = method("standard");
    assert!(standard.serves("nl") && !standard.serves("JP"));
    assert_eq!(standard.price_for(Cents(7_499)), Cents(599));
    assert_eq!(standard.price_for(Cents(7_500)), Cents(0));
    assert_eq!(method("express").price_for(Cents(1_000_000)), Cents(1_499));
}

#[test]
fn an_address_is_trimmed_and_upper_cased_where_codes_are() {
    let mut f = form(" us ", "ny", "10001-1234");
    f.line2 = "  ".into();
    let a = Address::parse(f).unwrap();
    assert_eq!((a.name.as_str(), a.country.as_str()), ("Ada Lovelace", "US"));
    assert_eq!((a.region.as_deref(), a.line2.as_deref()), (Some("NY"), None));
    let gb = Address::parse(form("gb", "", "sw1a 1aa")).unwrap();
    assert_eq!((gb.postal_code.as_str(), gb.region), ("SW1A 1AA", None));
    let json = serde_json::to_string(&a).unwrap();
    assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), a);
    let forged = json.replace("\"US\"", "\"XX\"");
    assert!(serde_json::from_str::<Address>(&forged).is_err());
}

#[test]
fn each_bad_address_field_is_named_and_not_repeated() {
    let field = |f: AddressForm| Address::parse(f).unwrap_err().field;
    assert_eq!(field(form("UK", "", "SW1A 1AA")), "address.country");
    assert_eq!(field(form("XK", "", "10000")), "address.country");
    let no_state = Address::parse(form("US", "", "94103")).unwrap_err();
    assert_eq!(no_state.field, "address.region");
    assert!(no_state.message.contains("US state"), "{no_state}");
    assert_eq!(field(form("US", "PR", "00901")), "address.region");
    assert_eq!(field(form("US", "CA", "9410")), "address.postal_code");
    assert_eq!(field(form("US", "CA", "94103-12")), "address.postal_code");
    assert_eq!(field(form("FR", "", "75001#")), "address.postal_code");
    assert_eq!(field(form("FR", "", " - ")), "address.postal_code");
    assert_eq!(field(form("FR", "", "1234567890123")), "address.postal_code");
    let mut f = form("FR", "", "75001");
    f.name = "Eve\u{202E}gnp.exe".into();
    assert_eq!(field(f), "address.name");
    let mut f = form("IR", "", "1234567890");
    f.name = "Mehr\u{200C}dad".into();
    assert!(Address::parse(f).is_ok(), "a zero-width non-joiner is part of a name");
    let mut f = form("FR", "", "75001");
    f.line1 = "x".repeat(MAX_LINE_CHARS + 1);
    assert_eq!(field(f), "address.line1");
    let mut f = form("FR", "", "75001");
    f.city = "Paris\n".repeat(2);
    let err = Address::parse(f).unwrap_err();
    assert_eq!(err.field, "address.city");
    assert!(!err.message.contains("Paris"), "{err}");
}

#[test]
fn codes_are_case_insensitive_and_checked_at_the_door() {
    assert_eq!(DiscountCode::parse(" summer-10_x ").unwrap().as_str(), "SUMMER-10_X");
    for bad in ["", "  ", "a b", "café", "10%", &"A".repeat(MAX_CODE_CHARS + 1)] {
        assert_eq!(DiscountCode::parse(bad), Err(InvalidCode), "{bad}");
    }
    assert!(serde_json::from_str::<DiscountCode>("\"no way\"").is_err());
    assert_eq!(InvalidCode.field(), "discount_code");
}

#[test]
fn a_code_is_refused_for_its_dates_then_its_uses_then_the_minimum() {
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let day = Duration::from_secs(86_400);
    let mut d = code(DiscountKind::Percent { bp: 1_000 });
    d.valid_from = Some(t0);
    d.valid_until = Some(t0 + day);
    d.max_uses = Some(100);
    d.max_uses_per_email = Some(1);
    d.min_subtotal = Some(Cents(5_000));
    assert_eq!(d.check(t0, Cents(5_000), 99, 0), Ok(()));
    assert_eq!(d.check(t0 - day, Cents(5_000), 0, 0), Err(DiscountRefusal::Expired));
    assert_eq!(d.check(t0 + day, Cents(5_000), 0, 0), Err(DiscountRefusal::Expired));
    assert_eq!(d.check(t0, Cents(1), 100, 0), Err(DiscountRefusal::UsedUp));
    assert_eq!(d.check(t0, Cents(1), 0, 1), Err(DiscountRefusal::UsedUp));
    let short = d.check(t0, Cents(4_999), 0, 0).unwrap_err();
    assert_eq!(short, DiscountRefusal::Minimum { min: Cents(5_000) });
    assert!(short.to_string().contains("$50.00"), "{short}");
    assert_eq!(
        code(DiscountKind::Fixed { cents: Cents(1) }).check(t0, Cents(0), 9, 9),
        Ok(())
    );
}

#[test]
fn every_refusal_has_its_own_code() {
    let all = [
        DiscountRefusal::Unknown,
        DiscountRefusal::Expired,
        DiscountRefusal::UsedUp,
        DiscountRefusal::Minimum { min: Cents(1) },
    ];
    let codes: Vec<_> = all.iter().map(|r| r.as_code()).collect();
    assert_eq!(
        codes,
        [
            "discount_unknown",
            "discount_expired",
            "discount_used_up",
            "discount_minimum"
        ]
    );
    assert!(all.iter().all(|r| r.field() == "discount_code"));
}
