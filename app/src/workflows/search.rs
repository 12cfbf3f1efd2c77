//! What operators can find carts by in Temporal's visibility store: status, item count, total
//! in cents and the time of the last change. Nothing personal (no email, no lines), since the
//! server indexes these in plain text, outside the payload codec.
//!
//! When they are written, so that an ordinary change costs no history event:
//! - a cart's first change (update-with-start, signal-with-start) sets them in the start
//!   options, as the cart is after that change: no event (a cart started any other way, by
//!   signal-with-start or an explicit start, gets them from its first workflow task);
//! - the workflow upserts them when the status changes (checking out, paid, payment failed,
//!   active again, expired), the item count, total and last change riding along;
//! - and when the inactivity timer fires on a cart that stays open, at most once per fire.
//!
//! Between those, the status is exact (up to visibility's lag) but the item count, total and
//! last change may be older than the cart: `GET /cart/{id}` is the exact state.
use crate::cart::{Cart, CartStatus};
use std::time::SystemTime;
use temporalio_common::protos::temporal::api::enums::v1::IndexedValueType;
use temporalio_common::search_attributes::{SearchAttributeKey, SearchAttributeUpdate, SearchAttributes, Timestamp};

pub const STATUS: SearchAttributeKey<String> = SearchAttributeKey::keyword("CartStatus");
pub const ITEM_COUNT: SearchAttributeKey<i64> = SearchAttributeKey::int("CartItemCount");
pub const TOTAL_CENTS: SearchAttributeKey<i64> = SearchAttributeKey::int("CartTotalCents");
pub const UPDATED_AT: SearchAttributeKey<Timestamp> = SearchAttributeKey::datetime("CartUpdatedAt");

/// Every attribute with its type, for registering them on a namespace.
pub const ATTRIBUTES: [(&str, IndexedValueType); 4] = [
    ("CartStatus", IndexedValueType::Keyword),
    ("CartItemCount", IndexedValueType::Int),
    ("CartTotalCents", IndexedValueType::Int),
    ("CartUpdatedAt", IndexedValueType::Datetime),
];

/// The `--search-attribute` flags of `temporal server start-dev` that register [`ATTRIBUTES`].
pub fn dev_server_flags() -> Vec<String> {
    ATTRIBUTES
        .iter()
        .flat_map(|(name, t)| ["--search-attribute".to_owned(), format!("{name}={}", type_name(*t))])
        .collect()
}

fn type_name(t: IndexedValueType) -> &'static str {
    match t {
        IndexedValueType::Keyword => "Keyword",
        IndexedValueType::Int => "Int",
        IndexedValueType::Datetime => "Datetime",
        _ => unreachable!("only the types in ATTRIBUTES"),
    }
}

/// A cart as visibility shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CartIndex {
    pub status: CartStatus,
    pub item_count: u32,
    pub total_cents: u64,
    pub updated_at: Option<SystemTime>,
}

impl CartIndex {
    pub fn of(cart: &Cart, updated_at: Option<SystemTime>) -> Self {
        Self {
            status: cart.status,
            item_count: cart.item_count(),
            total_cents: cart.total().0,
            updated_at,
        }
    }

    /// The attributes to start a workflow with.
    pub fn start_attributes(&self) -> SearchAttributes {
        let mut attrs = SearchAttributes::default();
        self.updates(&attrs).into_iter().for_each(|u| attrs.apply(u));
        attrs
    }

    /// Whether `current` shows another status than this (or none): the workflow then upserts.
    pub fn status_changed(&self, current: &SearchAttributes) -> bool {
        current.get(&STATUS).as_deref() != Some(self.status.as_str())
    }

    /// The upserts that bring `current` up to this; empty when visibility is already right.
    pub fn updates(&self, current: &SearchAttributes) -> Vec<SearchAttributeUpdate> {
        let mut out = vec![];
        let status = self.status.as_str().to_owned();
        if current.get(&STATUS).as_ref() != Some(&status) {
            out.push(STATUS.value_set(status));
        }
        let count = i64::from(self.item_count);
        if current.get(&ITEM_COUNT) != Some(count) {
            out.push(ITEM_COUNT.value_set(count));
        }
        // Totals are capped far below i64::MAX by the cart's limits.
        let total = i64::try_from(self.total_cents).unwrap_or(i64::MAX);
        if current.get(&TOTAL_CENTS) != Some(total) {
            out.push(TOTAL_CENTS.value_set(total));
        }
        if let Some(at) = self.updated_at {
            let at = Timestamp::from(at);
            if current.get(&UPDATED_AT).as_ref() != Some(&at) {
                out.push(UPDATED_AT.value_set(at));
            }
        }
        out
    }

    /// Reads a cart back from its search attributes; `None` for a cart never indexed (one
    /// whose run began before the workflow kept them).
    pub fn from_attributes(attrs: &SearchAttributes) -> Option<Self> {
        let raw = attrs.get(&STATUS)?;
        let status = CartStatus::ALL.into_iter().find(|s| s.as_str() == raw)?;
        Some(Self {
            status,
            item_count: attrs.get(&ITEM_COUNT).and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
            total_cents: attrs.get(&TOTAL_CENTS).and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
            updated_at: attrs.get(&UPDATED_AT).and_then(|t| SystemTime::try_from(t).ok()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn index(status: CartStatus, items: u32, at: u64) -> CartIndex {
        CartIndex {
            status,
            item_count: items,
            total_cents: u64::from(items) * 250,
            updated_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(at)),
        }
    }

    fn applied(updates: Vec<SearchAttributeUpdate>, mut attrs: SearchAttributes) -> SearchAttributes {
        updates.into_iter().for_each(|u| attrs.apply(u));
        attrs
    }

    #[test]
    fn only_what_changed_is_sent_and_reads_back() {
        let first = index(CartStatus::Active, 1, 100);
        let attrs = applied(first.updates(&SearchAttributes::default()), SearchAttributes::default());
        assert_eq!(CartIndex::from_attributes(&attrs), Some(first.clone()));
        assert!(first.updates(&attrs).is_empty(), "nothing changed, nothing sent");
        let second = index(CartStatus::Active, 2, 100);
        assert_eq!(second.updates(&attrs).len(), 2, "count and total");
        assert!(!second.status_changed(&attrs), "more items, same status: no upsert due");
        let closed = index(CartStatus::CheckedOut, 1, 160);
        assert!(closed.status_changed(&attrs));
        let attrs = applied(closed.updates(&attrs), attrs);
        assert_eq!(CartIndex::from_attributes(&attrs), Some(closed));
    }

    #[test]
    fn start_attributes_read_back_and_leave_nothing_to_upsert() {
        let first = index(CartStatus::Active, 3, 100);
        let attrs = first.start_attributes();
        assert_eq!(CartIndex::from_attributes(&attrs), Some(first.clone()));
        assert!(!first.status_changed(&attrs) && first.updates(&attrs).is_empty());
        assert!(first.status_changed(&SearchAttributes::default()), "no status yet");
    }

    #[test]
    fn flags_register_every_attribute() {
        assert_eq!(
            dev_server_flags().join(" "),
            "--search-attribute CartStatus=Keyword --search-attribute CartItemCount=Int \
             --search-attribute CartTotalCents=Int --search-attribute CartUpdatedAt=Datetime"
        );
    }
}
