-- Foundation: users (the identity issue extends them), service API keys, settings, jobs, outbox, audit.
-- Append-only: never edit this file once shipped; add V2__… instead.

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_on TEXT NOT NULL
) STRICT;

CREATE TABLE users (
    id                    INTEGER PRIMARY KEY,
    username              TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 500),
    email                 TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    name                  TEXT NOT NULL DEFAULT '',
    global_id             TEXT UNIQUE CHECK (global_id IS NULL OR length(global_id) <= 36),
    is_active             INTEGER NOT NULL DEFAULT 1,
    is_staff              INTEGER NOT NULL DEFAULT 0,
    is_superuser          INTEGER NOT NULL DEFAULT 0,
    is_etl                INTEGER NOT NULL DEFAULT 0,
    password_hash         TEXT,
    hubspot_sync_datetime TEXT,
    last_login            TEXT,
    created_on            TEXT NOT NULL,
    updated_on            TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));

-- Service credentials (MIT Learn's ETL, operators' automation). Only a SHA-256 of the key is kept.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix       TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    scope        TEXT NOT NULL DEFAULT 'catalog' CHECK (scope IN ('catalog', 'staff')),
    created_on   TEXT NOT NULL,
    revoked_on   TEXT,
    last_used_on TEXT
) STRICT;

-- One row per run of a named job (scheduled, CLI or staff "run now").
CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY,
    job         TEXT NOT NULL,
    trigger     TEXT NOT NULL CHECK (trigger IN ('schedule', 'cli', 'staff', 'test')),
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'skipped')),
    queued_on   TEXT NOT NULL,
    started_on  TEXT,
    finished_on TEXT,
    detail      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX job_runs_job ON job_runs (job, id);
CREATE INDEX job_runs_status ON job_runs (status) WHERE status IN ('queued', 'running');

-- Transactional outbox: every outbound side effect, written with the change that causes it.
CREATE TABLE outbox (
    id                 INTEGER PRIMARY KEY,
    destination        TEXT NOT NULL,
    kind               TEXT NOT NULL,
    payload            TEXT NOT NULL,
    idempotency_key    TEXT NOT NULL UNIQUE,
    status             TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    permanent_failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    TEXT NOT NULL,
    last_error         TEXT,
    created_on         TEXT NOT NULL,
    delivered_on       TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_status ON outbox (status, destination);

-- Who changed what: staff actions and state transitions.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    actor_id    INTEGER REFERENCES users (id),
    actor_label TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    data_before TEXT,
    data_after  TEXT,
    created_on  TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);
