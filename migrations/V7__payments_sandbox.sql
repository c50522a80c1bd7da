-- The built-in sandbox CyberSource: what its hosted checkout page received and decided, so its
-- REST endpoints can answer refunds, transaction searches and details like the real service.
-- Only used when no MITXONLINE_CYBERSOURCE_* credentials are configured.

CREATE TABLE cybersource_sandbox_payments (
    id               INTEGER PRIMARY KEY,
    -- Unguessable id in the page's URL.
    token            TEXT NOT NULL UNIQUE,
    transaction_uuid TEXT NOT NULL UNIQUE,
    reference_number TEXT NOT NULL,
    amount           TEXT NOT NULL,
    currency         TEXT NOT NULL,
    -- JSON [[name, value], ...]: the verified checkout form as posted.
    request_fields   TEXT NOT NULL,
    decision         TEXT CHECK (decision IS NULL OR decision IN ('ACCEPT', 'DECLINE', 'REVIEW', 'ERROR', 'CANCEL')),
    transaction_id   TEXT UNIQUE,
    -- JSON [[name, value], ...]: the signed result posted back.
    result_fields    TEXT,
    refund_id        TEXT UNIQUE,
    refunded_amount  TEXT,
    refunded_on      TEXT,
    created_on       TEXT NOT NULL,
    decided_on       TEXT
) STRICT;

CREATE INDEX cybersource_sandbox_payments_reference
    ON cybersource_sandbox_payments (reference_number, decided_on);
