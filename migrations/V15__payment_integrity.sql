-- Payment integrity (issue 11).
--
-- The built-in sandbox CyberSource's keys: random, generated once per database by the
-- application (never derived from anything public), so only this instance can sign results
-- its sandbox accepts. One row; absent until the sandbox first runs.
CREATE TABLE cybersource_sandbox_keys (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    -- Secure Acceptance security key: hex of 32 random bytes.
    security_key TEXT NOT NULL,
    -- REST shared secret: base64 of 32 random bytes.
    rest_secret  TEXT NOT NULL,
    created_on   TEXT NOT NULL
) STRICT;

-- Every CyberSource checkout form signed for an order: what a payment result must match. The
-- newest row of an order is the only form that can still pay it (a re-priced order gets a new
-- row with a new transaction uuid, so every older form is dead).
CREATE TABLE order_checkout_payloads (
    id               INTEGER PRIMARY KEY,
    order_id         INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    transaction_uuid TEXT NOT NULL UNIQUE,
    reference_number TEXT NOT NULL,
    -- The signed `amount` as sent (e.g. 100.00) and `currency` (USD).
    amount           TEXT NOT NULL,
    currency         TEXT NOT NULL,
    issued_on        TEXT NOT NULL
) STRICT;
CREATE INDEX order_checkout_payloads_order ON order_checkout_payloads (order_id, id);

-- Things staff must look at about an order: a payment result that did not match what was
-- issued (the order is held in `review`). `detail` says what differed and what arrived.
CREATE TABLE order_alerts (
    id          INTEGER PRIMARY KEY,
    order_id    INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('payment_mismatch')),
    detail      TEXT NOT NULL,
    created_on  TEXT NOT NULL
) STRICT;
CREATE INDEX order_alerts_order ON order_alerts (order_id, id);
