-- Open edX integration: the learner's edX account and per-user edX API tokens, plus the tables
-- of the built-in sandbox Open edX (used when MITXONLINE_OPENEDX_API_BASE_URL is unset).

-- Our record of a user's Open edX account (the original's OpenEdxUser).
CREATE TABLE openedx_users (
    id                   INTEGER PRIMARY KEY,
    user_id              INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    platform             TEXT NOT NULL DEFAULT 'edx' CHECK (platform IN ('edx')),
    edx_username         TEXT UNIQUE CHECK (edx_username IS NULL OR length(edx_username) BETWEEN 1 AND 30),
    desired_edx_username TEXT CHECK (desired_edx_username IS NULL OR length(desired_edx_username) <= 30),
    has_been_synced      INTEGER NOT NULL DEFAULT 0 CHECK (has_been_synced IN (0, 1)),
    has_sync_error       INTEGER NOT NULL DEFAULT 0 CHECK (has_sync_error IN (0, 1)),
    sync_error_data      TEXT,
    created_on           TEXT NOT NULL,
    updated_on           TEXT NOT NULL,
    UNIQUE (user_id, platform)
) STRICT;

-- Tokens issued *by edX to us* for one user (the original's OpenEdxApiAuth).
CREATE TABLE openedx_api_auth (
    user_id                 INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    refresh_token           TEXT,
    access_token            TEXT,
    access_token_expires_on TEXT,
    updated_on              TEXT NOT NULL
) STRICT;

-- What edX last confirmed for a learner's enrollment in a run, written by the outbox deliverer
-- after each successful enroll/unenroll (the enrollment work reads it to set `edx_enrolled`).
CREATE TABLE openedx_enrollment_sync (
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id    TEXT NOT NULL,
    mode         TEXT,
    is_active    INTEGER NOT NULL CHECK (is_active IN (0, 1)),
    confirmed_on TEXT NOT NULL,
    PRIMARY KEY (user_id, course_id)
) STRICT;

-- Sandbox Open edX: accounts, enrollments, grades staff can set, courses, email settings, tokens.
CREATE TABLE openedx_sandbox_users (
    username           TEXT PRIMARY KEY,
    email              TEXT NOT NULL,
    name               TEXT NOT NULL DEFAULT '',
    country            TEXT,
    state              TEXT,
    gender             TEXT,
    year_of_birth      INTEGER,
    level_of_education TEXT,
    created_on         TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX openedx_sandbox_users_email ON openedx_sandbox_users (lower(email));

CREATE TABLE openedx_sandbox_courses (
    course_id                  TEXT PRIMARY KEY,
    name                       TEXT NOT NULL,
    start_date                 TEXT,
    end_date                   TEXT,
    enrollment_start           TEXT,
    enrollment_end             TEXT,
    certificate_available_date TEXT,
    pacing                     TEXT NOT NULL DEFAULT 'instructor' CHECK (pacing IN ('instructor', 'self'))
) STRICT;

CREATE TABLE openedx_sandbox_enrollments (
    username   TEXT NOT NULL REFERENCES openedx_sandbox_users (username),
    course_id  TEXT NOT NULL,
    mode       TEXT NOT NULL,
    is_active  INTEGER NOT NULL,
    created    TEXT NOT NULL,
    updated_on TEXT NOT NULL,
    PRIMARY KEY (username, course_id)
) STRICT;
CREATE INDEX openedx_sandbox_enrollments_course ON openedx_sandbox_enrollments (course_id, username);

CREATE TABLE openedx_sandbox_grades (
    username     TEXT NOT NULL REFERENCES openedx_sandbox_users (username),
    course_id    TEXT NOT NULL,
    percent      TEXT NOT NULL,
    passed       INTEGER NOT NULL,
    letter_grade TEXT,
    updated_on   TEXT NOT NULL,
    PRIMARY KEY (course_id, username)
) STRICT;

CREATE TABLE openedx_sandbox_email_settings (
    username       TEXT NOT NULL,
    course_id      TEXT NOT NULL,
    receive_emails INTEGER NOT NULL,
    PRIMARY KEY (username, course_id)
) STRICT;

CREATE TABLE openedx_sandbox_tokens (
    access_token  TEXT PRIMARY KEY,
    refresh_token TEXT NOT NULL UNIQUE,
    username      TEXT NOT NULL,
    expires_on    TEXT NOT NULL
) STRICT;

CREATE TABLE openedx_sandbox_codes (
    code         TEXT PRIMARY KEY,
    username     TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    created_on   TEXT NOT NULL
) STRICT;
