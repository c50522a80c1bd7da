//! What the console's screens show, read from the catalog tables in one read each.

use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;

use super::courses::{CourseInput, course_json};
use super::runs::{RunInput, run_json};
use super::service::AdminError;
use crate::clock::from_db;
use crate::db::from_row;
use crate::state::AppState;

pub struct Named {
    pub id: i64,
    pub name: String,
    /// A department's slug, a topic's parent.
    pub extra: String,
    /// Courses in a department or topic.
    pub courses: i64,
}

pub struct Lists {
    pub departments: Vec<Named>,
    pub topics: Vec<Named>,
}

pub fn lists(c: &Connection) -> rusqlite::Result<Lists> {
    let named = |sql: &str| -> rusqlite::Result<Vec<Named>> {
        c.prepare(sql)?
            .query_map([], |r| {
                from_row!(
                    r,
                    Named {
                        id,
                        name,
                        extra,
                        courses
                    }
                )
            })?
            .collect()
    };
    Ok(Lists {
        departments: named(
            "SELECT d.id, d.name, d.slug, (SELECT count(*) FROM course_departments x WHERE x.department_id = d.id)
             FROM departments d ORDER BY d.name",
        )?,
        topics: named(
            "SELECT t.id, t.name, coalesce(p.name, ''), (SELECT count(*) FROM course_topics x WHERE x.topic_id = t.id)
             FROM topics t LEFT JOIN topics p ON p.id = t.parent_id ORDER BY t.name",
        )?,
    })
}

pub async fn load_lists(state: &AppState) -> Result<Lists, AdminError> {
    Ok(state.db.read(lists).await?)
}

pub struct CourseRow {
    pub id: i64,
    pub readable_id: String,
    pub title: String,
    pub live: bool,
    pub runs: i64,
}

/// Courses whose key or title contains `search` (all when empty), by key; at most 500.
pub async fn courses(state: &AppState, search: String) -> Result<Vec<CourseRow>, AdminError> {
    let like = crate::db::contains_pattern(search.trim());
    Ok(state
        .db
        .read(move |c| {
            c.prepare(
                "SELECT id, readable_id, title, live, (SELECT count(*) FROM course_runs r WHERE r.course_id = courses.id)
                 FROM courses WHERE readable_id LIKE ?1 ESCAPE '\\' OR title LIKE ?1 ESCAPE '\\'
                 ORDER BY readable_id LIMIT 500",
            )?
            .query_map([like], |r| {
                from_row!(
                    r,
                    CourseRow {
                        id,
                        readable_id,
                        title,
                        live,
                        runs
                    }
                )
            })?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?)
}

pub struct RunRow {
    pub id: i64,
    pub courseware_id: String,
    pub title: String,
    pub live: bool,
    pub start_date: String,
    /// The current price of its product, if any.
    pub price: Option<String>,
}

/// A course's edit form values and its runs.
pub struct CourseDetail {
    pub id: i64,
    pub input: CourseInput,
    pub runs: Vec<RunRow>,
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|l| {
            l.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The variants as [`CourseInput::variants`] writes them.
fn variants_text(v: &Value) -> String {
    let mut lines = Vec::new();
    for x in v.as_array().into_iter().flatten() {
        let s = |k: &str| x[k].as_str().unwrap_or_default().to_owned();
        let mut parts = vec![s("language"), s("variant_length"), s("variant_industry")];
        if x["b2b_only"].as_i64() == Some(1) {
            parts.push("b2b_only".into());
        }
        if x["active"].as_i64() == Some(0) {
            parts.push("inactive".into());
        }
        while parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
        lines.push(parts.join(", "));
    }
    lines.join("\n")
}

pub async fn course(state: &AppState, id: i64) -> Result<CourseDetail, AdminError> {
    state
        .db
        .read(move |c| {
            let v = course_json(c, id)?;
            let input = CourseInput {
                readable_id: v["readable_id"].as_str().unwrap_or_default().to_owned(),
                title: v["title"].as_str().unwrap_or_default().to_owned(),
                live: v["live"].as_bool().unwrap_or(false) || v["live"].as_i64() == Some(1),
                departments: texts(&v["departments"]),
                topics: texts(&v["topics"]),
                blocked_countries: texts(&v["blocked_countries"]).join(", "),
                variants: variants_text(&v["variants"]),
            };
            let runs = c
                .prepare(
                    "SELECT r.id, r.courseware_id, r.title, r.live, coalesce(r.start_date, ''),
                        (SELECT v.price FROM products p JOIN product_versions v ON v.product_id = p.id
                         WHERE p.course_run_id = r.id ORDER BY v.id DESC LIMIT 1)
                     FROM course_runs r WHERE r.course_id = ?1 ORDER BY r.id",
                )?
                .query_map([id], |r| {
                    from_row!(
                        r,
                        RunRow {
                            id,
                            courseware_id,
                            title,
                            live,
                            start_date,
                            price
                        }
                    )
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(CourseDetail { id, input, runs })
        })
        .await
}

pub struct PriceVersion {
    pub id: i64,
    pub price: String,
    pub description: String,
    pub created_on: String,
}

pub struct ProductInfo {
    pub id: i64,
    pub is_active: bool,
    /// Newest first.
    pub versions: Vec<PriceVersion>,
}

pub struct RunDetail {
    pub id: i64,
    pub course_id: i64,
    pub course_readable_id: String,
    pub input: RunInput,
    pub product: Option<ProductInfo>,
    /// Every enrollment mode slug the form offers.
    pub modes: Vec<String>,
}

pub fn mode_slugs(c: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut out: Vec<String> = vec!["audit".into(), "verified".into()];
    for m in c
        .prepare("SELECT mode_slug FROM enrollment_modes ORDER BY id")?
        .query_map([], |r| r.get::<_, String>(0))?
    {
        let m = m?;
        if !out.contains(&m) {
            out.push(m);
        }
    }
    Ok(out)
}

pub async fn modes(state: &AppState) -> Result<Vec<String>, AdminError> {
    Ok(state.db.read(mode_slugs).await?)
}

/// The product selling run `id`, with its price versions.
pub fn product_of_run(c: &Connection, id: i64) -> rusqlite::Result<Option<ProductInfo>> {
    let Some((pid, is_active)) = c
        .query_row(
            "SELECT id, is_active FROM products WHERE course_run_id = ?1",
            [id],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?)),
        )
        .optional()?
    else {
        return Ok(None);
    };
    let versions = c
        .prepare("SELECT id, price, description, created_on FROM product_versions WHERE product_id = ?1 ORDER BY id DESC")?
        .query_map([pid], |r| {
            from_row!(
                r,
                PriceVersion {
                    id,
                    price,
                    description,
                    created_on
                }
            )
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(ProductInfo {
        id: pid,
        is_active,
        versions,
    }))
}

pub async fn run(state: &AppState, id: i64) -> Result<RunDetail, AdminError> {
    state
        .db
        .read(move |c| {
            let v = run_json(c, id)?;
            let course_id = v["course_id"].as_i64().unwrap_or_default();
            let course_readable_id: String = c.query_row(
                "SELECT readable_id FROM courses WHERE id = ?1",
                [course_id],
                |r| r.get(0),
            )?;
            Ok(RunDetail {
                id,
                course_id,
                course_readable_id,
                input: input_of(&v),
                product: product_of_run(c, id)?,
                modes: mode_slugs(c)?,
            })
        })
        .await
}

/// The fields of a stored run, as [`RunInput`] (the edit form's values).
pub fn input_of(v: &Value) -> RunInput {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let t = |k: &str| {
        v[k].as_str()
            .and_then(from_db)
            .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
            .unwrap_or_default()
    };
    let b = |k: &str| v[k].as_i64() == Some(1) || v[k].as_bool() == Some(true);
    RunInput {
        course: v["course_id"].to_string(),
        title: s("title"),
        courseware_id: s("courseware_id"),
        run_tag: s("run_tag"),
        has_courseware_url: b("has_courseware_url"),
        start_date: t("start_date"),
        end_date: t("end_date"),
        certificate_available_date: t("certificate_available_date"),
        enrollment_start: t("enrollment_start"),
        enrollment_end: t("enrollment_end"),
        expiration_date: t("expiration_date"),
        upgrade_deadline: t("upgrade_deadline"),
        live: b("live"),
        is_self_paced: b("is_self_paced"),
        is_source_run: b("is_source_run"),
        is_primary_language: b("is_primary_language"),
        language: s("language"),
        variant_length: s("variant_length"),
        variant_industry: s("variant_industry"),
        b2b_contract_id: v["b2b_contract_id"]
            .as_i64()
            .map(|k| k.to_string())
            .unwrap_or_default(),
        modes: v["modes"]
            .as_array()
            .map(|m| m.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
    }
}
