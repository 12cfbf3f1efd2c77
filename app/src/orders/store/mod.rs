//! The order store: one code path over SQLite and PostgreSQL through sqlx's `Any` driver, with
//! the schema in embedded migrations (one folder per backend; only identity columns differ).
use super::{Order, OrderLine, OrderStatus};
use crate::domain::Cents;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Row};
use std::time::SystemTime;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("order {0} not found")]
    NotFound(i64),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("this Idempotency-Key was already used for a different order")]
    KeyReused,
    /// The cart's checkout is already an order, paid by another payment: this payment must
    /// be refunded, not recorded.
    #[error("cart {0} already has an order, paid by another payment")]
    CartHasOrder(String),
    #[error("product {0} not found")]
    ProductNotFound(u32),
    #[error("another product has sku {0}")]
    SkuTaken(String),
    /// Stock on hand may not fall below what open carts hold.
    #[error("{reserved} units of product {product_id} are reserved by open carts; on hand cannot go below that")]
    StockReserved { product_id: u32, reserved: u32 },
    #[error("product {0}'s stock is not tracked; set a number on hand first")]
    StockUntracked(u32),
}

/// The shop's database: orders, and the catalogue with its stock and the carts' reservations.
#[derive(Clone)]
pub struct OrderStore {
    pool: AnyPool,
    sqlite: bool,
}

/// An order to record. A guest (no customer id) gets the customer keyed by `email`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewOrder {
    pub customer_id: Option<i64>,
    pub email: Option<String>,
    pub total_cents: Cents,
    pub currency: String,
    pub cart_id: Option<String>,
    pub payment_ref: Option<String>,
    pub lines: Vec<OrderLine>,
    /// A client's `Idempotency-Key` and the fingerprint of its request.
    pub idempotency: Option<(String, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub status: Option<OrderStatus>,
    /// Keyset pagination: orders with an id greater than this.
    pub after_id: Option<i64>,
    pub limit: i64,
}

pub(super) fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// The columns `order_from_row` reads, as a macro so queries stay literal strings.
macro_rules! order_columns {
    () => {
        "id, customer_id, status, total_cents, currency, email, cart_id, payment_ref, refund_ref, created_at, updated_at, refund_error"
    };
}

/// The columns `product_from_row` reads.
macro_rules! product_columns {
    () => {
        "id, sku, name, description, image, price_cents, active, on_hand, reserved"
    };
}

mod create;
mod discounts;
mod products;
mod rates;
mod reconciliation;
mod rows;
mod status;
mod stock;

pub use products::Saved;
pub use reconciliation::{ReconciliationRun, RunProblem};
pub use stock::{Held, Hold};

use rows::{column, order_from_row};

impl OrderStore {
    /// `url`: `sqlite://path.db?mode=rwc` or `postgres://…`. Applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        // SQLite serialises writers anyway; a small pool avoids "database is locked" churn.
        let max = if url.starts_with("sqlite") { 4 } else { 10 };
        let pool = AnyPoolOptions::new().max_connections(max).connect(url).await?;
        let store = Self {
            pool,
            sqlite: url.starts_with("sqlite"),
        };
        store.migrate(url).await?;
        Ok(store)
    }

    /// Applies pending migrations, safe when several processes start on an empty database at
    /// once (the worker and the gateway do). PostgreSQL serialises migrators with an advisory
    /// lock; SQLite has none, so a process that loses the race (`table … already exists`, or
    /// `database is locked`) has had its transaction rolled back and tries again, and the next
    /// pass finds the winner's migration recorded.
    async fn migrate(&self, url: &str) -> Result<(), StoreError> {
        const ATTEMPTS: u32 = 20;
        let mut attempt = 1;
        loop {
            match self.migrate_once(url).await {
                Ok(()) => return Ok(()),
                Err(e) if attempt < ATTEMPTS => {
                    tracing::info!(attempt, error = %e, "migration raced another process; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(50 * u64::from(attempt))).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn migrate_once(&self, url: &str) -> Result<(), StoreError> {
        if url.starts_with("postgres") {
            sqlx::migrate!("./migrations/postgres").run(&self.pool).await?;
        } else {
            sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?;
        }
        Ok(())
    }

    /// A transaction that writes. SQLite's begins with the write lock taken (`BEGIN IMMEDIATE`),
    /// so one that reads before it writes waits its turn instead of failing to upgrade a read
    /// lock while another writer holds it.
    async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(if self.sqlite {
            self.pool.begin_with("BEGIN IMMEDIATE").await?
        } else {
            self.pool.begin().await?
        })
    }

    /// The order that records this payment, if any (deleted or not).
    pub async fn id_for_payment(&self, payment_ref: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT id FROM orders WHERE payment_ref = $1")
            .bind(payment_ref)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    async fn id_for_cart(&self, cart_id: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT id FROM orders WHERE cart_id = $1")
            .bind(cart_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    /// A live (not deleted) order with its lines.
    pub async fn get(&self, id: i64) -> Result<Order, StoreError> {
        let sql = concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE id = $1 AND deleted_at IS NULL"
        );
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound(id))?;
        let mut order = order_from_row(&row)?;
        let lines = sqlx::query(
            "SELECT product_id, name, unit_price_cents, quantity FROM order_lines WHERE order_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        order.lines = lines
            .iter()
            .map(|r| {
                Ok(OrderLine {
                    product_id: column(r, "product_id")?,
                    name: r.try_get("name")?,
                    unit_price_cents: Cents(column(r, "unit_price_cents")?),
                    quantity: column(r, "quantity")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(order)
    }

    /// Live orders in id order (stable under inserts), optionally of one status.
    pub async fn list(&self, q: &ListQuery) -> Result<Vec<Order>, StoreError> {
        let sql = concat!(
            "SELECT ",
            order_columns!(),
            " FROM orders WHERE deleted_at IS NULL AND id > $1 AND ($2 = '' OR status = $2) ORDER BY id LIMIT $3"
        );
        let rows = sqlx::query(sql)
            .bind(q.after_id.unwrap_or(0))
            .bind(q.status.map_or("", OrderStatus::as_str))
            .bind(q.limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| order_from_row(r).map_err(StoreError::from))
            .collect()
    }

    /// Hides the order from the API while keeping the row for audit.
    pub async fn mark_deleted(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE orders SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
            .bind(now())
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether a row exists at all, deleted or not (audits and tests).
    pub async fn row_exists(&self, id: i64) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT 1 FROM orders WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .is_some())
    }
}
