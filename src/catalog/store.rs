//! Writes to the catalog tables: plain functions over a connection, used by the demo loader,
//! the bench's catalog generator and the program console ([`super::program_admin`]). Reads go
//! through the snapshot.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, ToSql, params};
use rust_decimal::Decimal;

use crate::clock::to_db;

fn opt(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(to_db)
}

/// `Aeronautics and Astronautics` -> `aeronautics-and-astronautics`.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// The id of the row `find` finds by `key`, else of the row `insert` adds with `values`.
fn find_or_insert(
    c: &Connection,
    find: &str,
    key: &dyn ToSql,
    insert: &str,
    values: &[&dyn ToSql],
) -> rusqlite::Result<i64> {
    if let Some(id) = c.query_row(find, [key], |r| r.get(0)).optional()? {
        return Ok(id);
    }
    c.execute(insert, values)?;
    Ok(c.last_insert_rowid())
}

pub fn ensure_department(c: &Connection, name: &str) -> rusqlite::Result<i64> {
    find_or_insert(
        c,
        "SELECT id FROM departments WHERE name = ?1",
        &name,
        "INSERT INTO departments (name, slug) VALUES (?1, ?2)",
        params![name, slugify(name)],
    )
}

pub fn ensure_topic(c: &Connection, name: &str, parent: Option<i64>) -> rusqlite::Result<i64> {
    find_or_insert(
        c,
        "SELECT id FROM topics WHERE name = ?1",
        &name,
        "INSERT INTO topics (name, parent_id) VALUES (?1, ?2)",
        params![name, parent],
    )
}

pub fn ensure_mode(c: &Connection, slug: &str, requires_payment: bool) -> rusqlite::Result<i64> {
    find_or_insert(
        c,
        "SELECT id FROM enrollment_modes WHERE mode_slug = ?1",
        &slug,
        "INSERT INTO enrollment_modes (mode_slug, mode_display_name, requires_payment) VALUES (?1, ?1, ?2)",
        params![slug, requires_payment],
    )
}

pub fn course_id_by_readable(c: &Connection, readable_id: &str) -> rusqlite::Result<Option<i64>> {
    c.query_row(
        "SELECT id FROM courses WHERE readable_id = ?1",
        [readable_id],
        |r| r.get(0),
    )
    .optional()
}

pub fn program_id_by_readable(c: &Connection, readable_id: &str) -> rusqlite::Result<Option<i64>> {
    c.query_row(
        "SELECT id FROM programs WHERE readable_id = ?1",
        [readable_id],
        |r| r.get(0),
    )
    .optional()
}

pub struct NewCourse<'a> {
    pub title: &'a str,
    pub readable_id: &'a str,
    pub live: bool,
    pub departments: &'a [i64],
    pub topics: &'a [i64],
}

pub fn insert_course(c: &Connection, n: &NewCourse<'_>, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    let now = to_db(now);
    c.prepare_cached(
        "INSERT INTO courses (title, readable_id, live, created_on, updated_on) VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![n.title, n.readable_id, n.live, now])?;
    let id = c.last_insert_rowid();
    for d in n.departments {
        c.prepare_cached("INSERT INTO course_departments (course_id, department_id) VALUES (?1, ?2)")?
            .execute(params![id, d])?;
    }
    for t in n.topics {
        c.prepare_cached("INSERT INTO course_topics (course_id, topic_id) VALUES (?1, ?2)")?
            .execute(params![id, t])?;
    }
    c.prepare_cached(
        "INSERT INTO course_variants (course_id, language, default_variant) VALUES (?1, 'en', 1)",
    )?
    .execute([id])?;
    Ok(id)
}

#[derive(Default)]
pub struct NewRun<'a> {
    pub course_id: i64,
    pub title: &'a str,
    pub courseware_id: &'a str,
    pub run_tag: &'a str,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub certificate_available_date: Option<DateTime<Utc>>,
    pub enrollment_start: Option<DateTime<Utc>>,
    pub enrollment_end: Option<DateTime<Utc>>,
    pub expiration_date: Option<DateTime<Utc>>,
    pub upgrade_deadline: Option<DateTime<Utc>>,
    pub live: bool,
    pub is_self_paced: bool,
    pub b2b_contract_id: Option<i64>,
    pub is_primary_language: bool,
    pub language: &'a str,
    pub modes: &'a [i64],
}

pub fn insert_run(c: &Connection, n: &NewRun<'_>, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    let now = to_db(now);
    c.prepare_cached(
        "INSERT INTO course_runs (course_id, title, courseware_id, run_tag, start_date, end_date,
            certificate_available_date, enrollment_start, enrollment_end, expiration_date, upgrade_deadline,
            live, is_self_paced, b2b_contract_id, is_primary_language, language, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17)",
    )?
    .execute(params![
        n.course_id,
        n.title,
        n.courseware_id,
        n.run_tag,
        opt(n.start_date),
        opt(n.end_date),
        opt(n.certificate_available_date),
        opt(n.enrollment_start),
        opt(n.enrollment_end),
        opt(n.expiration_date),
        opt(n.upgrade_deadline),
        n.live,
        n.is_self_paced,
        n.b2b_contract_id,
        n.is_primary_language,
        if n.language.is_empty() { "en" } else { n.language },
        now
    ])?;
    let id = c.last_insert_rowid();
    for m in n.modes {
        c.prepare_cached("INSERT INTO course_run_modes (course_run_id, mode_id) VALUES (?1, ?2)")?
            .execute(params![id, m])?;
    }
    Ok(id)
}

/// What a product sells.
#[derive(Clone, Copy, Debug)]
pub enum ProductTarget {
    CourseRun(i64),
    Program(i64),
}

/// Creates the product with its first price version.
pub fn insert_product(
    c: &Connection,
    target: ProductTarget,
    price: Decimal,
    description: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let (run, program) = match target {
        ProductTarget::CourseRun(r) => (Some(r), None),
        ProductTarget::Program(p) => (None, Some(p)),
    };
    c.prepare_cached(
        "INSERT INTO products (course_run_id, program_id, is_active, created_on) VALUES (?1, ?2, 1, ?3)",
    )?
    .execute(params![run, program, to_db(now)])?;
    let id = c.last_insert_rowid();
    add_price_version(c, id, price, description, now)?;
    Ok(id)
}

/// A new price for a product, stored with two decimals as the original's `DecimalField`
/// (`120` is kept as `120.00`); earlier versions stay (orders refer to them).
pub fn add_price_version(
    c: &Connection,
    product_id: i64,
    price: Decimal,
    description: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "INSERT INTO product_versions (product_id, price, description, created_on) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        product_id,
        {
            let mut p = price.round_dp(2);
            p.rescale(2);
            p.to_string()
        },
        description,
        to_db(now)
    ])?;
    let version = c.last_insert_rowid();
    let product = crate::integrations::hubspot::Obj::Product { product_id };
    crate::integrations::hubspot::enqueue(c, now, product, "saved")?;
    Ok(version)
}

pub struct NewProgram<'a> {
    pub title: &'a str,
    pub readable_id: &'a str,
    pub live: bool,
    pub program_type: &'a str,
    pub departments: &'a [i64],
    pub modes: &'a [i64],
    pub start_date: Option<DateTime<Utc>>,
}

/// Creates a program with its requirements root (as saving a Program does in the original).
/// Returns (program id, root node id).
pub fn insert_program(
    c: &Connection,
    n: &NewProgram<'_>,
    now: DateTime<Utc>,
) -> rusqlite::Result<(i64, i64)> {
    let now = to_db(now);
    c.prepare_cached(
        "INSERT INTO programs (title, readable_id, live, program_type, start_date, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    )?
    .execute(params![
        n.title,
        n.readable_id,
        n.live,
        n.program_type,
        opt(n.start_date),
        now
    ])?;
    let id = c.last_insert_rowid();
    for d in n.departments {
        c.execute(
            "INSERT INTO program_departments (program_id, department_id) VALUES (?1, ?2)",
            params![id, d],
        )?;
    }
    for m in n.modes {
        c.execute(
            "INSERT INTO program_modes (program_id, mode_id) VALUES (?1, ?2)",
            params![id, m],
        )?;
    }
    c.execute(
        "INSERT INTO program_requirements (program_id, node_type, position) VALUES (?1, 'program_root', 0)",
        [id],
    )?;
    Ok((id, c.last_insert_rowid()))
}

/// A requirement node under `parent`.
pub enum NewNode<'a> {
    AllOf { title: &'a str },
    MinNumberOf { title: &'a str, n: u32, elective: bool },
    Course(i64),
    Program(i64),
}

pub fn add_requirement(
    c: &Connection,
    program_id: i64,
    parent: i64,
    position: i64,
    node: &NewNode<'_>,
) -> rusqlite::Result<i64> {
    type Row<'a> = (
        &'a str,
        Option<&'a str>,
        Option<String>,
        Option<i64>,
        Option<i64>,
        &'a str,
        bool,
    );
    let (ty, op, val, course, req_prog, title, elective): Row<'_> = match node {
        NewNode::AllOf { title } => ("operator", Some("all_of"), None, None, None, title, false),
        NewNode::MinNumberOf { title, n, elective } => (
            "operator",
            Some("min_number_of"),
            Some(n.to_string()),
            None,
            None,
            title,
            *elective,
        ),
        NewNode::Course(id) => ("course", None, None, Some(*id), None, "", false),
        NewNode::Program(id) => ("program", None, None, None, Some(*id), "", false),
    };
    c.prepare_cached(
        "INSERT INTO program_requirements (program_id, parent_id, position, node_type, operator, operator_value,
            course_id, required_program_id, title, elective_flag)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![program_id, parent, position, ty, op, val, course, req_prog, title, elective])?;
    Ok(c.last_insert_rowid())
}

pub fn insert_collection(
    c: &Connection,
    title: &str,
    description: &str,
    programs: &[i64],
    now: DateTime<Utc>,
) -> rusqlite::Result<i64> {
    let now = to_db(now);
    c.execute(
        "INSERT INTO program_collections (title, description, created_on, updated_on) VALUES (?1, ?2, ?3, ?3)",
        params![title, description, now],
    )?;
    let id = c.last_insert_rowid();
    for (i, p) in programs.iter().enumerate() {
        c.execute(
            "INSERT INTO program_collection_items (collection_id, program_id, position) VALUES (?1, ?2, ?3)",
            params![id, p, i as i64],
        )?;
    }
    Ok(id)
}

pub fn block_country(c: &Connection, course_id: i64, country: &str) -> rusqlite::Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO blocked_countries (course_id, country) VALUES (?1, ?2)",
        params![course_id, country],
    )?;
    Ok(())
}

/// Sets a run's variant (length, industry), which [`insert_run`] leaves empty.
pub fn set_run_variant(c: &Connection, run: i64, length: &str, industry: &str) -> rusqlite::Result<usize> {
    c.execute(
        "UPDATE course_runs SET variant_length = ?2, variant_industry = ?3 WHERE id = ?1
           AND (variant_length <> ?2 OR variant_industry <> ?3)",
        params![run, length, industry],
    )
}

/// Marks a run as a course's source run (the one B2B contract runs are copied from).
pub fn mark_source_run(c: &Connection, run: i64) -> rusqlite::Result<usize> {
    c.execute("UPDATE course_runs SET is_source_run = 1 WHERE id = ?1", [run])
}
