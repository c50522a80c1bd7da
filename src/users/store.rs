//! Plain SQL over `users`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::clock::to_db;
use crate::db::from_row;

/// A user account.
#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub name: String,
    pub global_id: Option<String>,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    /// Superuser, staff, or in the "Editors" group (`in_editors_group`).
    pub is_editor: bool,
    pub in_editors_group: bool,
    pub email_verified: bool,
    /// A service account (tokens are minted only for these; it never signs in as a person).
    pub is_service_account: bool,
    /// May read the catalog's internal API (`/api/internal/…`) as MIT Learn's ETL does, as the
    /// original's `is_etl` flag.
    pub is_etl: bool,
    pub created_on: String,
    pub updated_on: String,
}

/// Fields of a new account.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub username: String,
    pub name: String,
    pub is_staff: bool,
    pub is_superuser: bool,
    pub password_hash: Option<String>,
}

/// The columns [`from_row`] reads, in order ([`COLUMN_COUNT`] of them).
const COLUMNS: &str = "id, username, email, name, global_id, is_active, is_staff, is_superuser,
    in_editors_group, email_verified_on IS NOT NULL, created_on, updated_on, is_service_account, is_etl";

const COLUMN_COUNT: usize = 14;

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    from_row!(
        r,
        User {
            id,
            username,
            email,
            name,
            global_id,
            is_active,
            is_staff,
            is_superuser,
            in_editors_group,
            email_verified,
            created_on,
            updated_on,
            is_service_account,
            is_etl;
            is_editor: r.get::<_, bool>(6)? || r.get::<_, bool>(7)? || r.get::<_, bool>(8)?
        }
    )
}

/// Inserts an account created by an operator (CLI, demo): its email counts as verified.
pub fn insert(c: &Connection, u: &NewUser, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    let now = to_db(now);
    c.execute(
        "INSERT INTO users (username, email, name, is_staff, is_superuser, password_hash, created_on, updated_on, email_verified_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?7)",
        params![u.username, u.email, u.name, u.is_staff, u.is_superuser, u.password_hash, now],
    )?;
    let id = c.last_insert_rowid();
    // Like the original's manager: every user has an (empty) address and profile.
    super::profiles::ensure_rows(c, id)?;
    Ok(id)
}

pub fn find_by_email(c: &Connection, email: &str) -> rusqlite::Result<Option<User>> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM users WHERE lower(email) = lower(?1)"),
        [email],
        from_row,
    )
    .optional()
}

pub fn find_by_id(c: &Connection, id: i64) -> rusqlite::Result<Option<User>> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?1"),
        [id],
        from_row,
    )
    .optional()
}

/// Grants roles to an existing account (`user create` on an existing email).
pub fn set_roles(
    c: &Connection,
    id: i64,
    is_staff: bool,
    is_superuser: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET is_staff = ?2, is_superuser = ?3, updated_on = ?4 WHERE id = ?1",
        params![id, is_staff, is_superuser, to_db(now)],
    )?;
    Ok(())
}

/// Sets the `is_etl` flag (`user create --etl`).
pub fn set_etl(c: &Connection, id: i64, on: bool, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET is_etl = ?2, updated_on = ?3 WHERE id = ?1",
        params![id, on, to_db(now)],
    )?;
    Ok(())
}

/// A username derived from an email that is not taken yet (`jane`, `jane1`, …).
pub fn free_username(c: &Connection, email: &str) -> rusqlite::Result<String> {
    let base: String = email
        .split('@')
        .next()
        .unwrap_or("user")
        .chars()
        .filter(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.'))
        .take(26)
        .collect();
    let base = if base.is_empty() { "user".to_owned() } else { base };
    let mut candidate = base.clone();
    let mut n = 0;
    while c
        .query_row(
            "SELECT 1 FROM users WHERE username = ?1",
            [&candidate],
            |_| Ok(()),
        )
        .optional()?
        .is_some()
    {
        n += 1;
        candidate = format!("{base}{n}");
    }
    Ok(candidate)
}

/// Inserts a self-registered account whose email still has to be verified.
pub fn insert_unverified(c: &Connection, u: &NewUser, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    let id = insert(c, u, now)?;
    c.execute("UPDATE users SET email_verified_on = NULL WHERE id = ?1", [id])?;
    Ok(id)
}

pub fn find_by_global_id(c: &Connection, global_id: &str) -> rusqlite::Result<Option<User>> {
    c.prepare_cached(&format!("SELECT {COLUMNS} FROM users WHERE global_id = ?1"))?
        .query_row([global_id], from_row)
        .optional()
}

pub fn find_by_username(c: &Connection, username: &str) -> rusqlite::Result<Option<User>> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM users WHERE lower(username) = lower(?1)"),
        [username],
        from_row,
    )
    .optional()
}

/// The stored password hash of an active account with this email, with the account.
pub fn credentials(c: &Connection, email: &str) -> rusqlite::Result<Option<(User, Option<String>)>> {
    c.query_row(
        &format!("SELECT {COLUMNS}, password_hash FROM users WHERE lower(email) = lower(?1)"),
        [email],
        |r| Ok((from_row(r)?, r.get(COLUMN_COUNT)?)),
    )
    .optional()
}

pub fn password_hash(c: &Connection, id: i64) -> rusqlite::Result<Option<String>> {
    c.query_row("SELECT password_hash FROM users WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .optional()
    .map(Option::flatten)
}

pub fn set_password_hash(c: &Connection, id: i64, hash: &str, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET password_hash = ?2, updated_on = ?3 WHERE id = ?1",
        params![id, hash, to_db(now)],
    )?;
    Ok(())
}

pub fn mark_verified(c: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET email_verified_on = coalesce(email_verified_on, ?2) WHERE id = ?1",
        params![id, to_db(now)],
    )?;
    Ok(())
}

pub fn set_last_login(c: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET last_login = ?2 WHERE id = ?1",
        params![id, to_db(now)],
    )?;
    Ok(())
}

pub fn set_email(c: &Connection, id: i64, email: &str, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET email = ?2, updated_on = ?3 WHERE id = ?1",
        params![id, email, to_db(now)],
    )?;
    Ok(())
}

pub fn set_name(c: &Connection, id: i64, name: &str, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET name = ?2, updated_on = ?3 WHERE id = ?1",
        params![id, name, to_db(now)],
    )?;
    Ok(())
}

pub fn set_username(c: &Connection, id: i64, username: &str, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET username = ?2, updated_on = ?3 WHERE id = ?1",
        params![id, username, to_db(now)],
    )?;
    Ok(())
}

/// Fields the identity provider owns (gateway header, OIDC claims, SCIM).
pub struct ProviderFields<'a> {
    pub global_id: &'a str,
    pub username: Option<&'a str>,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// Applies provider fields as the original does: username and email follow the provider, the
/// name only while ours is empty. Returns whether anything changed.
pub fn apply_provider_fields(
    c: &Connection,
    user: &User,
    f: &ProviderFields<'_>,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let mut changed = false;
    if let Some(u) = f.username.filter(|u| !u.is_empty() && *u != user.username)
        && find_by_username(c, u)?.is_none_or(|o| o.id == user.id)
    {
        set_username(c, user.id, u, now)?;
        changed = true;
    }
    if let Some(e) = f
        .email
        .filter(|e| !e.is_empty() && !e.eq_ignore_ascii_case(&user.email))
        && find_by_email(c, e)?.is_none_or(|o| o.id == user.id)
    {
        set_email(c, user.id, e, now)?;
        changed = true;
    }
    if let Some(n) = f.name.filter(|n| !n.is_empty())
        && user.name.is_empty()
    {
        set_name(c, user.id, n, now)?;
        changed = true;
    }
    if user.global_id.as_deref() != Some(f.global_id) {
        c.execute(
            "UPDATE users SET global_id = ?2, updated_on = ?3 WHERE id = ?1",
            params![user.id, f.global_id, to_db(now)],
        )?;
        changed = true;
    }
    Ok(changed)
}

pub fn set_active(c: &Connection, id: i64, active: bool, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET is_active = ?2, updated_on = ?3 WHERE id = ?1",
        params![id, active, to_db(now)],
    )?;
    Ok(())
}

/// Staff search over username, name and email; returns the page and the total.
pub fn search(c: &Connection, term: &str, limit: i64, offset: i64) -> rusqlite::Result<(Vec<User>, i64)> {
    let like = crate::db::contains_pattern(term);
    let filter = "username LIKE ?1 ESCAPE '\\' OR name LIKE ?1 ESCAPE '\\' OR email LIKE ?1 ESCAPE '\\'";
    let total = c.query_row(
        &format!("SELECT count(*) FROM users WHERE {filter}"),
        [&like],
        |r| r.get(0),
    )?;
    let mut stmt = c.prepare(&format!(
        "SELECT {COLUMNS} FROM users WHERE {filter} ORDER BY id LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(params![like, limit, offset], from_row)?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

/// Every user, in id order, a page at a time (SCIM listing).
pub fn page(c: &Connection, limit: i64, offset: i64) -> rusqlite::Result<(Vec<User>, i64)> {
    search(c, "", limit, offset)
}

/// Sets every role flag at once (staff roles page); `is_editor` is the "Editors" group.
pub fn set_all_roles(c: &Connection, id: i64, roles: Roles, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    let n = c.execute(
        "UPDATE users SET is_staff = ?2, is_superuser = ?3, in_editors_group = ?4, is_active = ?5, updated_on = ?6
         WHERE id = ?1",
        params![id, roles.is_staff, roles.is_superuser, roles.in_editors_group, roles.is_active, to_db(now)],
    )?;
    Ok(n == 1)
}

/// The role flags of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Roles {
    pub is_staff: bool,
    pub is_superuser: bool,
    pub in_editors_group: bool,
    pub is_active: bool,
}

pub fn roles(c: &Connection, id: i64) -> rusqlite::Result<Option<Roles>> {
    c.query_row(
        "SELECT is_staff, is_superuser, in_editors_group, is_active FROM users WHERE id = ?1",
        [id],
        |r| {
            from_row!(
                r,
                Roles {
                    is_staff,
                    is_superuser,
                    in_editors_group,
                    is_active
                }
            )
        },
    )
    .optional()
}

/// Why an account may not become a service account, if it may not: it is a person's — it can
/// sign in (a password or an SSO link), has signed in, or is a superuser.
pub fn service_account_obstacle(c: &Connection, id: i64) -> rusqlite::Result<Option<&'static str>> {
    let row: Option<(bool, bool, bool, bool)> = c
        .query_row(
            "SELECT is_superuser, password_hash IS NOT NULL, global_id IS NOT NULL, last_login IS NOT NULL
             FROM users WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    Ok(match row {
        None => Some("There is no such account."),
        Some((true, ..)) => Some("A superuser cannot be a service account."),
        Some((_, true, ..)) | Some((_, _, true, _)) | Some((.., true)) => Some(
            "This is a person's account (it has a password, an SSO link or has signed in); create a separate one with `mitxonline user create EMAIL --service-account`.",
        ),
        Some(_) => None,
    })
}

/// Sets or clears the service-account flag (callers check [`service_account_obstacle`]).
pub fn set_service_account(c: &Connection, id: i64, on: bool, now: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE users SET is_service_account = ?2, updated_on = ?3 WHERE id = ?1",
        params![id, on, to_db(now)],
    )?;
    Ok(())
}
