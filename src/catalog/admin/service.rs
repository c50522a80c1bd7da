//! The validated catalog writes of the operator console and `mitxonline catalog …`:
//! departments, topics and courses here, runs in [`super::runs`], Open edX in [`super::edx`];
//! products go through [`crate::catalog::products`]. Every write checks its input first (an
//! [`AdminError::Invalid`] names the field, nothing is written) and is audited in its
//! transaction. The catalog snapshot follows by itself (triggers bump `catalog_version`).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use crate::catalog::products::ProductError;
use crate::catalog::store;
use crate::clock::to_db;
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

impl From<rusqlite::Error> for AdminError {
    fn from(e: rusqlite::Error) -> Self {
        AdminError::Db(DbError::from(e))
    }
}

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
fn resolve(c: &Connection, table: &str, field: &'static str, key: &str) -> Result<i64, AdminError> {
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

/// A course's fields as posted (text as typed; departments and topics by id or name).
#[derive(Debug, Clone, Default)]
pub struct CourseInput {
    pub readable_id: String,
    pub title: String,
    pub live: bool,
    pub departments: Vec<String>,
    pub topics: Vec<String>,
    /// ISO country codes separated by commas or spaces.
    pub blocked_countries: String,
    /// One variant a line: `language[, length[, industry[, flags]]]` (flags: `b2b_only`,
    /// `inactive`); the first is the default. Empty: English only.
    pub variants: String,
}

/// One supported variant of a course.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VariantRow {
    pub language: String,
    pub variant_length: String,
    pub variant_industry: String,
    pub active: bool,
    pub b2b_only: bool,
    pub default_variant: bool,
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

/// The variant lines of [`CourseInput::variants`].
pub fn parse_variants(text: &str) -> Result<Vec<VariantRow>, AdminError> {
    let mut out: Vec<VariantRow> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split(',').map(str::trim).collect();
        let part = |i: usize| parts.get(i).copied().unwrap_or("");
        let mut v = VariantRow {
            language: check_language("variants", part(0))?,
            variant_length: check_choice("variants", part(1), LENGTHS)?,
            variant_industry: check_choice("variants", part(2), INDUSTRIES)?,
            active: true,
            b2b_only: false,
            default_variant: out.is_empty(),
        };
        for flag in parts.iter().skip(3).filter(|f| !f.is_empty()) {
            match *flag {
                "b2b_only" => v.b2b_only = true,
                "inactive" => v.active = false,
                f => {
                    return Err(invalid(
                        "variants",
                        format!("Unknown flag {f}: use b2b_only or inactive."),
                    ));
                }
            }
        }
        if out.iter().any(|o| {
            (&o.language, &o.variant_length, &o.variant_industry)
                == (&v.language, &v.variant_length, &v.variant_industry)
        }) {
            return Err(invalid(
                "variants",
                format!("The variant {line} is listed twice."),
            ));
        }
        out.push(v);
    }
    if out.is_empty() {
        out.push(VariantRow {
            language: "en".into(),
            variant_length: String::new(),
            variant_industry: String::new(),
            active: true,
            b2b_only: false,
            default_variant: true,
        });
    }
    Ok(out)
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

/// Whether `code` is in the ISO 3166 list `/api/countries/` serves.
fn known_country(code: &str) -> bool {
    include_str!("../countries.json").contains(&format!("\"code\":\"{code}\""))
}

/// The course and what it is linked to, as the audit log keeps it.
pub fn course_json(c: &Connection, id: i64) -> Result<Value, AdminError> {
    let (readable_id, title, live): (String, String, bool) = c
        .query_row(
            "SELECT readable_id, title, live FROM courses WHERE id = ?1",
            [id],
            |r| r.try_into(),
        )
        .optional()?
        .ok_or_else(|| AdminError::NotFound(format!("No such course: {id}.")))?;
    let list = |sql: &str| -> rusqlite::Result<Value> {
        let text: String = c.prepare_cached(sql)?.query_row([id], |r| r.get(0))?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    };
    Ok(json!({
        "readable_id": readable_id, "title": title, "live": live,
        "departments": list("SELECT json_group_array(department_id) FROM (SELECT department_id FROM course_departments WHERE course_id = ?1 ORDER BY department_id)")?,
        "topics": list("SELECT json_group_array(topic_id) FROM (SELECT topic_id FROM course_topics WHERE course_id = ?1 ORDER BY topic_id)")?,
        "blocked_countries": list("SELECT json_group_array(country) FROM (SELECT country FROM blocked_countries WHERE course_id = ?1 ORDER BY country)")?,
        "variants": list("SELECT json_group_array(json_object('language', language, 'variant_length', variant_length,
            'variant_industry', variant_industry, 'active', active, 'b2b_only', b2b_only, 'default_variant', default_variant))
            FROM (SELECT * FROM course_variants WHERE course_id = ?1 ORDER BY id)")?,
    }))
}

/// A course's fields, checked against the database (`id` 0: a new course).
struct CourseFields {
    readable_id: String,
    title: String,
    live: bool,
    departments: Vec<i64>,
    topics: Vec<i64>,
    blocked: Vec<String>,
    variants: Vec<VariantRow>,
}

fn check_course(c: &Connection, id: i64, input: &CourseInput) -> Result<CourseFields, AdminError> {
    let readable_id = check_course_key(&input.readable_id)?;
    let title = required("title", &input.title, 255)?;
    if c.query_row(
        "SELECT EXISTS (SELECT 1 FROM courses WHERE readable_id = ?1 AND id <> ?2)",
        params![readable_id, id],
        |r| r.get::<_, bool>(0),
    )? {
        return Err(invalid(
            "readable_id",
            format!("Another course has the key {readable_id}."),
        ));
    }
    let ids = |table: &str, field: &'static str, keys: &[String]| -> Result<Vec<i64>, AdminError> {
        let mut out = Vec::new();
        for k in keys.iter().filter(|k| !k.trim().is_empty()) {
            let id = resolve(c, table, field, k)?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
        Ok(out)
    };
    let mut blocked: Vec<String> = Vec::new();
    for code in input
        .blocked_countries
        .split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let code = code.to_ascii_uppercase();
        if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) || !known_country(&code) {
            return Err(invalid(
                "blocked_countries",
                format!("{code} is not an ISO 3166 country code (like US or IR)."),
            ));
        }
        if !blocked.contains(&code) {
            blocked.push(code);
        }
    }
    Ok(CourseFields {
        readable_id,
        title,
        live: input.live,
        departments: ids("departments", "departments", &input.departments)?,
        topics: ids("topics", "topics", &input.topics)?,
        blocked,
        variants: parse_variants(&input.variants)?,
    })
}

fn write_course_links(c: &Connection, id: i64, f: &CourseFields) -> rusqlite::Result<()> {
    for table in [
        "course_departments",
        "course_topics",
        "blocked_countries",
        "course_variants",
    ] {
        c.execute(&format!("DELETE FROM {table} WHERE course_id = ?1"), [id])?;
    }
    for d in &f.departments {
        c.execute(
            "INSERT INTO course_departments (course_id, department_id) VALUES (?1, ?2)",
            params![id, d],
        )?;
    }
    for t in &f.topics {
        c.execute(
            "INSERT INTO course_topics (course_id, topic_id) VALUES (?1, ?2)",
            params![id, t],
        )?;
    }
    for code in &f.blocked {
        store::block_country(c, id, code)?;
    }
    for v in &f.variants {
        c.execute(
            "INSERT INTO course_variants (course_id, language, variant_length, variant_industry, active, b2b_only, default_variant)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![id, v.language, v.variant_length, v.variant_industry, v.active, v.b2b_only, v.default_variant],
        )?;
    }
    Ok(())
}

/// Creates a course with its departments, topics, blocked countries and variants.
pub async fn add_course(state: &AppState, actor: String, input: CourseInput) -> Result<i64, AdminError> {
    audited(state, actor, "catalog.add_course", "course", move |c, now| {
        let f = check_course(c, 0, &input)?;
        let n = store::NewCourse {
            title: &f.title,
            readable_id: &f.readable_id,
            live: f.live,
            departments: &[],
            topics: &[],
        };
        let id = store::insert_course(c, &n, now)?;
        write_course_links(c, id, &f)?;
        Ok((id, id.to_string(), None, course_json(c, id)?))
    })
    .await
}

/// Changes every field of a course.
pub async fn update_course(
    state: &AppState,
    actor: String,
    id: i64,
    input: CourseInput,
) -> Result<(), AdminError> {
    audited(state, actor, "catalog.update_course", "course", move |c, now| {
        let before = course_json(c, id)?;
        let f = check_course(c, id, &input)?;
        c.execute(
            "UPDATE courses SET readable_id = ?2, title = ?3, live = ?4, updated_on = ?5 WHERE id = ?1",
            params![id, f.readable_id, f.title, f.live, to_db(now)],
        )?;
        write_course_links(c, id, &f)?;
        Ok(((), id.to_string(), Some(before), course_json(c, id)?))
    })
    .await
}
