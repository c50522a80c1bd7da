//! Scheduled enrollment work with the original's schedules: the edX enrollment reconciliation
//! (`retry-failed-edx-enrollments`, every 30 minutes), the nightly course-run sync
//! (`sync-courseruns-data`, 00:10) and the hourly grade pull (`generate-course-certificate`'s
//! grade step, at :00; certificate generation itself is another issue).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::model::Enrollment;
use super::{service, store};
use crate::clock::to_db;
use crate::db::DbError;
use crate::integrations::openedx::OpenEdx;
use crate::integrations::openedx::jobs::{
    CourseRunCatalog, CourseRunUpdate, GradeSink, LearnerGrade, pull_grades, sync_course_runs,
};
use crate::jobs::JobDef;
use crate::state::AppState;

/// A local change gets this long to reach edX through the outbox before reconciliation looks.
pub const GRACE: Duration = Duration::minutes(5);
/// Re-pushes per enrollment state before it is left for staff (the original's cap).
pub const MAX_RETRIES: i64 = 5;
/// Enrollments re-pushed per run.
pub const BATCH: i64 = 500;
/// Grades are pulled for runs whose certificate date is at most this old (or unset).
pub const CERTIFICATE_WINDOW_DAYS: i64 = 31;

pub fn job_defs() -> Vec<JobDef> {
    vec![
        JobDef::new(
            "retry-failed-edx-enrollments",
            "0 0,30 * * * *",
            "Re-queues edX pushes for active enrollments edX has not confirmed and nothing is pending for (at most 5 times each).",
            |state: AppState| async move {
                let n = reconcile(&state).await?;
                Ok(format!("re-queued {n} edX enrollments"))
            },
        ),
        JobDef::new(
            "sync-courseruns-data",
            "0 10 0 * * *",
            "Updates live, unexpired course runs' titles, dates and pacing from Open edX.",
            |state: AppState| async move {
                let edx = OpenEdx::from_state(&state);
                let r = sync_course_runs(&state, &edx, Arc::new(RunCatalog))
                    .await
                    .map_err(|e| anyhow::anyhow!(e))?;
                Ok(format!(
                    "asked {} runs, edX answered {}, {} changed",
                    r.asked, r.answered, r.changed
                ))
            },
        ),
        JobDef::new(
            "generate-course-certificate",
            "0 0 * * * *",
            "Pulls current grades from Open edX for live runs in the certificate window and stores them.",
            |state: AppState| async move {
                let edx = OpenEdx::from_state(&state);
                let r = pull_grades(&state, &edx, Arc::new(Grades))
                    .await
                    .map_err(|e| anyhow::anyhow!(e))?;
                Ok(format!(
                    "pulled grades for {} runs: {} grades, {} changed (certificate generation is not built)",
                    r.asked, r.answered, r.changed
                ))
            },
        ),
    ]
}

/// Active enrollments whose current state edX has not confirmed, older than the grace period,
/// with no pending outbox message for them and fewer than [`MAX_RETRIES`] re-pushes.
pub fn unconfirmed(c: &Connection, now: DateTime<Utc>, limit: i64) -> rusqlite::Result<Vec<i64>> {
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
    st.query_map(params![to_db(now - GRACE), MAX_RETRIES, limit], |r| r.get(0))?
        .collect()
}

/// The reconciliation: re-queues each unconfirmed enrollment once (key `<id>:<version>:retry<n>`).
pub async fn reconcile(state: &AppState) -> Result<usize, DbError> {
    let now = state.clock.now();
    let n = state
        .db
        .write(move |c| -> Result<usize, DbError> {
            let ids = unconfirmed(c, now, BATCH)?;
            for id in &ids {
                let Some(e) = store::get(c, *id)? else { continue };
                let tries: i64 = c.query_row(
                    "UPDATE course_run_enrollments SET edx_enrollment_retry_count = edx_enrollment_retry_count + 1
                     WHERE id = ?1 RETURNING edx_enrollment_retry_count",
                    [id],
                    |r| r.get(0),
                )?;
                repush(c, now, &e, tries)?;
            }
            Ok(ids.len())
        })
        .await?;
    if n > 0 {
        state.outbox.wake();
    }
    Ok(n)
}

fn repush(c: &Connection, now: DateTime<Utc>, e: &Enrollment, attempt: i64) -> Result<(), DbError> {
    let Some(run) = store::run_facts(c, e.run_id)? else {
        return Ok(());
    };
    service::ensure_edx_user(c, now, e.user_id)?;
    let msg = crate::integrations::openedx::messages::Enroll {
        user_id: e.user_id,
        course_id: run.courseware_id,
        mode: e.mode,
    };
    crate::integrations::openedx::messages::enqueue_enroll(
        c,
        now,
        &msg,
        &format!("{}:{}:retry{attempt}", e.id, e.version),
    )?;
    Ok(())
}

/// The catalog side of the nightly run sync.
pub struct RunCatalog;

impl CourseRunCatalog for RunCatalog {
    fn keys_to_sync(&self, c: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<String>> {
        let mut st = c.prepare_cached(
            "SELECT courseware_id FROM course_runs
             WHERE live = 1 AND (expiration_date IS NULL OR expiration_date > ?1)
               AND courseware_id NOT LIKE 'fake%' ORDER BY id",
        )?;
        st.query_map([to_db(now)], |r| r.get(0))?.collect()
    }

    fn apply(&self, c: &Connection, u: &CourseRunUpdate, now: DateTime<Utc>) -> rusqlite::Result<bool> {
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            bool,
        );
        let current: Option<Row> = c
            .query_row(
                "SELECT title, start_date, end_date, enrollment_start, enrollment_end,
                        certificate_available_date, is_self_paced FROM course_runs WHERE courseware_id = ?1",
                [&u.courseware_id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .optional()?;
        let Some(cur) = current else { return Ok(false) };
        let t = |x: Option<DateTime<Utc>>| x.map(to_db);
        let next: Row = (
            u.title.clone().unwrap_or_else(|| cur.0.clone()),
            t(u.start_date),
            t(u.end_date),
            t(u.enrollment_start),
            t(u.enrollment_end),
            t(u.certificate_available_date),
            u.is_self_paced,
        );
        if next == cur {
            return Ok(false);
        }
        let dates_moved = (&next.1, &next.2) != (&cur.1, &cur.2);
        c.execute(
            "UPDATE course_runs SET title = ?2, start_date = ?3, end_date = ?4, enrollment_start = ?5,
                 enrollment_end = ?6, certificate_available_date = ?7, is_self_paced = ?8,
                 expiration_date = CASE WHEN ?9 THEN NULL ELSE expiration_date END, updated_on = ?10
             WHERE courseware_id = ?1",
            params![
                u.courseware_id,
                next.0,
                next.1,
                next.2,
                next.3,
                next.4,
                next.5,
                next.6,
                dates_moved,
                to_db(now)
            ],
        )?;
        Ok(true)
    }
}

/// The grade sink: live, non-variant runs in the certificate window; grades set by staff stay.
pub struct Grades;

impl GradeSink for Grades {
    fn runs_to_grade(&self, c: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<String>> {
        let mut st = c.prepare_cached(
            "SELECT courseware_id FROM course_runs
             WHERE live = 1 AND variant_length = '' AND variant_industry = ''
               AND (certificate_available_date IS NULL OR certificate_available_date >= ?1)
             ORDER BY id",
        )?;
        st.query_map([to_db(now - Duration::days(CERTIFICATE_WINDOW_DAYS))], |r| {
            r.get(0)
        })?
        .collect()
    }

    fn apply(&self, c: &Connection, g: &LearnerGrade, now: DateTime<Utc>) -> rusqlite::Result<bool> {
        let Some(run_id) = store::run_id_by_courseware(c, &g.courseware_id)? else {
            return Ok(false);
        };
        if g.grade < rust_decimal::Decimal::ZERO || g.grade > rust_decimal::Decimal::ONE {
            tracing::warn!(run = %g.courseware_id, user = g.user_id, "edX grade outside 0..1 skipped");
            return Ok(false);
        }
        store::upsert_grade(
            c,
            g.user_id,
            run_id,
            g.grade,
            g.letter_grade.as_deref(),
            g.passed,
            now,
        )
    }
}
