//! Recording an order: once per payment or idempotency key, in one transaction with its lines,
//! its customer and, for a cart's order, the sale of the units the cart held.
use super::rows::bigint;
use super::{NewOrder, OrderStore, StoreError, now};
use crate::orders::Order;
use sqlx::Row;

impl OrderStore {
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
                .bind(crate::orders::GUEST_IDS_FROM + n)
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
        if let Some(cart_id) = &order.cart_id {
            Self::sell(&mut tx, cart_id, id).await?;
        }
        tx.commit().await?;
        self.get(id).await
    }
}
