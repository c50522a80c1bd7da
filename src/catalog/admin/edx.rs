//! A run and Open edX: "Sync from Open edX" asks edX (or the sandbox) for the run's title,
//! dates, pacing and modes now and applies them as the nightly sync does; "Create in Open edX"
//! queues a Studio re-run of a source run into this run's key through the outbox (retried
//! while edX is down), its title, pacing and dates fixed afterwards.

use serde_json::json;

use super::runs::{run_by_key, run_json};
use super::service::{AdminError, audited, invalid};
use crate::catalog::edx_sync::RunCatalog;
use crate::clock::to_db;
use crate::integrations::openedx::client::RunFix;
use crate::integrations::openedx::jobs::{CourseRunCatalog, CourseRunUpdate};
use crate::integrations::openedx::messages::{self, CloneCourseRun};
use crate::integrations::openedx::service::OpenEdx;
use crate::state::AppState;

/// What a sync changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Synced {
    pub fields_changed: bool,
    pub modes: Vec<String>,
}

/// Pulls the run's title, dates, pacing and modes from Open edX.
pub async fn sync_from_edx(state: &AppState, actor: String, id: i64) -> Result<Synced, AdminError> {
    let key: String = state
        .db
        .read(move |c| {
            Ok::<_, AdminError>(
                run_json(c, id)?["courseware_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .await?;
    let edx = OpenEdx::from_state(state);
    let details = edx
        .client
        .course_details(std::slice::from_ref(&key))
        .await
        .map_err(|e| AdminError::Edx(e.to_string()))?;
    let detail = details
        .iter()
        .find(|d| d.key() == key)
        .ok_or_else(|| AdminError::Edx(format!("Open edX does not know the run {key}.")))?;
    let update = CourseRunUpdate::from(detail);
    let mut modes: Vec<String> = edx
        .client
        .course_modes(&key)
        .await
        .map_err(|e| AdminError::Edx(e.to_string()))?
        .into_iter()
        .map(|m| m.mode_slug)
        .collect();
    modes.dedup();
    audited(
        state,
        actor,
        "catalog.sync_run_from_edx",
        "course_run",
        move |c, now| {
            let before = run_json(c, id)?;
            let fields_changed = RunCatalog.apply(c, &update, now)?;
            // No modes at all would leave the run unenrollable: keep ours then.
            if !modes.is_empty() {
                c.execute("DELETE FROM course_run_modes WHERE course_run_id = ?1", [id])?;
            }
            for slug in &modes {
                let mode = crate::catalog::store::ensure_mode(c, slug, slug == "verified")?;
                c.execute(
                    "INSERT OR IGNORE INTO course_run_modes (course_run_id, mode_id) VALUES (?1, ?2)",
                    rusqlite::params![id, mode],
                )?;
            }
            let after = run_json(c, id)?;
            Ok((
                Synced {
                    fields_changed,
                    modes,
                },
                id.to_string(),
                Some(before),
                after,
            ))
        },
    )
    .await
}

/// Queues the Studio re-run of `source` (a run id or courseware id; empty: the course's source
/// run) into this run's courseware id. Returns the outbox message id.
pub async fn create_in_edx(
    state: &AppState,
    actor: String,
    id: i64,
    source: String,
) -> Result<i64, AdminError> {
    let out = audited(state, actor, "catalog.create_run_in_edx", "course_run", move |c, now| {
        let run = run_json(c, id)?;
        let source_id = match source.trim() {
            "" => c
                .query_row(
                    "SELECT id FROM course_runs WHERE course_id = ?1 AND (is_source_run = 1 OR run_tag = 'SOURCE') AND id <> ?2
                     ORDER BY is_primary_language DESC, id LIMIT 1",
                    rusqlite::params![run["course_id"].as_i64(), id],
                    |r| r.get::<_, i64>(0),
                )
                .map_err(|_| invalid("source", "This course has no source run: name the run to re-run."))?,
            s => run_by_key(c, s).map_err(|_| invalid("source", format!("No such course run: {s}.")))?,
        };
        if source_id == id {
            return Err(invalid("source", "A run cannot be re-run into itself."));
        }
        let src = run_json(c, source_id)?;
        let text = |k: &str| run[k].as_str().map(str::to_owned);
        let when = |k: &str| text(k).and_then(|t| crate::clock::from_db(&t)).map(to_db);
        let msg = CloneCourseRun {
            source_course_id: src["courseware_id"].as_str().unwrap_or_default().to_owned(),
            course_id: text("courseware_id").unwrap_or_default(),
            fix: RunFix {
                title: text("title").unwrap_or_default(),
                self_paced: run["is_self_paced"].as_i64() == Some(1),
                start: when("start_date"),
                end: when("end_date"),
                enrollment_start: when("enrollment_start"),
                enrollment_end: when("enrollment_end"),
            },
        };
        let message = messages::enqueue_clone_course_run(c, now, &msg)?;
        let after = json!({ "outbox_message": message, "clone": msg });
        Ok((message, id.to_string(), None, after))
    })
    .await?;
    state.outbox.wake();
    Ok(out)
}
