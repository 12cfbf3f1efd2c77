//! Stock held by carts. A cart's reservation of a product is one row (cart, product, units,
//! until when); the product's `reserved` column is the sum of its rows, changed in the same
//! transaction. Taking units is one guarded UPDATE, `on_hand - reserved >= n`, so two carts
//! can never both take the last one, on either database.
use super::products::product_from_row;
use super::rows::column;
use super::{OrderStore, StoreError};
use crate::catalogue::Product;
use crate::domain::ProductId;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::time::SystemTime;

/// The units of a product a cart wants held from now on (0: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub product_id: ProductId,
    pub quantity: u32,
}

/// What reserving found for one product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub product_id: ProductId,
    /// The product as it is now (name, price, whether on sale); `None` if it does not exist.
    pub product: Option<Product>,
    /// The cart holds the units it asked for. A product not on sale holds none.
    pub held: bool,
    /// The most this cart could hold now (its own units and the free ones); `None` when the
    /// product's stock is not tracked.
    pub left: Option<u32>,
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

/// The units the cart holds of the product now (0 if none).
async fn held(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    cart_id: &str,
    product_id: i64,
) -> Result<i64, StoreError> {
    Ok(
        sqlx::query("SELECT quantity FROM reservations WHERE cart_id = $1 AND product_id = $2")
            .bind(cart_id)
            .bind(product_id)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get("quantity"))
            .transpose()?
            .unwrap_or(0),
    )
}

/// The product as the transaction sees it.
async fn product_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    product_id: i64,
) -> Result<Option<Product>, StoreError> {
    Ok(
        sqlx::query(concat!("SELECT ", product_columns!(), " FROM products WHERE id = $1"))
            .bind(product_id)
            .fetch_optional(&mut **tx)
            .await?
            .as_ref()
            .map(product_from_row)
            .transpose()?,
    )
}

impl OrderStore {
    /// Sets the cart's reservation of each product to the units asked for, until `until`
    /// (0 units, or a product not on sale, releases it). A product short of stock keeps what
    /// the cart held before, and says how many the cart could have. Retrying with the same
    /// holds changes nothing more: quantities are set, not added.
    pub async fn reserve(&self, cart_id: &str, holds: &[Hold], until: SystemTime) -> Result<Vec<Held>, StoreError> {
        let until = rfc3339(until);
        let mut tx = self.write_tx().await?;
        let mut found = Vec::with_capacity(holds.len());
        for hold in holds {
            let product_id = i64::from(hold.product_id);
            let had = held(&mut tx, cart_id, product_id).await?;
            let product = product_in(&mut tx, product_id).await?;
            let on_sale = product.as_ref().is_some_and(|p| p.active);
            let want = if on_sale { i64::from(hold.quantity) } else { 0 };
            let delta = want - had;
            let taken = delta <= 0
                || sqlx::query(
                    "UPDATE products SET reserved = reserved + $1 \
                     WHERE id = $2 AND (on_hand IS NULL OR on_hand - reserved >= $1)",
                )
                .bind(delta)
                .bind(product_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
            if delta < 0 && product.is_some() {
                sqlx::query("UPDATE products SET reserved = reserved + $1 WHERE id = $2")
                    .bind(delta)
                    .bind(product_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let keep = if taken { want } else { had };
            if keep > 0 {
                sqlx::query(
                    "INSERT INTO reservations (cart_id, product_id, quantity, expires_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (cart_id, product_id) DO UPDATE SET quantity = excluded.quantity, expires_at = excluded.expires_at",
                )
                .bind(cart_id)
                .bind(product_id)
                .bind(keep)
                .bind(&until)
                .execute(&mut *tx)
                .await?;
            } else if had > 0 {
                sqlx::query("DELETE FROM reservations WHERE cart_id = $1 AND product_id = $2")
                    .bind(cart_id)
                    .bind(product_id)
                    .execute(&mut *tx)
                    .await?;
            }
            // Re-read: other carts may have reserved since the SELECT above.
            let now_row = product_in(&mut tx, product_id).await?;
            let left = now_row
                .as_ref()
                .and_then(|p| p.available())
                .map(|free| free + u32::try_from(keep).unwrap_or(0));
            found.push(Held {
                product_id: hold.product_id,
                held: on_sale && taken,
                left: if on_sale { left } else { Some(0) },
                product: now_row,
            });
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Releases every unit the cart holds (a cart expired or given up). Answers how many
    /// units went back.
    pub async fn release(&self, cart_id: &str) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let units = Self::release_in(&mut tx, cart_id).await?;
        tx.commit().await?;
        Ok(units)
    }

    async fn release_in(tx: &mut sqlx::Transaction<'static, sqlx::Any>, cart_id: &str) -> Result<u64, StoreError> {
        let rows = sqlx::query("SELECT product_id, quantity FROM reservations WHERE cart_id = $1")
            .bind(cart_id)
            .fetch_all(&mut **tx)
            .await?;
        let mut units = 0u64;
        for r in &rows {
            sqlx::query("UPDATE products SET reserved = reserved - $1 WHERE id = $2")
                .bind(r.try_get::<i64, _>("quantity")?)
                .bind(r.try_get::<i64, _>("product_id")?)
                .execute(&mut **tx)
                .await?;
            units += column::<u64>(r, "quantity")?;
        }
        sqlx::query("DELETE FROM reservations WHERE cart_id = $1")
            .bind(cart_id)
            .execute(&mut **tx)
            .await?;
        Ok(units)
    }

    /// Releases the reservations that lapsed before `before` and are still there: their cart's
    /// workflow would have released them on its timer, so it no longer runs (an operator
    /// terminated it). Answers how many carts' reservations went.
    pub async fn release_lapsed(&self, before: SystemTime) -> Result<usize, StoreError> {
        let carts = sqlx::query("SELECT DISTINCT cart_id FROM reservations WHERE expires_at < $1")
            .bind(rfc3339(before))
            .fetch_all(&self.pool)
            .await?;
        for r in &carts {
            self.release(&r.try_get::<String, _>("cart_id")?).await?;
        }
        Ok(carts.len())
    }

    /// The cart's reservations become its order's sale, inside the transaction that records
    /// the order: each line's units leave on hand and its reservation leaves reserved, and the
    /// line records what it took, so a cancelled order puts back exactly that. A line short of
    /// stock (a cart of 0.1.0, which reserved nothing, say) is recorded all the same, taking
    /// none: the shopper has paid, and an order is never refused for it.
    pub(super) async fn sell(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        cart_id: &str,
        order_id: i64,
    ) -> Result<(), StoreError> {
        let lines = sqlx::query("SELECT id, product_id, quantity FROM order_lines WHERE order_id = $1")
            .bind(order_id)
            .fetch_all(&mut **tx)
            .await?;
        for line in &lines {
            let product_id: i64 = line.try_get("product_id")?;
            let sold: i64 = line.try_get("quantity")?;
            let held = held(tx, cart_id, product_id).await?;
            let taken = sqlx::query(
                "UPDATE products SET on_hand = on_hand - $1, reserved = reserved - $2 \
                 WHERE id = $3 AND on_hand IS NOT NULL AND on_hand - $1 >= reserved - $2",
            )
            .bind(sold)
            .bind(held)
            .bind(product_id)
            .execute(&mut **tx)
            .await?
            .rows_affected()
                == 1;
            if taken {
                sqlx::query("UPDATE order_lines SET stock_taken = $1 WHERE id = $2")
                    .bind(sold)
                    .bind(line.try_get::<i64, _>("id")?)
                    .execute(&mut **tx)
                    .await?;
                sqlx::query("DELETE FROM reservations WHERE cart_id = $1 AND product_id = $2")
                    .bind(cart_id)
                    .bind(product_id)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        // What is left (stock not tracked, a line short of stock) goes back to the shelf.
        Self::release_in(tx, cart_id).await?;
        Ok(())
    }

    /// A cancelled order's units go back on hand (an order of another status keeps them), once (each line's `stock_taken` is zeroed
    /// as it is put back), in the transaction that cancels it.
    pub(super) async fn restock(
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        order_id: i64,
    ) -> Result<(), StoreError> {
        let lines = sqlx::query(
            "SELECT id, product_id, stock_taken FROM order_lines WHERE order_id = $1 AND stock_taken > 0 \
             AND EXISTS (SELECT 1 FROM orders WHERE id = $1 AND status = 'cancelled')",
        )
        .bind(order_id)
        .fetch_all(&mut **tx)
        .await?;
        for l in &lines {
            sqlx::query("UPDATE products SET on_hand = on_hand + $1 WHERE id = $2")
                .bind(l.try_get::<i64, _>("stock_taken")?)
                .bind(l.try_get::<i64, _>("product_id")?)
                .execute(&mut **tx)
                .await?;
            sqlx::query("UPDATE order_lines SET stock_taken = 0 WHERE id = $1")
                .bind(l.try_get::<i64, _>("id")?)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// The cart's reservations, for operators and tests: (product, units).
    pub async fn reservations(&self, cart_id: &str) -> Result<Vec<(ProductId, u32)>, StoreError> {
        let rows = sqlx::query("SELECT product_id, quantity FROM reservations WHERE cart_id = $1 ORDER BY product_id")
            .bind(cart_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((column(r, "product_id")?, column(r, "quantity")?)))
            .collect()
    }
}
