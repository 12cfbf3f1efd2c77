//! The reconciliation passes on record: where the next pass resumes, and what each found that
//! it could not fix (`GET /admin/reconciliation`).
use super::{OrderStore, StoreError};
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// A payment a pass could not put right, for an operator. Ids and a code, no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunProblem {
    pub payment_intent: String,
    /// `refunded_with_order` (a live order for a refunded payment), `partly_refunded`,
    /// `refund_failed` (Stripe would not refund it; retried next pass), `cart_unknown` (the
    /// cart could not be asked whether it is still paying; judged next pass).
    pub problem: String,
    pub detail: String,
}

/// One pass, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReconciliationRun {
    pub id: i64,
    pub started_at: String,
    pub finished_at: String,
    /// The window read: PaymentIntents created at or after this (unix seconds).
    pub since: i64,
    /// Where the next pass starts reading (unix seconds): the youngest payment this pass could
    /// not judge yet is read again.
    pub resume_at: i64,
    /// Succeeded PaymentIntents of the shop's that were read.
    pub checked: i64,
    /// Orphans this pass refunded.
    pub refunded: i64,
    pub problems: Vec<RunProblem>,
}

impl OrderStore {
    /// Records a finished pass.
    pub async fn record_run(&self, run: &ReconciliationRun) -> Result<i64, StoreError> {
        let problems = serde_json::to_string(&run.problems).unwrap_or_else(|_| "[]".into());
        let id: i64 = sqlx::query(
            "INSERT INTO reconciliation_runs (started_at, finished_at, since_at, resume_at, checked, refunded, problems) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&run.started_at)
        .bind(&run.finished_at)
        .bind(run.since)
        .bind(run.resume_at)
        .bind(run.checked)
        .bind(run.refunded)
        .bind(problems)
        .fetch_one(&self.pool)
        .await?
        .try_get("id")?;
        Ok(id)
    }

    /// The newest passes first.
    pub async fn runs(&self, limit: i64) -> Result<Vec<ReconciliationRun>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, started_at, finished_at, since_at, resume_at, checked, refunded, problems \
             FROM reconciliation_runs ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let problems: String = r.try_get("problems")?;
                Ok(ReconciliationRun {
                    id: r.try_get("id")?,
                    started_at: r.try_get("started_at")?,
                    finished_at: r.try_get("finished_at")?,
                    since: r.try_get("since_at")?,
                    resume_at: r.try_get("resume_at")?,
                    checked: r.try_get("checked")?,
                    refunded: r.try_get("refunded")?,
                    problems: serde_json::from_str(&problems).unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Where the next pass starts reading, if a pass ever finished.
    pub async fn resume_at(&self) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT resume_at FROM reconciliation_runs ORDER BY id DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("resume_at")).transpose()?)
    }

    /// The status of the order recording this payment, if one does.
    pub async fn order_for_payment(&self, payment_ref: &str) -> Result<Option<(i64, super::OrderStatus)>, StoreError> {
        let row = sqlx::query("SELECT id, status FROM orders WHERE payment_ref = $1")
            .bind(payment_ref)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let status: String = row.try_get("status")?;
        let status = super::OrderStatus::parse(&status)
            .ok_or_else(|| StoreError::Db(sqlx::Error::Decode(format!("unknown order status {status:?}").into())))?;
        Ok(Some((row.try_get("id")?, status)))
    }
}
