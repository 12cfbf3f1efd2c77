//! A cart's lines against the catalogue as it is now: priced again at checkout, and the units
//! each line needs held. Pure functions; the workflow asks the database and passes its answer.
use super::{Cart, PriceChange};
use crate::domain::{Cents, ProductId};

/// What pricing a cart's lines again against the catalogue found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PriceCheck {
    /// Every line whose price moved, or whose product is no longer sold.
    pub changes: Vec<PriceChange>,
    /// A price rose or a product is gone: the shopper must accept the new total.
    pub needs_consent: bool,
    /// The total at today's prices, without the products no longer sold.
    pub total: Cents,
}

impl Cart {
    /// Prices every line again at `price_now` (`None`: no longer sold).
    pub fn price_check(&self, price_now: impl Fn(ProductId) -> Option<Cents>) -> PriceCheck {
        let mut check = PriceCheck::default();
        for line in &self.lines {
            let now = price_now(line.product_id);
            if now != Some(line.unit_price_cents) {
                check.needs_consent |= now.is_none_or(|p| p > line.unit_price_cents);
                check.changes.push(PriceChange {
                    product_id: line.product_id,
                    old_price_cents: line.unit_price_cents,
                    new_price_cents: now,
                });
            }
            if let Some(price) = now {
                check.total = Cents(check.total.0 + price.times(line.quantity.get()).0);
            }
        }
        check
    }

    /// Takes today's prices (what [`Cart::price_check`] found): lines no longer sold go.
    pub fn apply_prices(&mut self, changes: &[PriceChange]) {
        for change in changes {
            match change.new_price_cents {
                Some(price) => {
                    if let Some(line) = self.lines.iter_mut().find(|l| l.product_id == change.product_id) {
                        line.unit_price_cents = price;
                    }
                }
                None => self.lines.retain(|l| l.product_id != change.product_id),
            }
        }
    }

    /// The units each line needs held.
    pub fn holds(&self) -> Vec<crate::orders::Hold> {
        self.lines
            .iter()
            .map(|l| crate::orders::Hold {
                product_id: l.product_id,
                quantity: l.quantity.get(),
            })
            .collect()
    }

    /// Every line's reservation lapsed or was released.
    pub fn unreserve(&mut self) {
        for line in &mut self.lines {
            line.reserved = false;
        }
    }
}
