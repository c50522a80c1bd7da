//! The sandbox edX's own tables.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::{Value, json};

use crate::clock::to_db;
use crate::db::from_row;

#[derive(Debug, Clone, Serialize)]
pub struct SandboxUser {
    pub username: String,
    pub email: String,
    pub name: String,
}

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SandboxUser> {
    from_row!(
        r,
        SandboxUser {
            username,
            email,
            name
        }
    )
}

pub fn user_by_name(c: &Connection, username: &str) -> rusqlite::Result<Option<SandboxUser>> {
    c.query_row(
        "SELECT username, email, name FROM openedx_sandbox_users WHERE username = ?1",
        [username],
        user_row,
    )
    .optional()
}

pub fn user_by_email(c: &Connection, email: &str) -> rusqlite::Result<Option<SandboxUser>> {
    c.query_row(
        "SELECT username, email, name FROM openedx_sandbox_users WHERE lower(email) = lower(?1)",
        [email],
        user_row,
    )
    .optional()
}

/// Inserts an account from registration form fields.
pub fn insert_user(
    c: &Connection,
    f: &std::collections::HashMap<String, String>,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let g = |k: &str| f.get(k).cloned().filter(|v| !v.is_empty());
    c.execute(
        "INSERT INTO openedx_sandbox_users (username, email, name, country, state, gender, year_of_birth, level_of_education, created_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            g("username"), g("email"), g("name").unwrap_or_default(), g("country"), g("state"), g("gender"),
            g("year_of_birth").and_then(|y| y.parse::<i64>().ok()), g("level_of_education"), to_db(now)
        ],
    )?;
    Ok(())
}

pub fn patch_user(c: &Connection, username: &str, patch: &Value) -> rusqlite::Result<()> {
    for (field, column) in [
        ("name", "name"),
        ("country", "country"),
        ("state", "state"),
        ("gender", "gender"),
        ("year_of_birth", "year_of_birth"),
        ("level_of_education", "level_of_education"),
    ] {
        if let Some(v) = patch.get(field) {
            let value: Option<String> = match v {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            };
            if column == "name" {
                c.execute(
                    "UPDATE openedx_sandbox_users SET name = ?2 WHERE username = ?1",
                    params![username, value.unwrap_or_default()],
                )?;
            } else if column == "year_of_birth" {
                c.execute(
                    "UPDATE openedx_sandbox_users SET year_of_birth = ?2 WHERE username = ?1",
                    params![username, value.and_then(|v| v.parse::<i64>().ok())],
                )?;
            } else {
                c.execute(
                    &format!("UPDATE openedx_sandbox_users SET {column} = ?2 WHERE username = ?1"),
                    params![username, value],
                )?;
            }
        }
    }
    Ok(())
}

pub fn account_json(c: &Connection, username: &str) -> rusqlite::Result<Option<Value>> {
    c.query_row(
        "SELECT username, email, name, country, state, gender, year_of_birth, level_of_education
         FROM openedx_sandbox_users WHERE username = ?1",
        [username],
        |r| {
            Ok(json!({
                "username": r.get::<_, String>(0)?, "email": r.get::<_, String>(1)?, "name": r.get::<_, String>(2)?,
                "country": r.get::<_, Option<String>>(3)?, "state": r.get::<_, Option<String>>(4)?,
                "gender": r.get::<_, Option<String>>(5)?, "year_of_birth": r.get::<_, Option<i64>>(6)?,
                "level_of_education": r.get::<_, Option<String>>(7)?,
            }))
        },
    )
    .optional()
}

fn enrollment_json(r: &rusqlite::Row<'_>) -> rusqlite::Result<Value> {
    Ok(json!({
        "user": r.get::<_, String>(0)?,
        "course_details": { "course_id": r.get::<_, String>(1)? },
        "mode": r.get::<_, String>(2)?,
        "is_active": r.get::<_, bool>(3)?,
        "created": r.get::<_, String>(4)?,
    }))
}

/// Creates, changes or deactivates an enrollment; returns it.
pub fn upsert_enrollment(
    c: &Connection,
    username: &str,
    course_id: &str,
    mode: Option<&str>,
    is_active: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<Value> {
    let now = to_db(now);
    c.execute(
        "INSERT INTO openedx_sandbox_enrollments (username, course_id, mode, is_active, created, updated_on)
         VALUES (?1, ?2, coalesce(?3, 'audit'), ?4, ?5, ?5)
         ON CONFLICT (username, course_id) DO UPDATE SET mode = coalesce(?3, mode), is_active = ?4, updated_on = ?5",
        params![username, course_id, mode, is_active, now],
    )?;
    c.execute(
        "INSERT INTO openedx_sandbox_courses (course_id, name) VALUES (?1, ?1) ON CONFLICT DO NOTHING",
        [course_id],
    )?;
    c.query_row(
        "SELECT username, course_id, mode, is_active, created FROM openedx_sandbox_enrollments WHERE username = ?1 AND course_id = ?2",
        params![username, course_id],
        enrollment_json,
    )
}

/// Enrollments filtered by course and usernames, ordered, from `offset`.
pub fn enrollments(
    c: &Connection,
    course_id: Option<&str>,
    usernames: &[String],
    offset: i64,
    limit: i64,
) -> rusqlite::Result<Vec<Value>> {
    let names = (!usernames.is_empty()).then(|| json!(usernames).to_string());
    let mut stmt = c.prepare_cached(
        "SELECT username, course_id, mode, is_active, created FROM openedx_sandbox_enrollments
         WHERE (?1 IS NULL OR course_id = ?1)
           AND (?2 IS NULL OR username IN (SELECT value FROM json_each(?2)))
         ORDER BY course_id, username LIMIT ?3 OFFSET ?4",
    )?;
    let rows = stmt.query_map(params![course_id, names, limit, offset.max(0)], enrollment_json)?;
    rows.collect()
}

pub fn set_email_setting(c: &Connection, username: &str, course_id: &str, on: bool) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO openedx_sandbox_email_settings (username, course_id, receive_emails) VALUES (?1, ?2, ?3)
         ON CONFLICT (username, course_id) DO UPDATE SET receive_emails = ?3",
        params![username, course_id, on],
    )?;
    Ok(())
}

pub fn set_grade(
    c: &Connection,
    username: &str,
    course_id: &str,
    percent: &str,
    passed: bool,
    letter: Option<&str>,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO openedx_sandbox_grades (username, course_id, percent, passed, letter_grade, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (course_id, username) DO UPDATE SET percent = ?3, passed = ?4, letter_grade = ?5, updated_on = ?6",
        params![username, course_id, percent, passed, letter, to_db(now)],
    )?;
    Ok(())
}

/// A course's grades by username (one learner's when `username` is given), at most `limit`
/// after the `after` username (a keyset page: one index range, never an OFFSET scan).
pub fn grades(
    c: &Connection,
    course_id: &str,
    username: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = c.prepare_cached(
        "SELECT g.username, u.email, g.course_id, g.passed, g.percent, g.letter_grade
         FROM openedx_sandbox_grades g JOIN openedx_sandbox_users u ON u.username = g.username
         WHERE g.course_id = ?1 AND (?2 IS NULL OR g.username = ?2) AND g.username > coalesce(?3, '')
         ORDER BY g.username LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![course_id, username, after, limit], |r| {
        let percent: String = r.get(4)?;
        Ok(json!({
            "username": r.get::<_, String>(0)?, "email": r.get::<_, String>(1)?,
            "course_id": r.get::<_, String>(2)?, "passed": r.get::<_, bool>(3)?,
            "percent": percent.parse::<serde_json::Number>().map(Value::Number).unwrap_or(Value::String(percent)),
            "letter_grade": r.get::<_, Option<String>>(5)?,
        }))
    })?;
    rows.collect()
}

pub fn course(c: &Connection, course_id: &str) -> rusqlite::Result<Option<Value>> {
    c.query_row(
        "SELECT course_id, name, start_date, end_date, enrollment_start, enrollment_end, certificate_available_date, pacing
         FROM openedx_sandbox_courses WHERE course_id = ?1",
        [course_id],
        |r| {
            Ok(json!({
                "id": r.get::<_, String>(0)?, "course_id": r.get::<_, String>(0)?, "name": r.get::<_, String>(1)?,
                "start": r.get::<_, Option<String>>(2)?, "end": r.get::<_, Option<String>>(3)?,
                "enrollment_start": r.get::<_, Option<String>>(4)?, "enrollment_end": r.get::<_, Option<String>>(5)?,
                "certificate_available_date": r.get::<_, Option<String>>(6)?, "pacing": r.get::<_, String>(7)?,
            }))
        },
    )
    .optional()
}

pub fn upsert_course(c: &Connection, v: &Value) -> rusqlite::Result<()> {
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
    c.execute(
        "INSERT INTO openedx_sandbox_courses (course_id, name, start_date, end_date, enrollment_start, enrollment_end,
             certificate_available_date, pacing) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, 'instructor'))
         ON CONFLICT (course_id) DO UPDATE SET name = ?2, start_date = ?3, end_date = ?4, enrollment_start = ?5,
             enrollment_end = ?6, certificate_available_date = ?7, pacing = coalesce(?8, pacing)",
        params![s("course_id"), s("name"), s("start"), s("end"), s("enrollment_start"), s("enrollment_end"),
            s("certificate_available_date"), s("pacing")],
    )?;
    Ok(())
}

pub fn insert_code(
    c: &Connection,
    code: &str,
    username: &str,
    redirect_uri: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO openedx_sandbox_codes (code, username, redirect_uri, created_on) VALUES (?1, ?2, ?3, ?4)",
        params![code, username, redirect_uri, to_db(now)],
    )?;
    Ok(())
}

/// Consumes a code: its username when it existed for this redirect URI.
pub fn take_code(c: &Connection, code: &str, redirect_uri: &str) -> rusqlite::Result<Option<String>> {
    let user: Option<String> = c
        .query_row(
            "SELECT username FROM openedx_sandbox_codes WHERE code = ?1 AND redirect_uri = ?2",
            params![code, redirect_uri],
            |r| r.get(0),
        )
        .optional()?;
    c.execute("DELETE FROM openedx_sandbox_codes WHERE code = ?1", [code])?;
    Ok(user)
}

pub fn insert_token(
    c: &Connection,
    access: &str,
    refresh: &str,
    username: &str,
    expires: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO openedx_sandbox_tokens (access_token, refresh_token, username, expires_on) VALUES (?1, ?2, ?3, ?4)",
        params![access, refresh, username, to_db(expires)],
    )?;
    Ok(())
}

/// Rotates a refresh token: its username when it was valid (the old pair is deleted).
pub fn take_refresh(c: &Connection, refresh: &str) -> rusqlite::Result<Option<String>> {
    let user: Option<String> = c
        .query_row(
            "SELECT username FROM openedx_sandbox_tokens WHERE refresh_token = ?1",
            [refresh],
            |r| r.get(0),
        )
        .optional()?;
    c.execute(
        "DELETE FROM openedx_sandbox_tokens WHERE refresh_token = ?1",
        [refresh],
    )?;
    Ok(user)
}

/// The username of a live access token.
pub fn token_user(c: &Connection, access: &str, now: DateTime<Utc>) -> rusqlite::Result<Option<String>> {
    c.query_row(
        "SELECT username FROM openedx_sandbox_tokens WHERE access_token = ?1 AND expires_on > ?2",
        params![access, to_db(now)],
        |r| r.get(0),
    )
    .optional()
}

/// Everything in the sandbox, for the staff view.
pub fn snapshot(c: &Connection) -> rusqlite::Result<Value> {
    let collect = |sql: &str, cols: &[&str]| -> rusqlite::Result<Vec<Value>> {
        let mut stmt = c.prepare(sql)?;
        let rows = stmt.query_map([], |r| {
            let mut m = serde_json::Map::new();
            for (i, name) in cols.iter().enumerate() {
                let v: rusqlite::types::Value = r.get(i)?;
                m.insert(
                    (*name).to_owned(),
                    match v {
                        rusqlite::types::Value::Null => Value::Null,
                        rusqlite::types::Value::Integer(n) => json!(n),
                        rusqlite::types::Value::Real(f) => json!(f),
                        rusqlite::types::Value::Text(t) => json!(t),
                        rusqlite::types::Value::Blob(_) => Value::Null,
                    },
                );
            }
            Ok(Value::Object(m))
        })?;
        rows.collect()
    };
    Ok(json!({
        "users": collect("SELECT username, email, name FROM openedx_sandbox_users ORDER BY username", &["username", "email", "name"])?,
        "enrollments": collect("SELECT username, course_id, mode, is_active FROM openedx_sandbox_enrollments ORDER BY course_id, username",
            &["username", "course_id", "mode", "is_active"])?,
        "grades": collect("SELECT username, course_id, percent, passed, letter_grade FROM openedx_sandbox_grades ORDER BY course_id, username",
            &["username", "course_id", "percent", "passed", "letter_grade"])?,
        "courses": collect("SELECT course_id, name, start_date, end_date, pacing FROM openedx_sandbox_courses ORDER BY course_id",
            &["course_id", "name", "start", "end", "pacing"])?,
    }))
}
