//! The verified-program course enrollment (surface §3.8; the original's
//! `add_verified_program_course_enrollment`). A learner enrolling in a run of a course that
//! belongs to a program they hold a verified enrollment in gets a verified run enrollment at no
//! charge, through a zero-value order ([`crate::commerce::program_discount`]); an audit program
//! enrollment, a course outside the program or a run that cannot be upgraded gives a plain
//! audit enrollment. With two programs (parent and child) the parent's verified enrollment
//! cascades to the child first.
//!
//! Everything happens in one write transaction: any refusal rolls back every change (program
//! enrollments, discount, basket, order), and the one writer thread serialises double
//! submissions, so the second finds the enrollment and does nothing.

use crate::commerce::checkout;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::model::{Actor, Checks, EnrollError, Enrollment, Mode, ProgramEnrollment};
use super::service;
use super::store;
use crate::catalog::service::{self as catalog, RunFacts};
use crate::commerce::checkout::program_discount::FreeRunError;
use crate::db::DbError;

/// The most program ids a request may name (the original's `VPE_MAX_PROGRAMS`).
pub const MAX_PROGRAMS: usize = 2;

/// What the request did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// A run enrollment was created, reactivated or upgraded (201).
    Enrolled(Enrollment),
    /// The learner already had the enrollment they are entitled to (204).
    NothingToDo,
}

/// Why nothing was done; every variant but the internal ones is the learner's 4xx.
#[derive(Debug, thiserror::Error)]
pub enum VerifiedError {
    /// 404: unknown programs, or no enrollment in any of them.
    #[error("{0}")]
    NotFound(String),
    /// 400 naming the problem.
    #[error("{0}")]
    BadRequest(String),
    /// 400 on one field (the run).
    #[error("{message}")]
    Run { message: String },
    #[error(transparent)]
    Enroll(EnrollError),
    #[error(transparent)]
    Order(FreeRunError),
}

impl From<EnrollError> for VerifiedError {
    fn from(e: EnrollError) -> Self {
        match e {
            EnrollError::BlockedCountry | EnrollError::NotEnrollable | EnrollError::B2bRun => {
                VerifiedError::Run {
                    message: e.to_string(),
                }
            }
            other => VerifiedError::Enroll(other),
        }
    }
}

impl From<FreeRunError> for VerifiedError {
    fn from(e: FreeRunError) -> Self {
        match e {
            FreeRunError::NoProgramProduct => VerifiedError::BadRequest(e.to_string()),
            FreeRunError::Refused(code) => VerifiedError::Run {
                message: refusal(code).to_owned(),
            },
            other => VerifiedError::Order(other),
        }
    }
}

crate::db::error_from!(rusqlite::Error, DbError => VerifiedError::Enroll);

fn refusal(code: &str) -> &'static str {
    match code {
        "enroll-blocked" => "Enrollment in this course is not available in your country.",
        "enroll-duplicated" => "You have already paid for this course run.",
        "course-non-upgradable" => "This course run can no longer be upgraded.",
        _ => "This course run cannot be granted through the program.",
    }
}

/// A program named in the request.
#[derive(Debug, Clone)]
struct Program {
    id: i64,
    readable_id: String,
}

fn programs_by_readable(c: &Connection, ids: &[String]) -> rusqlite::Result<Vec<Program>> {
    let mut out: Vec<Program> = Vec::new();
    for readable in ids {
        let found =
            catalog::program_by_readable(c, readable)?.map(|(id, readable_id)| Program { id, readable_id });
        if let Some(p) = found
            && !out.iter().any(|o| o.id == p.id)
        {
            out.push(p);
        }
    }
    out.sort_by_key(|p| p.id);
    Ok(out)
}

/// The run with this courseware id; source runs are hidden, as by the original's default
/// manager.
fn run_by_key(c: &Connection, run_key: &str) -> Result<RunFacts, VerifiedError> {
    let not_found = || VerifiedError::NotFound(format!("No course run with the id `{run_key}`."));
    let id = catalog::visible_run_id_by_courseware(c, run_key)?.ok_or_else(not_found)?;
    catalog::run_facts(c, id)?.ok_or_else(not_found)
}

/// What the learner asked for, checked: `run_key` is the run's courseware id, `program_ids`
/// one or two program readable ids (validated by the handler).
pub struct Request<'a> {
    pub user: i64,
    pub run_key: &'a str,
    pub program_ids: &'a [String],
    pub environment: &'a str,
    /// The catalog snapshot whose `is_upgradable` rule decides verified or audit.
    pub catalog: &'a crate::catalog::snapshot::Catalog,
}

/// The whole flow, in the caller's write transaction.
pub fn enroll(c: &Connection, now: DateTime<Utc>, req: &Request<'_>) -> Result<Outcome, VerifiedError> {
    let user = req.user;
    let programs = programs_by_readable(c, req.program_ids)?;
    let mut enrollments: Vec<ProgramEnrollment> = Vec::new();
    for p in &programs {
        if let Some(e) = store::find_program(c, user, p.id)?.filter(|e| e.active) {
            enrollments.push(e);
        }
    }
    if programs.is_empty() || enrollments.is_empty() || programs.len() != req.program_ids.len() {
        return Err(VerifiedError::NotFound(
            "No enrollment of yours in the programs named.".into(),
        ));
    }
    if programs.len() == 1 {
        return from_program(c, now, req, &enrollments[0]);
    }
    let (a, b) = (&programs[0], &programs[1]);
    let a_in_b = catalog::sub_programs(c, b.id)?.contains(&a.id);
    let b_in_a = catalog::sub_programs(c, a.id)?.contains(&b.id);
    if a_in_b == b_in_a {
        return Err(VerifiedError::BadRequest(format!(
            "The programs `{}` and `{}` are not parent and child.",
            a.readable_id, b.readable_id
        )));
    }
    let root = if b_in_a { a } else { b };
    let verified: Vec<&ProgramEnrollment> = enrollments.iter().filter(|e| e.mode == Mode::Verified).collect();
    let actor = Actor::user(user);
    match verified.as_slice() {
        [] => {
            for p in &programs {
                service::enroll_program(c, now, user, p.id, Mode::Audit, &actor)?;
            }
        }
        [one] if one.program_id == root.id => {
            for p in &programs {
                service::enroll_program(c, now, user, p.id, Mode::Verified, &actor)?;
            }
        }
        [_] => {
            return Err(VerifiedError::BadRequest(format!(
                "You have no verified enrollment in `{}`, the parent program.",
                root.readable_id
            )));
        }
        _ => {}
    }
    let run = run_by_key(c, req.run_key)?;
    let course_program = if catalog::program_has_course(c, a.id, run.course_id)? {
        a
    } else {
        b
    };
    let pe = store::find_program(c, user, course_program.id)?
        .filter(|e| e.active)
        .ok_or(EnrollError::EnrollmentNotFound)?;
    from_program(c, now, req, &pe)
}

/// The run enrollment the program enrollment entitles the learner to.
fn from_program(
    c: &Connection,
    now: DateTime<Utc>,
    req: &Request<'_>,
    pe: &ProgramEnrollment,
) -> Result<Outcome, VerifiedError> {
    let user = req.user;
    let run = run_by_key(c, req.run_key)?;
    let existing = store::find(c, user, run.id)?.filter(|e| e.active);
    if existing.is_none() && !run.is_enrollable(now) {
        return Err(EnrollError::NotEnrollable.into());
    }
    let audit = pe.mode == Mode::Audit
        || !catalog::program_has_course(c, pe.program_id, run.course_id)?
        || !crate::commerce::checkout::service::upgradable(req.catalog, run.id, now);
    let mode = if audit { Mode::Audit } else { Mode::Verified };
    if existing
        .as_ref()
        .is_some_and(|e| e.mode == mode || e.mode == Mode::Verified)
    {
        return Ok(Outcome::NothingToDo);
    }
    if audit {
        let checks = Checks {
            blocked_countries: true,
            ..Checks::NONE
        };
        let e = service::enroll(c, now, user, run.id, Mode::Audit, checks, &Actor::user(user))?;
        return Ok(Outcome::Enrolled(e));
    }
    checkout::program_discount::free_run_order(
        c,
        req.catalog,
        user,
        run.id,
        pe.program_id,
        req.environment,
        now,
    )?;
    let e = store::find(c, user, run.id)?
        .filter(|e| e.active && e.mode == Mode::Verified)
        .ok_or(EnrollError::EnrollmentNotFound)?;
    Ok(Outcome::Enrolled(e))
}
