-- Discount codes (issue #21): a percentage (basis points) or a fixed amount (cents) off the
-- goods, an optional minimum subtotal, a validity window (RFC 3339 UTC text) and limits on uses
-- in all and per email address. `uses` counts the orders recorded with the code.
CREATE TABLE discounts (
    code                TEXT PRIMARY KEY,
    kind                TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    min_subtotal_cents  BIGINT CHECK (min_subtotal_cents IS NULL OR min_subtotal_cents >= 0),
    valid_from          TEXT,
    valid_until         TEXT,
    max_uses            BIGINT CHECK (max_uses IS NULL OR max_uses > 0),
    max_uses_per_email  BIGINT CHECK (max_uses_per_email IS NULL OR max_uses_per_email > 0),
    uses                BIGINT NOT NULL DEFAULT 0 CHECK (uses >= 0),
    updated_at          TEXT NOT NULL
);
