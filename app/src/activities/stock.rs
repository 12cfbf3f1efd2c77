//! The cart's stock and prices, asked of the shop's database. The cart workflow runs these as
//! local activities (one marker event each, no task of their own), so a change that holds
//! stock costs one history event more than one that does not.
use super::ReserveStock;
use crate::domain::CartId;
use crate::orders::{Held, OrderStore};
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

pub struct StockActivities {
    pub store: OrderStore,
}

#[activities]
impl StockActivities {
    /// Sets the cart's reservations to the units asked for and answers each product as it is
    /// now: its price, whether it is on sale, whether the units are held and how many could be.
    #[activity(name = "reserve_stock")]
    pub async fn reserve_stock(
        self: Arc<Self>,
        _ctx: ActivityContext,
        req: ReserveStock,
    ) -> Result<Vec<Held>, ActivityError> {
        let held = self
            .store
            .reserve(req.cart_id.as_str(), &req.holds, req.until)
            .await
            .map_err(anyhow::Error::new)?;
        tracing::debug!(cart = %req.cart_id.tag(), products = held.len(), "stock reserved");
        Ok(held)
    }

    /// Releases every unit the cart holds.
    #[activity(name = "release_stock")]
    pub async fn release_stock(self: Arc<Self>, _ctx: ActivityContext, cart_id: CartId) -> Result<u64, ActivityError> {
        let units = self.store.release(cart_id.as_str()).await.map_err(anyhow::Error::new)?;
        tracing::info!(cart = %cart_id.tag(), units, "stock released");
        Ok(units)
    }
}
