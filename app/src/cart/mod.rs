//! Cart state and the pure rules that change it. The workflow calls `check_*` from its update
//! validators (so a bad request never reaches history) and the matching mutation from the handler.
mod changes;
mod pricing;
mod view;

pub use changes::{CartError, EmailChange, ItemChange, PriceChange, Refusal};
pub use pricing::PriceCheck;
pub use view::{CartView, LineView, PaymentView};

use crate::catalogue::{Catalogue, Product};
use crate::domain::{Cents, Email, Payment, ProductId, Quantity};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CartStatus {
    #[default]
    Active,
    CheckingOut,
    CheckedOut,
    PaymentFailed,
    Expired,
}

impl CartStatus {
    pub const ALL: [CartStatus; 5] = [
        CartStatus::Active,
        CartStatus::CheckingOut,
        CartStatus::PaymentFailed,
        CartStatus::CheckedOut,
        CartStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CartStatus::Active => "active",
            CartStatus::CheckingOut => "checking_out",
            CartStatus::CheckedOut => "checked_out",
            CartStatus::PaymentFailed => "payment_failed",
            CartStatus::Expired => "expired",
        }
    }

    /// Whether the shopper may still change the cart or start a checkout.
    pub fn is_open(self) -> bool {
        matches!(self, CartStatus::Active | CartStatus::PaymentFailed)
    }
}

/// A line keeps the name and unit price the shopper saw when adding it (until a checkout
/// prices it again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub product_id: ProductId,
    pub name: String,
    pub unit_price_cents: Cents,
    pub quantity: Quantity,
    /// The shop holds this line's units for the cart (a reservation that has not lapsed).
    /// Lines of carts of 0.1.0 hold nothing.
    #[serde(default)]
    pub reserved: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_lines: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_lines: 50 }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cart {
    pub lines: Vec<Line>,
    pub email: Option<Email>,
    pub status: CartStatus,
    /// Reminder stages already emailed since the email was last set.
    pub reminders_sent: u32,
    /// Numbers checkouts so each one has its own payment idempotency key.
    pub checkout_attempts: u32,
    pub payment_ref: Option<String>,
    /// Why the last checkout failed (a decline's reason), shown so the shopper can retry.
    pub payment_error: Option<String>,
    /// The last payment's outcome is unknown (retries ran out): the next checkout reuses its
    /// attempt number, hence its idempotency key, so it cannot charge twice.
    #[serde(default)]
    pub payment_unsettled: bool,
    /// The order a successful checkout became.
    #[serde(default)]
    pub order_id: Option<i64>,
    /// The current (or last) checkout attempt's PaymentIntent, once created.
    #[serde(default)]
    pub payment: Option<Payment>,
}

impl Cart {
    fn ensure_open(&self) -> Result<(), CartError> {
        if self.status.is_open() {
            Ok(())
        } else if self.payment_pending() {
            Err(CartError::PaymentPending)
        } else {
            Err(CartError::Locked(self.status))
        }
    }

    /// The quantity the product's line would have after adding `change` (the product's price
    /// and stock are the catalogue's question, asked by the workflow).
    pub fn check_quantity(&self, limits: Limits, change: &ItemChange) -> Result<Quantity, CartError> {
        self.ensure_open()?;
        let added = Quantity::parse(change.quantity).map_err(CartError::Quantity)?;
        match self.line(change.product_id) {
            Some(line) => Quantity::parse(line.quantity.get() + added.get()).map_err(|_| {
                CartError::Quantity(format!(
                    "the cart already holds {} of product {}; at most {} fit on one line",
                    line.quantity.get(),
                    change.product_id,
                    Quantity::MAX
                ))
            }),
            None if self.lines.len() >= limits.max_lines => Err(CartError::TooManyLines(limits.max_lines)),
            None => Ok(added),
        }
    }

    /// A cart of 0.1.0: the product comes from the catalogue in its input.
    pub fn check_add<'c>(
        &self,
        catalogue: &'c Catalogue,
        limits: Limits,
        change: &ItemChange,
    ) -> Result<(&'c Product, Quantity), CartError> {
        self.ensure_open()?;
        let product = catalogue
            .get(change.product_id)
            .ok_or(CartError::UnknownProduct(change.product_id))?;
        Ok((product, self.check_quantity(limits, change)?))
    }

    /// Adds a product from the catalogue of a cart of 0.1.0, merging with an existing line.
    pub fn add(&mut self, catalogue: &Catalogue, limits: Limits, change: &ItemChange) -> Result<(), CartError> {
        let (product, merged) = self.check_add(catalogue, limits, change)?;
        let product = product.clone();
        self.put_line(&product, merged, false);
        Ok(())
    }

    /// Sets the product's line to `quantity`: a new line takes the product's name and price,
    /// an existing one keeps the price it was added at.
    pub fn put_line(&mut self, product: &Product, quantity: Quantity, reserved: bool) {
        match self.lines.iter_mut().find(|l| l.product_id == product.id) {
            Some(line) => {
                line.quantity = quantity;
                line.reserved = reserved;
            }
            None => self.lines.push(Line {
                product_id: product.id,
                name: product.name.clone(),
                unit_price_cents: product.price_cents,
                quantity,
                reserved,
            }),
        }
        self.touched();
    }

    pub fn check_remove(&self, change: &ItemChange) -> Result<(), CartError> {
        self.ensure_open()?;
        Quantity::parse(change.quantity).map_err(CartError::Quantity)?;
        self.line(change.product_id)
            .map(|_| ())
            .ok_or(CartError::NotInCart(change.product_id))
    }

    /// Takes `quantity` off a line; removing as many as it holds, or more, drops the line.
    pub fn remove(&mut self, change: &ItemChange) -> Result<(), CartError> {
        self.check_remove(change)?;
        let idx = self
            .lines
            .iter()
            .position(|l| l.product_id == change.product_id)
            .expect("checked");
        let left = self.lines[idx].quantity.get().saturating_sub(change.quantity);
        match Quantity::parse(left) {
            Ok(q) => self.lines[idx].quantity = q,
            Err(_) => {
                self.lines.remove(idx);
            }
        }
        self.touched();
        Ok(())
    }

    pub fn check_email(&self, change: &EmailChange) -> Result<Email, CartError> {
        self.ensure_open()?;
        Email::parse(&change.email).map_err(CartError::InvalidEmail)
    }

    /// Sets the email; a different address re-arms the abandoned-cart reminders.
    pub fn set_email(&mut self, change: &EmailChange) -> Result<(), CartError> {
        let email = self.check_email(change)?;
        if self.email.as_ref() != Some(&email) {
            self.reminders_sent = 0;
        }
        self.email = Some(email);
        self.touched();
        Ok(())
    }

    /// A checkout may carry an email (the original shop sends one); it must leave the cart
    /// with items and an address.
    pub fn check_checkout(&self, email: Option<&EmailChange>) -> Result<(), CartError> {
        self.ensure_open()?;
        if let Some(change) = email.filter(|c| !c.email.trim().is_empty()) {
            self.check_email(change)?;
        } else if self.email.is_none() {
            return Err(CartError::EmailRequired);
        }
        if self.lines.is_empty() {
            return Err(CartError::Empty);
        }
        Ok(())
    }

    /// Moves to `checking_out` and returns the attempt number for the payment's idempotency key.
    pub fn begin_checkout(&mut self, email: Option<&EmailChange>) -> Result<u32, CartError> {
        self.check_checkout(email)?;
        if let Some(change) = email.filter(|c| !c.email.trim().is_empty()) {
            self.set_email(change)?;
        }
        self.status = CartStatus::CheckingOut;
        if !self.payment_unsettled {
            self.checkout_attempts += 1;
        }
        self.payment_unsettled = false;
        self.payment_error = None;
        Ok(self.checkout_attempts)
    }

    pub fn paid(&mut self, payment_ref: String) {
        self.status = CartStatus::CheckedOut;
        self.payment_ref = Some(payment_ref);
    }

    pub fn declined(&mut self, reason: String) {
        self.status = CartStatus::PaymentFailed;
        self.payment_error = Some(reason);
    }

    pub fn total(&self) -> Cents {
        self.lines
            .iter()
            .map(|l| l.unit_price_cents.times(l.quantity.get()))
            .sum()
    }

    pub fn item_count(&self) -> u32 {
        self.lines.iter().map(|l| l.quantity.get()).sum()
    }

    /// A checkout whose payment call got no clear answer, being looked up at Stripe.
    pub fn payment_pending(&self) -> bool {
        self.status == CartStatus::CheckingOut && self.payment_unsettled
    }

    pub fn line(&self, product_id: ProductId) -> Option<&Line> {
        self.lines.iter().find(|l| l.product_id == product_id)
    }

    /// Any change after a failed payment makes the cart an ordinary open cart again.
    fn touched(&mut self) {
        if self.status == CartStatus::PaymentFailed {
            self.status = CartStatus::Active;
        }
    }
}

#[cfg(test)]
mod tests;
