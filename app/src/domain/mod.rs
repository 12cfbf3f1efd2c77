//! Newtypes that input is parsed into at the edge, so the rest of the code never sees a bad value.

/// The `String` conversions serde's `try_from`/`into` use for a newtype over a `String` whose
/// `parse(&str) -> Result<Self, String>` is the only way in, so deserializing checks it too.
macro_rules! parsed_from_string {
    ($t:ty) => {
        impl TryFrom<String> for $t {
            type Error = String;
            fn try_from(s: String) -> Result<Self, String> {
                Self::parse(&s)
            }
        }

        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0
            }
        }
    };
}

mod cart_id;
mod cart_id_key;
mod checkout;
mod email;
mod fingerprint;
mod money;
pub mod payment;
mod quantity;
pub mod redact;

pub use cart_id::{CartId, CartTag};
pub use cart_id_key::CartIdKey;
pub use checkout::CheckoutRequest;
pub use email::Email;
pub use fingerprint::{Fingerprinted, fingerprint};
pub use money::Cents;
pub use payment::{ConfirmBy, Payment, PaymentEvent, PaymentLookup, PaymentStatus};
pub use quantity::Quantity;

/// A catalogue product's id. Any `u32` parses; whether it exists is the catalogue's question.
pub type ProductId = u32;
