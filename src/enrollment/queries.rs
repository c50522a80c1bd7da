//! The learner-facing use cases the enrollment handlers call rather than the store: reading
//! their own enrollment, program enrollments with payment state and the enroll form's
//! "already verified" check, and enrolling or unenrolling themselves (each write in its own
//! transaction through [`service::in_own_transaction`], which wakes the outbox).

use super::model::{EnrollError, Enrollment, Mode, ProgramEnrollment};
use super::{Actor, ChangeStatus, service, store};
use crate::certificates::{Certificate, Kind};
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

/// The learner's active enrollments: run id → whether verified (the catalog's `relevant_to`).
pub async fn active_runs(
    state: &AppState,
    user: i64,
) -> Result<std::collections::HashMap<i64, bool>, EnrollError> {
    state
        .db
        .read(move |c| -> Result<_, EnrollError> {
            Ok(store::api_listing(c, user)?
                .into_iter()
                .map(|e| (e.run_id, e.mode == Mode::Verified))
                .collect())
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

/// The learner's program enrollments, each with its unrevoked program certificate (read through
/// the certificates module, in the same reader round trip).
pub async fn programs_of(
    state: &AppState,
    user: i64,
) -> Result<Vec<(ProgramEnrollment, Option<Certificate>)>, EnrollError> {
    state
        .db
        .read(move |c| -> Result<_, EnrollError> {
            let mut certs = crate::certificates::store::for_user(c, Kind::Program, user)?;
            certs.retain(|x| !x.is_revoked);
            Ok(store::programs_for_user(c, user)?
                .into_iter()
                .map(|pe| {
                    let cert = certs.iter().find(|x| x.object_id == pe.program_id).cloned();
                    (pe, cert)
                })
                .collect())
        })
        .await
}

/// The learner's program enrollments with their certificate, each with whether it is active and
/// paid for.
pub async fn programs_with_payment(
    state: &AppState,
    user: i64,
) -> Result<Vec<(ProgramEnrollment, bool, Option<Certificate>)>, EnrollError> {
    let rows = programs_of(state, user).await?;
    state
        .db
        .read(move |c| -> Result<_, EnrollError> {
            let mut out = Vec::new();
            for (pe, cert) in rows {
                let paid = pe.active && store::is_paid_program(c, user, pe.program_id)?;
                out.push((pe, paid, cert));
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
