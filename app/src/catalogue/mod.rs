//! The products a shop sells and their stock, in the shop's database (`products`, with the
//! carts' `reservations`; see [`crate::orders::OrderStore`]'s catalogue and stock methods).
//! A JSON file (`SHOP_CATALOGUE_FILE`, or the original shop's four phones, embedded) seeds an
//! empty database; from then on operators change products through the gateway's admin routes.
//!
//! # Layout
//! - this file: [`Product`], and the seed file ([`Catalogue`]).
//! - `draft`: an operator's product, parsed and checked field by field.
//! - `cache`: the gateway's briefly cached copy of the active products.
mod cache;
mod draft;

pub use cache::CatalogueCache;
pub use draft::{DraftError, ProductDraft};

use crate::domain::{Cents, ProductId};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A product as the database holds it. The fields after `price_cents` have defaults because
/// carts of 0.1.0 carry a copy of the catalogue of their day in their input, without them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Product {
    pub id: ProductId,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub image: String,
    pub price_cents: Cents,
    /// The stock-keeping unit; a seed file may leave it out (`P-<id>`).
    #[serde(default)]
    pub sku: String,
    /// Inactive products are not listed, not added to carts, and stop a checkout.
    #[serde(default = "yes")]
    pub active: bool,
    /// Units on hand; `None`: not tracked, always available.
    #[serde(default)]
    pub stock: Option<u32>,
    /// Units open carts hold (tracked or not).
    #[serde(default)]
    pub reserved: u32,
}

fn yes() -> bool {
    true
}

impl Product {
    /// Units that can still be reserved; `None` when stock is not tracked.
    pub fn available(&self) -> Option<u32> {
        self.stock.map(|on_hand| on_hand.saturating_sub(self.reserved))
    }
}

/// The seed file: the currency and the first products. Carts of 0.1.0 received it in their
/// input (their validators priced lines from it); carts since hold only their lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalogue {
    /// ISO 4217, lower case, as Stripe wants it.
    pub currency: String,
    pub products: Vec<Product>,
}

const DEFAULT: &str = include_str!("../../catalogue.json");

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("cannot read catalogue file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("catalogue file {path} is not valid: {reason}")]
    Invalid { path: String, reason: String },
}

impl Catalogue {
    pub fn embedded() -> Self {
        Self::parse(DEFAULT, "<embedded>").expect("the embedded catalogue is valid")
    }

    pub fn load(path: &Path) -> Result<Self, CatalogueError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| CatalogueError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&text, &shown)
    }

    fn parse(text: &str, path: &str) -> Result<Self, CatalogueError> {
        let invalid = |reason: String| CatalogueError::Invalid {
            path: path.to_owned(),
            reason,
        };
        let mut c: Catalogue = serde_json::from_str(text).map_err(|e| invalid(e.to_string()))?;
        for p in &mut c.products {
            if p.sku.is_empty() {
                p.sku = format!("P-{}", p.id);
            }
            p.reserved = 0;
            ProductDraft::check(p).map_err(|e| invalid(format!("product {}: {e}", p.id)))?;
        }
        if c.products.is_empty() {
            return Err(invalid("it lists no products".into()));
        }
        let mut ids: Vec<_> = c.products.iter().map(|p| p.id).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid("two products share an id".into()));
        }
        let mut skus: Vec<_> = c.products.iter().map(|p| p.sku.as_str()).collect();
        skus.sort_unstable();
        if skus.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid("two products share a sku".into()));
        }
        if c.currency.len() != 3 || !c.currency.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(invalid(format!(
                "currency {:?} is not a lower-case ISO code",
                c.currency
            )));
        }
        Ok(c)
    }

    pub fn get(&self, id: ProductId) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_catalogue_is_the_original_shop_in_cents() {
        let c = Catalogue::embedded();
        let prices: Vec<_> = c
            .products
            .iter()
            .map(|p| (p.id, p.name.as_str(), p.price_cents.0))
            .collect();
        assert_eq!(
            prices,
            [
                (0, "iPhone 12 Pro", 99_900),
                (1, "iPhone 12", 69_900),
                (2, "iPhone SE", 39_900),
                (3, "iPhone 11", 59_900)
            ]
        );
        assert_eq!(c.currency, "usd");
    }

    #[test]
    fn rejects_duplicate_ids_and_floats() {
        let dup = r#"{"currency":"usd","products":[{"id":1,"name":"a","price_cents":1},{"id":1,"name":"b","price_cents":2}]}"#;
        assert!(Catalogue::parse(dup, "t").is_err());
        let float = r#"{"currency":"usd","products":[{"id":1,"name":"a","price_cents":9.99}]}"#;
        assert!(Catalogue::parse(float, "t").is_err());
    }
}
