//! Orders: permanent records in a relational database (SQLite by default, PostgreSQL by URL),
//! each processed by an order workflow. The status rules live here, shared by the workflow's
//! validator and the store.
mod service;
mod store;

pub use service::{FlowAnswer, OrderFlows, Orders, OrdersError};
pub use store::{Held, Hold, ListQuery, NewOrder, OrderStore, ReconciliationRun, RunProblem, Saved, StoreError};

/// Guest customers' ids start here (2^40); ids of accounts elsewhere (`POST /orders`) must be
/// below it, so the two never meet.
pub const GUEST_IDS_FROM: i64 = 1 << 40;

use crate::domain::Cents;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Processing,
    Completed,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Processing => "processing",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => OrderStatus::Pending,
            "processing" => OrderStatus::Processing,
            "completed" => OrderStatus::Completed,
            "cancelled" => OrderStatus::Cancelled,
            _ => return None,
        })
    }

    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Completed | OrderStatus::Cancelled)
    }

    /// pending → processing → completed; pending or processing → cancelled. Staying put is allowed.
    pub fn can_become(self, next: OrderStatus) -> bool {
        use OrderStatus::*;
        self == next
            || matches!(
                (self, next),
                (Pending, Processing) | (Processing, Completed) | (Pending | Processing, Cancelled)
            )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLine {
    pub product_id: u32,
    pub name: String,
    pub unit_price_cents: Cents,
    pub quantity: u32,
}

/// An order as stored. The HTTP layer shapes it into the contract's `Order`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: i64,
    pub customer_id: i64,
    pub status: OrderStatus,
    pub total_cents: Cents,
    pub currency: String,
    pub email: Option<String>,
    pub cart_id: Option<String>,
    pub payment_ref: Option<String>,
    pub refund_ref: Option<String>,
    pub lines: Vec<OrderLine>,
    pub created_at: String,
    pub updated_at: String,
    /// A refund Stripe refused for good; the order needs an operator.
    #[serde(default)]
    pub refund_error: Option<String>,
}

/// Why a requested change to an order is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("an order that is {} cannot become {}", .from.as_str(), .to.as_str())]
    IllegalTransition { from: OrderStatus, to: OrderStatus },
    #[error("the total can change only while the order is pending; it is {}", .0.as_str())]
    TotalLocked(OrderStatus),
}

impl crate::codes::Coded for OrderError {
    fn code(&self) -> crate::codes::Code {
        use crate::codes::Code;
        match self {
            OrderError::IllegalTransition { .. } => Code::IllegalTransition,
            OrderError::TotalLocked(_) => Code::TotalLocked,
        }
    }
}

/// The change `PUT /orders/{id}` asks for, already in cents.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OrderChange {
    pub status: Option<OrderStatus>,
    pub total_cents: Option<Cents>,
}

impl OrderChange {
    pub fn check(&self, current: OrderStatus) -> Result<(), OrderError> {
        if let Some(to) = self.status
            && !current.can_become(to)
        {
            return Err(OrderError::IllegalTransition { from: current, to });
        }
        if self.total_cents.is_some() && current != OrderStatus::Pending {
            return Err(OrderError::TotalLocked(current));
        }
        Ok(())
    }
}

/// Parses a money amount given as a JSON number with at most two decimals into cents, exactly.
pub fn cents_from_amount(amount: f64) -> Result<Cents, String> {
    if !amount.is_finite() || !(0.0..=1e12).contains(&amount) {
        return Err(format!(
            "total_amount must be between 0 and 1000000000000, got {amount}"
        ));
    }
    let cents = (amount * 100.0).round();
    if (amount * 100.0 - cents).abs() > 1e-6 {
        return Err(format!("total_amount has more than two decimals: {amount}"));
    }
    Ok(Cents(cents as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_moves_forward_only() {
        use OrderStatus::*;
        assert!(Pending.can_become(Processing) && Processing.can_become(Completed));
        assert!(Pending.can_become(Cancelled) && Processing.can_become(Cancelled));
        for (from, to) in [
            (Completed, Cancelled),
            (Cancelled, Pending),
            (Processing, Pending),
            (Pending, Completed),
            (Completed, Processing),
        ] {
            assert!(!from.can_become(to), "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn total_changes_only_while_pending() {
        let change = OrderChange {
            status: None,
            total_cents: Some(Cents(5)),
        };
        assert!(change.check(OrderStatus::Pending).is_ok());
        assert_eq!(
            change.check(OrderStatus::Processing),
            Err(OrderError::TotalLocked(OrderStatus::Processing))
        );
    }

    #[test]
    fn amounts_become_exact_cents() {
        assert_eq!(cents_from_amount(13.98), Ok(Cents(1398)));
        assert_eq!(cents_from_amount(0.1 + 0.2), Ok(Cents(30)));
        assert_eq!(cents_from_amount(999.0), Ok(Cents(99_900)));
        assert!(cents_from_amount(1.234).is_err());
        assert!(cents_from_amount(-1.0).is_err());
        assert!(cents_from_amount(f64::NAN).is_err());
    }
}
