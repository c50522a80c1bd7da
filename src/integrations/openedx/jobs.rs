//! Background work of this layer: the repair job (scheduled here, like the original's
//! `repair-faulty-edx-users`, every 30 minutes at :15 and :45), and the course-run sync and
//! grade pull, written against small traits the catalog and enrollment modules implement and
//! schedule (`sync-courseruns-data` at 00:10; grades feed `generate-course-certificate`).

use std::sync::Arc;

use chrono::{DateTime, Timelike, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use super::client::EdxError;
use super::messages::{CreateUser, enqueue_create_auth_token, enqueue_create_user};
use super::model::{CourseDetail, CurrentGrade};
use super::service::OpenEdx;
use super::store;
use crate::db::DbError;
use crate::jobs::JobDef;
use crate::state::AppState;

/// Users looked at per repair run.
const REPAIR_BATCH: usize = 500;

pub fn job_defs() -> Vec<JobDef> {
    vec![JobDef::new(
        "repair-faulty-edx-users",
        "0 15,45 * * * *",
        "Queues edX account or token creation for learners who logged in but are not synced with Open edX.",
        |state: AppState| async move {
            let (users, tokens) = repair_faulty_users(&state).await?;
            Ok(format!(
                "queued {users} edX account creations and {tokens} token creations"
            ))
        },
    )]
}

/// The 30-minute window a time falls in (repair idempotency keys).
fn slot(now: DateTime<Utc>) -> String {
    format!("{}{:02}", now.format("%Y%m%d%H"), (now.minute() / 30) * 30)
}

/// Enqueues a `create_user` (unsynced) or `create_auth_token` (synced, no tokens) message for
/// each faulty user, at most once per user per 30-minute window. Returns the two counts.
pub async fn repair_faulty_users(state: &AppState) -> Result<(usize, usize), DbError> {
    // Per-user tokens can only be created where the authorization step exists (the sandbox,
    // until our OAuth2 provider lands); elsewhere token repair would only make dead letters.
    let tokens_possible = OpenEdx::from_state(state).client.can_create_user_tokens();
    let counts = state
        .write_at(move |c, now| -> Result<(usize, usize), DbError> {
            let faulty = store::faulty_user_ids(c, now, tokens_possible, REPAIR_BATCH)?;
            let (mut users, mut tokens) = (0, 0);
            let s = slot(now);
            for (user_id, synced) in faulty {
                if synced {
                    enqueue_create_auth_token(c, now, user_id, &format!("{user_id}:repair:{s}"))?;
                    tokens += 1;
                } else {
                    let msg = CreateUser {
                        user_id,
                        desired_username: None,
                        profile: None,
                    };
                    enqueue_create_user(c, now, &msg, &format!("{user_id}:repair:{s}"))?;
                    users += 1;
                }
            }
            Ok((users, tokens))
        })
        .await?;
    if counts.0 + counts.1 > 0 {
        state.outbox.wake();
    }
    Ok(counts)
}

fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What edX says about one course run, ready to apply to the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseRunUpdate {
    pub courseware_id: String,
    pub title: Option<String>,
    pub start_date: Option<DateTime<Utc>>,
    pub end_date: Option<DateTime<Utc>>,
    pub enrollment_start: Option<DateTime<Utc>>,
    pub enrollment_end: Option<DateTime<Utc>>,
    /// Falls back to the end date, like the original.
    pub certificate_available_date: Option<DateTime<Utc>>,
    pub is_self_paced: bool,
}

impl From<&CourseDetail> for CourseRunUpdate {
    fn from(d: &CourseDetail) -> Self {
        let end = parse_time(d.end.as_deref());
        CourseRunUpdate {
            courseware_id: d.key().to_owned(),
            title: d.name.clone(),
            start_date: parse_time(d.start.as_deref()),
            end_date: end,
            enrollment_start: parse_time(d.enrollment_start.as_deref()),
            enrollment_end: parse_time(d.enrollment_end.as_deref()),
            certificate_available_date: parse_time(d.certificate_available_date.as_deref()).or(end),
            is_self_paced: d.is_self_paced(),
        }
    }
}

/// The catalog side of the run sync (implemented by the catalog module).
pub trait CourseRunCatalog: Send + Sync {
    /// Courseware ids of live, unexpired, non-fake runs.
    fn keys_to_sync(&self, c: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<String>>;
    /// Applies an update; true when something changed (save only on change).
    fn apply(&self, c: &Connection, update: &CourseRunUpdate, now: DateTime<Utc>) -> rusqlite::Result<bool>;
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    pub asked: usize,
    pub answered: usize,
    pub changed: usize,
}

/// `sync_courseruns_data`: asks edX about every run the catalog names (100 per request) and
/// applies the answers in one write.
pub async fn sync_course_runs(
    state: &AppState,
    edx: &OpenEdx,
    catalog: Arc<dyn CourseRunCatalog>,
) -> Result<SyncReport, EdxError> {
    let now = state.clock.now();
    let cat = catalog.clone();
    let keys = state
        .db
        .read(move |c| cat.keys_to_sync(c, now).map_err(EdxError::from))
        .await?;
    let details = edx.client.course_details(&keys).await?;
    let updates: Vec<CourseRunUpdate> = details
        .iter()
        .filter(|d| !d.key().is_empty())
        .map(CourseRunUpdate::from)
        .collect();
    let answered = updates.len();
    let changed = state
        .db
        .write(move |c| -> Result<usize, EdxError> {
            let mut n = 0;
            for u in &updates {
                if catalog.apply(c, u, now)? {
                    n += 1;
                }
            }
            Ok(n)
        })
        .await?;
    Ok(SyncReport {
        asked: keys.len(),
        answered,
        changed,
    })
}

/// One learner's grade, mapped to our user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerGrade {
    pub user_id: i64,
    pub courseware_id: String,
    pub grade: Decimal,
    pub passed: bool,
    pub letter_grade: Option<String>,
}

/// Where pulled grades go (implemented by the enrollment/certificates work).
pub trait GradeSink: Send + Sync {
    /// Courseware ids of runs whose grades should be pulled now.
    fn runs_to_grade(&self, c: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Vec<String>>;
    /// Stores one grade; true when it changed.
    fn apply(&self, c: &Connection, grade: &LearnerGrade, now: DateTime<Utc>) -> rusqlite::Result<bool>;
}

/// Every grade of one run, mapped from edX usernames to our users (unknown names are counted
/// and skipped).
pub async fn pull_course_grades(
    state: &AppState,
    edx: &OpenEdx,
    courseware_id: &str,
) -> Result<(Vec<LearnerGrade>, usize), EdxError> {
    let grades: Vec<CurrentGrade> = edx.client.course_grades(courseware_id).await?;
    let names: Vec<String> = grades.iter().map(|g| g.username.clone()).collect();
    let ids = state
        .db
        .read(move |c| store::user_ids_by_edx_username(c, &names).map_err(EdxError::from))
        .await?;
    let map: std::collections::HashMap<String, i64> = ids.into_iter().collect();
    let mut unknown = 0;
    let mut out = Vec::new();
    for g in grades {
        match map.get(&g.username) {
            Some(&user_id) => out.push(LearnerGrade {
                user_id,
                courseware_id: courseware_id.to_owned(),
                grade: g.percent,
                passed: g.passed,
                letter_grade: g.letter_grade,
            }),
            None => unknown += 1,
        }
    }
    Ok((out, unknown))
}

/// Pulls grades for every run the sink names and applies them; a run whose pull fails is
/// logged and skipped so one bad run never stops the rest.
pub async fn pull_grades(
    state: &AppState,
    edx: &OpenEdx,
    sink: Arc<dyn GradeSink>,
) -> Result<SyncReport, EdxError> {
    let now = state.clock.now();
    let s = sink.clone();
    let runs = state
        .db
        .read(move |c| s.runs_to_grade(c, now).map_err(EdxError::from))
        .await?;
    let mut report = SyncReport {
        asked: runs.len(),
        ..SyncReport::default()
    };
    for run in runs {
        let grades = match pull_course_grades(state, edx, &run).await {
            Ok((g, _)) => g,
            Err(e) => {
                tracing::warn!(course_run = %run, error = %e, "grade pull failed");
                continue;
            }
        };
        report.answered += grades.len();
        let s = sink.clone();
        report.changed += state
            .db
            .write(move |c| -> Result<usize, EdxError> {
                let mut n = 0;
                for g in &grades {
                    if s.apply(c, g, now)? {
                        n += 1;
                    }
                }
                Ok(n)
            })
            .await?;
    }
    Ok(report)
}
