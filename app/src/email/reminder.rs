//! What an abandoned-cart reminder shows: the cart as the shop is now, not as it was when the
//! shopper left. A product no longer sold is left out, a price that dropped is shown beside the
//! one the shopper saw, and a cart with nothing left that can be bought gets no reminder.
use crate::cart::CartView;
use crate::catalogue::Product;
use crate::domain::Cents;

/// One line of a reminder, at today's price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderLine {
    pub quantity: u32,
    pub name: String,
    pub unit_price: String,
    pub line_total: String,
    /// The price the shopper saw, when today's is lower.
    pub was: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopReminder {
    pub lines: Vec<ReminderLine>,
    pub total: String,
    /// Some price dropped since the shopper added it.
    pub price_dropped: bool,
}

/// The reminder for `cart` against the catalogue now (`products`, by id), or `None` when no
/// line is still sold or every one that is is out of stock.
pub fn reminder_of(cart: &CartView, products: &[Product]) -> Option<ShopReminder> {
    let mut lines = vec![];
    let mut total = Cents(0);
    let mut any_in_stock = false;
    for line in &cart.lines {
        let Some(product) = products.iter().find(|p| p.id == line.product_id && p.active) else {
            continue;
        };
        any_in_stock |= line.reserved || product.available().is_none_or(|n| n >= line.quantity);
        let price = product.price_cents.min(line.unit_price_cents);
        let line_total = price.times(line.quantity);
        total = Cents(total.0 + line_total.0);
        lines.push(ReminderLine {
            quantity: line.quantity,
            name: line.name.clone(),
            unit_price: price.to_string(),
            line_total: line_total.to_string(),
            was: (price < line.unit_price_cents).then(|| line.unit_price_cents.to_string()),
        });
    }
    if !any_in_stock {
        return None;
    }
    Some(ShopReminder {
        price_dropped: lines.iter().any(|l| l.was.is_some()),
        lines,
        total: total.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cart::{Cart, Limits};
    use crate::catalogue::Catalogue;
    use crate::domain::{CartId, Quantity};

    fn products() -> Vec<Product> {
        Catalogue::embedded().products
    }

    fn cart(lines: &[(u32, u32)]) -> CartView {
        let mut cart = Cart::default();
        for &(id, q) in lines {
            let product = products().into_iter().find(|p| p.id == id).unwrap();
            cart.put_line(&product, Quantity::parse(q).unwrap(), false);
        }
        let _ = Limits::default();
        cart.view(&CartId::random())
    }

    #[test]
    fn a_product_no_longer_sold_is_left_out_and_a_lower_price_shown() {
        let mut now = products();
        now[0].active = false;
        now[1].price_cents = Cents(59_900);
        let r = reminder_of(&cart(&[(0, 1), (1, 2)]), &now).unwrap();
        assert_eq!(r.lines.len(), 1);
        assert_eq!(r.lines[0].unit_price, "$599.00");
        assert_eq!(r.lines[0].was.as_deref(), Some("$699.00"));
        assert_eq!(r.total, "$1,198.00");
        assert!(r.price_dropped);
        // A higher price is not advertised in a reminder; the checkout asks about it.
        now[1].price_cents = Cents(79_900);
        let r = reminder_of(&cart(&[(1, 1)]), &now).unwrap();
        assert_eq!((r.lines[0].unit_price.as_str(), r.price_dropped), ("$699.00", false));
    }

    #[test]
    fn no_reminder_when_nothing_can_be_bought() {
        let mut now = products();
        now[2].stock = Some(0);
        now[3].stock = Some(1);
        assert_eq!(
            reminder_of(&cart(&[(2, 1), (3, 2)]), &now),
            None,
            "every line out of stock"
        );
        assert!(
            reminder_of(&cart(&[(2, 1), (3, 1)]), &now).is_some(),
            "one line can be bought"
        );
        now[0].active = false;
        assert_eq!(reminder_of(&cart(&[(0, 1)]), &now), None, "nothing still sold");
    }
}
