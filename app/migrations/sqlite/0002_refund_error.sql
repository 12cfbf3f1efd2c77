-- A refund Stripe refused for good (not "already refunded", which counts as done): the order
-- stays cancelled with the reason here, for an operator to act on; nothing retries it forever.
ALTER TABLE orders ADD COLUMN refund_error TEXT;
