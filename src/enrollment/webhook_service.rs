//! What the inbound Open edX webhooks do, in plain values: the handlers in [`super::webhooks`]
//! check the caller and the body, then call these with the actor's user id, the learner's
//! email and the run's courseware id.

use rust_decimal::Decimal;

use super::model::{Actor, Enrollment, Mode};
use super::{service, store};
use crate::db::DbError;
use crate::integrations::openedx::{EdxError, OpenEdx};
use crate::state::AppState;

/// Why a webhook could not be applied; the handler turns each into the original's answer.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("User with email {0} not found")]
    UnknownUser(String),
    #[error("Course run with id {0} not found")]
    UnknownRun(String),
    /// The learner or the run could not be looked up.
    #[error("database error")]
    Lookup(#[source] DbError),
    #[error("Failed to create enrollment")]
    Enroll(#[source] super::model::EnrollError),
    #[error("The learner has no Open edX account yet")]
    NoEdxAccount,
    #[error("Open edX has no grade for this learner")]
    NoGrade,
    #[error("Open edX: {0}")]
    Edx(#[source] EdxError),
    #[error("Open edX sent a grade outside 0..1")]
    GradeOutOfRange,
    #[error("Failed to store the grade")]
    StoreGrade(#[source] rusqlite::Error),
    #[error("Failed to generate the certificate")]
    Certificate(#[source] crate::certificates::CertificateError),
}

/// `(user_id, run_id)`, or which of the two is unknown.
async fn resolve(state: &AppState, email: String, course_id: String) -> Result<(i64, i64), WebhookError> {
    let (e2, c2) = (email.clone(), course_id.clone());
    let found = state
        .db
        .read(move |c| -> Result<_, DbError> {
            let user = crate::users::store::find_by_email(c, &e2)?.map(|u| u.id);
            let run = crate::catalog::service::run_id_by_courseware(c, &c2)?;
            Ok((user, run))
        })
        .await
        .map_err(WebhookError::Lookup)?;
    match found {
        (None, _) => Err(WebhookError::UnknownUser(email)),
        (_, None) => Err(WebhookError::UnknownRun(course_id)),
        (Some(u), Some(r)) => Ok((u, r)),
    }
}

/// An enrollment edX made: recorded locally in audit mode, confirmed, with no push back.
/// Returns the row and whether it was created (or reactivated).
pub async fn record_edx_enrollment(
    state: &AppState,
    actor: i64,
    email: String,
    course_id: String,
) -> Result<(Enrollment, bool), WebhookError> {
    let (user, run) = resolve(state, email, course_id).await?;
    state
        .write_at(move |c, now| {
            let mut a = Actor::user(actor);
            a.label = "openedx webhook".into();
            service::record_from_edx(c, now, user, run, Mode::Audit, &a)
        })
        .await
        .map_err(WebhookError::Enroll)
}

/// A grade pulled from edX and stored.
#[derive(Debug, Clone)]
pub struct StoredGrade {
    pub percent: Decimal,
    pub passed: bool,
    /// Whether the stored grade changed.
    pub changed: bool,
    /// The learner's certificate for the run after the forced issue, if any.
    pub certificate: Option<crate::certificates::Certificate>,
}

/// The certificate webhook: pulls the learner's current grade for the run from edX, stores it
/// and forces certificate generation (whatever the run's certificate date).
pub async fn pull_edx_grade(
    state: &AppState,
    email: String,
    course_id: String,
) -> Result<StoredGrade, WebhookError> {
    let (user, run) = resolve(state, email, course_id.clone()).await?;
    let edx = OpenEdx::from_state(state);
    let username = edx
        .synced_username(user)
        .await
        .map_err(WebhookError::Edx)?
        .ok_or(WebhookError::NoEdxAccount)?;
    let grade = edx
        .client
        .user_grade(&username, &course_id)
        .await
        .map_err(WebhookError::Edx)?
        .ok_or(WebhookError::NoGrade)?;
    if grade.percent < Decimal::ZERO || grade.percent > Decimal::ONE {
        return Err(WebhookError::GradeOutOfRange);
    }
    let g = grade.clone();
    let changed = state
        .write_at(move |c, now| {
            store::upsert_grade(c, user, run, g.percent, g.letter_grade.as_deref(), g.passed, now)
        })
        .await
        .map_err(WebhookError::StoreGrade)?;
    let certificate = crate::certificates::manage::issue_forced(state, user, run)
        .await
        .map_err(WebhookError::Certificate)?;
    Ok(StoredGrade {
        percent: grade.percent,
        passed: grade.passed,
        changed,
        certificate,
    })
}
