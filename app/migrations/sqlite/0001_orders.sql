-- SQLite twin of migrations/postgres: only the identity columns differ.
-- Orders are permanent financial records; workflow histories expire, these rows do not.
-- Times are RFC 3339 UTC text (sortable, identical on both backends); money is integer cents.
CREATE TABLE customers (
    -- Not an identity column: ids of accounts elsewhere are inserted as given (POST /orders),
    -- guests get the next free id.
    id          BIGINT PRIMARY KEY,
    -- Guest checkouts are keyed by email: one customer per address.
    email       TEXT UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE orders (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id   BIGINT NOT NULL REFERENCES customers (id),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'cancelled')),
    total_cents   BIGINT NOT NULL CHECK (total_cents >= 0),
    currency      TEXT NOT NULL DEFAULT 'usd',
    email         TEXT,
    cart_id       TEXT UNIQUE,
    payment_ref   TEXT,
    refund_ref    TEXT,
    deleted_at    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX orders_status ON orders (status, id);

CREATE TABLE order_lines (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id          BIGINT NOT NULL REFERENCES orders (id),
    product_id        BIGINT NOT NULL,
    name              TEXT NOT NULL,
    unit_price_cents  BIGINT NOT NULL CHECK (unit_price_cents >= 0),
    quantity          BIGINT NOT NULL CHECK (quantity > 0)
);
CREATE INDEX order_lines_order ON order_lines (order_id);
