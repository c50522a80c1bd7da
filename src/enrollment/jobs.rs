//! Scheduled enrollment work with the original's schedules: the edX enrollment reconciliation
//! (`retry-failed-edx-enrollments`, every 30 minutes) and the nightly course-run sync
//! (`sync-courseruns-data`, 00:10). The hourly grade pull and certificate generation
//! (`generate-course-certificate`) are the certificates module's.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;

use super::model::Enrollment;
use super::{service, store};
use crate::catalog::service as catalog;
use crate::db::DbError;
use crate::integrations::openedx::OpenEdx;
use crate::integrations::openedx::jobs::sync_course_runs;
use crate::jobs::JobDef;
use crate::state::AppState;

/// A local change gets this long to reach edX through the outbox before reconciliation looks.
pub const GRACE: Duration = Duration::minutes(5);
/// Re-pushes per enrollment state before it is left for staff (the original's cap).
pub const MAX_RETRIES: i64 = 5;
/// Enrollments re-pushed per run.
pub const BATCH: i64 = 500;

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
                let r = sync_course_runs(&state, &edx, Arc::new(catalog::RunCatalog))
                    .await
                    .map_err(|e| anyhow::anyhow!(e))?;
                Ok(format!(
                    "asked {} runs, edX answered {}, {} changed",
                    r.asked, r.answered, r.changed
                ))
            },
        ),
    ]
}

/// The reconciliation: re-queues each unconfirmed enrollment once (key `<id>:<version>:retry<n>`).
pub async fn reconcile(state: &AppState) -> Result<usize, DbError> {
    let n = state
        .write_at(move |c, now| -> Result<usize, DbError> {
            let ids = store::unconfirmed(c, now - GRACE, MAX_RETRIES, BATCH)?;
            for id in &ids {
                let Some(e) = store::get(c, *id)? else { continue };
                let tries = store::bump_edx_retry_count(c, *id)?;
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
    let Some(run) = catalog::run_facts(c, e.run_id)? else {
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
