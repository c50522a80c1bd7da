//! Staff use cases, each audited: revoke and un-revoke a certificate (with a reason), override
//! a learner's grade (which then brings the certificate in line), the Open edX certificate
//! webhook's forced issue, and the program-enrollment upgrade rule of the nightly job.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::json;

use super::jobs::snapshot;
use super::model::{Certificate, CertificateError, GradeOutcome, GradeOverride, Kind};
use super::service;
use super::store;
use crate::audit;
use crate::catalog::snapshot::Catalog;
use crate::enrollment::facts;
use crate::state::AppState;

/// Who acts (the audit trail's actor).
#[derive(Debug, Clone)]
pub struct Staff {
    pub user_id: Option<i64>,
    pub label: String,
}

fn reason(r: &str) -> Result<String, CertificateError> {
    let r = r.trim();
    if r.is_empty() || r.chars().count() > 500 {
        return Err(CertificateError::Invalid {
            field: "reason",
            message: "Give a reason (up to 500 characters).".into(),
        });
    }
    Ok(r.to_owned())
}

/// Revokes (`revoked = true`) or un-revokes a certificate by uuid. A revoked certificate
/// vanishes from the APIs and its page answers 404; it is never re-created.
pub async fn set_revoked(
    state: &AppState,
    kind: Kind,
    uuid: String,
    revoked: bool,
    why: &str,
    by: Staff,
) -> Result<Certificate, CertificateError> {
    let why = reason(why)?;
    state
        .write_at(move |c, now| -> Result<Certificate, CertificateError> {
            let before = store::by_uuid(c, kind, &uuid)?.ok_or(CertificateError::NotFound)?;
            store::set_revoked(c, kind, before.id, revoked, now)?;
            let after = store::get(c, kind, before.id)?.ok_or(CertificateError::NotFound)?;
            let mut data = after.audit_json();
            data["reason"] = json!(why);
            audit::record(
                c,
                by.user_id,
                &by.label,
                if revoked {
                    "certificate.revoke"
                } else {
                    "certificate.unrevoke"
                },
                kind.as_str(),
                &uuid,
                Some(&before.audit_json()),
                Some(&data),
                now,
            )?;
            Ok(after)
        })
        .await
}

/// Sets a learner's grade for a run by hand (`set_by_admin`, kept by later pulls), audited,
/// then issues or deletes the course certificate as the new grade says (a staff override
/// issues whatever the run's certificate date).
pub async fn override_grade(
    state: &AppState,
    user_id: i64,
    run_id: i64,
    o: GradeOverride,
    why: &str,
    by: Staff,
) -> Result<GradeOutcome, CertificateError> {
    let why = reason(why)?;
    let cat = snapshot(state).await?;
    if !cat.run_by_id.contains_key(&run_id) {
        return Err(CertificateError::Invalid {
            field: "run_id",
            message: "No such course run.".into(),
        });
    }
    let outcome = state
        .write_queued(move |c, now| -> Result<GradeOutcome, CertificateError> {
            if crate::enrollment::store::find(c, user_id, run_id)?.is_none() {
                return Err(CertificateError::Invalid {
                    field: "run_id",
                    message: "The learner is not enrolled in this run.".into(),
                });
            }
            let before = facts::grade_row(c, user_id, run_id)?;
            facts::override_grade(c, user_id, run_id, o.grade, o.letter_grade.as_deref(), o.passed(), now)?;
            audit::record(
                c,
                by.user_id,
                &by.label,
                "grade.override",
                "course_run_grade",
                &format!("{user_id}:{run_id}"),
                before.map(|(g, l, p, a)| json!({ "grade": g, "letter_grade": l, "passed": p, "set_by_admin": a })).as_ref(),
                Some(&json!({ "grade": o.grade.to_string(), "letter_grade": o.letter_grade, "passed": o.passed(),
                              "set_by_admin": true, "reason": why })),
                now,
            )?;
            service::process_stored_grade(c, &cat, now, user_id, run_id, true)
        })
        .await?;
    Ok(outcome)
}

/// The Open edX certificate webhook, after the learner's grade was pulled and stored: issues
/// the certificate whatever the run's certificate date. Returns the learner's certificate for
/// the run, if any.
pub async fn issue_forced(
    state: &AppState,
    user_id: i64,
    run_id: i64,
) -> Result<Option<Certificate>, CertificateError> {
    let cat = snapshot(state).await?;
    let cert = state
        .write_queued(move |c, now| -> Result<_, CertificateError> {
            service::process_stored_grade(c, &cat, now, user_id, run_id, true)?;
            Ok(store::find(c, Kind::CourseRun, user_id, run_id)?.filter(|x| !x.is_revoked))
        })
        .await?;
    Ok(cert)
}

/// The original's `upgrade_program_enrollment_if_eligible`, in the caller's transaction.
pub fn upgrade_if_eligible(
    c: &Connection,
    cat: &Catalog,
    now: DateTime<Utc>,
    enrollment_id: i64,
    user_id: i64,
    program_id: i64,
) -> Result<bool, CertificateError> {
    let Some(p) = cat.program(program_id) else {
        return Ok(false);
    };
    let verified_runs = facts::verified_run_ids(c, user_id)?;
    let verified_courses: std::collections::HashSet<i64> = verified_runs
        .iter()
        .filter_map(|r| cat.run_by_id.get(r).map(|&i| cat.runs[i].course_id))
        .collect();
    let req = p.requirements();
    if !req.required_courses.iter().all(|c| verified_courses.contains(c)) {
        return Ok(false);
    }
    let min_electives = p.root.as_ref().and_then(|root| {
        root.children
            .iter()
            .find(|n| n.operator.as_deref() == Some("min_number_of"))
            .and_then(|n| n.operator_value.as_deref())
            .and_then(|v| v.trim().parse::<usize>().ok())
    });
    let electives = req
        .elective_courses
        .iter()
        .filter(|c| verified_courses.contains(c))
        .count();
    if min_electives.is_some_and(|m| electives < m) {
        return Ok(false);
    }
    if !facts::upgrade_program_enrollment(c, enrollment_id, now)? {
        return Ok(false);
    }
    audit::record(
        c,
        None,
        "upgrade-eligible-program-enrollments",
        "enrollment.program.upgrade",
        "program_enrollment",
        &enrollment_id.to_string(),
        Some(&json!({ "user_id": user_id, "program_id": program_id, "enrollment_mode": "audit" })),
        Some(&json!({ "user_id": user_id, "program_id": program_id, "enrollment_mode": "verified" })),
        now,
    )?;
    Ok(true)
}
