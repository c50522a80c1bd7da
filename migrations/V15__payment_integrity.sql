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
