//! Plain SQL over `users`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::clock::to_db;

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

const COLUMNS: &str = "id, username, email, name, global_id, is_active, is_staff, is_superuser";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        username: r.get(1)?,
        email: r.get(2)?,
        name: r.get(3)?,
        global_id: r.get(4)?,
        is_active: r.get(5)?,
        is_staff: r.get(6)?,
        is_superuser: r.get(7)?,
    })
}

pub fn insert(c: &Connection, u: &NewUser, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    let now = to_db(now);
    c.execute(
        "INSERT INTO users (username, email, name, is_staff, is_superuser, password_hash, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![u.username, u.email, u.name, u.is_staff, u.is_superuser, u.password_hash, now],
    )?;
    Ok(c.last_insert_rowid())
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
