//! Enrollment use cases. Every change is one transaction: the row (one per learner and run,
//! reused), an audit row (who, before, after) and the Open edX push through the outbox.
//!
//! The `&Connection` functions run inside the caller's write transaction, so order fulfilment
//! can enroll, upgrade and record the paid run atomically with its own changes; the `*_now`
//! wrappers open a write transaction themselves and wake the outbox afterwards.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::model::{Actor, ChangeStatus, Checks, EnrollError, Enrollment, Mode, ProgramEnrollment};
use super::store;
use crate::audit;
use crate::catalog::service as catalog;
use crate::integrations::openedx::messages::{self as edx, CreateUser, EmailSettings, Enroll, Unenroll};
use crate::integrations::openedx::store as edx_store;
use crate::state::AppState;

const RUN_OBJECT: &str = "course_run_enrollment";
const PROGRAM_OBJECT: &str = "program_enrollment";

type Time = DateTime<Utc>;

/// What an enrollment-like row writes to the audit log: its table label, id and JSON.
trait Audited {
    const OBJECT: &'static str;
    fn audited(&self) -> (i64, serde_json::Value);
}

impl Audited for Enrollment {
    const OBJECT: &'static str = RUN_OBJECT;
    fn audited(&self) -> (i64, serde_json::Value) {
        (self.id, self.audit_json())
    }
}

impl Audited for ProgramEnrollment {
    const OBJECT: &'static str = PROGRAM_OBJECT;
    fn audited(&self) -> (i64, serde_json::Value) {
        (self.id, self.audit_json())
    }
}

/// Writes `before` as `edit` changes it, audited as `action`; returns the row written.
fn update_audited(
    c: &Connection,
    now: Time,
    actor: &Actor,
    action: &str,
    before: &Enrollment,
    edit: impl FnOnce(&mut Enrollment),
) -> Result<Enrollment, EnrollError> {
    let mut next = before.clone();
    edit(&mut next);
    let after = store::update(c, &next, now)?;
    audit(c, actor, action, Some(before), &after, now)?;
    Ok(after)
}

/// An inactive (or other-mode) enrollment made active again in `mode`, its change status cleared.
fn reactivate(e: &mut Enrollment, mode: Mode) {
    e.active = true;
    e.change_status = None;
    e.mode = mode;
}

/// One audit row for a change to an enrollment or program enrollment.
fn audit<T: Audited>(
    c: &Connection,
    actor: &Actor,
    action: &str,
    before: Option<&T>,
    after: &T,
    now: Time,
) -> rusqlite::Result<()> {
    let before = before.map(|b| b.audited().1);
    let (id, after) = after.audited();
    let id = id.to_string();
    audit::record(
        c,
        actor.user_id,
        &actor.label,
        action,
        T::OBJECT,
        &id,
        before.as_ref(),
        Some(&after),
        now,
    )?;
    Ok(())
}

/// Queues the learner's edX account creation unless edX already has it (a no-op when one was
/// queued before: the key is the user id).
pub fn ensure_edx_user(c: &Connection, now: Time, user_id: i64) -> rusqlite::Result<()> {
    let synced = edx_store::find_by_user(c, user_id)?.is_some_and(|u| u.has_been_synced);
    if !synced {
        let msg = CreateUser {
            user_id,
            desired_username: None,
            profile: None,
        };
        edx::enqueue_create_user(c, now, &msg, &user_id.to_string())?;
    }
    Ok(())
}

fn courseware_id(c: &Connection, run_id: i64) -> Result<String, EnrollError> {
    Ok(catalog::run_facts(c, run_id)?
        .ok_or(EnrollError::RunNotFound)?
        .courseware_id)
}

/// Queues the edX side of `e`'s current state (enroll with its mode, or unenroll), keyed by
/// the row id and version so each local change is pushed once.
pub fn push_to_edx(c: &Connection, now: Time, e: &Enrollment) -> Result<(), EnrollError> {
    let course_id = courseware_id(c, e.run_id)?;
    let key = format!("{}:{}", e.id, e.version);
    if e.active {
        ensure_edx_user(c, now, e.user_id)?;
        let msg = Enroll {
            user_id: e.user_id,
            course_id,
            mode: e.mode,
        };
        edx::enqueue_enroll(c, now, &msg, &key)?;
    } else {
        let msg = Unenroll {
            user_id: e.user_id,
            course_id,
        };
        edx::enqueue_unenroll(c, now, &msg, &key)?;
    }
    Ok(())
}

/// Enrolls `user_id` in `run_id` in `mode`: creates the row, or reactivates it (clearing
/// `change_status`), or upgrades an active audit enrollment to verified. An active enrollment
/// is never downgraded here (use [`change_mode`]); a repeat of the same request changes
/// nothing and queues nothing (double submissions make one enrollment and one edX call).
pub fn enroll(
    c: &Connection,
    now: Time,
    user_id: i64,
    run_id: i64,
    mode: Mode,
    checks: Checks,
    actor: &Actor,
) -> Result<Enrollment, EnrollError> {
    let run = catalog::run_facts(c, run_id)?.ok_or(EnrollError::RunNotFound)?;
    let existing = store::find(c, user_id, run_id)?;
    if checks.refuse_b2b && run.b2b_contract_id.is_some() {
        return Err(EnrollError::B2bRun);
    }
    if checks.blocked_countries && catalog::country_blocked(c, user_id, run.course_id)? {
        return Err(EnrollError::BlockedCountry);
    }
    let already_active = existing.as_ref().is_some_and(|e| e.active);
    if checks.enrollable && !already_active && !run.is_enrollable(now) {
        return Err(EnrollError::NotEnrollable);
    }
    match existing {
        None => {
            let e = store::insert(c, user_id, run_id, mode, now)?;
            audit(c, actor, "enroll", None, &e, now)?;
            push_to_edx(c, now, &e)?;
            Ok(e)
        }
        Some(e) if e.active && (e.mode == mode || e.mode == Mode::Verified) => Ok(e),
        Some(before) => {
            let action = if before.active {
                "change_mode"
            } else {
                "reactivate"
            };
            let after = update_audited(c, now, actor, action, &before, |e| reactivate(e, mode))?;
            push_to_edx(c, now, &after)?;
            Ok(after)
        }
    }
}

/// Sets the mode of the learner's enrollment exactly (upgrade after payment, downgrade after a
/// refund), creating or reactivating the row if needed. No rule checks: callers are trusted.
pub fn change_mode(
    c: &Connection,
    now: Time,
    user_id: i64,
    run_id: i64,
    mode: Mode,
    actor: &Actor,
) -> Result<Enrollment, EnrollError> {
    match store::find(c, user_id, run_id)? {
        Some(before) if before.active && before.mode != mode => {
            let after = update_audited(c, now, actor, "change_mode", &before, |e| e.mode = mode)?;
            push_to_edx(c, now, &after)?;
            Ok(after)
        }
        Some(e) if e.active => Ok(e),
        _ => enroll(c, now, user_id, run_id, mode, Checks::NONE, actor),
    }
}

/// Deactivates the learner's enrollment with `status` (unenrolled, refunded, deferred,
/// transferred) and queues the edX unenroll. Already inactive with the same status: no-op.
pub fn unenroll(
    c: &Connection,
    now: Time,
    user_id: i64,
    run_id: i64,
    status: ChangeStatus,
    actor: &Actor,
) -> Result<Enrollment, EnrollError> {
    let before = store::find(c, user_id, run_id)?.ok_or(EnrollError::EnrollmentNotFound)?;
    if !before.active && before.change_status == Some(status) {
        return Ok(before);
    }
    let after = update_audited(c, now, actor, status.as_str(), &before, |e| {
        e.active = false;
        e.change_status = Some(status);
    })?;
    push_to_edx(c, now, &after)?;
    Ok(after)
}

/// Defers an active enrollment to another run of the course: the old row becomes `deferred`,
/// the new run gets the same mode. `force` skips the target run's enrollability check.
pub fn defer(
    c: &Connection,
    now: Time,
    user_id: i64,
    from_run: i64,
    to_run: i64,
    force: bool,
    actor: &Actor,
) -> Result<Enrollment, EnrollError> {
    let from = store::find(c, user_id, from_run)?
        .filter(|e| e.active)
        .ok_or(EnrollError::EnrollmentNotFound)?;
    let checks = Checks {
        enrollable: !force,
        ..Checks::NONE
    };
    let to = enroll(c, now, user_id, to_run, from.mode, checks, actor)?;
    unenroll(c, now, user_id, from_run, ChangeStatus::Deferred, actor)?;
    Ok(to)
}

/// Downgrades the learner's enrollment in `run_id` to audit and marks it `deferred` (still
/// active, as the original's deferral leaves it), queueing the edX mode change. Already audit
/// and deferred: no-op.
pub fn mark_deferred(
    c: &Connection,
    now: Time,
    user_id: i64,
    run_id: i64,
    actor: &Actor,
) -> Result<Enrollment, EnrollError> {
    let before = store::find(c, user_id, run_id)?.ok_or(EnrollError::EnrollmentNotFound)?;
    if before.active && before.mode == Mode::Audit && before.change_status == Some(ChangeStatus::Deferred) {
        return Ok(before);
    }
    let mut next = before.clone();
    next.active = true;
    next.mode = Mode::Audit;
    next.change_status = Some(ChangeStatus::Deferred);
    let after = store::update(c, &next, now)?;
    audit(
        c,
        actor,
        ChangeStatus::Deferred.as_str(),
        Some(&before),
        &after,
        now,
    )?;
    push_to_edx(c, now, &after)?;
    Ok(after)
}

/// Turns course emails on or off for an enrollment of `user_id` and queues the edX setting.
pub fn set_receive_emails(
    c: &Connection,
    now: Time,
    user_id: i64,
    enrollment_id: i64,
    subscribe: bool,
    actor: &Actor,
) -> Result<Enrollment, EnrollError> {
    let before = store::get(c, enrollment_id)?
        .filter(|e| e.user_id == user_id && e.active)
        .ok_or(EnrollError::EnrollmentNotFound)?;
    if before.edx_emails_subscription == subscribe {
        return Ok(before);
    }
    let after = update_audited(c, now, actor, "email_settings", &before, |e| {
        e.edx_emails_subscription = subscribe;
    })?;
    let msg = EmailSettings {
        user_id,
        course_id: courseware_id(c, after.run_id)?,
        subscribe,
    };
    edx::enqueue_email_settings(c, now, &msg, &format!("{}:{}", after.id, after.version))?;
    Ok(after)
}

/// Records that `order_id` paid for the learner's run (PaidCourseRun).
pub fn record_paid_run(
    c: &Connection,
    now: Time,
    user_id: i64,
    run_id: i64,
    order_id: i64,
) -> rusqlite::Result<()> {
    store::insert_paid_run(c, user_id, run_id, order_id, now)
}

/// Removes the PaidCourseRun of a refunded order. Returns whether one existed.
pub fn remove_paid_run(c: &Connection, user_id: i64, run_id: i64, order_id: i64) -> rusqlite::Result<bool> {
    store::delete_paid_run(c, user_id, run_id, order_id)
}

pub fn record_paid_program(
    c: &Connection,
    now: Time,
    user_id: i64,
    program_id: i64,
    order_id: i64,
) -> rusqlite::Result<()> {
    store::insert_paid_program(c, user_id, program_id, order_id, now)
}

pub fn remove_paid_program(
    c: &Connection,
    user_id: i64,
    program_id: i64,
    order_id: i64,
) -> rusqlite::Result<bool> {
    store::delete_paid_program(c, user_id, program_id, order_id)
}

/// Whether [`enroll_program`] created/reactivated the row or found it active already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramOutcome {
    Existing,
    Created,
}

/// Enrolls the learner in a program (create, reactivate, or upgrade audit -> verified).
pub fn enroll_program(
    c: &Connection,
    now: Time,
    user_id: i64,
    program_id: i64,
    mode: Mode,
    actor: &Actor,
) -> Result<(ProgramEnrollment, ProgramOutcome), EnrollError> {
    catalog::program_live(c, program_id)?.ok_or(EnrollError::ProgramNotFound)?;
    let before = store::find_program(c, user_id, program_id)?;
    if let Some(b) = &before
        && b.active
        && (b.mode == mode || b.mode == Mode::Verified)
    {
        return Ok((b.clone(), ProgramOutcome::Existing));
    }
    let was_active = before.as_ref().is_some_and(|b| b.active);
    let next = ProgramEnrollment {
        id: 0,
        user_id,
        program_id,
        active: true,
        change_status: None,
        mode,
        created_on: now,
        updated_on: now,
    };
    let after = store::upsert_program(c, &next, now)?;
    let action = match (&before, was_active) {
        (None, _) => "enroll",
        (Some(_), true) => "change_mode",
        (Some(_), false) => "reactivate",
    };
    audit(c, actor, action, before.as_ref(), &after, now)?;
    let outcome = if was_active {
        ProgramOutcome::Existing
    } else {
        ProgramOutcome::Created
    };
    Ok((after, outcome))
}

/// Deactivates a program enrollment; refused when the program was paid for.
/// Returns `None` when the learner had no enrollment (idempotent DELETE).
pub fn unenroll_program(
    c: &Connection,
    now: Time,
    user_id: i64,
    program_id: i64,
    status: ChangeStatus,
    actor: &Actor,
) -> Result<Option<ProgramEnrollment>, EnrollError> {
    catalog::program_live(c, program_id)?.ok_or(EnrollError::ProgramNotFound)?;
    let Some(before) = store::find_program(c, user_id, program_id)? else {
        return Ok(None);
    };
    if store::is_paid_program(c, user_id, program_id)? {
        return Err(EnrollError::PaidProgram);
    }
    if !before.active {
        return Ok(Some(before));
    }
    let mut next = before.clone();
    next.active = false;
    next.change_status = Some(status);
    let after = store::upsert_program(c, &next, now)?;
    audit(c, actor, status.as_str(), Some(&before), &after, now)?;
    Ok(Some(after))
}

// ---- async wrappers: one write transaction, then wake the outbox ----

/// Runs `f` in its own write transaction, then wakes the outbox for what it queued.
pub async fn in_own_transaction<T, E, F>(state: &AppState, f: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<rusqlite::Error> + Send + 'static,
    F: FnOnce(&Connection, Time) -> Result<T, E> + Send + 'static,
{
    let out = state.write_at(move |c, now| f(c, now)).await?;
    state.outbox.wake();
    Ok(out)
}

/// An enrollment edX made itself (the edX webhook): created or reactivated locally in `mode`
/// and recorded as confirmed by edX, with no push back. Returns the row and whether it was new
/// or reactivated.
pub fn record_from_edx(
    c: &Connection,
    now: Time,
    user_id: i64,
    run_id: i64,
    mode: Mode,
    actor: &Actor,
) -> Result<(Enrollment, bool), EnrollError> {
    let run = catalog::run_facts(c, run_id)?.ok_or(EnrollError::RunNotFound)?;
    let (e, created) = match store::find(c, user_id, run_id)? {
        Some(e) if e.active => (e, false),
        Some(before) => {
            let after = update_audited(c, now, actor, "reactivate", &before, |e| reactivate(e, mode))?;
            (after, true)
        }
        None => {
            let e = store::insert(c, user_id, run_id, mode, now)?;
            audit(c, actor, "enroll", None, &e, now)?;
            (e, true)
        }
    };
    edx_store::record_enrollment(c, user_id, &run.courseware_id, Some(e.mode.as_str()), true, now)?;
    Ok((e, created))
}
