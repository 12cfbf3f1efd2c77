//! What a shopper asks of a cart, and why a request is refused.
use super::CartStatus;
use crate::codes::{Code, Coded};
use crate::domain::ProductId;
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
        }
    }
}

/// An update the workflow refused, as a client sees it (the message as [`crate::codes`] words it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Code,
    pub message: String,
}

impl From<&CartError> for Refusal {
    fn from(err: &CartError) -> Self {
        Self {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

impl Refusal {
    pub fn parse(failure_message: &str) -> Self {
        let (code, message) = crate::codes::parse_refusal(failure_message, Code::Rejected);
        Self { code, message }
    }
}
