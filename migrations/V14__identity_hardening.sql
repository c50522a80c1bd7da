-- Service accounts: the only accounts a staff-minted bearer token is issued for, or accepted
-- from. Set by a superuser; such an account never signs in as a person (no password, no SSO).
ALTER TABLE users ADD COLUMN is_service_account INTEGER NOT NULL DEFAULT 0
    CHECK (is_service_account IN (0, 1));

-- Rate limits and the login throttle: one row per counted event, keyed by a bucket (what is
-- limited, e.g. `login:account-client`) and a key (an address, an account, or both). An event is
-- counted and the limit checked in one write, so parallel requests cannot slip past it.
CREATE TABLE throttle_events (
    id     INTEGER PRIMARY KEY,
    bucket TEXT NOT NULL,
    key    TEXT NOT NULL,
    at     TEXT NOT NULL
) STRICT;
CREATE INDEX throttle_events_key ON throttle_events (bucket, key, at);

-- Replaced by throttle_events.
DROP TABLE login_failures;

-- OIDC logins are bound to the browser that started them: the SHA-256 of a random value kept
-- in that browser's short-lived HttpOnly cookie.
ALTER TABLE oidc_logins ADD COLUMN browser_hash TEXT NOT NULL DEFAULT '';
