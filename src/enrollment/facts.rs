//! Enrollment and grade facts the certificate rules read inside their own transactions, and
//! the staff grade override: plain SQL over this module's tables, re-exported for
//! `certificates::service`.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use crate::clock::to_db;
use crate::db::from_row;

/// Learners with an active verified enrollment in the run.
pub fn verified_user_ids(c: &Connection, run_id: i64) -> rusqlite::Result<HashSet<i64>> {
    c.prepare_cached(
        "SELECT user_id FROM course_run_enrollments
         WHERE run_id = ?1 AND active = 1 AND enrollment_mode = 'verified'",
    )?
    .query_map([run_id], |r| r.get(0))?
    .collect()
}

/// Whether the learner has an active verified enrollment in the run.
pub fn is_verified_in_run(c: &Connection, user_id: i64, run_id: i64) -> rusqlite::Result<bool> {
    is_verified_in(c, "course_run_enrollments", "run_id", user_id, run_id)
}

/// Whether `table` holds an active verified enrollment of the learner whose `column` is `id`.
fn is_verified_in(
    c: &Connection,
    table: &str,
    column: &str,
    user_id: i64,
    id: i64,
) -> rusqlite::Result<bool> {
    c.prepare_cached(&format!(
        "SELECT EXISTS (SELECT 1 FROM {table}
                        WHERE user_id = ?1 AND {column} = ?2 AND active = 1 AND enrollment_mode = 'verified')"
    ))?
    .query_row(params![user_id, id], |r| r.get(0))
}

/// One of a learner's run enrollments as the program walk sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LearnerRun {
    pub run_id: i64,
    /// Active with no change status.
    pub active_unchanged: bool,
    pub verified: bool,
    pub passed: bool,
}

/// Every run enrollment of the learner with whether its grade passed (one statement).
pub fn learner_runs(c: &Connection, user_id: i64) -> rusqlite::Result<Vec<LearnerRun>> {
    c.prepare_cached(
        "SELECT e.run_id, e.active = 1 AND e.change_status IS NULL, e.enrollment_mode = 'verified',
                coalesce(g.passed, 0)
         FROM course_run_enrollments e
         LEFT JOIN course_run_grades g ON g.user_id = e.user_id AND g.run_id = e.run_id
         WHERE e.user_id = ?1 ORDER BY e.id",
    )?
    .query_map([user_id], |r| {
        from_row!(
            r,
            LearnerRun {
                run_id,
                active_unchanged,
                verified,
                passed
            }
        )
    })?
    .collect()
}

/// Whether the learner has an active verified program enrollment.
pub fn is_verified_in_program(c: &Connection, user_id: i64, program_id: i64) -> rusqlite::Result<bool> {
    is_verified_in(c, "program_enrollments", "program_id", user_id, program_id)
}

/// `(enrollment id, user id, program id)` of active program enrollments in `mode` after `after_id`,
/// by id (the nightly jobs' batches).
pub fn program_enrollments_in_mode(
    c: &Connection,
    mode: &str,
    after_id: i64,
    limit: i64,
) -> rusqlite::Result<Vec<(i64, i64, i64)>> {
    c.prepare_cached(
        "SELECT id, user_id, program_id FROM program_enrollments
         WHERE active = 1 AND enrollment_mode = ?1 AND id > ?2 ORDER BY id LIMIT ?3",
    )?
    .query_map(params![mode, after_id, limit], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?
    .collect()
}

/// `(grade, letter_grade, passed, set_by_admin)` of the learner's grade for the run.
pub type GradeRow = (String, Option<String>, bool, bool);

pub fn grade_row(c: &Connection, user_id: i64, run_id: i64) -> rusqlite::Result<Option<GradeRow>> {
    use rusqlite::OptionalExtension as _;
    c.prepare_cached(
        "SELECT grade, letter_grade, passed, set_by_admin FROM course_run_grades WHERE user_id = ?1 AND run_id = ?2",
    )?
    .query_row(params![user_id, run_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
    .optional()
}

/// Writes a grade set by staff (`set_by_admin`, so later pulls from edX leave it).
pub fn override_grade(
    c: &Connection,
    user_id: i64,
    run_id: i64,
    grade: rust_decimal::Decimal,
    letter_grade: Option<&str>,
    passed: bool,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO course_run_grades (user_id, run_id, grade, letter_grade, passed, set_by_admin, created_on, updated_on)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)
         ON CONFLICT (user_id, run_id) DO UPDATE SET grade = excluded.grade, letter_grade = excluded.letter_grade,
             passed = excluded.passed, set_by_admin = 1, updated_on = excluded.updated_on",
    )?
    .execute(params![user_id, run_id, grade.to_string(), letter_grade, passed, to_db(now)])?;
    Ok(())
}

/// Sets a program enrollment's mode to verified (the upgrade job). True when it changed.
pub fn upgrade_program_enrollment(c: &Connection, id: i64, now: DateTime<Utc>) -> rusqlite::Result<bool> {
    Ok(c.prepare_cached(
        "UPDATE program_enrollments SET enrollment_mode = 'verified', updated_on = ?2
         WHERE id = ?1 AND enrollment_mode <> 'verified'",
    )?
    .execute(params![id, to_db(now)])?
        > 0)
}

/// Runs (ids) in which the learner has an active verified enrollment.
pub fn verified_run_ids(c: &Connection, user_id: i64) -> rusqlite::Result<HashSet<i64>> {
    c.prepare_cached(
        "SELECT run_id FROM course_run_enrollments WHERE user_id = ?1 AND active = 1 AND enrollment_mode = 'verified'",
    )?
    .query_map([user_id], |r| r.get(0))?
    .collect()
}

/// Grades staff set by hand in the run, `(grade, passed)` by learner (pulls leave these).
pub fn admin_grades(
    c: &Connection,
    run_id: i64,
) -> rusqlite::Result<std::collections::HashMap<i64, (rust_decimal::Decimal, bool)>> {
    c.prepare_cached(
        "SELECT user_id, grade, passed FROM course_run_grades WHERE run_id = ?1 AND set_by_admin = 1",
    )?
    .query_map([run_id], |r| {
        let g: String = r.get(1)?;
        Ok((r.get(0)?, (g.parse().unwrap_or_default(), r.get(2)?)))
    })?
    .collect()
}
