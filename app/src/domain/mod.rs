//! Newtypes that input is parsed into at the edge, so the rest of the code never sees a bad value.
mod cart_id;
mod cart_id_key;
mod checkout;
mod email;
mod money;
pub mod payment;
mod quantity;

pub use cart_id::CartId;
pub use cart_id_key::CartIdKey;
pub use checkout::CheckoutRequest;
pub use email::Email;
pub use money::Cents;
pub use payment::{ConfirmBy, Payment, PaymentEvent, PaymentLookup, PaymentStatus};
pub use quantity::Quantity;

/// A catalogue product's id. Any `u32` parses; whether it exists is the catalogue's question.
pub type ProductId = u32;
