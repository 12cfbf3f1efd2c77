//! Every error code the shop answers with, and what it means at the edge: the HTTP status and
//! the request field at fault. One table (meilisearch's `make_error_codes!` is the model): the
//! cart rules, both workflows, the clients and the gateway take their codes from here, so a
//! code cannot be misspelt in one place and its status decided in another.
//!
//! A workflow refuses an update with a failure whose message reads `code: message`
//! ([`refusal_message`], [`parse_refusal`]). The failure's type would be the natural carrier,
//! but SDK 1.1 wraps a handler's error in a new application failure and drops the type.

macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $status:literal, $field:expr;)*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// The HTTP status the gateway answers with.
            pub fn status(self) -> u16 {
                match self { $(Code::$variant => $status,)* }
            }

            /// The request field at fault, if one is.
            pub fn field(self) -> Option<&'static str> {
                match self { $(Code::$variant => $field,)* }
            }

            pub fn parse(code: &str) -> Option<Code> {
                match code { $($name => Some(Code::$variant),)* _ => None }
            }
        }
    };
}

codes! {
    // The request itself.
    InvalidRequest = "invalid_request", 400, None;
    Unauthorized = "unauthorized", 401, None;
    Forbidden = "forbidden", 403, None;
    NotFound = "not_found", 404, None;
    MethodNotAllowed = "method_not_allowed", 405, None;
    PayloadTooLarge = "payload_too_large", 413, None;
    UnsupportedMediaType = "unsupported_media_type", 415, None;
    InvalidValue = "invalid_value", 422, None;
    IdempotencyKeyReused = "idempotency_key_reused", 422, Some("Idempotency-Key");
    RateLimited = "rate_limited", 429, None;
    // Carts: the rules of `crate::cart`, and the cart's life.
    CartNotFound = "cart_not_found", 404, None;
    CartExists = "cart_exists", 409, None;
    CartClosed = "cart_closed", 409, None;
    UnknownProduct = "unknown_product", 422, Some("product_id");
    InvalidQuantity = "invalid_quantity", 422, Some("quantity");
    TooManyLines = "too_many_lines", 422, Some("product_id");
    NotInCart = "not_in_cart", 422, Some("product_id");
    InvalidEmail = "invalid_email", 422, Some("email");
    EmailRequired = "email_required", 422, Some("email");
    CartEmpty = "cart_empty", 422, Some("lines");
    CartLocked = "cart_locked", 409, None;
    PaymentPending = "payment_pending", 409, None;
    PaymentDeclined = "payment_declined", 402, None;
    OutOfStock = "out_of_stock", 409, Some("product_id");
    PriceChanged = "price_changed", 409, None;
    /// A refusal whose message names no code (a workflow older than this table, say).
    Rejected = "rejected", 422, None;
    // Orders.
    OrderNotFound = "order_not_found", 404, None;
    IllegalTransition = "illegal_transition", 409, None;
    TotalLocked = "total_locked", 409, None;
    CartAlreadyOrdered = "cart_already_ordered", 409, None;
    /// An open order whose workflow no longer runs: an operator must resolve it.
    OrderWorkflowGone = "order_workflow_gone", 409, None;
    /// An order change refused with no code of ours.
    Refused = "refused", 409, None;
    // The catalogue (operator routes).
    ProductNotFound = "product_not_found", 404, None;
    SkuTaken = "sku_taken", 409, Some("sku");
    /// Stock on hand cannot go below the units open carts hold.
    StockReserved = "stock_reserved", 409, Some("stock");
    StockUntracked = "stock_untracked", 409, Some("stock");
    // A dependency is down or slow: retry.
    OrdersUnavailable = "orders_unavailable", 503, None;
    CatalogueUnavailable = "catalogue_unavailable", 503, None;
    TemporalUnavailable = "temporal_unavailable", 503, None;
    TemporalTimeout = "temporal_timeout", 503, None;
    /// The cart's worker died and its workflow task is being retried on another.
    CartRecovering = "cart_recovering", 503, None;
    Unavailable = "unavailable", 503, None;
    Internal = "internal", 500, None;
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error that has its code: the cart's and the order's rules.
pub trait Coded: std::fmt::Display {
    fn code(&self) -> Code;

    /// Fields the code's answer carries besides its message (a JSON object), if any.
    fn detail(&self) -> Option<serde_json::Value> {
        None
    }
}

/// The message of a workflow's refusal: `code: message`, then the detail's JSON on a line of
/// its own when there is one.
pub fn refusal_message(code: Code, message: impl std::fmt::Display, detail: Option<&serde_json::Value>) -> String {
    match detail {
        Some(detail) => format!("{code}: {message}\n{detail}"),
        None => format!("{code}: {message}"),
    }
}

/// Reads a refusal's message back: its code, the message for people and the detail, or
/// `otherwise` and the whole message when it names no code of ours.
pub fn parse_refusal(failure_message: &str, otherwise: Code) -> (Code, String, Option<serde_json::Value>) {
    let (text, detail) = match failure_message.split_once('\n') {
        Some((text, json)) => match serde_json::from_str::<serde_json::Value>(json) {
            Ok(detail @ serde_json::Value::Object(_)) => (text, Some(detail)),
            _ => (failure_message, None),
        },
        None => (failure_message, None),
    };
    match text
        .split_once(": ")
        .and_then(|(code, message)| Some((Code::parse(code)?, message)))
    {
        Some((code, message)) => (code, message.to_owned(), detail),
        None => (otherwise, failure_message.to_owned(), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_is_named_once_and_reads_back() {
        let mut names = std::collections::HashSet::new();
        for &code in Code::ALL {
            assert!(names.insert(code.as_str()), "{code} twice");
            assert_eq!(Code::parse(code.as_str()), Some(code));
            assert!((400..600).contains(&code.status()), "{code}");
        }
    }

    #[test]
    fn refusals_round_trip_and_strangers_are_kept_whole() {
        let message = refusal_message(Code::CartLocked, "the cart is checked_out: no: more", None);
        assert_eq!(
            parse_refusal(&message, Code::Rejected),
            (Code::CartLocked, "the cart is checked_out: no: more".into(), None)
        );
        assert_eq!(
            parse_refusal("boom: it broke", Code::Rejected),
            (Code::Rejected, "boom: it broke".into(), None)
        );
        let detail = serde_json::json!({"product_id": 3, "left": 1});
        let message = refusal_message(Code::OutOfStock, "only 1 of product 3", Some(&detail));
        assert_eq!(
            parse_refusal(&message, Code::Rejected),
            (Code::OutOfStock, "only 1 of product 3".into(), Some(detail))
        );
    }
}
