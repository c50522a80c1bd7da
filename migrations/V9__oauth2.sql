-- Our OAuth2/OIDC authorization server (Open edX logs learners in through it).

-- Client applications. Only the SHA-256 of the secret is kept; redirect URIs are exact-match,
-- separated by spaces; grant types likewise.
CREATE TABLE oauth2_applications (
    id                 INTEGER PRIMARY KEY,
    client_id          TEXT NOT NULL UNIQUE,
    secret_hash        TEXT NOT NULL,
    name               TEXT NOT NULL UNIQUE,
    redirect_uris      TEXT NOT NULL,
    confidential       INTEGER NOT NULL DEFAULT 1 CHECK (confidential IN (0, 1)),
    skip_authorization INTEGER NOT NULL DEFAULT 0 CHECK (skip_authorization IN (0, 1)),
    grant_types        TEXT NOT NULL DEFAULT 'authorization_code refresh_token',
    created_on         TEXT NOT NULL
) STRICT;

-- Authorization codes: single-use, short-lived, bound to client, redirect URI and PKCE challenge.
CREATE TABLE oauth2_codes (
    code_hash      TEXT PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES oauth2_applications (id) ON DELETE CASCADE,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    code_challenge TEXT,
    nonce          TEXT,
    created_on     TEXT NOT NULL,
    expires_on     TEXT NOT NULL,
    used_on        TEXT,
    -- The access token the code was redeemed for (revoked if the code is presented again).
    access_token_id INTEGER REFERENCES access_tokens (id) ON DELETE SET NULL
) STRICT;

-- Refresh tokens, rotated on use (the old one and its access token are revoked).
CREATE TABLE oauth2_refresh_tokens (
    id              INTEGER PRIMARY KEY,
    token_hash      TEXT NOT NULL UNIQUE,
    access_token_id INTEGER REFERENCES access_tokens (id) ON DELETE SET NULL,
    application_id  INTEGER NOT NULL REFERENCES oauth2_applications (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    created_on      TEXT NOT NULL,
    revoked_on      TEXT
) STRICT;

-- The RS256 key that signs ID tokens: generated once, kept here.
CREATE TABLE oauth2_keys (
    id          INTEGER PRIMARY KEY,
    kid         TEXT NOT NULL UNIQUE,
    private_der BLOB NOT NULL,
    n           TEXT NOT NULL,
    e           TEXT NOT NULL,
    created_on  TEXT NOT NULL
) STRICT;

-- Access tokens issued through the provider carry their scopes and application.
ALTER TABLE access_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT '';
ALTER TABLE access_tokens ADD COLUMN application_id INTEGER REFERENCES oauth2_applications (id) ON DELETE CASCADE;
