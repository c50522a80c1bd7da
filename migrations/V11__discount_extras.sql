-- Issue 6 extras: flexible-price tiers (surface §1.6) and partial refunds (§3.7).

-- A financial-assistance tier: learners of this course or program whose income is at or above
-- `income_threshold_usd` get `discount_id`. Exactly one of course_id / program_id.
CREATE TABLE flexible_price_tiers (
    id                   INTEGER PRIMARY KEY,
    discount_id          INTEGER NOT NULL REFERENCES discounts (id) ON DELETE RESTRICT,
    course_id            INTEGER REFERENCES courses (id) ON DELETE CASCADE,
    program_id           INTEGER REFERENCES programs (id) ON DELETE CASCADE,
    current              INTEGER NOT NULL DEFAULT 0 CHECK (current IN (0, 1)),
    income_threshold_usd TEXT NOT NULL,
    created_on           TEXT NOT NULL,
    updated_on           TEXT NOT NULL,
    CHECK ((course_id IS NULL) <> (program_id IS NULL))
) STRICT;
CREATE INDEX flexible_price_tiers_discount ON flexible_price_tiers (discount_id);

-- Every refund of an order, partial or full. A row is written `pending` (reserving its amount)
-- before the gateway is asked, so two concurrent refunds can never together exceed what was
-- paid; it becomes `done` when the gateway accepts and `failed` (releasing the amount) when
-- it does not.
CREATE TABLE order_refunds (
    id             INTEGER PRIMARY KEY,
    order_id       INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    amount         TEXT NOT NULL,
    reason         TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    transaction_id TEXT,
    actor          TEXT NOT NULL DEFAULT '',
    created_on     TEXT NOT NULL,
    updated_on     TEXT NOT NULL
) STRICT;
CREATE INDEX order_refunds_order ON order_refunds (order_id, status);

-- The sandbox CyberSource takes several partial refunds of one payment (as the real one does,
-- up to the captured amount); `refunded_amount` becomes their running total.
ALTER TABLE cybersource_sandbox_payments ADD COLUMN refund_count INTEGER NOT NULL DEFAULT 0;
