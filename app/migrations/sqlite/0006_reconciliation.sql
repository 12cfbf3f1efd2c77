-- One row per reconciliation pass over Stripe's succeeded PaymentIntents: the window it read
-- (the next pass starts where this one's grace began, so a payment too young to judge is
-- read again), what it counted, and what it could not fix, for GET /admin/reconciliation.
-- Problems hold PaymentIntent ids and codes only: no email, no address, no cart id.
CREATE TABLE reconciliation_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at   TEXT NOT NULL,
    finished_at  TEXT NOT NULL,
    since_at     BIGINT NOT NULL,
    resume_at    BIGINT NOT NULL,
    checked      BIGINT NOT NULL,
    refunded     BIGINT NOT NULL,
    problems     TEXT NOT NULL
);
