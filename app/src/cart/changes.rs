//! What a shopper asks of a cart, and why a request is refused.
use super::CartStatus;
use crate::codes::{Code, Coded};
use crate::domain::{Cents, ProductId};
use serde::{Deserialize, Serialize};

/// Add `quantity` of a product. Field names follow the original shop's JSON (`ProductId`,
/// `Quantity`); snake_case is accepted too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemChange {
    #[serde(alias = "ProductId")]
    pub product_id: ProductId,
    #[serde(alias = "Quantity")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 99))]
    pub quantity: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailChange {
    #[serde(alias = "Email")]
    #[cfg_attr(feature = "openapi", schema(format = "email"))]
    pub email: String,
}

/// Why a change was refused. Its [`Code`] lets the gateway answer with a precise error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    #[error("product {0} is not in the catalogue")]
    UnknownProduct(ProductId),
    #[error("{0}")]
    Quantity(String),
    #[error("a cart holds at most {0} different products")]
    TooManyLines(usize),
    #[error("product {0} is not in the cart")]
    NotInCart(ProductId),
    #[error("{0}")]
    InvalidEmail(String),
    #[error("an email address is required to check out")]
    EmailRequired,
    #[error("the cart is empty")]
    Empty,
    #[error("the cart is {} and can no longer be changed", .0.as_str())]
    Locked(CartStatus),
    #[error("the last payment's outcome is being confirmed with the bank; try again shortly")]
    PaymentPending,
    #[error("not enough in stock: the cart can hold at most {left} of product {product_id} now")]
    OutOfStock { product_id: ProductId, left: u32 },
    /// The total to pay is not the one the shopper saw: a price rose or a product is no
    /// longer sold (or an accepted total is stale). Checking out again with
    /// `accept_total_cents: total_cents` pays the new total.
    #[error("prices changed since these products were added; the total is now {total_cents} cents")]
    PriceChanged {
        changes: Vec<PriceChange>,
        total_cents: Cents,
    },
    #[error("the shop's catalogue cannot be read right now; retry shortly")]
    CatalogueUnavailable,
}

/// A line whose price is no longer the one it was added at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriceChange {
    pub product_id: ProductId,
    pub old_price_cents: Cents,
    /// `null`: the product is no longer sold.
    pub new_price_cents: Option<Cents>,
}

impl crate::codes::Coded for CartError {
    fn code(&self) -> Code {
        match self {
            CartError::UnknownProduct(_) => Code::UnknownProduct,
            CartError::Quantity(_) => Code::InvalidQuantity,
            CartError::TooManyLines(_) => Code::TooManyLines,
            CartError::NotInCart(_) => Code::NotInCart,
            CartError::InvalidEmail(_) => Code::InvalidEmail,
            CartError::EmailRequired => Code::EmailRequired,
            CartError::Empty => Code::CartEmpty,
            CartError::Locked(_) => Code::CartLocked,
            CartError::PaymentPending => Code::PaymentPending,
            CartError::OutOfStock { .. } => Code::OutOfStock,
            CartError::PriceChanged { .. } => Code::PriceChanged,
            CartError::CatalogueUnavailable => Code::CatalogueUnavailable,
        }
    }

    fn detail(&self) -> Option<serde_json::Value> {
        match self {
            CartError::OutOfStock { product_id, left } => Some(serde_json::json!({
                "product_id": product_id,
                "left": left,
            })),
            CartError::PriceChanged { changes, total_cents } => Some(serde_json::json!({
                "changes": changes,
                "total_cents": total_cents,
            })),
            _ => None,
        }
    }
}

/// An update the workflow refused, as a client sees it (the message as [`crate::codes`] words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Code,
    pub message: String,
    /// What the code's answer carries besides (the units left, the changed prices).
    pub detail: Option<serde_json::Value>,
}

impl From<&CartError> for Refusal {
    fn from(err: &CartError) -> Self {
        Self {
            code: err.code(),
            message: err.to_string(),
            detail: err.detail(),
        }
    }
}

impl Refusal {
    pub fn parse(failure_message: &str) -> Self {
        let (code, message, detail) = crate::codes::parse_refusal(failure_message, Code::Rejected);
        Self { code, message, detail }
    }
}
