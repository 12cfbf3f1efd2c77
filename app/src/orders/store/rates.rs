//! Shipping methods and tax rates: listed, created or replaced, and seeded from the defaults of
//! [`crate::totals`] when the shop has none.
use super::rows::{bigint, column};
use super::{OrderStore, StoreError, now};
use crate::domain::Cents;
use crate::totals::{ShippingMethod, TaxRate, default_methods, default_tax_rates};
use sqlx::Row;
use sqlx::any::AnyRow;

fn method_from_row(r: &AnyRow) -> Result<ShippingMethod, sqlx::Error> {
    let countries: String = r.try_get("countries")?;
    let free_above: Option<i64> = r.try_get("free_above_cents")?;
    Ok(ShippingMethod {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        countries: countries
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        price_cents: Cents(column(r, "price_cents")?),
        free_above_cents: free_above.map(|n| Cents(n.unsigned_abs())),
    })
}

fn rate_from_row(r: &AnyRow) -> Result<TaxRate, sqlx::Error> {
    let region: String = r.try_get("region")?;
    Ok(TaxRate {
        country: r.try_get("country")?,
        region: (!region.is_empty()).then_some(region),
        rate_bp: column(r, "rate_bp")?,
        taxes_shipping: r.try_get::<i64, _>("taxes_shipping")? == 1,
    })
}

impl OrderStore {
    /// Every shipping method, by code.
    pub async fn shipping_methods(&self) -> Result<Vec<ShippingMethod>, StoreError> {
        let rows = sqlx::query(
            "SELECT code, name, countries, price_cents, free_above_cents FROM shipping_methods ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(method_from_row).collect::<Result<_, _>>()?)
    }

    /// Creates or replaces a method; answers whether it was new.
    pub async fn put_shipping_method(&self, m: &ShippingMethod) -> Result<bool, StoreError> {
        let existed = sqlx::query("SELECT code FROM shipping_methods WHERE code = $1")
            .bind(&m.code)
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        sqlx::query(
            "INSERT INTO shipping_methods (code, name, countries, price_cents, free_above_cents, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
             countries = excluded.countries, price_cents = excluded.price_cents, \
             free_above_cents = excluded.free_above_cents, updated_at = excluded.updated_at",
        )
        .bind(&m.code)
        .bind(&m.name)
        .bind(m.countries.join(","))
        .bind(bigint(m.price_cents)?)
        .bind(m.free_above_cents.map(bigint).transpose()?)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(!existed)
    }

    /// Every tax rate, by country then region (the country-wide one first).
    pub async fn tax_rates(&self) -> Result<Vec<TaxRate>, StoreError> {
        let rows =
            sqlx::query("SELECT country, region, rate_bp, taxes_shipping FROM tax_rates ORDER BY country, region")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.iter().map(rate_from_row).collect::<Result<_, _>>()?)
    }

    /// Creates or replaces the rate of a country, or of one of its regions.
    pub async fn put_tax_rate(&self, rate: &TaxRate) -> Result<bool, StoreError> {
        let region = rate.region.clone().unwrap_or_default();
        let existed = sqlx::query("SELECT country FROM tax_rates WHERE country = $1 AND region = $2")
            .bind(&rate.country)
            .bind(&region)
            .fetch_optional(&self.pool)
            .await?
            .is_some();
        sqlx::query(
            "INSERT INTO tax_rates (country, region, rate_bp, taxes_shipping, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (country, region) DO UPDATE SET rate_bp = excluded.rate_bp, \
             taxes_shipping = excluded.taxes_shipping, updated_at = excluded.updated_at",
        )
        .bind(&rate.country)
        .bind(&region)
        .bind(i64::from(rate.rate_bp))
        .bind(i64::from(rate.taxes_shipping))
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(!existed)
    }

    /// Fills empty shipping and tax tables with the defaults; a table with rows stays as it is.
    pub async fn seed_shipping_and_tax(&self) -> Result<(), StoreError> {
        if self.shipping_methods().await?.is_empty() {
            for m in default_methods() {
                self.put_shipping_method(&m).await?;
            }
        }
        if self.tax_rates().await?.is_empty() {
            for rate in default_tax_rates() {
                self.put_tax_rate(&rate).await?;
            }
        }
        Ok(())
    }
}
