//! Rows to values and back: columns read by name, integers converted with a check.
use super::StoreError;
use crate::domain::Cents;
use crate::orders::{Order, OrderStatus};
use sqlx::Row;
use sqlx::any::AnyRow;

pub(super) fn order_from_row(r: &AnyRow) -> Result<Order, sqlx::Error> {
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
pub(super) fn bigint(cents: Cents) -> Result<i64, StoreError> {
    i64::try_from(cents.0).map_err(|_| {
        StoreError::Db(sqlx::Error::Encode(
            format!("{} cents do not fit a BIGINT", cents.0).into(),
        ))
    })
}

/// A BIGINT column read as the unsigned type it holds; a value out of that type's range is
/// reported as corrupt, never wrapped.
pub(super) fn column<T: TryFrom<i64>>(r: &AnyRow, name: &str) -> Result<T, sqlx::Error> {
    let value: i64 = r.try_get(name)?;
    T::try_from(value).map_err(|_| sqlx::Error::Decode(format!("column {name} holds {value}, out of range").into()))
}
