//! The learner-facing use cases the enrollment handlers call rather than the store: reading
//! their own enrollment, program enrollments with payment state and the enroll form's
//! "already verified" check, and enrolling or unenrolling themselves (each write in its own
//! transaction through [`service::in_own_transaction`], which wakes the outbox).

use super::model::{EnrollError, Enrollment, Mode, ProgramEnrollment};
use super::{Actor, ChangeStatus, service, store};
use crate::state::AppState;

/// The learner's active enrollment `id` and whether its run is paid for; `EnrollmentNotFound`
/// when it is not theirs or not active (so a stranger cannot tell the difference).
pub async fn own_enrollment(state: &AppState, user: i64, id: i64) -> Result<(Enrollment, bool), EnrollError> {
    state
        .db
        .read(move |c| -> Result<_, EnrollError> {
            let e = store::get(c, id)?
                .filter(|e| e.user_id == user && e.active)
                .ok_or(EnrollError::EnrollmentNotFound)?;
            let paid = store::is_paid_run(c, user, e.run_id)?;
            Ok((e, paid))
        })
        .await
}

/// Unenrolls the learner from their own active enrollment `id`; edX follows through the outbox.
pub async fn unenroll_own(state: &AppState, user: i64, id: i64) -> Result<Enrollment, EnrollError> {
    service::in_own_transaction(state, move |c, now| {
        let e = store::get(c, id)?
            .filter(|e| e.user_id == user && e.active)
            .ok_or(EnrollError::EnrollmentNotFound)?;
        service::unenroll(
            c,
            now,
            user,
            e.run_id,
            ChangeStatus::Unenrolled,
            &Actor::user(user),
        )
    })
    .await
}

/// Whether the learner has paid for `run_id` or holds an active verified enrollment in it.
pub async fn has_verified_seat(state: &AppState, user: i64, run_id: i64) -> Result<bool, EnrollError> {
    state
        .db
        .read(move |c| -> Result<bool, EnrollError> {
            let paid = store::is_paid_run(c, user, run_id)?;
            let verified =
                store::find(c, user, run_id)?.is_some_and(|e| e.active && e.mode == Mode::Verified);
            Ok(paid || verified)
        })
        .await
}

/// The learner's program enrollments.
pub async fn programs_of(state: &AppState, user: i64) -> Result<Vec<ProgramEnrollment>, EnrollError> {
    state
        .db
        .read(move |c| Ok(store::programs_for_user(c, user)?))
        .await
}

/// The learner's program enrollments, each with whether it is active and paid for.
pub async fn programs_with_payment(
    state: &AppState,
    user: i64,
) -> Result<Vec<(ProgramEnrollment, bool)>, EnrollError> {
    state
        .db
        .read(move |c| -> Result<_, EnrollError> {
            let mut out = Vec::new();
            for pe in store::programs_for_user(c, user)? {
                let paid = pe.active && store::is_paid_program(c, user, pe.program_id)?;
                out.push((pe, paid));
            }
            Ok(out)
        })
        .await
}

/// Unenrolls the learner from a program (refused for a paid one).
pub async fn unenroll_program_own(state: &AppState, user: i64, program: i64) -> Result<(), EnrollError> {
    service::in_own_transaction(state, move |c, now| {
        service::unenroll_program(
            c,
            now,
            user,
            program,
            ChangeStatus::Unenrolled,
            &Actor::user(user),
        )
    })
    .await?;
    Ok(())
}

/// The learner enrolls themself in a run, in audit, with the public checks.
pub async fn enroll_self(state: &AppState, user: i64, run_id: i64) -> Result<Enrollment, EnrollError> {
    service::in_own_transaction(state, move |c, now| {
        service::enroll(
            c,
            now,
            user,
            run_id,
            Mode::Audit,
            super::Checks::PUBLIC,
            &Actor::user(user),
        )
    })
    .await
}

/// The learner enrolls themself in a program, in audit.
pub async fn enroll_program_self(
    state: &AppState,
    user: i64,
    program: i64,
) -> Result<(ProgramEnrollment, service::ProgramOutcome), EnrollError> {
    service::in_own_transaction(state, move |c, now| {
        service::enroll_program(c, now, user, program, Mode::Audit, &Actor::user(user))
    })
    .await
}
