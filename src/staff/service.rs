//! Operator use cases shared by the staff pages and the staff JSON API.

use serde::Serialize;

use crate::db::DbError;
use crate::jobs::store::{self as runs, JobRun};
use crate::state::AppState;

/// One job as the console shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobOverview {
    pub name: &'static str,
    pub schedule: &'static str,
    pub description: &'static str,
    /// A run of it is executing now.
    pub running: bool,
    pub last_run: Option<JobRun>,
}

pub async fn jobs_overview(state: &AppState) -> Result<Vec<JobOverview>, DbError> {
    let last = state.db.read(runs::last_runs).await?;
    Ok(state
        .jobs
        .list()
        .into_iter()
        .map(|j| JobOverview {
            name: j.name,
            schedule: j.schedule,
            description: j.description,
            running: state.jobs.is_running(j.name),
            last_run: last.iter().find(|r| r.job == j.name).cloned(),
        })
        .collect())
}

/// Puts a dead letter back in the queue and audits who did it; false when `id` is not dead.
pub async fn retry_dead_letter(state: &AppState, id: i64, actor: &str) -> Result<bool, DbError> {
    let actor = actor.to_owned();
    let retried = state
        .write_at(move |c, now| {
            let ok = crate::outbox::retry_dead(c, id, now)?;
            if ok {
                crate::audit::by_staff(c, &actor, "outbox.retry", "outbox", &id.to_string(), None, now)?;
            }
            Ok::<_, DbError>(ok)
        })
        .await?;
    if retried {
        state.outbox.wake();
    }
    Ok(retried)
}

/// One job run.
pub async fn job_run(state: &AppState, id: i64) -> Result<Option<JobRun>, DbError> {
    state.db.read(move |c| Ok(runs::get(c, id)?)).await
}

/// The last 100 runs of a job, newest first.
pub async fn job_runs(state: &AppState, job: &'static str) -> Result<Vec<JobRun>, DbError> {
    state.db.read(move |c| Ok(runs::recent(c, Some(job), 100)?)).await
}

/// The outbox's dead letters (at most 500), as stored: masking secrets is the caller's job.
pub async fn dead_letters(state: &AppState) -> Result<Vec<crate::outbox::Message>, DbError> {
    state.db.read(|c| Ok(crate::outbox::list_dead(c, 500)?)).await
}
