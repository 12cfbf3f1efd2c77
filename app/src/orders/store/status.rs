//! An order's status written as its workflow sees it, only along the allowed transitions, and a
//! cancelled order's stock put back in the same transaction.
use super::rows::bigint;
use super::{OrderStore, StoreError, now};
use crate::domain::Cents;
use crate::orders::OrderStatus;
use sqlx::Row;

impl OrderStore {
    /// Writes the workflow's view of an order. Idempotent: a re-run writes the same row, and
    /// `updated_at` moves only when something actually changed. The status moves only along
    /// [`OrderStatus::can_become`], checked in the statement itself: a write that would move a
    /// final order (a stale or restarted workflow's) changes nothing and answers `false`.
    pub async fn record(
        &self,
        id: i64,
        status: OrderStatus,
        total: Cents,
        refund_ref: Option<&str>,
        refund_error: Option<&str>,
    ) -> Result<bool, StoreError> {
        macro_rules! guarded {
            ($from:literal) => {
                concat!(
                    "UPDATE orders SET status = $1, total_cents = $2, refund_ref = COALESCE($3, refund_ref), ",
                    "refund_error = COALESCE($6, refund_error), updated_at = $4 WHERE id = $5 AND status IN ",
                    $from,
                    " AND (status <> $1 OR total_cents <> $2 OR ($3 IS NOT NULL AND refund_ref IS NULL) ",
                    "OR ($6 IS NOT NULL AND refund_error IS NULL))"
                )
            };
        }
        // Literal statements, one per target status: the guard is the predecessors' list.
        let sql = match status {
            OrderStatus::Pending => guarded!("('pending')"),
            OrderStatus::Processing => guarded!("('pending', 'processing')"),
            OrderStatus::Completed => guarded!("('processing', 'completed')"),
            OrderStatus::Cancelled => guarded!("('pending', 'processing', 'cancelled')"),
        };
        // A cancelled order's units go back on hand in the same transaction.
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(sql)
            .bind(status.as_str())
            .bind(bigint(total)?)
            .bind(refund_ref)
            .bind(now())
            .bind(id)
            .bind(refund_error)
            .execute(&mut *tx)
            .await?;
        if status == OrderStatus::Cancelled {
            Self::restock(&mut tx, id).await?;
        }
        tx.commit().await?;
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        // Nothing written: either it was already so (a re-run), or the guard refused it.
        let current = self.status_of(id).await?;
        Ok(current.is_some_and(|c| c.can_become(status)))
    }

    async fn status_of(&self, id: i64) -> Result<Option<OrderStatus>, StoreError> {
        let row = sqlx::query("SELECT status FROM orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row
            .map(|r| r.try_get::<String, _>("status"))
            .transpose()?
            .and_then(|s| OrderStatus::parse(&s)))
    }

    /// Marks an order void: its payment was refunded because the order could not be completed.
    /// A completed order is never voided (its goods went out; an operator decides).
    pub async fn void(&self, id: i64, refund_ref: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE orders SET status = 'cancelled', refund_ref = COALESCE(refund_ref, $1), updated_at = $2 \
             WHERE id = $3 AND status IN ('pending', 'processing', 'cancelled') \
             AND (status <> 'cancelled' OR refund_ref IS NULL)",
        )
        .bind(refund_ref)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        Self::restock(&mut tx, id).await?;
        tx.commit().await?;
        Ok(())
    }
}
