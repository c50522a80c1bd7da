//! Catalog rows other modules read inside their own transactions, where the snapshot (which
//! may trail a write by a moment) is not the source of truth: an enrollment rule check, an edX
//! push, a grade or a webhook naming a run. Plain functions over `&Connection`, re-exported
//! by [`super::service`] so other modules never query the catalog tables themselves (and
//! [`relate_programs`], the one write they make).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::clock::{from_db, to_db};
use crate::db::from_row;

/// What a rule check needs to know about a run.
#[derive(Debug, Clone)]
pub struct RunFacts {
    pub id: i64,
    pub course_id: i64,
    pub courseware_id: String,
    pub live: bool,
    pub start_date: Option<DateTime<Utc>>,
    pub enrollment_start: Option<DateTime<Utc>>,
    pub enrollment_end: Option<DateTime<Utc>>,
    pub b2b_contract_id: Option<i64>,
}

impl RunFacts {
    /// The catalog's predicate: live, has a start, enrollment open now.
    pub fn is_enrollable(&self, now: DateTime<Utc>) -> bool {
        self.live
            && self.start_date.is_some()
            && self.enrollment_start.is_some_and(|s| s <= now)
            && self.enrollment_end.is_none_or(|e| e > now)
    }
}

/// A nullable stored time (an unreadable one reads as none).
fn opt_time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref().and_then(from_db)
}

pub fn run_facts(c: &Connection, run_id: i64) -> rusqlite::Result<Option<RunFacts>> {
    c.prepare_cached(
        "SELECT id, course_id, courseware_id, live, start_date, enrollment_start, enrollment_end, b2b_contract_id
         FROM course_runs WHERE id = ?1",
    )?
    .query_row([run_id], |r| {
        from_row!(r, RunFacts { id, course_id, courseware_id, live, start_date: opt_time, enrollment_start: opt_time, enrollment_end: opt_time, b2b_contract_id })
    })
    .optional()
}

pub fn run_id_by_courseware(c: &Connection, courseware_id: &str) -> rusqlite::Result<Option<i64>> {
    c.prepare_cached("SELECT id FROM course_runs WHERE courseware_id = ?1")?
        .query_row([courseware_id], |r| r.get(0))
        .optional()
}

/// The run with this courseware id unless it is a source run (hidden, as by the original's
/// default manager).
pub fn visible_run_id_by_courseware(c: &Connection, courseware_id: &str) -> rusqlite::Result<Option<i64>> {
    c.prepare_cached("SELECT id FROM course_runs WHERE courseware_id = ?1 AND is_source_run = 0")?
        .query_row([courseware_id], |r| r.get(0))
        .optional()
}

/// True when the learner's country (legal address) is blocked for the course.
///
/// One statement on the enroll path, so it joins the users module's `legal_addresses` rather
/// than asking that module for the country first (the join is the only place the catalog
/// reads another module's table).
pub fn country_blocked(c: &Connection, user_id: i64, course_id: i64) -> rusqlite::Result<bool> {
    c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM legal_addresses a JOIN blocked_countries b
                        ON b.country = upper(a.country) AND b.course_id = ?2
                        WHERE a.user_id = ?1 AND a.country <> '')",
    )?
    .query_row(params![user_id, course_id], |r| r.get(0))
}

/// Whether the program is live; `None` when there is no such program.
pub fn program_live(c: &Connection, program_id: i64) -> rusqlite::Result<Option<bool>> {
    c.prepare_cached("SELECT live FROM programs WHERE id = ?1")?
        .query_row([program_id], |r| r.get(0))
        .optional()
}

/// `(id, readable_id)` of the program with this readable id.
pub fn program_by_readable(c: &Connection, readable_id: &str) -> rusqlite::Result<Option<(i64, String)>> {
    c.prepare_cached("SELECT id, readable_id FROM programs WHERE readable_id = ?1")?
        .query_row([readable_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// The programs directly required by `program` (the original's `program_nodes`).
pub fn sub_programs(c: &Connection, program: i64) -> rusqlite::Result<Vec<i64>> {
    c.prepare_cached(
        "SELECT required_program_id FROM program_requirements
         WHERE program_id = ?1 AND node_type = 'program' AND required_program_id IS NOT NULL",
    )?
    .query_map([program], |r| r.get(0))?
    .collect()
}

/// Whether the course is one of the program's required or elective courses.
pub fn program_has_course(c: &Connection, program: i64, course: i64) -> rusqlite::Result<bool> {
    c.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM program_requirements
                        WHERE program_id = ?1 AND node_type = 'course' AND course_id = ?2)",
    )?
    .query_row(params![program, course], |r| r.get(0))
}

/// Courseware ids of live, non-variant runs whose certificate date is unset or not before
/// `since` (the runs whose grades are pulled).
pub fn gradable_run_keys(c: &Connection, since: DateTime<Utc>) -> rusqlite::Result<Vec<String>> {
    let mut st = c.prepare_cached(
        "SELECT courseware_id FROM course_runs
         WHERE live = 1 AND variant_length = '' AND variant_industry = ''
           AND (certificate_available_date IS NULL OR certificate_available_date >= ?1)
         ORDER BY id",
    )?;
    st.query_map([to_db(since)], |r| r.get(0))?.collect()
}

/// Programs whose requirement tree names the course, by program id (the original's
/// `Course.programs`).
pub fn programs_of_course(c: &Connection, course: i64) -> rusqlite::Result<Vec<i64>> {
    c.prepare_cached(
        "SELECT DISTINCT program_id FROM program_requirements
         WHERE node_type = 'course' AND course_id = ?1 ORDER BY program_id",
    )?
    .query_map([course], |r| r.get(0))?
    .collect()
}

/// Programs related to `program` in either direction (`related_programs`), in the order the
/// relations were made.
pub fn related_programs(c: &Connection, program: i64) -> rusqlite::Result<Vec<i64>> {
    c.prepare_cached(
        "SELECT CASE WHEN first_program_id = ?1 THEN second_program_id ELSE first_program_id END
         FROM related_programs WHERE first_program_id = ?1 OR second_program_id = ?1 ORDER BY rowid",
    )?
    .query_map([program], |r| r.get(0))?
    .collect()
}

/// Relates two programs (either direction counts, as `related_programs` reads it); `false`
/// when they already were. The one catalog write other modules make: flexible pricing's staff
/// settings relate programs so that one approval covers both.
pub fn relate_programs(c: &Connection, first: i64, second: i64) -> rusqlite::Result<bool> {
    if related_programs(c, first)?.contains(&second) {
        return Ok(false);
    }
    c.prepare_cached("INSERT INTO related_programs (first_program_id, second_program_id) VALUES (?1, ?2)")?
        .execute([first, second])?;
    Ok(true)
}

/// Every relation between two programs, as `(first id, second id)` in the order they were made.
pub fn program_relations(c: &Connection) -> rusqlite::Result<Vec<(i64, i64)>> {
    c.prepare_cached("SELECT first_program_id, second_program_id FROM related_programs ORDER BY rowid")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect()
}

/// What a product sells: `(course run id, program id)`, exactly one set.
pub fn product_purchasable(
    c: &Connection,
    product: i64,
) -> rusqlite::Result<Option<(Option<i64>, Option<i64>)>> {
    c.prepare_cached("SELECT course_run_id, program_id FROM products WHERE id = ?1")?
        .query_row([product], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// `(title, readable_id)` of a course (`program = false`) or program.
pub fn courseware_title(
    c: &Connection,
    program: bool,
    id: i64,
) -> rusqlite::Result<Option<(String, String)>> {
    let sql = if program {
        "SELECT title, readable_id FROM programs WHERE id = ?1"
    } else {
        "SELECT title, readable_id FROM courses WHERE id = ?1"
    };
    c.prepare_cached(sql)?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()
}

/// Every course and program, as `(is program, id, title, readable_id)`, courses first.
pub fn coursewares(c: &Connection) -> rusqlite::Result<Vec<(bool, i64, String, String)>> {
    c.prepare_cached(
        "SELECT 0, id, title, readable_id FROM courses UNION ALL SELECT 1, id, title, readable_id FROM programs
         ORDER BY 1, 3, 2",
    )?
    .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
    .collect()
}

/// The product a course or program page sells: a program's product, or the active product of
/// the course's latest-starting live run.
pub fn courseware_product(c: &Connection, program: bool, id: i64) -> rusqlite::Result<Option<i64>> {
    let sql = if program {
        "SELECT id FROM products WHERE program_id = ?1 AND is_active = 1"
    } else {
        "SELECT p.id FROM products p JOIN course_runs r ON r.id = p.course_run_id
         WHERE r.course_id = ?1 AND r.live = 1 AND p.is_active = 1 ORDER BY r.start_date DESC, r.id DESC LIMIT 1"
    };
    c.prepare_cached(sql)?.query_row([id], |r| r.get(0)).optional()
}
/// A course's source run (the original's `is_source_run` flag, or run tag `SOURCE`), as B2B
/// provisioning copies it.
#[derive(Debug, Clone)]
pub struct SourceRun {
    pub id: i64,
    pub course_id: i64,
    pub course_title: String,
    pub course_readable_id: String,
    pub title: String,
    pub courseware_id: String,
    pub language: String,
    pub is_primary_language: bool,
    pub variant_length: String,
    pub variant_industry: String,
}

/// The source runs of every course the program requires (one per language/variant), in
/// course then run order.
pub fn program_source_runs(c: &Connection, program: i64) -> rusqlite::Result<Vec<SourceRun>> {
    c.prepare_cached(
        "SELECT r.id, co.id, co.title, co.readable_id, r.title, r.courseware_id, r.language, r.is_primary_language,
                r.variant_length, r.variant_industry
         FROM course_runs r JOIN courses co ON co.id = r.course_id
         WHERE (r.is_source_run = 1 OR r.run_tag = 'SOURCE') AND r.b2b_contract_id IS NULL
           AND r.course_id IN (SELECT course_id FROM program_requirements
                               WHERE program_id = ?1 AND node_type = 'course' AND course_id IS NOT NULL)
         ORDER BY co.id, r.id",
    )?
    .query_map([program], |r| from_row!(r, SourceRun { id, course_id, course_title, course_readable_id, title, courseware_id, language, is_primary_language, variant_length, variant_industry }))?
    .collect()
}

/// The readable id of a program.
pub fn program_readable_id(c: &Connection, program_id: i64) -> rusqlite::Result<Option<String>> {
    c.prepare_cached("SELECT readable_id FROM programs WHERE id = ?1")?
        .query_row([program_id], |r| r.get(0))
        .optional()
}

/// `(id, readable id, title)` of the courses a program requires, in requirement order.
pub fn program_courses(c: &Connection, program: i64) -> rusqlite::Result<Vec<(i64, String, String)>> {
    c.prepare_cached(
        "SELECT co.id, co.readable_id, co.title FROM program_requirements q JOIN courses co ON co.id = q.course_id
         WHERE q.program_id = ?1 AND q.node_type = 'course' ORDER BY q.parent_id, q.position, co.id",
    )?
    .query_map([program], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
    .collect()
}
