-- Identity: profiles, legal addresses, sessions, email tokens, login throttling, bearer tokens,
-- the sandbox mailbox and OIDC login state. Extends V1's `users`; never edit V1.

ALTER TABLE users ADD COLUMN email_verified_on TEXT;
ALTER TABLE users ADD COLUMN in_editors_group INTEGER NOT NULL DEFAULT 0;

CREATE TABLE legal_addresses (
    user_id          INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    first_name       TEXT NOT NULL DEFAULT '' CHECK (length(first_name) <= 60),
    last_name        TEXT NOT NULL DEFAULT '' CHECK (length(last_name) <= 60),
    country          TEXT NOT NULL DEFAULT '' CHECK (length(country) IN (0, 2)),
    state            TEXT,
    postal_code      TEXT NOT NULL DEFAULT '' CHECK (length(postal_code) <= 20),
    street_address_1 TEXT NOT NULL DEFAULT '',
    street_address_2 TEXT NOT NULL DEFAULT '',
    city             TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE user_profiles (
    user_id              INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    completed_onboarding INTEGER NOT NULL DEFAULT 0,
    gender               TEXT,
    year_of_birth        INTEGER,
    addl_field_flag      INTEGER NOT NULL DEFAULT 0,
    company              TEXT DEFAULT '',
    job_title            TEXT DEFAULT '',
    industry             TEXT DEFAULT '',
    job_function         TEXT DEFAULT '',
    company_size         INTEGER,
    years_experience     INTEGER,
    leadership_level     TEXT DEFAULT '',
    highest_education    TEXT DEFAULT '',
    type_is_student      INTEGER DEFAULT 0,
    type_is_professional INTEGER DEFAULT 0,
    type_is_educator     INTEGER DEFAULT 0,
    type_is_other        INTEGER DEFAULT 0
) STRICT;

-- Server-side sessions; the cookie carries a random token, only its SHA-256 is stored.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source       TEXT NOT NULL CHECK (source IN ('local', 'gateway', 'oidc')),
    created_on   TEXT NOT NULL,
    expires_on   TEXT NOT NULL,
    revoked_on   TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_on IS NULL;

-- Single-use emailed links: email verification, password reset, email change.
CREATE TABLE email_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify', 'reset', 'change_email')),
    new_email  TEXT,
    created_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    used_on    TEXT
) STRICT;

-- Failed sign-ins, for per-account and per-address throttling.
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL CHECK (kind IN ('account', 'ip')),
    key       TEXT NOT NULL,
    failed_on TEXT NOT NULL
) STRICT;
CREATE INDEX login_failures_key ON login_failures (kind, key, failed_on);

-- OAuth2 bearer tokens of service users (Open edX webhooks, SCIM pushes). Only SHA-256 kept.
CREATE TABLE access_tokens (
    id         INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL DEFAULT '',
    created_on TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    revoked_on TEXT
) STRICT;

-- Mail kept locally when no SMTP server is configured (shown to staff at /staff/mail/).
CREATE TABLE mail_sandbox (
    id          INTEGER PRIMARY KEY,
    outbox_key  TEXT NOT NULL UNIQUE,
    to_address  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_on  TEXT NOT NULL
) STRICT;

-- In-flight OIDC logins (state, nonce, PKCE verifier), consumed by the callback.
CREATE TABLE oidc_logins (
    state         TEXT PRIMARY KEY,
    nonce         TEXT NOT NULL,
    code_verifier TEXT NOT NULL,
    next_url      TEXT NOT NULL DEFAULT '',
    created_on    TEXT NOT NULL
) STRICT;
