//! Plain SQL over `&Connection` for enrollments, paid runs/programs and grades.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::model::{ChangeStatus, Enrollment, Mode, ProgramEnrollment};
use crate::clock::{from_db, to_db};
use crate::db::from_row;

const RUN_COLS: &str = "id, user_id, run_id, active, change_status, enrollment_mode, edx_emails_subscription, version, created_on, updated_on";

fn time(r: &Row<'_>, i: usize) -> rusqlite::Result<DateTime<Utc>> {
    let s: String = r.get(i)?;
    from_db(&s).ok_or_else(|| rusqlite::Error::InvalidColumnType(i, s, rusqlite::types::Type::Text))
}

fn parse<T: std::str::FromStr>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    let s: String = r.get(i)?;
    s.parse()
        .map_err(|_| rusqlite::Error::InvalidColumnType(i, s, rusqlite::types::Type::Text))
}

fn opt_status(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<ChangeStatus>> {
    let s: Option<String> = r.get(i)?;
    match s {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| rusqlite::Error::InvalidColumnType(i, s, rusqlite::types::Type::Text)),
    }
}

fn run_row(r: &Row<'_>) -> rusqlite::Result<Enrollment> {
    Ok(Enrollment {
        id: r.get(0)?,
        user_id: r.get(1)?,
        run_id: r.get(2)?,
        active: r.get(3)?,
        change_status: opt_status(r, 4)?,
        mode: parse::<Mode>(r, 5)?,
        edx_emails_subscription: r.get(6)?,
        version: r.get(7)?,
        created_on: time(r, 8)?,
        updated_on: time(r, 9)?,
    })
}

pub fn find(c: &Connection, user_id: i64, run_id: i64) -> rusqlite::Result<Option<Enrollment>> {
    c.prepare_cached(&format!(
        "SELECT {RUN_COLS} FROM course_run_enrollments WHERE user_id = ?1 AND run_id = ?2"
    ))?
    .query_row(params![user_id, run_id], run_row)
    .optional()
}

pub fn get(c: &Connection, id: i64) -> rusqlite::Result<Option<Enrollment>> {
    c.prepare_cached(&format!(
        "SELECT {RUN_COLS} FROM course_run_enrollments WHERE id = ?1"
    ))?
    .query_row([id], run_row)
    .optional()
}

/// Every enrollment row of a run (active or not), by id (B2B managers' view).
pub fn for_run(c: &Connection, run_id: i64) -> rusqlite::Result<Vec<Enrollment>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {RUN_COLS} FROM course_run_enrollments WHERE run_id = ?1 ORDER BY id"
    ))?;
    st.query_map([run_id], run_row)?.collect()
}

/// Enrollments of a run without a change status (the original's `get_enrollments`).
pub fn count_active_for_run(c: &Connection, run_id: i64) -> rusqlite::Result<i64> {
    c.prepare_cached(
        "SELECT count(*) FROM course_run_enrollments WHERE run_id = ?1 AND change_status IS NULL",
    )?
    .query_row([run_id], |r| r.get(0))
}

/// Every enrollment row of a learner (active or not), by id.
pub fn for_user(c: &Connection, user_id: i64) -> rusqlite::Result<Vec<Enrollment>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {RUN_COLS} FROM course_run_enrollments WHERE user_id = ?1 ORDER BY id"
    ))?;
    st.query_map([user_id], run_row)?.collect()
}

pub fn insert(
    c: &Connection,
    user_id: i64,
    run_id: i64,
    mode: Mode,
    now: DateTime<Utc>,
) -> rusqlite::Result<Enrollment> {
    c.prepare_cached(
        "INSERT INTO course_run_enrollments (user_id, run_id, enrollment_mode, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?4)",
    )?
    .execute(params![user_id, run_id, mode.as_str(), to_db(now)])?;
    let id = c.last_insert_rowid();
    get(c, id).map(|e| e.expect("row just inserted"))
}

/// Writes `e`'s state fields and bumps its version; returns the stored row.
pub fn update(c: &Connection, e: &Enrollment, now: DateTime<Utc>) -> rusqlite::Result<Enrollment> {
    c.prepare_cached(
        "UPDATE course_run_enrollments SET active = ?2, change_status = ?3, enrollment_mode = ?4,
             edx_emails_subscription = ?5, version = version + 1, edx_enrollment_retry_count = 0,
             updated_on = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        e.id,
        e.active,
        e.change_status.map(ChangeStatus::as_str),
        e.mode.as_str(),
        e.edx_emails_subscription,
        to_db(now)
    ])?;
    get(c, e.id).map(|e| e.expect("row exists"))
}

// ---- program enrollments ----

const PROG_COLS: &str =
    "id, user_id, program_id, active, change_status, enrollment_mode, created_on, updated_on";

fn prog_row(r: &Row<'_>) -> rusqlite::Result<ProgramEnrollment> {
    from_row!(
        r,
        ProgramEnrollment {
            id,
            user_id,
            program_id,
            active;
            change_status: opt_status(r, 4)?,
            mode: parse::<Mode>(r, 5)?,
            created_on: time(r, 6)?,
            updated_on: time(r, 7)?
        }
    )
}

pub fn find_program(
    c: &Connection,
    user_id: i64,
    program_id: i64,
) -> rusqlite::Result<Option<ProgramEnrollment>> {
    c.prepare_cached(&format!(
        "SELECT {PROG_COLS} FROM program_enrollments WHERE user_id = ?1 AND program_id = ?2"
    ))?
    .query_row(params![user_id, program_id], prog_row)
    .optional()
}

pub fn programs_for_user(c: &Connection, user_id: i64) -> rusqlite::Result<Vec<ProgramEnrollment>> {
    let mut st = c.prepare_cached(&format!(
        "SELECT {PROG_COLS} FROM program_enrollments WHERE user_id = ?1 ORDER BY id"
    ))?;
    st.query_map([user_id], prog_row)?.collect()
}

pub fn upsert_program(
    c: &Connection,
    e: &ProgramEnrollment,
    now: DateTime<Utc>,
) -> rusqlite::Result<ProgramEnrollment> {
    c.prepare_cached(
        "INSERT INTO program_enrollments (user_id, program_id, active, change_status, enrollment_mode, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (user_id, program_id) DO UPDATE SET active = excluded.active,
             change_status = excluded.change_status, enrollment_mode = excluded.enrollment_mode,
             updated_on = excluded.updated_on",
    )?
    .execute(params![
        e.user_id,
        e.program_id,
        e.active,
        e.change_status.map(ChangeStatus::as_str),
        e.mode.as_str(),
        to_db(now)
    ])?;
    find_program(c, e.user_id, e.program_id).map(|p| p.expect("row just written"))
}

// ---- paid runs / programs ----

pub fn insert_paid_run(
    c: &Connection,
    user_id: i64,
    run_id: i64,
    order_id: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO paid_course_runs (user_id, run_id, order_id, created_on) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, run_id, order_id) DO NOTHING",
    )?
    .execute(params![user_id, run_id, order_id, to_db(now)])?;
    Ok(())
}

pub fn delete_paid_run(c: &Connection, user_id: i64, run_id: i64, order_id: i64) -> rusqlite::Result<bool> {
    Ok(
        c.prepare_cached(
            "DELETE FROM paid_course_runs WHERE user_id = ?1 AND run_id = ?2 AND order_id = ?3",
        )?
        .execute(params![user_id, run_id, order_id])?
            > 0,
    )
}

pub fn is_paid_run(c: &Connection, user_id: i64, run_id: i64) -> rusqlite::Result<bool> {
    c.prepare_cached("SELECT EXISTS (SELECT 1 FROM paid_course_runs WHERE user_id = ?1 AND run_id = ?2)")?
        .query_row(params![user_id, run_id], |r| r.get(0))
}

pub fn insert_paid_program(
    c: &Connection,
    user_id: i64,
    program_id: i64,
    order_id: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO paid_programs (user_id, program_id, order_id, created_on) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (user_id, program_id, order_id) DO NOTHING",
    )?
    .execute(params![user_id, program_id, order_id, to_db(now)])?;
    Ok(())
}

pub fn delete_paid_program(
    c: &Connection,
    user_id: i64,
    program_id: i64,
    order_id: i64,
) -> rusqlite::Result<bool> {
    Ok(c.prepare_cached(
        "DELETE FROM paid_programs WHERE user_id = ?1 AND program_id = ?2 AND order_id = ?3",
    )?
    .execute(params![user_id, program_id, order_id])?
        > 0)
}

pub fn is_paid_program(c: &Connection, user_id: i64, program_id: i64) -> rusqlite::Result<bool> {
    c.prepare_cached("SELECT EXISTS (SELECT 1 FROM paid_programs WHERE user_id = ?1 AND program_id = ?2)")?
        .query_row(params![user_id, program_id], |r| r.get(0))
}

// ---- grades ----

/// Upserts a grade pulled from edX unless staff set it by hand. Returns true when written.
pub fn upsert_grade(
    c: &Connection,
    user_id: i64,
    run_id: i64,
    grade: rust_decimal::Decimal,
    letter_grade: Option<&str>,
    passed: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    Ok(c.prepare_cached(
        "INSERT INTO course_run_grades (user_id, run_id, grade, letter_grade, passed, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
         ON CONFLICT (user_id, run_id) DO UPDATE SET grade = excluded.grade,
             letter_grade = excluded.letter_grade, passed = excluded.passed, updated_on = excluded.updated_on
         WHERE set_by_admin = 0 AND (grade <> excluded.grade OR letter_grade IS NOT excluded.letter_grade
                                     OR passed <> excluded.passed)",
    )?
    .execute(params![
        user_id,
        run_id,
        grade.to_string(),
        letter_grade,
        passed,
        to_db(now)
    ])? > 0)
}

/// One active enrollment as the list APIs and the dashboard need it: the row, its grade and
/// whether edX confirmed it (one statement for all of a learner's enrollments).
///
/// The dashboard's [`listing`] is a hot path counted in statements, so it joins the catalog's
/// `course_runs` (for the courseware id), the edX integration's `openedx_enrollment_sync` and
/// the certificates module's `course_run_certificates` (the `certificate` of every enrollment
/// shape) and the B2B module's `b2b_contracts` (the run's `b2b_organization_id`) in that one
/// statement rather than asking their owners row by row.
#[derive(Debug, Clone)]
pub struct Listed {
    pub id: i64,
    pub run_id: i64,
    pub mode: Mode,
    pub edx_emails_subscription: bool,
    /// `(grade, letter_grade, passed, set_by_admin)`.
    pub grade: Option<(rust_decimal::Decimal, Option<String>, bool, bool)>,
    pub edx_enrolled: bool,
    pub paid: bool,
    /// The uuid of the learner's unrevoked certificate for the run.
    pub certificate: Option<String>,
    /// The organization of the run's B2B contract.
    pub b2b_organization_id: Option<i64>,
    /// An approved flexible-price request covers the run's course (filled in from the pricing
    /// module by the listing's loader; `false` from the store).
    pub approved_flexible_price: bool,
    /// The learner has some approved flexible-price request (the loader's cue to ask pricing).
    pub any_flexible_price: bool,
}

/// Columns 11 and 12 of both listings: the organization of the run's contract, and whether
/// the learner has any approved flexible-price request (the pricing module's
/// `flexible_prices`; only then does the loader ask pricing which courses it covers; bound to
/// `?1`, not the row, so SQLite evaluates it once per listing). A literal so the listings stay
/// `&'static str`.
macro_rules! organization {
    () => {
        "(SELECT k.organization_id FROM course_runs kr JOIN b2b_contracts k ON k.id = kr.b2b_contract_id
          WHERE kr.id = e.run_id),
         EXISTS (SELECT 1 FROM flexible_prices fp WHERE fp.user_id = ?1
                 AND fp.status IN ('approved', 'auto-approved'))"
    };
}

pub fn listing(c: &Connection, user_id: i64) -> rusqlite::Result<Vec<Listed>> {
    listed(
        c,
        user_id,
        concat!(
            "SELECT e.id, e.run_id, e.enrollment_mode, e.edx_emails_subscription,
                g.grade, g.letter_grade, g.passed, g.set_by_admin,
                coalesce(s.is_active = 1 AND s.mode = e.enrollment_mode, 0),
                EXISTS (SELECT 1 FROM paid_course_runs p WHERE p.user_id = e.user_id AND p.run_id = e.run_id),
                cert.uuid, ",
            organization!(),
            "
         FROM course_run_enrollments e
         JOIN course_runs r ON r.id = e.run_id
         LEFT JOIN course_run_grades g ON g.user_id = e.user_id AND g.run_id = e.run_id
         LEFT JOIN course_run_certificates cert ON cert.user_id = e.user_id AND cert.run_id = e.run_id
                                               AND cert.is_revoked = 0
         LEFT JOIN openedx_enrollment_sync s ON s.user_id = e.user_id AND s.course_id = r.courseware_id
         WHERE e.user_id = ?1 AND e.active = 1
         ORDER BY e.id"
        ),
    )
}

/// [`listing`] without what only the dashboard shows: `edx_enrolled` and `paid` are `false`
/// (the API shapes do not use them; skipping their lookups is a quarter of the query).
pub fn api_listing(c: &Connection, user_id: i64) -> rusqlite::Result<Vec<Listed>> {
    listed(
        c,
        user_id,
        concat!(
            "SELECT e.id, e.run_id, e.enrollment_mode, e.edx_emails_subscription,
                g.grade, g.letter_grade, g.passed, g.set_by_admin, 0, 0, cert.uuid, ",
            organization!(),
            "
         FROM course_run_enrollments e
         LEFT JOIN course_run_grades g ON g.user_id = e.user_id AND g.run_id = e.run_id
         LEFT JOIN course_run_certificates cert ON cert.user_id = e.user_id AND cert.run_id = e.run_id
                                               AND cert.is_revoked = 0
         WHERE e.user_id = ?1 AND e.active = 1
         ORDER BY e.id"
        ),
    )
}

fn listed(c: &Connection, user_id: i64, sql: &str) -> rusqlite::Result<Vec<Listed>> {
    let mut st = c.prepare_cached(sql)?;
    st.query_map([user_id], |r| {
        // Borrowed text: no allocation for the mode and the grade of each row.
        let mode = r.get_ref(2)?.as_str()?;
        let mode = mode.parse::<Mode>().map_err(|_| {
            rusqlite::Error::InvalidColumnType(2, mode.to_owned(), rusqlite::types::Type::Text)
        })?;
        let grade = match r.get_ref(4)?.as_str_or_null()? {
            Some(g) => Some((g.parse().unwrap_or_default(), r.get(5)?, r.get(6)?, r.get(7)?)),
            None => None,
        };
        Ok(Listed {
            id: r.get(0)?,
            run_id: r.get(1)?,
            mode,
            edx_emails_subscription: r.get(3)?,
            grade,
            edx_enrolled: r.get(8)?,
            paid: r.get(9)?,
            certificate: r.get(10)?,
            b2b_organization_id: r.get(11)?,
            approved_flexible_price: false,
            any_flexible_price: r.get(12)?,
        })
    })?
    .collect()
}

// ---- edX reconciliation ----

/// Active enrollments whose current state edX has not confirmed, last changed at or before
/// `changed_before`, with no pending outbox message for them and fewer than `max_retries`
/// re-pushes.
///
/// One statement per reconciliation batch: it joins the catalog's `course_runs` (for the
/// courseware id), the edX integration's `openedx_enrollment_sync` and the `outbox` instead
/// of asking each owner per enrollment.
pub fn unconfirmed(
    c: &Connection,
    changed_before: DateTime<Utc>,
    max_retries: i64,
    limit: i64,
) -> rusqlite::Result<Vec<i64>> {
    let mut st = c.prepare_cached(
        "SELECT e.id FROM course_run_enrollments e
         JOIN course_runs r ON r.id = e.run_id
         LEFT JOIN openedx_enrollment_sync s ON s.user_id = e.user_id AND s.course_id = r.courseware_id
         WHERE e.active = 1 AND e.updated_on <= ?1 AND e.edx_enrollment_retry_count < ?2
           AND NOT (coalesce(s.is_active, 0) = 1 AND s.mode = e.enrollment_mode)
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.status = 'pending'
                           AND o.idempotency_key >= 'openedx:enroll:' || e.id || ':'
                           AND o.idempotency_key < 'openedx:enroll:' || e.id || ';')
         ORDER BY e.id LIMIT ?3",
    )?;
    st.query_map(params![to_db(changed_before), max_retries, limit], |r| r.get(0))?
        .collect()
}

/// Counts one more re-push of the enrollment; returns the new count.
pub fn bump_edx_retry_count(c: &Connection, id: i64) -> rusqlite::Result<i64> {
    c.query_row(
        "UPDATE course_run_enrollments SET edx_enrollment_retry_count = edx_enrollment_retry_count + 1
         WHERE id = ?1 RETURNING edx_enrollment_retry_count",
        [id],
        |r| r.get(0),
    )
}

/// Moves the learner's paid-run records from one run to another (a deferral carries the
/// payment along, the original's `change_payment_to_run`). Returns how many moved.
pub fn move_paid_runs(c: &Connection, user_id: i64, from_run: i64, to_run: i64) -> rusqlite::Result<usize> {
    c.prepare_cached("UPDATE OR IGNORE paid_course_runs SET run_id = ?3 WHERE user_id = ?1 AND run_id = ?2")?
        .execute(params![user_id, from_run, to_run])
}

/// The run's courseware id, whether the learner paid for it, their grade `(grade, passed, set
/// by staff)` and unrevoked certificate uuid (the staff learner page).
pub type StaffFacts = (String, bool, Option<(String, bool, bool)>, Option<String>);

pub fn staff_facts(c: &Connection, user_id: i64, run_id: i64) -> rusqlite::Result<StaffFacts> {
    c.prepare_cached(
        "SELECT r.courseware_id,
            EXISTS (SELECT 1 FROM paid_course_runs p WHERE p.user_id = ?1 AND p.run_id = ?2),
            g.grade, g.passed, g.set_by_admin,
            (SELECT uuid FROM course_run_certificates k WHERE k.user_id = ?1 AND k.run_id = ?2 AND k.is_revoked = 0)
         FROM course_runs r LEFT JOIN course_run_grades g ON g.user_id = ?1 AND g.run_id = r.id
         WHERE r.id = ?2",
    )?
    .query_row(params![user_id, run_id], |r| {
        let grade = match r.get::<_, Option<String>>(2)? {
            Some(g) => Some((g, r.get(3)?, r.get(4)?)),
            None => None,
        };
        Ok((r.get(0)?, r.get(1)?, grade, r.get(5)?))
    })
}

/// Gives the learner's paid-run records for a run to another learner (an enrollment transfer).
pub fn give_paid_run(c: &Connection, from_user: i64, run_id: i64, to_user: i64) -> rusqlite::Result<usize> {
    c.prepare_cached("UPDATE OR IGNORE paid_course_runs SET user_id = ?3 WHERE user_id = ?1 AND run_id = ?2")?
        .execute(params![from_user, run_id, to_user])
}
