//! Enrollment deferrals (the original's `courses.api.defer_enrollment`), offered to staff on
//! `/staff/enrollments/`, as `mitxonline enrollment defer` and to the Google Sheets deferral
//! rows. One write transaction per deferral; every edX change goes through the outbox.
//!
//! - **No target**: the source enrollment is downgraded to audit and marked `deferred` (it
//!   stays active, as in the original).
//! - **With a target**: refused when it is the source run; unless `force`, also refused when
//!   the source is inactive, the target is not open for enrollment or belongs to another
//!   course. An active audit enrollment in the target is dropped (`unenrolled`) first, then the
//!   learner is enrolled verified in the target, the source is downgraded to audit and marked
//!   `deferred`, and the paid-run records move from the source to the target. A source already
//!   deferred whose target is already verified is left as it is.
//!
//! [`super::service::defer`] (same mode moved to another run, source deactivated) is the
//! older, narrower use case kept for its callers.

use rusqlite::Connection;

use super::model::{Actor, ChangeStatus, Checks, EnrollError, Enrollment, Mode};
use super::{service, store};
use crate::catalog::service as catalog;
use crate::state::AppState;

/// Why a deferral was refused.
#[derive(Debug, thiserror::Error)]
pub enum DeferralError {
    #[error("No learner has the email {0}.")]
    NoLearner(String),
    #[error("No course run has the id {0}.")]
    NoRun(String),
    #[error("{email} has no enrollment in {run}.")]
    NoEnrollment { email: String, run: String },
    #[error("Cannot defer to the same course run ({0}).")]
    SameRun(String),
    #[error("Cannot defer from an inactive enrollment ({run}, {email}); force to defer anyway.")]
    Inactive { email: String, run: String },
    #[error("Cannot defer to a course run that is outside of its enrollment period ({0}).")]
    NotEnrollable(String),
    #[error("Cannot defer to a course run of a different course ({from} -> {to}); force to defer anyway.")]
    OtherCourse { from: String, to: String },
    #[error(transparent)]
    Enroll(#[from] EnrollError),
}

crate::db::error_from!(rusqlite::Error, crate::db::DbError => DeferralError::Enroll);

/// What to defer: a learner by email, runs by courseware id.
#[derive(Debug, Clone)]
pub struct DeferRequest {
    pub email: String,
    pub from: String,
    pub to: Option<String>,
    /// Skip the active-source, enrollable-target and same-course checks (staff, sheets).
    pub force: bool,
}

/// The enrollments after a deferral.
#[derive(Debug, Clone)]
pub struct Deferred {
    pub from: Enrollment,
    pub to: Option<Enrollment>,
    /// Paid-run records moved to the target.
    pub paid_runs_moved: usize,
}

fn run(c: &Connection, courseware_id: &str) -> Result<catalog::RunFacts, DeferralError> {
    catalog::run_id_by_courseware(c, courseware_id)?
        .map(|id| catalog::run_facts(c, id))
        .transpose()?
        .flatten()
        .ok_or_else(|| DeferralError::NoRun(courseware_id.to_owned()))
}

/// Runs the deferral inside the caller's write transaction.
pub fn defer_in(
    c: &Connection,
    now: chrono::DateTime<chrono::Utc>,
    req: &DeferRequest,
    actor: &Actor,
) -> Result<Deferred, DeferralError> {
    let email = req.email.trim();
    let user = crate::users::store::find_by_email(c, email)?
        .ok_or_else(|| DeferralError::NoLearner(email.to_owned()))?;
    let from_run = run(c, req.from.trim())?;
    let source = store::find(c, user.id, from_run.id)?.ok_or_else(|| DeferralError::NoEnrollment {
        email: email.to_owned(),
        run: from_run.courseware_id.clone(),
    })?;
    let Some(to_key) = req.to.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
        let from = service::mark_deferred(c, now, user.id, from_run.id, actor)?;
        return Ok(Deferred {
            from,
            to: None,
            paid_runs_moved: 0,
        });
    };
    let to_run = run(c, to_key)?;
    if to_run.id == from_run.id {
        return Err(DeferralError::SameRun(to_run.courseware_id));
    }
    if !req.force {
        if !source.active {
            return Err(DeferralError::Inactive {
                email: email.to_owned(),
                run: from_run.courseware_id,
            });
        }
        if !to_run.is_enrollable(now) {
            return Err(DeferralError::NotEnrollable(to_run.courseware_id));
        }
        if to_run.course_id != from_run.course_id {
            return Err(DeferralError::OtherCourse {
                from: from_run.courseware_id,
                to: to_run.courseware_id,
            });
        }
    }
    let already_deferred = source.change_status == Some(ChangeStatus::Deferred);
    let target = store::find(c, user.id, to_run.id)?;
    if already_deferred && let Some(t) = target.as_ref().filter(|t| t.active && t.mode == Mode::Verified) {
        return Ok(Deferred {
            from: source,
            to: Some(t.clone()),
            paid_runs_moved: 0,
        });
    }
    if target.as_ref().is_some_and(|t| t.active && t.mode == Mode::Audit) {
        service::unenroll(c, now, user.id, to_run.id, ChangeStatus::Unenrolled, actor)?;
    }
    let to = service::enroll(c, now, user.id, to_run.id, Mode::Verified, Checks::NONE, actor)?;
    let from = if already_deferred {
        source
    } else {
        service::mark_deferred(c, now, user.id, from_run.id, actor)?
    };
    let paid_runs_moved = store::move_paid_runs(c, user.id, from_run.id, to_run.id)?;
    Ok(Deferred {
        from,
        to: Some(to),
        paid_runs_moved,
    })
}

/// Runs the deferral in its own write transaction and wakes the outbox.
pub async fn defer(state: &AppState, req: DeferRequest, actor: Actor) -> Result<Deferred, DeferralError> {
    let out = state
        .write_queued(move |c, now| defer_in(c, now, &req, &actor))
        .await?;
    Ok(out)
}

impl Deferred {
    /// One line for people: what happened.
    pub fn summary(&self, from: &str, to: Option<&str>) -> String {
        match (to, &self.to) {
            (Some(to), Some(t)) => format!(
                "deferred {from} to {to} ({} enrollment, {} paid run(s) moved)",
                t.mode.as_str(),
                self.paid_runs_moved
            ),
            _ => format!("deferred {from}: downgraded to {}", self.from.mode.as_str()),
        }
    }
}
