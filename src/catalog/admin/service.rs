//! The validated catalog writes of the operator console and `mitxonline catalog …`: the
//! error type, the checks they share, departments and topics here; courses in
//! [`super::courses`], runs in [`super::runs`], Open edX in [`super::edx`]; products go through
//! [`crate::catalog::products`]. Every write checks its input first (an
//! [`AdminError::Invalid`] names the field, nothing is written) and is audited in its
//! transaction. The catalog snapshot follows by itself (triggers bump `catalog_version`).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use crate::catalog::products::ProductError;
use crate::catalog::store;
use crate::db::DbError;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    NotFound(String),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// Open edX refused or could not be reached.
    #[error("Open edX: {0}")]
    Edx(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::db::error_from!(rusqlite::Error => AdminError::Db);

impl From<ProductError> for AdminError {
    fn from(e: ProductError) -> Self {
        match e {
            ProductError::NotFound(m) => AdminError::NotFound(m),
            ProductError::Invalid { field, message } => AdminError::Invalid { field, message },
            ProductError::Db(e) => AdminError::Db(e),
        }
    }
}

pub fn invalid(field: &'static str, message: impl Into<String>) -> AdminError {
    AdminError::Invalid {
        field,
        message: message.into(),
    }
}

/// The trimmed text, refused when empty or longer than `max` characters.
pub fn required(field: &'static str, v: &str, max: usize) -> Result<String, AdminError> {
    let v = v.trim();
    if v.is_empty() {
        return Err(invalid(field, "This field is required."));
    }
    if v.chars().count() > max {
        return Err(invalid(field, format!("At most {max} characters.")));
    }
    Ok(v.to_owned())
}

/// Writes `f` with the clock's time, auditing `action` on `object` with what it returns as the
/// "after" state (and `before` read first).
pub(super) async fn audited<T, F>(
    state: &AppState,
    actor: String,
    action: &'static str,
    object: &'static str,
    f: F,
) -> Result<T, AdminError>
where
    F: FnOnce(&Connection, DateTime<Utc>) -> Result<(T, String, Option<Value>, Value), AdminError>
        + Send
        + 'static,
    T: Send + 'static,
{
    state
        .write_at(move |c, now| {
            let (out, id, before, after) = f(c, now)?;
            crate::audit::record(
                c,
                None,
                &actor,
                action,
                object,
                &id,
                before.as_ref(),
                Some(&after),
                now,
            )?;
            Ok(out)
        })
        .await
}

fn department_json(c: &Connection, id: i64) -> Result<Value, AdminError> {
    c.query_row("SELECT name, slug FROM departments WHERE id = ?1", [id], |r| {
        Ok(json!({"name": r.get::<_, String>(0)?, "slug": r.get::<_, String>(1)?}))
    })
    .optional()?
    .ok_or_else(|| AdminError::NotFound(format!("No such department: {id}.")))
}

fn check_department_name(c: &Connection, name: &str, except: i64) -> Result<String, AdminError> {
    let name = required("name", name, 128)?;
    let slug = store::slugify(&name);
    if slug.is_empty() {
        return Err(invalid("name", "The name needs at least one letter or digit."));
    }
    let taken: Option<i64> = c
        .query_row(
            "SELECT id FROM departments WHERE (name = ?1 OR slug = ?2) AND id <> ?3",
            params![name, slug, except],
            |r| r.get(0),
        )
        .optional()?;
    if taken.is_some() {
        return Err(invalid(
            "name",
            format!("A department named {name} exists already."),
        ));
    }
    Ok(name)
}

/// Creates a department (its slug from the name). Returns its id.
pub async fn add_department(state: &AppState, actor: String, name: String) -> Result<i64, AdminError> {
    audited(
        state,
        actor,
        "catalog.add_department",
        "department",
        move |c, _| {
            let name = check_department_name(c, &name, 0)?;
            c.execute(
                "INSERT INTO departments (name, slug) VALUES (?1, ?2)",
                params![name, store::slugify(&name)],
            )?;
            let id = c.last_insert_rowid();
            Ok((id, id.to_string(), None, department_json(c, id)?))
        },
    )
    .await
}

/// Renames a department (and its slug).
pub async fn rename_department(
    state: &AppState,
    actor: String,
    id: i64,
    name: String,
) -> Result<(), AdminError> {
    audited(
        state,
        actor,
        "catalog.rename_department",
        "department",
        move |c, _| {
            let before = department_json(c, id)?;
            let name = check_department_name(c, &name, id)?;
            c.execute(
                "UPDATE departments SET name = ?2, slug = ?3 WHERE id = ?1",
                params![id, name, store::slugify(&name)],
            )?;
            Ok(((), id.to_string(), Some(before), department_json(c, id)?))
        },
    )
    .await
}

/// A topic or department named by id or by name.
pub(super) fn resolve(
    c: &Connection,
    table: &str,
    field: &'static str,
    key: &str,
) -> Result<i64, AdminError> {
    let key = key.trim();
    let sql = format!("SELECT id FROM {table} WHERE CAST(id AS TEXT) = ?1 OR name = ?1 ORDER BY id LIMIT 1");
    c.query_row(&sql, [key], |r| r.get(0))
        .optional()?
        .ok_or_else(|| invalid(field, format!("No such {}: {key}.", &table[..table.len() - 1])))
}

/// Creates a topic, under `parent` (id or name) when given. Returns its id.
pub async fn add_topic(
    state: &AppState,
    actor: String,
    name: String,
    parent: Option<String>,
) -> Result<i64, AdminError> {
    audited(state, actor, "catalog.add_topic", "topic", move |c, _| {
        let name = required("name", &name, 128)?;
        let parent = match parent.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(resolve(c, "topics", "parent", p)?),
            None => None,
        };
        let taken: bool = c.query_row(
            "SELECT EXISTS (SELECT 1 FROM topics WHERE name = ?1)",
            [&name],
            |r| r.get(0),
        )?;
        if taken {
            return Err(invalid("name", format!("A topic named {name} exists already.")));
        }
        c.execute(
            "INSERT INTO topics (name, parent_id) VALUES (?1, ?2)",
            params![name, parent],
        )?;
        let id = c.last_insert_rowid();
        Ok((
            id,
            id.to_string(),
            None,
            json!({"name": name, "parent_id": parent}),
        ))
    })
    .await
}

pub const LENGTHS: &[&str] = &["", "S"];
pub const INDUSTRIES: &[&str] = &["", "E", "F", "HC"];

/// A language code as the catalog stores it (`en`, `es_419`, `zh-Hans`): 1 to 8 letters, digits, `-`, `_`.
pub fn check_language(field: &'static str, v: &str) -> Result<String, AdminError> {
    let v = v.trim();
    if v.is_empty()
        || v.len() > 8
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(invalid(
            field,
            "A language code of 1 to 8 letters, digits, - or _ (like en or es_419).",
        ));
    }
    Ok(v.to_owned())
}

pub fn check_choice(field: &'static str, v: &str, choices: &[&str]) -> Result<String, AdminError> {
    let v = v.trim();
    if !choices.contains(&v) {
        return Err(invalid(
            field,
            format!(
                "Choose one of: {}.",
                choices
                    .iter()
                    .map(|c| if c.is_empty() { "(none)" } else { c })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    Ok(v.to_owned())
}

/// `course-v1:ORG+NUM`, each part letters, digits, `.`, `_`, `-` or `~`.
fn key_parts(key: &str) -> Option<Vec<&str>> {
    let rest = key.strip_prefix("course-v1:")?;
    let parts: Vec<&str> = rest.split('+').collect();
    parts
        .iter()
        .all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-~".contains(&b))
        })
        .then_some(parts)
}

/// A course key: `course-v1:ORG+NUM`.
pub fn check_course_key(v: &str) -> Result<String, AdminError> {
    let v = required("readable_id", v, 255)?;
    match key_parts(&v) {
        Some(p) if p.len() == 2 => Ok(v),
        _ => Err(invalid(
            "readable_id",
            "Write the course key as course-v1:ORG+NUMBER (letters, digits, . _ - ~).",
        )),
    }
}

/// A run key: `course-v1:ORG+NUM+RUN`; returns it with its RUN part.
pub fn check_run_key(v: &str) -> Result<(String, String), AdminError> {
    let v = required("courseware_id", v, 255)?;
    match key_parts(&v) {
        Some(p) if p.len() == 3 => {
            let run = p[2].to_owned();
            Ok((v, run))
        }
        _ => Err(invalid(
            "courseware_id",
            "Write the courseware id as course-v1:ORG+NUMBER+RUN (letters, digits, . _ - ~).",
        )),
    }
}
