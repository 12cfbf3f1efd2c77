//! The order store: one code path over SQLite and PostgreSQL through sqlx's `Any` driver, with
//! the schema in embedded migrations (one folder per backend; only identity columns differ).
use super::{Order, OrderLine, OrderStatus};
use crate::domain::Cents;
use sqlx::any::{AnyPoolOptions, AnyRow};
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
}

#[derive(Clone)]
pub struct OrderStore {
    pool: AnyPool,
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

fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// The columns `order_from_row` reads, as a macro so queries stay literal strings.
macro_rules! order_columns {
    () => {
        "id, customer_id, status, total_cents, currency, email, cart_id, payment_ref, refund_ref, created_at, updated_at, refund_error"
    };
}

impl OrderStore {
    /// `url`: `sqlite://path.db?mode=rwc` or `postgres://…`. Applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        // SQLite serialises writers anyway; a small pool avoids "database is locked" churn.
        let max = if url.starts_with("sqlite") { 4 } else { 10 };
        let pool = AnyPoolOptions::new().max_connections(max).connect(url).await?;
        let store = Self { pool };
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

    /// Inserts the order and its lines in one transaction. A payment already recorded returns
    /// its order instead: recording a checkout is safe to retry.
    pub async fn create(&self, order: &NewOrder) -> Result<Order, StoreError> {
        if let Some(found) = self.existing(order).await? {
            return Ok(found);
        }
        match self.insert(order).await {
            Ok(made) => Ok(made),
            // A concurrent twin (same cart or key) won the insert: answer with its order.
            Err(e) => self.existing(order).await?.ok_or(e),
        }
    }

    /// The order this request already made: the same payment, or the same idempotency key
    /// (which must then come with the same request). A cart whose order another payment made
    /// is refused.
    async fn existing(&self, order: &NewOrder) -> Result<Option<Order>, StoreError> {
        if let Some(payment) = &order.payment_ref
            && let Some(id) = self.id_for_payment(payment).await?
        {
            return Ok(Some(self.get(id).await?));
        }
        if let Some(cart_id) = &order.cart_id
            && self.id_for_cart(cart_id).await?.is_some()
        {
            return Err(StoreError::CartHasOrder(cart_id.clone()));
        }
        let Some((key, fingerprint)) = &order.idempotency else {
            return Ok(None);
        };
        let row = sqlx::query("SELECT id, request_fingerprint FROM orders WHERE idempotency_key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        if row.try_get::<Option<String>, _>("request_fingerprint")?.as_ref() != Some(fingerprint) {
            return Err(StoreError::KeyReused);
        }
        Ok(Some(self.get(row.try_get("id")?).await?))
    }

    async fn insert(&self, order: &NewOrder) -> Result<Order, StoreError> {
        let mut tx = self.pool.begin().await?;
        let ts = now();
        let customer_id = match (order.customer_id, &order.email) {
            (Some(id), _) => {
                sqlx::query(
                    "INSERT INTO customers (id, email, created_at) VALUES ($1, NULL, $2) ON CONFLICT (id) DO NOTHING",
                )
                .bind(id)
                .bind(&ts)
                .execute(&mut *tx)
                .await?;
                id
            }
            (None, email) => {
                let email = email.clone().unwrap_or_default().to_lowercase();
                // Write first (SQLite then takes its write lock at once, instead of failing to
                // upgrade a read lock under a concurrent writer); a known address wastes a number.
                let n: i64 = sqlx::query("INSERT INTO guest_ids DEFAULT VALUES RETURNING id")
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?;
                // A known address keeps its customer; the same new one arriving at once: one row wins.
                sqlx::query(
                    "INSERT INTO customers (id, email, created_at) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING",
                )
                .bind(super::GUEST_IDS_FROM + n)
                .bind(&email)
                .bind(&ts)
                .execute(&mut *tx)
                .await?;
                sqlx::query("SELECT id FROM customers WHERE email = $1")
                    .bind(&email)
                    .fetch_one(&mut *tx)
                    .await?
                    .try_get("id")?
            }
        };
        let id: i64 = sqlx::query(
            "INSERT INTO orders (customer_id, status, total_cents, currency, email, cart_id, payment_ref, created_at, updated_at, \
             idempotency_key, request_fingerprint) VALUES ($1, 'pending', $2, $3, $4, $5, $6, $7, $7, $8, $9) RETURNING id",
        )
        .bind(customer_id)
        .bind(bigint(order.total_cents)?)
        .bind(&order.currency)
        .bind(order.email.as_deref())
        .bind(order.cart_id.as_deref())
        .bind(order.payment_ref.as_deref())
        .bind(&ts)
        .bind(order.idempotency.as_ref().map(|(k, _)| k.as_str()))
        .bind(order.idempotency.as_ref().map(|(_, f)| f.as_str()))
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        for line in &order.lines {
            sqlx::query(
                "INSERT INTO order_lines (order_id, product_id, name, unit_price_cents, quantity) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(i64::from(line.product_id))
            .bind(&line.name)
            .bind(bigint(line.unit_price_cents)?)
            .bind(i64::from(line.quantity))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.get(id).await
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

    /// Writes the workflow's view of an order. Idempotent: a re-run writes the same row, and
    /// `updated_at` moves only when something actually changed.
    pub async fn record(
        &self,
        id: i64,
        status: OrderStatus,
        total: Cents,
        refund_ref: Option<&str>,
        refund_error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE orders SET status = $1, total_cents = $2, refund_ref = COALESCE($3, refund_ref), \
             refund_error = COALESCE($6, refund_error), updated_at = $4 \
             WHERE id = $5 AND (status <> $1 OR total_cents <> $2 OR ($3 IS NOT NULL AND refund_ref IS NULL) \
             OR ($6 IS NOT NULL AND refund_error IS NULL))",
        )
        .bind(status.as_str())
        .bind(bigint(total)?)
        .bind(refund_ref)
        .bind(now())
        .bind(id)
        .bind(refund_error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks an order void: its payment was refunded because the order could not be completed.
    pub async fn void(&self, id: i64, refund_ref: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE orders SET status = 'cancelled', refund_ref = COALESCE(refund_ref, $1), updated_at = $2 \
             WHERE id = $3 AND (status <> 'cancelled' OR refund_ref IS NULL)",
        )
        .bind(refund_ref)
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
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

fn order_from_row(r: &AnyRow) -> Result<Order, sqlx::Error> {
    let status: String = r.try_get("status")?;
    Ok(Order {
        id: r.try_get("id")?,
        customer_id: r.try_get("customer_id")?,
        status: OrderStatus::parse(&status)
            .ok_or_else(|| sqlx::Error::Decode(format!("bad status {status}").into()))?,
        total_cents: Cents(column(r, "total_cents")?),
        currency: r.try_get("currency")?,
        email: r.try_get("email")?,
        cart_id: r.try_get("cart_id")?,
        payment_ref: r.try_get("payment_ref")?,
        refund_ref: r.try_get("refund_ref")?,
        lines: vec![],
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        refund_error: r.try_get("refund_error")?,
    })
}

/// An amount for a BIGINT column. The gateway refuses amounts anywhere near the limit, so one
/// past it is a bug: it is refused here rather than wrapped into a negative number.
fn bigint(cents: Cents) -> Result<i64, StoreError> {
    i64::try_from(cents.0).map_err(|_| {
        StoreError::Db(sqlx::Error::Encode(
            format!("{} cents do not fit a BIGINT", cents.0).into(),
        ))
    })
}

/// A BIGINT column read as the unsigned type it holds; a value out of that type's range is
/// reported as corrupt, never wrapped.
fn column<T: TryFrom<i64>>(r: &AnyRow, name: &str) -> Result<T, sqlx::Error> {
    let value: i64 = r.try_get(name)?;
    T::try_from(value).map_err(|_| sqlx::Error::Decode(format!("column {name} holds {value}, out of range").into()))
}
