//! The certificate jobs with the original's schedules: `generate-course-certificate` (hourly at
//! :00: pull grades from Open edX for runs in the certificate window, store them, issue or
//! delete course certificates), `upgrade-eligible-program-enrollments` (01:00) and
//! `generate-missing-program-certificates` (02:00). Each reports its counts in `job_runs`;
//! failures are isolated per learner.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use super::model::{CertificateError, Counts, GradeOutcome};
use super::service::{self, GradeInput, RunContext};
use super::store;
use crate::catalog::snapshot::Catalog;
use crate::db::DbError;
use crate::enrollment::facts;
use crate::integrations::openedx::OpenEdx;
use crate::integrations::openedx::jobs::{LearnerGrade, pull_course_grades};
use crate::jobs::JobDef;
use crate::state::AppState;

/// `CERTIFICATE_CREATION_WINDOW_IN_DAYS`: grades are pulled for runs whose certificate date is
/// unset or at most this old.
pub const CERTIFICATE_CREATION_WINDOW_IN_DAYS: i64 = 31;
/// Program enrollments looked at per transaction by the nightly jobs.
pub const BATCH: i64 = 500;

pub fn job_defs() -> Vec<JobDef> {
    vec![
        JobDef::new(
            "generate-course-certificate",
            "0 0 * * * *",
            "Pulls grades from Open edX for live runs in the certificate window, stores them and issues or deletes course certificates.",
            |state: AppState| async move {
                let n = generate_course_certificates(&state).await?;
                Ok(format!(
                    "pulled grades for {} runs: {} grades, {} changed; course certificates: {} created, {} deleted; {} program certificates created; {} failed",
                    n.runs, n.grades, n.grades_changed, n.created, n.deleted, n.program_created, n.failed
                ))
            },
        ),
        JobDef::new(
            "upgrade-eligible-program-enrollments",
            "0 0 1 * * *",
            "Upgrades audit program enrollments to verified when every required course and enough electives have verified enrollments.",
            |state: AppState| async move {
                let (seen, upgraded) = upgrade_eligible_program_enrollments(&state).await?;
                Ok(format!(
                    "looked at {seen} audit program enrollments, upgraded {upgraded}"
                ))
            },
        ),
        JobDef::new(
            "generate-missing-program-certificates",
            "0 0 2 * * *",
            "Creates program certificates for verified enrollments in live programs that earned one and have none.",
            |state: AppState| async move {
                let n = generate_missing_program_certificates(&state).await?;
                Ok(format!(
                    "processed {} program enrollments: {} created, {} ineligible, {} failed",
                    n.processed, n.created, n.ineligible, n.failed
                ))
            },
        ),
    ]
}

/// The catalog as it is now, for a job's whole run.
pub async fn snapshot(state: &AppState) -> Result<Arc<Catalog>, DbError> {
    Ok(Arc::new(
        state.db.read(|c| Catalog::load(c).map_err(DbError::from)).await?,
    ))
}

/// The hourly job. A run whose grades cannot be pulled is logged and skipped.
pub async fn generate_course_certificates(state: &AppState) -> Result<Counts, CertificateError> {
    let now = state.clock.now();
    let since = now - Duration::days(CERTIFICATE_CREATION_WINDOW_IN_DAYS);
    let keys = state
        .db
        .read(move |c| crate::catalog::service::gradable_run_keys(c, since).map_err(DbError::from))
        .await?;
    let cat = snapshot(state).await?;
    let by_key: HashMap<&str, i64> = cat
        .runs
        .iter()
        .map(|r| (r.courseware_id.as_str(), r.id))
        .collect();
    let runs: Vec<(String, i64)> = keys
        .into_iter()
        .filter_map(|k| by_key.get(k.as_str()).map(|&id| (k, id)))
        .collect();
    drop(by_key);
    let edx = OpenEdx::from_state(state);
    let mut total = Counts {
        runs: runs.len(),
        ..Counts::default()
    };
    for (key, run_id) in runs {
        let grades = match pull_course_grades(state, &edx, &key).await {
            Ok((g, _unknown)) => g,
            Err(e) => {
                tracing::warn!(course_run = %key, error = %e, "grade pull failed");
                continue;
            }
        };
        total.grades += grades.len();
        let cat = cat.clone();
        let n = state
            .db
            .write(move |c| apply_run_grades(c, &cat, now, run_id, &grades))
            .await?;
        total.grades_changed += n.grades_changed;
        total.created += n.created;
        total.deleted += n.deleted;
        total.program_created += n.program_created;
        total.failed += n.failed;
    }
    if total.created + total.program_created > 0 {
        state.outbox.wake();
    }
    Ok(total)
}

/// Stores one run's pulled grades and brings each learner's certificate in line, each learner
/// in its own savepoint (one bad record is logged, counted and skipped).
pub fn apply_run_grades(
    c: &Connection,
    cat: &Catalog,
    now: DateTime<Utc>,
    run_id: i64,
    grades: &[LearnerGrade],
) -> Result<Counts, CertificateError> {
    let mut n = Counts::default();
    let Some(run) = cat.run_by_id.get(&run_id).map(|&i| &cat.runs[i]) else {
        return Ok(n);
    };
    let issuing = service::may_issue(run, now, false);
    let ctx = RunContext::load(c, cat, run_id)?;
    let verified = facts::verified_user_ids(c, run_id)?;
    let by_admin = facts::admin_grades(c, run_id)?;
    let holders = store::run_certificate_holders(c, run_id)?;
    for g in grades {
        let one = service::isolated(c, |c| {
            if g.grade < Decimal::ZERO || g.grade > Decimal::ONE {
                return Err(CertificateError::Invalid {
                    field: "grade",
                    message: format!("edX grade {} outside 0..1", g.grade),
                });
            }
            let changed = crate::enrollment::store::upsert_grade(
                c,
                g.user_id,
                run_id,
                g.grade,
                g.letter_grade.as_deref(),
                g.passed,
                now,
            )?;
            let (grade, passed) = by_admin.get(&g.user_id).copied().unwrap_or((g.grade, g.passed));
            let holder = holders.contains(&g.user_id);
            // Nothing to do for a holder with a non-zero grade, or a non-holder who cannot get one.
            let outcome = if !issuing || (holder && !grade.is_zero()) || (!holder && grade.is_zero()) {
                (GradeOutcome::Unchanged, 0)
            } else {
                let input = GradeInput {
                    user_id: g.user_id,
                    grade,
                    passed,
                    verified: verified.contains(&g.user_id),
                };
                service::process_grade(c, cat, now, &ctx, &input)?
            };
            Ok((changed, outcome))
        });
        match one {
            Ok((changed, (outcome, programs))) => {
                n.grades_changed += usize::from(changed);
                n.created += usize::from(outcome == GradeOutcome::Created);
                n.deleted += usize::from(outcome == GradeOutcome::Deleted);
                n.program_created += programs;
            }
            Err(e) => {
                n.failed += 1;
                tracing::warn!(user.id = g.user_id, course_run = %g.courseware_id, error = %e, "certificate processing failed");
            }
        }
    }
    Ok(n)
}

/// What the nightly program-certificate reconciliation did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProgramCounts {
    pub processed: usize,
    pub created: usize,
    pub ineligible: usize,
    pub failed: usize,
}

/// Verified enrollments in live programs without any certificate (even revoked), in id-ordered
/// batches of [`BATCH`].
pub async fn generate_missing_program_certificates(
    state: &AppState,
) -> Result<ProgramCounts, CertificateError> {
    let cat = snapshot(state).await?;
    let mut total = ProgramCounts::default();
    let mut last = 0;
    loop {
        let now = state.clock.now();
        let cat = cat.clone();
        let (n, next) = state
            .db
            .write(move |c| -> Result<_, CertificateError> {
                let batch = facts::program_enrollments_in_mode(c, "verified", last, BATCH)?;
                let mut n = ProgramCounts::default();
                for &(_, user, program) in &batch {
                    if !cat.program(program).is_some_and(|p| p.live) || store::has_program_certificate(c, user, program)? {
                        continue;
                    }
                    n.processed += 1;
                    match service::isolated(c, |c| service::generate_program_certificate(c, &cat, now, user, program, false)) {
                        Ok((_, 0)) => n.ineligible += 1,
                        Ok((_, k)) => n.created += k,
                        Err(e) => {
                            n.failed += 1;
                            tracing::warn!(user.id = user, program.id = program, error = %e, "program certificate failed");
                        }
                    }
                }
                Ok((n, batch.last().map(|b| b.0)))
            })
            .await?;
        total.processed += n.processed;
        total.created += n.created;
        total.ineligible += n.ineligible;
        total.failed += n.failed;
        match next {
            Some(id) => last = id,
            None => break,
        }
    }
    if total.created > 0 {
        state.outbox.wake();
    }
    Ok(total)
}

/// Audit program enrollments without a certificate become verified when every required course
/// and at least the elective minimum have active verified enrollments. Returns (seen, upgraded).
pub async fn upgrade_eligible_program_enrollments(
    state: &AppState,
) -> Result<(usize, usize), CertificateError> {
    let cat = snapshot(state).await?;
    let (mut seen, mut upgraded, mut last) = (0, 0, 0);
    loop {
        let now = state.clock.now();
        let cat = cat.clone();
        let (s, u, next) = state
            .db
            .write(move |c| -> Result<_, CertificateError> {
                let batch = facts::program_enrollments_in_mode(c, "audit", last, BATCH)?;
                let (mut s, mut u) = (0, 0);
                for &(id, user, program) in &batch {
                    if store::has_program_certificate(c, user, program)? {
                        continue;
                    }
                    s += 1;
                    if super::manage::upgrade_if_eligible(c, &cat, now, id, user, program)? {
                        u += 1;
                    }
                }
                Ok((s, u, batch.last().map(|b| b.0)))
            })
            .await?;
        seen += s;
        upgraded += u;
        match next {
            Some(id) => last = id,
            None => break,
        }
    }
    Ok((seen, upgraded))
}
