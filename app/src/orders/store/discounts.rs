//! Discount codes as the shop keeps them: read by code, listed, created or replaced (its count
//! of uses kept), with the number of orders recorded with each.
use super::rows::{bigint, column};
use super::{OrderStore, StoreError, now};
use crate::domain::Cents;
use crate::totals::{Discount, DiscountCode, DiscountKind};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::time::SystemTime;

fn instant(raw: Option<String>) -> Result<Option<SystemTime>, sqlx::Error> {
    raw.map(|s| humantime::parse_rfc3339(&s).map_err(|e| sqlx::Error::Decode(format!("bad instant {s}: {e}").into())))
        .transpose()
}

fn text(t: Option<SystemTime>) -> Option<String> {
    t.map(|t| humantime::format_rfc3339_millis(t).to_string())
}

fn discount_from_row(r: &AnyRow) -> Result<(Discount, u32), sqlx::Error> {
    let code: String = r.try_get("code")?;
    let amount: u64 = column(r, "amount")?;
    let kind = match r.try_get::<String, _>("kind")?.as_str() {
        "percent" => DiscountKind::Percent {
            bp: u32::try_from(amount).unwrap_or(10_000),
        },
        _ => DiscountKind::Fixed { cents: Cents(amount) },
    };
    let limit = |name: &str| -> Result<Option<u32>, sqlx::Error> {
        r.try_get::<Option<i64>, _>(name)?
            .map(|n| u32::try_from(n).map_err(|_| sqlx::Error::Decode(format!("{name} holds {n}").into())))
            .transpose()
    };
    let discount = Discount {
        code: DiscountCode::parse(&code).map_err(|e| sqlx::Error::Decode(e.into()))?,
        kind,
        min_subtotal: r
            .try_get::<Option<i64>, _>("min_subtotal_cents")?
            .map(|n| Cents(n.unsigned_abs())),
        valid_from: instant(r.try_get("valid_from")?)?,
        valid_until: instant(r.try_get("valid_until")?)?,
        max_uses: limit("max_uses")?,
        max_uses_per_email: limit("max_uses_per_email")?,
    };
    Ok((discount, column(r, "uses")?))
}

macro_rules! discount_columns {
    () => {
        "code, kind, amount, min_subtotal_cents, valid_from, valid_until, max_uses, max_uses_per_email, uses"
    };
}

impl OrderStore {
    /// Every code with its uses, by code.
    pub async fn discounts(&self) -> Result<Vec<(Discount, u32)>, StoreError> {
        let rows = sqlx::query(concat!("SELECT ", discount_columns!(), " FROM discounts ORDER BY code"))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(discount_from_row).collect::<Result<_, _>>()?)
    }

    /// A code and its uses, if the shop has it.
    pub async fn discount(&self, code: &DiscountCode) -> Result<Option<(Discount, u32)>, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            discount_columns!(),
            " FROM discounts WHERE code = $1"
        ))
        .bind(code.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(discount_from_row).transpose()?)
    }

    /// Creates or replaces a code; the uses it has had stay. Answers whether it was new.
    pub async fn put_discount(&self, d: &Discount) -> Result<bool, StoreError> {
        let existed = self.discount(&d.code).await?.is_some();
        let (kind, amount) = match d.kind {
            DiscountKind::Percent { bp } => ("percent", i64::from(bp)),
            DiscountKind::Fixed { cents } => ("fixed", bigint(cents)?),
        };
        sqlx::query(
            "INSERT INTO discounts (code, kind, amount, min_subtotal_cents, valid_from, valid_until, max_uses, \
             max_uses_per_email, uses, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9) \
             ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, amount = excluded.amount, \
             min_subtotal_cents = excluded.min_subtotal_cents, valid_from = excluded.valid_from, \
             valid_until = excluded.valid_until, max_uses = excluded.max_uses, \
             max_uses_per_email = excluded.max_uses_per_email, updated_at = excluded.updated_at",
        )
        .bind(d.code.as_str())
        .bind(kind)
        .bind(amount)
        .bind(d.min_subtotal.map(bigint).transpose()?)
        .bind(text(d.valid_from))
        .bind(text(d.valid_until))
        .bind(d.max_uses.map(i64::from))
        .bind(d.max_uses_per_email.map(i64::from))
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(!existed)
    }
}
