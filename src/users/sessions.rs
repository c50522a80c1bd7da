//! Server-side sessions, emailed single-use tokens and service bearer
//! tokens: plain SQL. Every secret handed out is random; only its SHA-256 is stored.

use chrono::{DateTime, Duration, Utc};
use rand::Rng as _;
use rand::distr::Alphanumeric;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest as _, Sha256};

use crate::clock::to_db;
use crate::db::from_row;

/// Lifetime of a session (the gateway's absolute timeout is 14 days too).
pub const SESSION_TTL: Duration = Duration::days(14);

pub fn random_token() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(40)
        .map(char::from)
        .collect()
}

pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How a session was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Local,
    Gateway,
    Oidc,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Local => "local",
            Source::Gateway => "gateway",
            Source::Oidc => "oidc",
        }
    }
    fn parse(s: &str) -> Source {
        match s {
            "gateway" => Source::Gateway,
            "oidc" => Source::Oidc,
            _ => Source::Local,
        }
    }
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: i64,
    pub user_id: i64,
    pub source: Source,
}

/// Creates a session; returns the cookie value.
pub fn create(c: &Connection, user_id: i64, source: Source, now: DateTime<Utc>) -> rusqlite::Result<String> {
    let token = random_token();
    c.execute(
        "INSERT INTO sessions (token_hash, user_id, source, created_on, expires_on) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![hash(&token), user_id, source.as_str(), to_db(now), to_db(now + SESSION_TTL)],
    )?;
    Ok(token)
}

/// The live session for a cookie value (not revoked, not expired, active user).
pub fn find(c: &Connection, token: &str, now: DateTime<Utc>) -> rusqlite::Result<Option<Session>> {
    c.prepare_cached(
        "SELECT s.id, s.user_id, s.source FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ?1 AND s.revoked_on IS NULL AND s.expires_on > ?2 AND u.is_active = 1",
    )?
    .query_row(params![hash(token), to_db(now)], |r| {
        from_row!(
            r,
            Session {
                id,
                user_id,
                source: (|s: String| Source::parse(&s))
            }
        )
    })
    .optional()
}

pub fn revoke(c: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE sessions SET revoked_on = ?2 WHERE id = ?1 AND revoked_on IS NULL",
        params![id, to_db(now)],
    )?;
    Ok(())
}

/// A live session as staff see it on the learner page.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i64,
    pub source: Source,
    pub created_on: String,
    pub expires_on: String,
}

/// The user's unrevoked, unexpired sessions, newest first.
pub fn live_for_user(c: &Connection, user_id: i64, now: DateTime<Utc>) -> rusqlite::Result<Vec<SessionRow>> {
    c.prepare_cached(
        "SELECT id, source, created_on, expires_on FROM sessions
         WHERE user_id = ?1 AND revoked_on IS NULL AND expires_on > ?2 ORDER BY id DESC",
    )?
    .query_map(params![user_id, to_db(now)], |r| {
        Ok(SessionRow {
            id: r.get(0)?,
            source: Source::parse(&r.get::<_, String>(1)?),
            created_on: r.get(2)?,
            expires_on: r.get(3)?,
        })
    })?
    .collect()
}

/// Revokes one live session of the user. Returns false when it is not theirs or not live.
pub fn revoke_of_user(c: &Connection, user_id: i64, id: i64, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    let n = c.execute(
        "UPDATE sessions SET revoked_on = ?3 WHERE id = ?2 AND user_id = ?1 AND revoked_on IS NULL",
        params![user_id, id, to_db(now)],
    )?;
    Ok(n == 1)
}

/// Revokes every session of a user except `keep` (password change, reset, deactivation).
pub fn revoke_all(
    c: &Connection,
    user_id: i64,
    keep: Option<i64>,
    now: DateTime<Utc>,
) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE sessions SET revoked_on = ?2 WHERE user_id = ?1 AND revoked_on IS NULL AND id IS NOT ?3",
        params![user_id, to_db(now), keep],
    )
}

/// Purpose of an emailed link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Reset,
    ChangeEmail,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Reset => "reset",
            Purpose::ChangeEmail => "change_email",
        }
    }
    /// How long a link stays valid (the original: 24 h for email changes).
    pub fn ttl(self) -> Duration {
        match self {
            Purpose::Reset => Duration::hours(1),
            Purpose::Verify | Purpose::ChangeEmail => Duration::hours(24),
        }
    }
}

/// Issues a single-use token; returns it for the emailed link.
pub fn issue_token(
    c: &Connection,
    user_id: i64,
    purpose: Purpose,
    new_email: Option<&str>,
    now: DateTime<Utc>,
) -> rusqlite::Result<String> {
    let token = random_token();
    c.execute(
        "INSERT INTO email_tokens (token_hash, user_id, purpose, new_email, created_on, expires_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            hash(&token),
            user_id,
            purpose.as_str(),
            new_email,
            to_db(now),
            to_db(now + purpose.ttl())
        ],
    )?;
    Ok(token)
}

/// A valid, unused token: (user id, new email). Does not consume it.
pub fn peek_token(
    c: &Connection,
    token: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<(i64, Option<String>)>> {
    c.query_row(
        "SELECT user_id, new_email FROM email_tokens
         WHERE token_hash = ?1 AND purpose = ?2 AND used_on IS NULL AND expires_on > ?3",
        params![hash(token), purpose.as_str(), to_db(now)],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()
}

/// Consumes a token: returns what `peek_token` would, and marks it (and its siblings) used.
pub fn consume_token(
    c: &Connection,
    token: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<(i64, Option<String>)>> {
    let found = peek_token(c, token, purpose, now)?;
    if let Some((user_id, _)) = &found {
        c.execute(
            "UPDATE email_tokens SET used_on = ?3 WHERE user_id = ?1 AND purpose = ?2 AND used_on IS NULL",
            params![user_id, purpose.as_str(), to_db(now)],
        )?;
    }
    Ok(found)
}

/// Issues an OAuth2-style bearer token for a (service) user.
pub fn issue_access_token(
    c: &Connection,
    user_id: i64,
    name: &str,
    ttl: Duration,
    now: DateTime<Utc>,
) -> rusqlite::Result<String> {
    let token = random_token();
    c.execute(
        "INSERT INTO access_tokens (token_hash, user_id, name, created_on, expires_on) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![hash(&token), user_id, name, to_db(now), to_db(now + ttl)],
    )?;
    Ok(token)
}

/// A live bearer token: whose it is, and what it was issued as.
#[derive(Debug, Clone)]
pub struct BearerToken {
    pub user_id: i64,
    /// Space-separated OAuth2 scopes; empty for staff-minted service tokens.
    pub scope: String,
    pub application_id: Option<i64>,
}

impl BearerToken {
    /// Issued by our OAuth2 provider to an application (it has scopes or an application),
    /// as opposed to a service account's token minted by a superuser.
    pub fn is_application_token(&self) -> bool {
        self.application_id.is_some() || !self.scope.trim().is_empty()
    }
}

/// The live bearer token `token` (not revoked, not expired, active user).
pub fn bearer_token(
    c: &Connection,
    token: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<BearerToken>> {
    c.prepare_cached(
        "SELECT t.user_id, t.scope, t.application_id FROM access_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = ?1 AND t.revoked_on IS NULL AND t.expires_on > ?2 AND u.is_active = 1",
    )?
    .query_row(params![hash(token), to_db(now)], |r| {
        from_row!(
            r,
            BearerToken {
                user_id,
                scope,
                application_id
            }
        )
    })
    .optional()
}

/// Deletes what can no longer be used: sessions and tokens expired or revoked more than a day
/// ago, used or expired email links, old login failures and abandoned OIDC logins. Returns the
/// number of rows removed.
pub fn prune(c: &Connection, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    let day_ago = to_db(now - Duration::days(1));
    let mut n = c.execute(
        "DELETE FROM sessions WHERE expires_on < ?1 OR revoked_on < ?1",
        [&day_ago],
    )?;
    n += c.execute(
        "DELETE FROM access_tokens WHERE expires_on < ?1 OR revoked_on < ?1",
        [&day_ago],
    )?;
    n += c.execute(
        "DELETE FROM email_tokens WHERE expires_on < ?1 OR used_on < ?1",
        [&day_ago],
    )?;
    n += crate::throttle::prune(c, now - Duration::days(1))?;
    n += c.execute("DELETE FROM oidc_logins WHERE created_on < ?1", [&day_ago])?;
    Ok(n)
}

/// A bearer token as staff see it (never the token itself).
#[derive(Debug, Clone)]
pub struct AccessTokenRow {
    pub id: i64,
    pub user_email: String,
    pub name: String,
    pub created_on: String,
    pub expires_on: String,
    pub revoked_on: Option<String>,
}

pub fn list_access_tokens(c: &Connection) -> rusqlite::Result<Vec<AccessTokenRow>> {
    let mut stmt = c.prepare(
        "SELECT t.id, u.email, t.name, t.created_on, t.expires_on, t.revoked_on
         FROM access_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id DESC LIMIT 500",
    )?;
    let rows = stmt.query_map([], |r| {
        from_row!(
            r,
            AccessTokenRow {
                id,
                user_email,
                name,
                created_on,
                expires_on,
                revoked_on
            }
        )
    })?;
    rows.collect()
}

pub fn revoke_access_token(c: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    Ok(c.execute(
        "UPDATE access_tokens SET revoked_on = ?2 WHERE id = ?1 AND revoked_on IS NULL",
        params![id, to_db(now)],
    )? == 1)
}

/// Revokes every staff-minted token of a user (no application, no scope): done when the user
/// stops being a service account, so its tokens stop working at once.
pub fn revoke_service_tokens(c: &Connection, user_id: i64, now: DateTime<Utc>) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE access_tokens SET revoked_on = ?2 WHERE user_id = ?1 AND revoked_on IS NULL AND application_id IS NULL AND scope = ''",
        rusqlite::params![user_id, crate::clock::to_db(now)],
    )
}
