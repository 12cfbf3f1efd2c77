-- POST /orders with an Idempotency-Key: a retry answers with the order it made; the same key
-- with another body is refused (the fingerprint is a hash of the request's JSON).
ALTER TABLE orders ADD COLUMN idempotency_key TEXT;
ALTER TABLE orders ADD COLUMN request_fingerprint TEXT;
CREATE UNIQUE INDEX orders_idempotency_key ON orders (idempotency_key);
