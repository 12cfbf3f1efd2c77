use super::*;
use crate::codes::{Code, Coded};
use crate::domain::CartId;
use proptest::prelude::*;

fn catalogue() -> Catalogue {
    Catalogue::embedded()
}

fn item(product_id: ProductId, quantity: u32) -> ItemChange {
    ItemChange { product_id, quantity }
}

fn email(s: &str) -> EmailChange {
    EmailChange { email: s.into() }
}

#[test]
fn adding_the_same_product_merges_lines_and_prices_from_the_catalogue() {
    let mut cart = Cart::default();
    cart.add(&catalogue(), Limits::default(), &item(1, 2)).unwrap();
    cart.add(&catalogue(), Limits::default(), &item(1, 3)).unwrap();
    cart.add(&catalogue(), Limits::default(), &item(2, 1)).unwrap();
    assert_eq!(cart.lines.len(), 2);
    assert_eq!(cart.line(1).unwrap().quantity.get(), 5);
    assert_eq!(cart.line(1).unwrap().unit_price_cents, Cents(69_900));
    assert_eq!(cart.total(), Cents(5 * 69_900 + 39_900));
    assert_eq!(cart.item_count(), 6);
}

#[test]
fn remove_takes_off_quantity_and_drops_an_emptied_line() {
    let mut cart = Cart::default();
    cart.add(&catalogue(), Limits::default(), &item(0, 3)).unwrap();
    cart.remove(&item(0, 1)).unwrap();
    assert_eq!(cart.line(0).unwrap().quantity.get(), 2);
    cart.remove(&item(0, 5)).unwrap();
    assert!(cart.lines.is_empty());
    assert_eq!(cart.remove(&item(0, 1)), Err(CartError::NotInCart(0)));
}

#[test]
fn limits_and_bad_input_are_refused_with_the_field_named() {
    let mut cart = Cart::default();
    let err = cart.add(&catalogue(), Limits::default(), &item(42, 1)).unwrap_err();
    assert_eq!(
        (err.code(), err.code().field()),
        (Code::UnknownProduct, Some("product_id"))
    );
    let err = cart.add(&catalogue(), Limits::default(), &item(0, 0)).unwrap_err();
    assert_eq!(err.code().field(), Some("quantity"));
    let err = cart.add(&catalogue(), Limits::default(), &item(0, 100)).unwrap_err();
    assert_eq!(err.code().field(), Some("quantity"));
    cart.add(&catalogue(), Limits::default(), &item(0, 98)).unwrap();
    let err = cart.add(&catalogue(), Limits::default(), &item(0, 2)).unwrap_err();
    assert!(err.to_string().contains("already holds 98"), "{err}");
    let err = cart
        .add(&catalogue(), Limits { max_lines: 1 }, &item(1, 1))
        .unwrap_err();
    assert_eq!(err, CartError::TooManyLines(1));
    let err = cart.set_email(&email("nope")).unwrap_err();
    assert_eq!(err.code().field(), Some("email"));
}

#[test]
fn checkout_needs_items_and_an_email_then_locks_the_cart() {
    let mut cart = Cart::default();
    assert_eq!(cart.check_checkout(None), Err(CartError::EmailRequired));
    assert_eq!(cart.check_checkout(Some(&email("a@b.co"))), Err(CartError::Empty));
    cart.add(&catalogue(), Limits::default(), &item(3, 1)).unwrap();
    assert_eq!(cart.begin_checkout(Some(&email("a@b.co"))), Ok(1));
    assert_eq!(cart.status, CartStatus::CheckingOut);
    assert_eq!(cart.email.as_ref().unwrap().as_str(), "a@b.co");
    let err = cart.add(&catalogue(), Limits::default(), &item(3, 1)).unwrap_err();
    assert_eq!(err, CartError::Locked(CartStatus::CheckingOut));
    assert_eq!(err.code(), Code::CartLocked);
}

#[test]
fn a_decline_leaves_the_cart_open_and_the_next_checkout_is_a_new_attempt() {
    let mut cart = Cart::default();
    cart.add(&catalogue(), Limits::default(), &item(3, 1)).unwrap();
    cart.begin_checkout(Some(&email("a@b.co"))).unwrap();
    cart.declined("card_declined".into());
    assert!(cart.status.is_open());
    assert_eq!(
        cart.view(&CartId::random()).payment_error.as_deref(),
        Some("card_declined")
    );
    assert_eq!(cart.begin_checkout(None), Ok(2));
    cart.paid("pi_1".into());
    assert_eq!(cart.status, CartStatus::CheckedOut);
    assert!(cart.set_email(&email("c@d.co")).is_err());
}

#[test]
fn a_new_email_rearms_reminders_and_the_same_one_does_not() {
    let mut cart = Cart::default();
    cart.set_email(&email("a@b.co")).unwrap();
    cart.reminders_sent = 2;
    cart.set_email(&email("a@b.co")).unwrap();
    assert_eq!(cart.reminders_sent, 2);
    cart.set_email(&email("x@b.co")).unwrap();
    assert_eq!(cart.reminders_sent, 0);
}

#[test]
fn view_prices_lines_on_the_server() {
    let mut cart = Cart::default();
    cart.add(&catalogue(), Limits::default(), &item(0, 2)).unwrap();
    let v = cart.view(&CartId::random());
    assert_eq!(v.lines[0].line_total_cents, Cents(199_800));
    assert_eq!(v.lines[0].line_total, "$1,998.00");
    assert_eq!(v.total, "$1,998.00");
}

#[test]
fn original_shop_payloads_parse() {
    let change: ItemChange = serde_json::from_str(r#"{"ProductId": 2, "Quantity": 1}"#).unwrap();
    assert_eq!(change, item(2, 1));
    let change: ItemChange = serde_json::from_str(r#"{"product_id": 2, "quantity": 1}"#).unwrap();
    assert_eq!(change, item(2, 1));
    let change: EmailChange = serde_json::from_str(r#"{"Email": "a@b.co"}"#).unwrap();
    assert_eq!(change.email, "a@b.co");
}

#[derive(Debug, Clone)]
enum Op {
    Add(ProductId, u32),
    Remove(ProductId, u32),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u32..6, 0u32..120).prop_map(|(p, q)| Op::Add(p, q)),
        (0u32..6, 0u32..120).prop_map(|(p, q)| Op::Remove(p, q)),
    ]
}

proptest! {
    /// Whatever sequence of changes arrives, a refused change alters nothing, and the cart
    /// never breaks its invariants: known products, one line each, 1..=99, total = sum of lines.
    #[test]
    fn invariants_hold_under_any_sequence(ops in prop::collection::vec(op(), 0..60)) {
        let catalogue = catalogue();
        let limits = Limits { max_lines: 3 };
        let mut cart = Cart::default();
        for op in ops {
            let before = cart.clone();
            let result = match op {
                Op::Add(p, q) => cart.add(&catalogue, limits, &item(p, q)),
                Op::Remove(p, q) => cart.remove(&item(p, q)),
            };
            if result.is_err() {
                prop_assert_eq!(&cart, &before);
            }
            prop_assert!(cart.lines.len() <= limits.max_lines);
            let mut ids: Vec<_> = cart.lines.iter().map(|l| l.product_id).collect();
            ids.sort_unstable();
            ids.dedup();
            prop_assert_eq!(ids.len(), cart.lines.len());
            for line in &cart.lines {
                prop_assert!(catalogue.get(line.product_id).is_some());
                prop_assert!((1..=99).contains(&line.quantity.get()));
            }
            let sum: u64 = cart.lines.iter().map(|l| l.unit_price_cents.0 * u64::from(l.quantity.get())).sum();
            prop_assert_eq!(cart.total().0, sum);
        }
    }
}

fn cart_of(lines: &[(ProductId, u64, u32)]) -> Cart {
    let mut cart = Cart::default();
    for &(id, price, quantity) in lines {
        let product = Product {
            price_cents: Cents(price),
            ..catalogue().products[0].clone()
        };
        let product = Product { id, ..product };
        cart.put_line(&product, Quantity::parse(quantity).unwrap(), true);
    }
    cart
}

#[test]
fn a_lower_price_needs_no_consent_a_higher_one_or_a_product_gone_does() {
    let cart = cart_of(&[(1, 1000, 2), (2, 500, 1)]);
    let lower = cart.price_check(|id| Some(Cents(if id == 1 { 900 } else { 500 })));
    assert!(!lower.needs_consent);
    assert_eq!(lower.total, Cents(2300));
    assert_eq!(
        lower.changes,
        [PriceChange {
            product_id: 1,
            old_price_cents: Cents(1000),
            new_price_cents: Some(Cents(900))
        }]
    );
    let higher = cart.price_check(|id| Some(Cents(if id == 2 { 600 } else { 1000 })));
    assert!(higher.needs_consent);
    assert_eq!(higher.total, Cents(2600));
    let gone = cart.price_check(|id| (id == 1).then_some(Cents(1000)));
    assert!(gone.needs_consent);
    assert_eq!(gone.total, Cents(2000));

    let mut taken = cart.clone();
    taken.apply_prices(&gone.changes);
    assert_eq!(taken.lines.len(), 1);
    assert_eq!(taken.total(), gone.total);
    let unchanged = cart.price_check(|id| cart.line(id).map(|l| l.unit_price_cents));
    assert_eq!(
        unchanged,
        PriceCheck {
            total: cart.total(),
            ..Default::default()
        }
    );
}

proptest! {
    /// Whatever the prices now, taking them makes the cart's total the one the check showed,
    /// and consent is asked exactly when some line would cost more or is gone.
    #[test]
    fn taking_the_checked_prices_gives_the_checked_total(
        lines in prop::collection::btree_map(0u32..20, (0u64..100_000, 1u32..=99), 0..8),
        now in prop::collection::btree_map(0u32..20, prop::option::of(0u64..100_000), 0..20),
    ) {
        let lines: Vec<_> = lines.into_iter().map(|(id, (p, q))| (id, p, q)).collect();
        let mut cart = cart_of(&lines);
        let price_now = |id| now.get(&id).copied().flatten().map(Cents);
        let check = cart.price_check(price_now);
        let rises = lines.iter().any(|&(id, p, _)| price_now(id).is_none_or(|n| n.0 > p));
        prop_assert_eq!(check.needs_consent, rises);
        cart.apply_prices(&check.changes);
        prop_assert_eq!(cart.total(), check.total);
        prop_assert!(cart.lines.iter().all(|l| price_now(l.product_id) == Some(l.unit_price_cents)));
    }
}
