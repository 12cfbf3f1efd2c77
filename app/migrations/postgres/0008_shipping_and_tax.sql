-- How the shop ships and taxes (issue #21): shipping methods with the countries they serve and
-- a free-above threshold, and tax rates per country (region '' = the whole country) in basis
-- points. Seeded with the defaults of app/src/totals when empty; operators change them through
-- /admin/shipping and /admin/tax-rates. Countries are ISO 3166-1 alpha-2, upper case, the list
-- of a method comma-separated.
CREATE TABLE shipping_methods (
    code              TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    countries         TEXT NOT NULL,
    price_cents       BIGINT NOT NULL CHECK (price_cents >= 0),
    free_above_cents  BIGINT CHECK (free_above_cents IS NULL OR free_above_cents >= 0),
    updated_at        TEXT NOT NULL
);

CREATE TABLE tax_rates (
    country         TEXT NOT NULL,
    region          TEXT NOT NULL DEFAULT '',
    rate_bp         BIGINT NOT NULL CHECK (rate_bp >= 0 AND rate_bp <= 10000),
    taxes_shipping  BIGINT NOT NULL CHECK (taxes_shipping IN (0, 1)),
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (country, region)
);
