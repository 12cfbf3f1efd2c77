//! The gateway's copy of the products on sale: read from the database at most once per `ttl`
//! (every gateway sees an operator's change within it), and at once after a change made
//! through this gateway. What it lists is advice (`GET /products`, an add's first check);
//! the cart workflow asks the database itself before it holds stock or charges.
use super::Product;
use crate::orders::{OrderStore, StoreError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct CatalogueCache {
    store: OrderStore,
    ttl: Duration,
    cached: Mutex<Option<(Instant, Arc<Vec<Product>>)>>,
}

impl CatalogueCache {
    pub fn new(store: OrderStore, ttl: Duration) -> Self {
        Self {
            store,
            ttl,
            cached: Mutex::new(None),
        }
    }

    pub fn store(&self) -> &OrderStore {
        &self.store
    }

    /// The active products, by id.
    pub async fn active(&self) -> Result<Arc<Vec<Product>>, StoreError> {
        if let Some((at, products)) = self.cached.lock().expect("not poisoned").as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(products.clone());
        }
        let products = Arc::new(self.store.products(true).await?);
        *self.cached.lock().expect("not poisoned") = Some((Instant::now(), products.clone()));
        Ok(products)
    }

    /// The last list read, however old, without asking the database.
    pub fn peek(&self) -> Option<Arc<Vec<Product>>> {
        self.cached
            .lock()
            .expect("not poisoned")
            .as_ref()
            .map(|(_, p)| p.clone())
    }

    /// Forgets the list, so the next read sees a change just made.
    pub fn invalidate(&self) {
        *self.cached.lock().expect("not poisoned") = None;
    }
}
