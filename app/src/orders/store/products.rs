//! The catalogue's rows: products listed, read, created or replaced, their stock corrected,
//! and an empty table seeded from the shop's catalogue file.
use super::rows::{bigint, column};
use super::{OrderStore, StoreError, now};
use crate::catalogue::{Catalogue, Product};
use crate::domain::{Cents, ProductId};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Whether a `put_product` made the product or replaced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Created,
    Replaced,
}

pub(super) fn product_from_row(r: &AnyRow) -> Result<Product, sqlx::Error> {
    let on_hand: Option<i64> = r.try_get("on_hand")?;
    Ok(Product {
        id: column(r, "id")?,
        sku: r.try_get("sku")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        image: r.try_get("image")?,
        price_cents: Cents(column(r, "price_cents")?),
        active: r.try_get::<i64, _>("active")? == 1,
        stock: on_hand
            .map(|n| u32::try_from(n).map_err(|_| sqlx::Error::Decode(format!("on_hand holds {n}").into())))
            .transpose()?,
        reserved: column(r, "reserved")?,
    })
}

/// An insert of a product's row ending in `$tail` (what to do when its id or SKU is taken),
/// as one literal statement.
macro_rules! insert_product {
    ($tail:literal) => {
        concat!(
            "INSERT INTO products (id, sku, name, description, image, price_cents, active, on_hand, reserved, updated_at) ",
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) ",
            $tail
        )
    };
}

/// `sql` (an [`insert_product!`]) with the product's values bound.
fn insert<'p>(
    sql: &'static str,
    p: &'p Product,
) -> Result<sqlx::query::Query<'p, sqlx::Any, sqlx::any::AnyArguments>, StoreError> {
    Ok(sqlx::query(sql)
        .bind(i64::from(p.id))
        .bind(&p.sku)
        .bind(&p.name)
        .bind(&p.description)
        .bind(&p.image)
        .bind(bigint(p.price_cents)?)
        .bind(i64::from(p.active))
        .bind(p.stock.map(i64::from))
        .bind(now()))
}

fn unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

impl OrderStore {
    /// Every product, or only those on sale, by id.
    pub async fn products(&self, active_only: bool) -> Result<Vec<Product>, StoreError> {
        let sql = concat!(
            "SELECT ",
            product_columns!(),
            " FROM products WHERE active = 1 OR $1 = 0 ORDER BY id"
        );
        let rows = sqlx::query(sql)
            .bind(i64::from(active_only))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(product_from_row).collect::<Result<_, _>>()?)
    }

    pub async fn product(&self, id: ProductId) -> Result<Option<Product>, StoreError> {
        let sql = concat!("SELECT ", product_columns!(), " FROM products WHERE id = $1");
        let row = sqlx::query(sql).bind(i64::from(id)).fetch_optional(&self.pool).await?;
        Ok(row.as_ref().map(product_from_row).transpose()?)
    }

    /// Creates or replaces a product; its reservations stay. Stock on hand below what open
    /// carts hold is refused, in the statement itself (the carts may be reserving meanwhile).
    pub async fn put_product(&self, p: &Product) -> Result<(Saved, Product), StoreError> {
        let existed = self.product(p.id).await?.is_some();
        let upsert = insert_product!(
            "ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, name = excluded.name, description = excluded.description, \
             image = excluded.image, price_cents = excluded.price_cents, active = excluded.active, \
             on_hand = excluded.on_hand, updated_at = excluded.updated_at \
             WHERE excluded.on_hand IS NULL OR excluded.on_hand >= products.reserved"
        );
        let done = insert(upsert, p)?.execute(&self.pool).await.map_err(|e| match e {
            e if unique_violation(&e) => StoreError::SkuTaken(p.sku.clone()),
            e => e.into(),
        })?;
        let saved = self.product(p.id).await?.ok_or(StoreError::ProductNotFound(p.id))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::StockReserved {
                product_id: p.id,
                reserved: saved.reserved,
            });
        }
        Ok((if existed { Saved::Replaced } else { Saved::Created }, saved))
    }

    /// A delivery (positive) or a count correction (negative) of a product's stock on hand,
    /// refused when it would leave fewer on hand than open carts hold.
    pub async fn adjust_stock(&self, id: ProductId, delta: i64) -> Result<Product, StoreError> {
        let done = sqlx::query(
            "UPDATE products SET on_hand = on_hand + $1, updated_at = $2 \
             WHERE id = $3 AND on_hand IS NOT NULL AND on_hand + $1 >= reserved",
        )
        .bind(delta)
        .bind(now())
        .bind(i64::from(id))
        .execute(&self.pool)
        .await?;
        let product = self.product(id).await?.ok_or(StoreError::ProductNotFound(id))?;
        match (done.rows_affected(), product.stock) {
            (0, None) => Err(StoreError::StockUntracked(id)),
            (0, Some(_)) => Err(StoreError::StockReserved {
                product_id: id,
                reserved: product.reserved,
            }),
            _ => Ok(product),
        }
    }

    /// Fills an empty catalogue from the shop's file (the worker and the gateway both call it
    /// at start; a product already there stays as it is). Answers whether it seeded.
    pub async fn seed_products(&self, seed: &Catalogue) -> Result<bool, StoreError> {
        let any: Option<AnyRow> = sqlx::query("SELECT id FROM products LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        if any.is_some() {
            return Ok(false);
        }
        let mut tx = self.write_tx().await?;
        for p in &seed.products {
            insert(insert_product!("ON CONFLICT DO NOTHING"), p)?
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
