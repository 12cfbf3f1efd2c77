-- The shop's products and their stock (the catalogue used to be a JSON file copied into every
-- cart). on_hand NULL: stock not tracked, always available. reserved: the units open carts
-- hold (the sum of their rows in `reservations`), kept beside on_hand so that taking stock is
-- one guarded UPDATE (on_hand - reserved >= n), never read-then-write.
CREATE TABLE products (
    id           BIGINT PRIMARY KEY,
    sku          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL,
    image        TEXT NOT NULL,
    price_cents  BIGINT NOT NULL CHECK (price_cents >= 0),
    active       BIGINT NOT NULL CHECK (active IN (0, 1)),
    on_hand      BIGINT,
    reserved     BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at   TEXT NOT NULL,
    CHECK (on_hand IS NULL OR on_hand >= reserved)
);

-- Units of a product a cart holds, until the reservation lapses (expires_at: the cart's
-- workflow releases it then, on a durable timer), is released (remove, expiry, a checkout
-- given up) or becomes a sale in the transaction that records the cart's order.
CREATE TABLE reservations (
    cart_id     TEXT NOT NULL,
    product_id  BIGINT NOT NULL REFERENCES products (id),
    quantity    BIGINT NOT NULL CHECK (quantity > 0),
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (cart_id, product_id)
);
CREATE INDEX reservations_expiry ON reservations (expires_at);

-- A sale's units, per order line, so a refund puts back exactly what the order took.
ALTER TABLE order_lines ADD COLUMN stock_taken BIGINT NOT NULL DEFAULT 0;
