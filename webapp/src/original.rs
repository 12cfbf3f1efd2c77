//! The original tutorial's API (temporalio/temporal-ecommerce) as its Vue frontend reads and
//! writes it, beside ours: `Id`, `Name`, `Description`, `Image`, `Price` (dollars, a number) on
//! each product, `Items` and `Email` on every cart the gateway answers with, and request field
//! names in any case (`ProductID`, `ProductId`, `product_id`), as the Go API's JSON decoding took
//! them. Prices stay integer cents everywhere else; `Price` is for that page's display only.
use app::cart::CartView;
use app::catalogue::Product;
use app::domain::Cents;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A cart with the original shop's fields beside ours.
#[derive(Debug, Serialize, ToSchema)]
pub struct CartBody {
    #[serde(flatten)]
    pub cart: CartView,
    /// The lines as the original shop lists them.
    #[serde(rename = "Items")]
    #[schema(rename = "Items")]
    pub items: Vec<OriginalItem>,
    #[serde(rename = "Email")]
    #[schema(rename = "Email")]
    pub original_email: Option<String>,
}

/// One line in the original shop's shape; `Id` is the product's, as its page removes by it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct OriginalItem {
    pub product_id: u32,
    pub quantity: u32,
    pub id: u32,
    pub name: String,
    pub image: String,
    /// The unit price in dollars (a number), for display.
    pub price: f64,
}

/// Dollars as a number, for the original page's `${{ Price }}`.
pub fn dollars(cents: Cents) -> f64 {
    cents.0 as f64 / 100.0
}

impl CartBody {
    /// `products`: the gateway's copy of the catalogue, for the pictures (a product no longer
    /// listed shows none).
    pub fn of(cart: CartView, products: &[Product]) -> Self {
        let items = cart
            .lines
            .iter()
            .map(|l| OriginalItem {
                product_id: l.product_id,
                quantity: l.quantity,
                id: l.product_id,
                name: l.name.clone(),
                image: products
                    .iter()
                    .find(|p| p.id == l.product_id)
                    .map(|p| p.image.clone())
                    .unwrap_or_default(),
                price: dollars(l.unit_price_cents),
            })
            .collect();
        Self {
            original_email: cart.email.clone(),
            items,
            cart,
        }
    }
}

/// Renames the top-level keys of a JSON object that match one of `names` but for case and
/// underscores (`ProductID` → `product_id`), so the request deserialises whatever spelling the
/// client used. A key already spelt right wins over another spelling of it. Answers each
/// renamed key as `(ours, the client's)`, so an error can name the field as the client wrote it.
pub fn canonical_keys(value: &mut Value, names: &[&str]) -> Vec<(String, String)> {
    let Value::Object(map) = value else { return vec![] };
    let squash = |s: &str| s.replace('_', "").to_ascii_lowercase();
    let keys: Vec<String> = map.keys().cloned().collect();
    let mut renamed = vec![];
    for key in keys {
        let Some(name) = names.iter().find(|n| squash(n) == squash(&key)) else {
            continue;
        };
        if key != *name && !map.contains_key(*name) {
            let v = map.remove(&key).expect("listed key");
            map.insert((*name).to_owned(), v);
            renamed.push(((*name).to_owned(), key));
        }
    }
    renamed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn any_spelling_of_a_field_reads_as_ours() {
        for spelling in ["ProductID", "ProductId", "productid", "product_id", "PRODUCT_ID"] {
            let mut v = json!({ spelling: 3, "QUANTITY": 2 });
            canonical_keys(&mut v, &["product_id", "quantity"]);
            assert_eq!(v, json!({"product_id": 3, "quantity": 2}), "{spelling}");
        }
        let mut both = json!({"product_id": 1, "ProductID": 2});
        canonical_keys(&mut both, &["product_id"]);
        assert_eq!(both["product_id"], 1, "the right spelling wins");
        let mut other = json!({"colour": "red"});
        canonical_keys(&mut other, &["product_id"]);
        assert_eq!(
            other,
            json!({"colour": "red"}),
            "unknown keys are left for the type to judge"
        );
    }
}
