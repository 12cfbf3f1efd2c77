-- An order is keyed by the payment it records (the PaymentIntent id), so recording it is
-- idempotent per payment, and a second payment can never be folded into another's order.
CREATE UNIQUE INDEX orders_payment_ref ON orders (payment_ref);
