//! Whether a cart is still settling a payment: the one question the reconciler asks Temporal,
//! behind a trait so the reconciler needs nothing of the cart client.
use crate::cart::CartStatus;
use crate::cart_client::{Carts, CartsError};
use crate::domain::CartId;
use futures::FutureExt;
use futures::future::BoxFuture;

pub trait CartProbe: Send + Sync {
    /// `true` while the cart's checkout in progress is paid by `intent` (its order may be on the
    /// way); `Err` when the cart cannot be asked.
    fn paying_with<'a>(&'a self, cart_id: &'a str, intent: &'a str) -> BoxFuture<'a, Result<bool, String>>;
}

impl CartProbe for Carts {
    fn paying_with<'a>(&'a self, cart_id: &'a str, intent: &'a str) -> BoxFuture<'a, Result<bool, String>> {
        async move {
            // Not one of our ids: no cart of ours is paying with it.
            let Ok(id) = CartId::parse(cart_id) else {
                return Ok(false);
            };
            match self.get(&id).await {
                Ok(view) => Ok(view.status == CartStatus::CheckingOut
                    && view.payment.as_ref().is_some_and(|p| p.payment_intent == intent)),
                Err(CartsError::NotFound) => Ok(false),
                Err(e) => Err(format!("the cart could not be asked: {e}")),
            }
        }
        .boxed()
    }
}
