//! An operator's product (`PUT /admin/products/{id}`), parsed into a [`Product`] field by field,
//! each refusal naming its field. The seed file's products pass the same checks.
use super::Product;
use crate::domain::{Cents, ProductId};
use serde::{Deserialize, Deserializer};

/// Dearer than this is a typing mistake, not a price ($10,000,000.00).
pub const MAX_PRICE_CENTS: u64 = 1_000_000_000;
/// More on hand than this is a typing mistake too.
pub const MAX_STOCK: u32 = 1_000_000_000;

/// Create or replace: every field is the product's from now on. `stock` must be given
/// (a number of units on hand, or `null` for stock not tracked), so that a price change sent
/// without it cannot quietly stop stock being counted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductDraft {
    /// Defaults to `P-<id>`.
    pub sku: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// An `https://` URL or a path on the shop's own site.
    #[serde(default)]
    pub image: String,
    /// Integer cents, 0 to [`MAX_PRICE_CENTS`]. Any JSON number parses, so that a float or a
    /// negative is refused by name (422), not as malformed JSON.
    #[cfg_attr(feature = "openapi", schema(value_type = u64))]
    pub price_cents: serde_json::Number,
    #[serde(default, deserialize_with = "given")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>, required = true))]
    pub stock: Option<Option<serde_json::Number>>,
    #[serde(default = "super::yes")]
    pub active: bool,
}

/// A present field (`null` included) is `Some`; an absent one stays at the default, `None`.
fn given<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DraftError {
    pub field: &'static str,
    pub message: String,
}

fn price_rule() -> String {
    format!("price_cents must be an integer from 0 to {MAX_PRICE_CENTS}")
}

fn stock_rule() -> String {
    format!("stock must be an integer from 0 to {MAX_STOCK}, or null")
}

fn refuse(field: &'static str, message: impl Into<String>) -> DraftError {
    DraftError {
        field,
        message: message.into(),
    }
}

impl ProductDraft {
    /// The product this draft makes of id `id`; its reservations are the database's to keep.
    pub fn into_product(self, id: ProductId) -> Result<Product, DraftError> {
        let price_cents = self
            .price_cents
            .as_u64()
            .ok_or_else(|| refuse("price_cents", price_rule()))?;
        let stock = match self.stock {
            None => {
                return Err(refuse(
                    "stock",
                    "stock is required: the units on hand, or null when stock is not tracked",
                ));
            }
            Some(None) => None,
            Some(Some(n)) => Some(
                n.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| refuse("stock", stock_rule()))?,
            ),
        };
        let product = Product {
            id,
            sku: self.sku.unwrap_or_else(|| format!("P-{id}")),
            name: self.name.trim().to_owned(),
            description: self.description,
            image: self.image.trim().to_owned(),
            price_cents: Cents(price_cents),
            active: self.active,
            stock,
            reserved: 0,
        };
        Self::check(&product)?;
        Ok(product)
    }

    /// The rules every product keeps, whether an operator sent it or the seed file held it.
    pub fn check(p: &Product) -> Result<(), DraftError> {
        if p.name.trim().is_empty() || p.name.chars().count() > 200 || p.name.chars().any(char::is_control) {
            return Err(refuse(
                "name",
                "name must be 1 to 200 characters, none of them control characters",
            ));
        }
        if p.sku.is_empty()
            || p.sku.len() > 64
            || !p.sku.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(refuse("sku", "sku must be 1 to 64 letters, digits, '-', '_' or '.'"));
        }
        if p.description.chars().count() > 5000 {
            return Err(refuse("description", "description must be at most 5000 characters"));
        }
        let image_ok = p.image.is_empty()
            || ((p.image.starts_with("https://") || (p.image.starts_with('/') && !p.image.starts_with("//")))
                && p.image.len() <= 2048
                && !p
                    .image
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "\"'<>\\".contains(c)));
        if !image_ok {
            return Err(refuse("image", "image must be an https:// URL or a path on this site"));
        }
        if p.price_cents.0 > MAX_PRICE_CENTS {
            return Err(refuse("price_cents", price_rule()));
        }
        if p.stock.is_some_and(|n| n > MAX_STOCK) {
            return Err(refuse("stock", stock_rule()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(json: &str) -> Result<Product, DraftError> {
        serde_json::from_str::<ProductDraft>(json).unwrap().into_product(7)
    }

    #[test]
    fn a_full_draft_becomes_the_product() {
        let p = draft(r#"{"name":" Case ","price_cents":1999,"stock":3,"image":"https://x.example/c.png"}"#).unwrap();
        assert_eq!(
            (p.sku.as_str(), p.name.as_str(), p.price_cents, p.stock, p.active),
            ("P-7", "Case", Cents(1999), Some(3), true)
        );
        let untracked = draft(r#"{"name":"Case","price_cents":0,"stock":null,"active":false}"#).unwrap();
        assert_eq!((untracked.stock, untracked.active), (None, false));
    }

    #[test]
    fn each_bad_field_is_named() {
        let field = |json: &str| draft(json).unwrap_err().field;
        assert_eq!(field(r#"{"name":"Case","price_cents":1}"#), "stock");
        assert_eq!(field(r#"{"name":"  ","price_cents":1,"stock":1}"#), "name");
        assert_eq!(field(r#"{"name":"a","sku":"a b","price_cents":1,"stock":1}"#), "sku");
        assert_eq!(
            field(r#"{"name":"a","image":"javascript:x","price_cents":1,"stock":1}"#),
            "image"
        );
        assert_eq!(
            field(r#"{"name":"a","image":"//evil.example/x","price_cents":1,"stock":1}"#),
            "image"
        );
        assert_eq!(
            field(r#"{"name":"a","price_cents":1000000001,"stock":1}"#),
            "price_cents"
        );
        assert_eq!(field(r#"{"name":"a","price_cents":1,"stock":1000000001}"#), "stock");
    }

    #[test]
    fn floats_and_negatives_are_named_and_strangers_do_not_parse() {
        let field = |json: &str| draft(json).unwrap_err().field;
        assert_eq!(field(r#"{"name":"a","price_cents":9.99,"stock":1}"#), "price_cents");
        assert_eq!(field(r#"{"name":"a","price_cents":-1,"stock":1}"#), "price_cents");
        assert_eq!(field(r#"{"name":"a","price_cents":1,"stock":-1}"#), "stock");
        assert_eq!(field(r#"{"name":"a","price_cents":1,"stock":2.5}"#), "stock");
        let stranger = r#"{"name":"a","price_cents":1,"stock":1,"colour":"red"}"#;
        assert!(serde_json::from_str::<ProductDraft>(stranger).is_err());
    }
}
