//! Plain SQL over the provider's tables: applications, authorization codes, refresh tokens,
//! the signing key, and the provider's columns of `access_tokens`. Secrets are stored hashed.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::clock::to_db;
use crate::db::from_row;
use crate::users::sessions::{hash, random_token};

/// A registered client application.
#[derive(Debug, Clone)]
pub struct Application {
    pub id: i64,
    pub client_id: String,
    pub secret_hash: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub confidential: bool,
    pub skip_authorization: bool,
    pub grant_types: Vec<String>,
    pub created_on: String,
}

impl Application {
    pub fn allows_grant(&self, grant: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant)
    }
    pub fn allows_redirect(&self, uri: &str) -> bool {
        self.redirect_uris.iter().any(|u| u == uri)
    }
}

const APP_COLS: &str = "id, client_id, secret_hash, name, redirect_uris, confidential, skip_authorization, grant_types, created_on";

fn app_row(r: &Row) -> rusqlite::Result<Application> {
    let split = |s: String| s.split_whitespace().map(str::to_owned).collect::<Vec<_>>();
    from_row!(
        r,
        Application {
            id,
            client_id,
            secret_hash,
            name,
            redirect_uris: split,
            confidential,
            skip_authorization,
            grant_types: split,
            created_on
        }
    )
}

/// Creates an application; returns it and its secret (shown once).
pub fn create_app(
    c: &Connection,
    name: &str,
    redirect_uris: &[String],
    skip_authorization: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<(Application, String)> {
    let client_id = random_token();
    let secret = format!("{}{}", random_token(), random_token());
    c.execute(
        "INSERT INTO oauth2_applications (client_id, secret_hash, name, redirect_uris, skip_authorization, created_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![client_id, hash(&secret), name, redirect_uris.join(" "), skip_authorization, to_db(now)],
    )?;
    let app = find_app(c, &client_id)?.ok_or(rusqlite::Error::QueryReturnedNoRows)?;
    Ok((app, secret))
}

pub fn find_app(c: &Connection, client_id: &str) -> rusqlite::Result<Option<Application>> {
    c.prepare_cached(&format!(
        "SELECT {APP_COLS} FROM oauth2_applications WHERE client_id = ?1"
    ))?
    .query_row([client_id], app_row)
    .optional()
}

pub fn find_app_by_name(c: &Connection, name: &str) -> rusqlite::Result<Option<Application>> {
    c.prepare_cached(&format!(
        "SELECT {APP_COLS} FROM oauth2_applications WHERE name = ?1"
    ))?
    .query_row([name], app_row)
    .optional()
}

pub fn list_apps(c: &Connection) -> rusqlite::Result<Vec<Application>> {
    let mut stmt = c.prepare(&format!(
        "SELECT {APP_COLS} FROM oauth2_applications ORDER BY name"
    ))?;
    let rows = stmt.query_map([], app_row)?;
    rows.collect()
}

/// What an authorization code stands for.
#[derive(Debug, Clone)]
pub struct Grant {
    pub application_id: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub expires_on: String,
    pub used_on: Option<String>,
    pub access_token_id: Option<i64>,
}

/// Stores a new code; returns the code itself.
#[allow(clippy::too_many_arguments)]
pub fn create_code(
    c: &Connection,
    app_id: i64,
    user_id: i64,
    redirect_uri: &str,
    scope: &str,
    code_challenge: Option<&str>,
    nonce: Option<&str>,
    ttl: Duration,
    now: DateTime<Utc>,
) -> rusqlite::Result<String> {
    let code = random_token();
    c.execute(
        "INSERT INTO oauth2_codes (code_hash, application_id, user_id, redirect_uri, scope, code_challenge, nonce, created_on, expires_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![hash(&code), app_id, user_id, redirect_uri, scope, code_challenge, nonce, to_db(now), to_db(now + ttl)],
    )?;
    Ok(code)
}

pub fn find_code(c: &Connection, code: &str) -> rusqlite::Result<Option<Grant>> {
    c.query_row(
        "SELECT application_id, user_id, redirect_uri, scope, code_challenge, nonce, expires_on, used_on, access_token_id
         FROM oauth2_codes WHERE code_hash = ?1",
        [hash(code)],
        |r| from_row!(r, Grant { application_id, user_id, redirect_uri, scope, code_challenge, nonce, expires_on, used_on, access_token_id }),
    )
    .optional()
}

pub fn mark_code_used(c: &Connection, code: &str, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "UPDATE oauth2_codes SET used_on = ?2 WHERE code_hash = ?1 AND used_on IS NULL",
        params![hash(code), to_db(now)],
    )? == 1)
}

/// Records the access token a code was redeemed for.
pub fn set_code_token(c: &Connection, code: &str, access_token_id: i64) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE oauth2_codes SET access_token_id = ?2 WHERE code_hash = ?1",
        params![hash(code), access_token_id],
    )?;
    Ok(())
}

/// Revokes an access token by id and the refresh tokens issued with it.
pub fn revoke_access_id(c: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE access_tokens SET revoked_on = ?2 WHERE id = ?1 AND revoked_on IS NULL",
        params![id, to_db(now)],
    )?;
    c.execute(
        "UPDATE oauth2_refresh_tokens SET revoked_on = ?2 WHERE access_token_id = ?1 AND revoked_on IS NULL",
        params![id, to_db(now)],
    )?;
    Ok(())
}

/// An access token (in `access_tokens`) and its refresh token, issued together.
pub struct Issued {
    pub access_token: String,
    pub access_token_id: i64,
    pub refresh_token: String,
}

/// Issues an access token with scopes on an application, plus a refresh token.
pub fn issue_tokens(
    c: &Connection,
    app: &Application,
    user_id: i64,
    scope: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> rusqlite::Result<Issued> {
    let access_token = issue_access_token(c, Some(app.id), &app.name, user_id, scope, ttl, now)?;
    let access_id = c.last_insert_rowid();
    let refresh_token = random_token();
    c.execute(
        "INSERT INTO oauth2_refresh_tokens (token_hash, access_token_id, application_id, user_id, scope, created_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![hash(&refresh_token), access_id, app.id, user_id, scope, to_db(now)],
    )?;
    Ok(Issued {
        access_token,
        access_token_id: access_id,
        refresh_token,
    })
}

/// Issues an access token only (no refresh token), e.g. the one edX registers with.
pub fn issue_access_token(
    c: &Connection,
    app_id: Option<i64>,
    app_name: &str,
    user_id: i64,
    scope: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> rusqlite::Result<String> {
    let token = random_token();
    c.execute(
        "INSERT INTO access_tokens (token_hash, user_id, name, created_on, expires_on, scope, application_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            hash(&token),
            user_id,
            app_name,
            to_db(now),
            to_db(now + ttl),
            scope,
            app_id
        ],
    )?;
    Ok(token)
}

/// A live refresh token: (id, access_token_id, application_id, user_id, scope).
pub struct RefreshRow {
    pub id: i64,
    pub access_token_id: Option<i64>,
    pub application_id: i64,
    pub user_id: i64,
    pub scope: String,
    pub revoked: bool,
}

pub fn find_refresh(c: &Connection, token: &str) -> rusqlite::Result<Option<RefreshRow>> {
    c.query_row(
        "SELECT id, access_token_id, application_id, user_id, scope, revoked_on IS NOT NULL
         FROM oauth2_refresh_tokens WHERE token_hash = ?1",
        [hash(token)],
        |r| {
            from_row!(
                r,
                RefreshRow {
                    id,
                    access_token_id,
                    application_id,
                    user_id,
                    scope,
                    revoked
                }
            )
        },
    )
    .optional()
}

/// Revokes a refresh token and the access token issued with it.
pub fn revoke_refresh(c: &Connection, row: &RefreshRow, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE oauth2_refresh_tokens SET revoked_on = ?2 WHERE id = ?1 AND revoked_on IS NULL",
        params![row.id, to_db(now)],
    )?;
    if let Some(a) = row.access_token_id {
        c.execute(
            "UPDATE access_tokens SET revoked_on = ?2 WHERE id = ?1 AND revoked_on IS NULL",
            params![a, to_db(now)],
        )?;
    }
    Ok(())
}

/// Revokes an access token of this application (and refresh tokens issued with it).
pub fn revoke_access(c: &Connection, app_id: i64, token: &str, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    let id: Option<i64> = c
        .query_row(
            "SELECT id FROM access_tokens WHERE token_hash = ?1 AND application_id = ?2",
            params![hash(token), app_id],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = id else { return Ok(false) };
    revoke_access_id(c, id, now)?;
    Ok(true)
}

/// The signing key: (kid, private PKCS#1 DER, n, e) in base64url.
pub struct KeyRow {
    pub kid: String,
    pub private_der: Vec<u8>,
    pub n: String,
    pub e: String,
}

pub fn current_key(c: &Connection) -> rusqlite::Result<Option<KeyRow>> {
    c.query_row(
        "SELECT kid, private_der, n, e FROM oauth2_keys ORDER BY id LIMIT 1",
        [],
        |r| {
            from_row!(
                r,
                KeyRow {
                    kid,
                    private_der,
                    n,
                    e
                }
            )
        },
    )
    .optional()
}

pub fn insert_key(c: &Connection, k: &KeyRow, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO oauth2_keys (kid, private_der, n, e, created_on) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![k.kid, k.private_der, k.n, k.e, to_db(now)],
    )?;
    Ok(())
}

/// `clear-expired-tokens`: deletes expired codes, expired or revoked provider access tokens,
/// and revoked refresh tokens (or those whose access token is gone and expired long ago).
pub fn clear_expired(c: &Connection, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    let now_s = to_db(now);
    let mut n = c.execute("DELETE FROM oauth2_codes WHERE expires_on < ?1", [&now_s])?;
    n += c.execute(
        "DELETE FROM oauth2_refresh_tokens WHERE revoked_on IS NOT NULL",
        [],
    )?;
    n += c.execute(
        "DELETE FROM access_tokens WHERE application_id IS NOT NULL
         AND (expires_on < ?1 OR revoked_on IS NOT NULL)
         AND id NOT IN (SELECT access_token_id FROM oauth2_refresh_tokens
                        WHERE revoked_on IS NULL AND access_token_id IS NOT NULL)",
        [&now_s],
    )?;
    Ok(n)
}
