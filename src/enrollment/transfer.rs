//! Staff faces of a learner's enrollments on the learner page (`/staff/users/{id}/`): every
//! enrollment row with its run, grade, certificate and payment ([`of_learner`]), moving an
//! enrollment to another learner ([`transfer`]) and retrying the learner's edX sync
//! ([`retry_edx`]).
//!
//! A transfer is one write transaction: the source enrollment becomes inactive with
//! `change_status = transferred`, the recipient is enrolled in the same run and mode (staff
//! act, so the run need not be open), and the paid-run records move to the recipient so the
//! payment follows the seat (the order stays its purchaser's). Both edX changes go through the
//! outbox with the local change, so edX hears of both or neither.

use rusqlite::Connection;

use super::model::{Actor, ChangeStatus, Checks, EnrollError, Enrollment, Mode};
use super::{service, store};
use crate::catalog::service as catalog;
use crate::state::AppState;

/// Why a transfer is refused; nothing changes.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("No learner has the email {0}.")]
    NoRecipient(String),
    #[error("The enrollment is already this learner's.")]
    SameLearner,
    #[error("No active enrollment in {0} to transfer.")]
    NotEnrolled(String),
    #[error("{email} is already enrolled in {run}.")]
    RecipientEnrolled { email: String, run: String },
    #[error(transparent)]
    Enroll(#[from] EnrollError),
}

crate::db::error_from!(rusqlite::Error => TransferError::Enroll);

/// One enrollment as staff see it on the learner page.
#[derive(Debug, Clone)]
pub struct StaffRow {
    pub enrollment: Enrollment,
    pub courseware_id: String,
    pub paid: bool,
    /// `(grade, passed, set by staff)`.
    pub grade: Option<(String, bool, bool)>,
    /// The uuid of the learner's unrevoked certificate for the run.
    pub certificate: Option<String>,
}

/// Every enrollment of the learner, active or not, newest first (the learner page reads the
/// run's key, grade and certificate with it in one statement, as the dashboard listing does).
pub async fn of_learner(state: &AppState, user_id: i64) -> Result<Vec<StaffRow>, EnrollError> {
    let rows = state
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for e in store::for_user(c, user_id)? {
                let (key, paid, grade, certificate) = store::staff_facts(c, user_id, e.run_id)?;
                out.push(StaffRow {
                    enrollment: e,
                    courseware_id: key,
                    paid,
                    grade,
                    certificate,
                });
            }
            out.reverse();
            Ok::<_, rusqlite::Error>(out)
        })
        .await?;
    Ok(rows)
}

/// Moves `from_user`'s active enrollment in `courseware_id` to the learner with `to_email`
/// (see the module docs). Returns the recipient's enrollment.
pub async fn transfer(
    state: &AppState,
    from_user: i64,
    courseware_id: String,
    to_email: String,
    actor: Actor,
) -> Result<Enrollment, TransferError> {
    service::in_own_transaction(state, move |c, now| {
        transfer_in(c, now, from_user, &courseware_id, to_email.trim(), &actor)
    })
    .await
}

fn transfer_in(
    c: &Connection,
    now: chrono::DateTime<chrono::Utc>,
    from_user: i64,
    courseware_id: &str,
    to_email: &str,
    actor: &Actor,
) -> Result<Enrollment, TransferError> {
    let to = crate::users::store::find_by_email(c, to_email)?
        .ok_or_else(|| TransferError::NoRecipient(to_email.to_owned()))?;
    if to.id == from_user {
        return Err(TransferError::SameLearner);
    }
    let not_enrolled = || TransferError::NotEnrolled(courseware_id.to_owned());
    let run = catalog::run_id_by_courseware(c, courseware_id)?.ok_or_else(not_enrolled)?;
    let source = store::find(c, from_user, run)?
        .filter(|e| e.active)
        .ok_or_else(not_enrolled)?;
    if store::find(c, to.id, run)?.is_some_and(|e| e.active) {
        return Err(TransferError::RecipientEnrolled {
            email: to.email,
            run: courseware_id.to_owned(),
        });
    }
    service::unenroll(c, now, from_user, run, ChangeStatus::Transferred, actor)?;
    let mode: Mode = source.mode;
    let moved = service::enroll(c, now, to.id, run, mode, Checks::NONE, actor)?;
    store::give_paid_run(c, from_user, run, to.id)?;
    Ok(moved)
}

/// Requeues the learner's dead `openedx` messages and queues their edX account creation when
/// edX has none yet, audited on the account. Returns how many messages were requeued.
pub async fn retry_edx(state: &AppState, user_id: i64, actor: Actor) -> Result<usize, EnrollError> {
    service::in_own_transaction(state, move |c, now| {
        let n = crate::integrations::openedx::learner::retry_learner(c, user_id, now)?;
        service::ensure_edx_user(c, now, user_id)?;
        let after = serde_json::json!({ "requeued": n });
        crate::audit::on_user(
            c,
            (actor.user_id, &actor.label),
            "user.edx_retry",
            user_id,
            &after,
            now,
        )?;
        Ok(n)
    })
    .await
}
