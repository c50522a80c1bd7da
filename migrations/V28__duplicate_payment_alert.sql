-- A payment for products the purchaser has already paid for in another order (they paid twice
-- at the gateway while the first result was in flight): the order is held in `review` with the
-- payment recorded, for staff to refund. SQLite cannot widen a CHECK, so the table is rebuilt.
CREATE TABLE order_alerts_new (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('payment_mismatch', 'duplicate_payment')),
    detail      TEXT NOT NULL,
    created_on  TEXT NOT NULL
) STRICT;
INSERT INTO order_alerts_new (id, order_id, kind, detail, created_on)
    SELECT id, order_id, kind, detail, created_on FROM order_alerts;
DROP TABLE order_alerts;
ALTER TABLE order_alerts_new RENAME TO order_alerts;
CREATE INDEX order_alerts_order ON order_alerts (order_id, id);
