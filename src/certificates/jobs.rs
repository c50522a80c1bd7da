//! The certificate jobs with the original's schedules: `generate-course-certificate` (hourly at
//! :00: pull grades from Open edX for runs in the certificate window, store them, issue or
//! delete course certificates), `upgrade-eligible-program-enrollments` (01:00) and
//! `generate-missing-program-certificates` (02:00). Each reports its counts in `job_runs`;
//! failures are isolated per learner (a savepoint each), writes batched per chunk of learners.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use super::model::{CertificateError, Counts, GradeOutcome, Kind};
use super::service::{self, GradeInput, Issuer, RunContext};
use super::store;
use crate::catalog::snapshot::Catalog;
use crate::db::DbError;
use crate::enrollment::facts;
use crate::enrollment::store::upsert_grade;
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

/// Learners whose grades one write transaction applies (the hourly job's chunk): small enough
/// that other writers wait little between chunks (see [`apply_grades`] for why savepoints
/// were the job's cost, and `db::writer` for the lone-closure transaction).
pub const LEARNERS_PER_WRITE: usize = 100;

/// One learner's pulled grades, `(run id, grade)` in run order.
pub type LearnerGrades = (i64, Vec<(i64, LearnerGrade)>);

/// The hourly job: pulls every run's grades (a run whose grades cannot be pulled is logged and
/// skipped), then applies them learner by learner, [`LEARNERS_PER_WRITE`] learners a write.
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
    let mut by_learner: BTreeMap<i64, Vec<(i64, LearnerGrade)>> = BTreeMap::new();
    for (key, run_id) in runs {
        match pull_course_grades(state, &edx, &key).await {
            Ok((grades, _unknown)) => {
                total.grades += grades.len();
                for g in grades {
                    by_learner.entry(g.user_id).or_default().push((run_id, g));
                }
            }
            Err(e) => tracing::warn!(course_run = %key, error = %e, "grade pull failed"),
        }
    }
    let mut learners = by_learner.into_iter().peekable();
    while learners.peek().is_some() {
        let chunk: Arc<Vec<LearnerGrades>> = Arc::new(learners.by_ref().take(LEARNERS_PER_WRITE).collect());
        // Fast path: the whole chunk at once; any learner's failure rolls the chunk back (the
        // writer's savepoint) and the chunk is applied again learner by learner.
        let (c1, k1) = (cat.clone(), chunk.clone());
        let n = match state
            .db
            .write(move |c| apply_grades(c, &c1, now, &k1, false))
            .await
        {
            Ok(n) => n,
            Err(e) => {
                tracing::info!(error = %e, "a learner failed in a certificate chunk; applying it learner by learner");
                let cat = cat.clone();
                state
                    .db
                    .write(move |c| apply_grades(c, &cat, now, &chunk, true))
                    .await?
            }
        };
        total.add(&n);
    }
    if total.created + total.program_created > 0 {
        state.outbox.wake();
    }
    Ok(total)
}

/// A run being graded: what issuing needs, and whether certificates may be issued now.
struct GradedRun {
    ctx: RunContext,
    issuing: bool,
}

/// Stores learners' pulled grades and brings their certificates in line, then walks each
/// program containing a newly certified course once per learner. A grade outside 0..1 is
/// counted as failed and skipped. With `isolate`, each learner runs in its own savepoint (a
/// failure is logged, counted and rolls back only that learner); without, the first failure
/// is returned and the caller's transaction rolls back the whole chunk. The hourly job tries
/// without first: per-learner savepoints nest inside the writer's own, and SQLite copies every
/// page a learner touches into its in-memory sub-journal and walks that journal on each
/// release, which made savepoints most of the job's time.
pub fn apply_grades(
    c: &Connection,
    cat: &Catalog,
    now: DateTime<Utc>,
    learners: &[LearnerGrades],
    isolate: bool,
) -> Result<Counts, CertificateError> {
    let mut n = Counts::default();
    let mut runs: HashMap<i64, Option<GradedRun>> = HashMap::new();
    let mut issuer = Issuer::new(cat, now);
    for (user_id, grades) in learners {
        for &(run_id, _) in grades {
            if let Entry::Vacant(e) = runs.entry(run_id) {
                e.insert(match cat.run_by_id.get(&run_id).map(|&i| &cat.runs[i]) {
                    Some(run) => Some(GradedRun {
                        ctx: RunContext::load(c, cat, run_id)?,
                        issuing: service::may_issue(run, now, false),
                    }),
                    None => None,
                });
            }
        }
        let (valid, invalid): (Vec<_>, Vec<_>) = grades
            .iter()
            .partition(|(_, g)| g.grade >= Decimal::ZERO && g.grade <= Decimal::ONE);
        for (_, g) in invalid {
            n.failed += 1;
            tracing::warn!(user.id = user_id, course_run = %g.courseware_id, grade = %g.grade, "edX grade outside 0..1");
        }
        if !isolate {
            n.add(&learner_grades(c, &mut issuer, &runs, *user_id, &valid)?);
            continue;
        }
        match service::isolated(c, |c| learner_grades(c, &mut issuer, &runs, *user_id, &valid)) {
            Ok(one) => n.add(&one),
            Err(e) => {
                n.failed += 1;
                tracing::warn!(user.id = user_id, error = %e, "certificate processing failed");
            }
        }
    }
    Ok(n)
}

/// One learner's grades (see [`apply_grades`]).
fn learner_grades(
    c: &Connection,
    issuer: &mut Issuer<'_>,
    runs: &HashMap<i64, Option<GradedRun>>,
    user_id: i64,
    grades: &[&(i64, LearnerGrade)],
) -> Result<Counts, CertificateError> {
    let mut n = Counts::default();
    let mut held: Option<(HashSet<i64>, HashSet<i64>)> = None;
    let mut certified = Vec::new();
    for (run_id, g) in grades {
        let changed = upsert_grade(
            c,
            user_id,
            *run_id,
            g.grade,
            g.letter_grade.as_deref(),
            g.passed,
            issuer.now,
        )?;
        n.grades_changed += usize::from(changed);
        let Some(run) = runs.get(run_id).and_then(Option::as_ref).filter(|r| r.issuing) else {
            continue;
        };
        // Grades staff set are kept by the upsert and decide instead of edX's.
        let kept = if changed {
            None
        } else {
            facts::grade_row(c, user_id, *run_id)?
        };
        let (grade, passed) = match kept {
            Some((grade, _, passed, true)) => (grade.parse().unwrap_or_default(), passed),
            _ => (g.grade, g.passed),
        };
        if held.is_none() {
            let runs_held = store::for_user(c, Kind::CourseRun, user_id)?
                .into_iter()
                .map(|x| x.object_id)
                .collect();
            held = Some((runs_held, facts::verified_run_ids(c, user_id)?));
        }
        let Some((holder_of, verified)) = &held else {
            continue;
        };
        // Nothing to do for a holder with a non-zero grade, or a non-holder who cannot get one.
        if holder_of.contains(run_id) != grade.is_zero() {
            continue;
        }
        let input = GradeInput {
            user_id,
            grade,
            passed,
            verified: verified.contains(run_id),
        };
        match issuer.course_certificate(c, &run.ctx, &input)? {
            GradeOutcome::Created => {
                n.created += 1;
                certified.push(run.ctx.course_id);
            }
            GradeOutcome::Deleted => n.deleted += 1,
            GradeOutcome::Unchanged => {}
        }
    }
    n.program_created += issuer.programs_after_courses(c, user_id, &certified)?;
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
        let cat = cat.clone();
        let (n, next) = state
            .write_at(move |c, now| -> Result<_, CertificateError> {
                let batch = facts::program_enrollments_in_mode(c, "verified", last, BATCH)?;
                let mut n = ProgramCounts::default();
                let mut issuer = Issuer::new(&cat, now);
                for &(_, user, program) in &batch {
                    if !cat.program(program).is_some_and(|p| p.live) || store::has_program_certificate(c, user, program)? {
                        continue;
                    }
                    n.processed += 1;
                    match service::isolated(c, |c| issuer.program_certificate(c, user, program, false)) {
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
        let cat = cat.clone();
        let (s, u, next) = state
            .write_at(move |c, now| -> Result<_, CertificateError> {
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
