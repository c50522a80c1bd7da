//! What a paid order line grants, and what a refund takes back (surface §3.6), through the
//! enrollment service — in the caller's transaction, so an order is never fulfilled without
//! its enrollment (or the other way round).
//!
//! Run line: verified enrollment (created, reactivated or upgraded; the edX push is queued by
//! the enrollment service) and a paid-run record. Program line: verified program enrollment,
//! a paid-program record, and each active audit enrollment in the program's live runs upgraded.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use crate::commerce::error::CommerceError;
use crate::commerce::orders::model::LineRow;
use crate::commerce::refunds::model::AfterRefund;
use crate::db::DbError;
use crate::enrollment::model::{Actor, ChangeStatus, EnrollError, Mode};
use crate::enrollment::service as enrollment;

impl From<EnrollError> for CommerceError {
    fn from(e: EnrollError) -> Self {
        match e {
            EnrollError::Db(d) => CommerceError::Db(d),
            other => CommerceError::Db(DbError::Panicked(format!("enrollment refused: {other}"))),
        }
    }
}

fn actor(order_id: i64) -> Actor {
    Actor::system(&format!("order {order_id}"))
}

/// Grants what the line bought.
pub fn grant(
    c: &Connection,
    user: i64,
    order_id: i64,
    line: &LineRow,
    now: DateTime<Utc>,
) -> Result<(), CommerceError> {
    if let Some(run) = line.course_run_id {
        enrollment::change_mode(c, now, user, run, Mode::Verified, &actor(order_id))?;
        enrollment::record_paid_run(c, now, user, run, order_id)?;
    }
    if let Some(program) = line.program_id {
        enrollment::enroll_program(c, now, user, program, Mode::Verified, &actor(order_id))?;
        enrollment::record_paid_program(c, now, user, program, order_id)?;
        let runs: Vec<i64> = c
            .prepare_cached(
                "SELECT e.run_id FROM course_run_enrollments e
                 JOIN course_runs r ON r.id = e.run_id
                 JOIN program_requirements q ON q.course_id = r.course_id AND q.program_id = ?2
                 JOIN course_run_modes m ON m.course_run_id = r.id
                 JOIN enrollment_modes em ON em.id = m.mode_id AND em.mode_slug = 'verified'
                 WHERE e.user_id = ?1 AND e.active = 1 AND e.enrollment_mode = 'audit' AND r.live = 1
                   AND (r.upgrade_deadline IS NULL OR r.upgrade_deadline > ?3)",
            )?
            .query_map(rusqlite::params![user, program, crate::clock::to_db(now)], |r| {
                r.get(0)
            })?
            .collect::<rusqlite::Result<_>>()?;
        for run in runs {
            enrollment::change_mode(c, now, user, run, Mode::Verified, &actor(order_id))?;
        }
    }
    Ok(())
}

/// Takes back what the line bought after a refund: the paid record goes; the enrollment is
/// downgraded to audit or deactivated with status `refunded`.
pub fn revoke(
    c: &Connection,
    user: i64,
    order_id: i64,
    line: &LineRow,
    after: AfterRefund,
    now: DateTime<Utc>,
) -> Result<(), CommerceError> {
    if let Some(run) = line.course_run_id {
        enrollment::remove_paid_run(c, user, run, order_id)?;
        let r = match after {
            AfterRefund::Downgrade => {
                enrollment::change_mode(c, now, user, run, Mode::Audit, &actor(order_id)).map(|_| ())
            }
            AfterRefund::Unenroll => {
                enrollment::unenroll(c, now, user, run, ChangeStatus::Refunded, &actor(order_id)).map(|_| ())
            }
        };
        match r {
            Ok(()) | Err(EnrollError::EnrollmentNotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if let Some(program) = line.program_id {
        enrollment::remove_paid_program(c, user, program, order_id)?;
    }
    Ok(())
}
