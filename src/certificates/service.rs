//! Issuing certificates, inside the caller's write transaction: a course-run certificate from a
//! learner's grade (the original's `process_course_run_grade_certificate`), program
//! certificates by the requirement tree ([`super::tree`]) when a course certificate is created
//! and by the nightly reconciliation. Exactly one certificate per learner and run/program: the
//! UNIQUE constraints with `ON CONFLICT DO NOTHING`, written by the single writer.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use super::credentials;
use super::model::{Certificate, CertificateError, GradeOutcome, Kind};
use super::store;
use super::tree::{self, Earned, RunRecord};
use crate::catalog::model::CourseRun;
use crate::catalog::snapshot::Catalog;
use crate::cms::store as cms;
use crate::enrollment::facts;

/// Whether certificates may be issued for the run now: self-paced, its certificate date has
/// passed, or forced (the Open edX certificate webhook, a staff override).
pub fn may_issue(run: &CourseRun, now: DateTime<Utc>, forced: bool) -> bool {
    forced || run.is_self_paced || run.certificate_available_date.is_some_and(|d| d <= now)
}

/// One learner's grade as issuing sees it.
#[derive(Debug, Clone, Copy)]
pub struct GradeInput {
    pub user_id: i64,
    pub grade: Decimal,
    pub passed: bool,
    /// The learner has an active verified enrollment in the run.
    pub verified: bool,
}

/// What issuing for one run needs once per run (the hourly job computes it once per run).
#[derive(Debug, Clone, Copy)]
pub struct RunContext {
    pub run_id: i64,
    pub course_id: i64,
    /// The certificate page revision a new certificate pins.
    pub revision_id: Option<i64>,
}

impl RunContext {
    pub fn load(c: &Connection, cat: &Catalog, run_id: i64) -> Result<RunContext, CertificateError> {
        let run = run_of(cat, run_id)?;
        Ok(RunContext {
            run_id,
            course_id: run.course_id,
            revision_id: cms::certificate_revision(c, Some(run.course_id), None)?,
        })
    }
}

fn run_of(cat: &Catalog, run_id: i64) -> Result<&CourseRun, CertificateError> {
    cat.run_by_id
        .get(&run_id)
        .map(|&i| &cat.runs[i])
        .ok_or(CertificateError::NotFound)
}

/// Issues certificates in one write transaction, remembering what it looks up again and again
/// (each program's certificate page revision, whether a page revision provisions a verifiable
/// credential). One per transaction: the hourly job makes one per chunk of learners.
pub struct Issuer<'a> {
    pub cat: &'a Catalog,
    pub now: DateTime<Utc>,
    program_revisions: HashMap<i64, Option<i64>>,
    credentials: credentials::Provisioning,
}

impl<'a> Issuer<'a> {
    pub fn new(cat: &'a Catalog, now: DateTime<Utc>) -> Issuer<'a> {
        Issuer {
            cat,
            now,
            program_revisions: HashMap::new(),
            credentials: credentials::Provisioning::default(),
        }
    }

    /// Brings the learner's certificate for the run in line with their grade, without looking
    /// at programs: a zero grade deletes an unrevoked certificate; a pass with a verified
    /// enrollment creates one (pinning the certificate page revision and asking for a
    /// verifiable credential). A revoked certificate is never re-created. The caller has
    /// checked [`may_issue`].
    pub fn course_certificate(
        &mut self,
        c: &Connection,
        run: &RunContext,
        g: &GradeInput,
    ) -> Result<GradeOutcome, CertificateError> {
        if g.grade.is_zero() {
            let deleted = store::delete_unrevoked_run_certificate(c, g.user_id, run.run_id)?;
            return Ok(if deleted {
                GradeOutcome::Deleted
            } else {
                GradeOutcome::Unchanged
            });
        }
        if !(g.passed && g.verified) {
            return Ok(GradeOutcome::Unchanged);
        }
        let Some(cert) = store::insert_new(
            c,
            Kind::CourseRun,
            g.user_id,
            run.run_id,
            run.revision_id,
            self.now,
        )?
        else {
            return Ok(GradeOutcome::Unchanged);
        };
        self.credentials.request(c, self.now, &cert)?;
        Ok(GradeOutcome::Created)
    }

    /// After new course certificates of a learner: each live program containing one of the
    /// courses, walked once. Returns how many program certificates were created.
    pub fn programs_after_courses(
        &mut self,
        c: &Connection,
        user_id: i64,
        courses: &[i64],
    ) -> Result<usize, CertificateError> {
        let cat = self.cat;
        let mut seen = Vec::new();
        let mut created = 0;
        for course in courses {
            for &program in cat.programs_of_course.get(course).into_iter().flatten() {
                if !seen.contains(&program) && cat.program(program).is_some_and(|p| p.live) {
                    seen.push(program);
                    created += self.program_certificate(c, user_id, program, false)?.1;
                }
            }
        }
        Ok(created)
    }

    /// The original's `generate_program_certificate`: needs a verified program enrollment
    /// (unless forced); an existing certificate, even revoked, is returned and never
    /// duplicated; otherwise created when the tree is earned (or forced). A new certificate
    /// then checks the live programs requiring this one. Returns the certificate and how many
    /// were created (this and parents).
    pub fn program_certificate(
        &mut self,
        c: &Connection,
        user_id: i64,
        program_id: i64,
        force: bool,
    ) -> Result<(Option<Certificate>, usize), CertificateError> {
        let cat = self.cat;
        if !force && !facts::is_verified_in_program(c, user_id, program_id)? {
            return Ok((None, 0));
        }
        if let Some(existing) = store::find(c, Kind::Program, user_id, program_id)? {
            return Ok((Some(existing), 0));
        }
        if !force && !tree::has_earned(cat, program_id, &earned(c, cat, user_id)?) {
            return Ok((None, 0));
        }
        let revision = match self.program_revisions.get(&program_id) {
            Some(&r) => r,
            None => {
                let r = cms::certificate_revision(c, None, Some(program_id))?;
                self.program_revisions.insert(program_id, r);
                r
            }
        };
        let Some(cert) = store::insert_new(c, Kind::Program, user_id, program_id, revision, self.now)? else {
            let cert = store::find(c, Kind::Program, user_id, program_id)?;
            return Ok((Some(cert.ok_or(CertificateError::NotFound)?), 0));
        };
        self.credentials.request(c, self.now, &cert)?;
        let mut n = 1;
        for &parent in cat.parents_of_program.get(&program_id).into_iter().flatten() {
            if cat.program(parent).is_some_and(|p| p.live) {
                n += self.program_certificate(c, user_id, parent, false)?.1;
            }
        }
        Ok((Some(cert), n))
    }
}

/// [`Issuer::course_certificate`], then the programs containing the course when a certificate
/// was created. Returns the outcome and how many program certificates were created.
pub fn process_grade(
    c: &Connection,
    cat: &Catalog,
    now: DateTime<Utc>,
    run: &RunContext,
    g: &GradeInput,
) -> Result<(GradeOutcome, usize), CertificateError> {
    let mut issuer = Issuer::new(cat, now);
    let outcome = issuer.course_certificate(c, run, g)?;
    let programs = if outcome == GradeOutcome::Created {
        issuer.programs_after_courses(c, g.user_id, &[run.course_id])?
    } else {
        0
    };
    Ok((outcome, programs))
}

/// [`process_grade`] for one learner from their stored grade (webhook, staff override).
pub fn process_stored_grade(
    c: &Connection,
    cat: &Catalog,
    now: DateTime<Utc>,
    user_id: i64,
    run_id: i64,
    forced: bool,
) -> Result<GradeOutcome, CertificateError> {
    let run = run_of(cat, run_id)?;
    if !may_issue(run, now, forced) {
        return Ok(GradeOutcome::Unchanged);
    }
    let (grade, passed) = match facts::grade_row(c, user_id, run_id)? {
        Some((g, _, passed, _)) => (g.parse().unwrap_or_default(), passed),
        None => (Decimal::ZERO, false),
    };
    let ctx = RunContext::load(c, cat, run_id)?;
    let verified = facts::is_verified_in_run(c, user_id, run_id)?;
    let input = GradeInput {
        user_id,
        grade,
        passed,
        verified,
    };
    Ok(process_grade(c, cat, now, &ctx, &input)?.0)
}

/// What the learner has earned, for the tree walk (three statements).
pub fn earned(c: &Connection, cat: &Catalog, user_id: i64) -> Result<Earned, CertificateError> {
    let certified: std::collections::HashSet<i64> = store::for_user(c, Kind::CourseRun, user_id)?
        .into_iter()
        .filter(|x| !x.is_revoked)
        .map(|x| x.object_id)
        .collect();
    let records: Vec<RunRecord> = facts::learner_runs(c, user_id)?
        .into_iter()
        .filter_map(|r| {
            let run = run_of(cat, r.run_id).ok()?;
            Some(RunRecord {
                course_id: run.course_id,
                active_unchanged: r.active_unchanged,
                nonvariant: run.variant_length.is_empty() && run.variant_industry.is_empty(),
                has_verified_mode: cat.has_verified(run),
                certified: certified.contains(&r.run_id),
                passed: r.passed,
            })
        })
        .collect();
    Ok(Earned {
        courses: tree::passed_courses(&records),
        program_certificates: store::for_user(c, Kind::Program, user_id)?
            .into_iter()
            .filter(|x| !x.is_revoked)
            .map(|x| x.object_id)
            .collect(),
    })
}

/// [`Issuer::program_certificate`] on its own (the demo, single triggers).
pub fn generate_program_certificate(
    c: &Connection,
    cat: &Catalog,
    now: DateTime<Utc>,
    user_id: i64,
    program_id: i64,
    force: bool,
) -> Result<(Option<Certificate>, usize), CertificateError> {
    Issuer::new(cat, now).program_certificate(c, user_id, program_id, force)
}

/// Runs `f` inside a savepoint: on error the learner's changes roll back and the error is
/// returned, so a batch can log it and go on with the next learner.
pub fn isolated<T>(
    c: &Connection,
    f: impl FnOnce(&Connection) -> Result<T, CertificateError>,
) -> Result<T, CertificateError> {
    c.execute_batch("SAVEPOINT certificate_learner")?;
    match f(c) {
        Ok(v) => {
            c.execute_batch("RELEASE certificate_learner")?;
            Ok(v)
        }
        Err(e) => {
            c.execute_batch("ROLLBACK TO certificate_learner; RELEASE certificate_learner")?;
            Err(e)
        }
    }
}
