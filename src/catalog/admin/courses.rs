//! Courses as staff create and edit them: key (`course-v1:ORG+NUMBER`, unique), title, live,
//! departments and topics (by id or name), blocked countries (ISO codes) and the supported
//! variants, checked before anything is written and audited with before and after.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

use super::service::{
    AdminError, INDUSTRIES, LENGTHS, audited, check_choice, check_course_key, check_language, invalid,
    required, resolve,
};
use crate::catalog::store;
use crate::clock::to_db;
use crate::state::AppState;

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

/// One supported variant of a course, as the catalog keeps it.
pub use crate::catalog::model::Variant as VariantRow;

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
