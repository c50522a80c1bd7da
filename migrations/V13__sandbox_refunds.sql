-- Every refund the sandbox CyberSource made (not just the last one per payment), so its
-- Transaction Search and Details can answer about refunds as the real service does, and the
-- `resolve-pending-refunds` job can find a refund whose reply was lost.
CREATE TABLE cybersource_sandbox_refunds (
    id          INTEGER PRIMARY KEY,
    payment_id  INTEGER NOT NULL REFERENCES cybersource_sandbox_payments (id) ON DELETE CASCADE,
    refund_id   TEXT NOT NULL UNIQUE,
    amount      TEXT NOT NULL,
    currency    TEXT NOT NULL,
    -- 1 when the sandbox made the refund but answered 504, as if the reply was lost.
    reply_lost  INTEGER NOT NULL DEFAULT 0 CHECK (reply_lost IN (0, 1)),
    created_on  TEXT NOT NULL
) STRICT;
CREATE INDEX cybersource_sandbox_refunds_payment ON cybersource_sandbox_refunds (payment_id);

-- Single refunds made before this table existed (several partial ones kept only the last id).
INSERT INTO cybersource_sandbox_refunds (payment_id, refund_id, amount, currency, created_on)
SELECT id, refund_id, refunded_amount, currency, COALESCE(refunded_on, created_on)
  FROM cybersource_sandbox_payments
 WHERE refund_id IS NOT NULL AND refunded_amount IS NOT NULL AND refund_count <= 1;

-- Faults staff can arm on the sandbox (`lose_next_refund_reply`: the next refund is made but
-- its reply is lost).
CREATE TABLE cybersource_sandbox_faults (
    name       TEXT PRIMARY KEY,
    armed_on   TEXT NOT NULL
) STRICT;

-- What the staff member chose for the enrollments when asking for a refund, so settling a
-- refund left pending (by staff or the resolve-pending-refunds job) does what was asked.
ALTER TABLE order_refunds ADD COLUMN after_refund TEXT NOT NULL DEFAULT 'downgrade'
    CHECK (after_refund IN ('downgrade', 'unenroll'));
