//! Learner program records (the original's `LearnerRecordSerializer`): each course of a
//! program with the learner's best grade and certificate, the requirement tree, and sharing —
//! a public link (revocable) or a share with a partner school (emailed to the school).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::model::{Certificate, CertificateError, Kind};
use super::store::{self, Share};
use crate::catalog::model::{NodeType, ReqNode};
use crate::catalog::snapshot::Catalog;
use crate::db::Db;
use crate::enrollment::facts;
use crate::state::AppState;
use crate::users::store::User;

/// One course line of a record.
#[derive(Debug, Clone)]
pub struct RecordCourse {
    pub id: i64,
    pub title: String,
    pub readable_id: String,
    /// The requirement group's title ("Required Courses", "Elective Courses").
    pub reqtype: String,
    /// `(grade, letter_grade, passed, set_by_admin)`.
    pub grade: Option<(Decimal, Option<String>, bool, bool)>,
    pub certificate: Option<String>,
}

/// A learner's record of one program.
#[derive(Debug, Clone)]
pub struct Record {
    pub learner: User,
    pub edx_username: Option<String>,
    pub program_id: i64,
    pub title: String,
    pub readable_id: String,
    pub courses: Vec<RecordCourse>,
    pub root: Option<ReqNode>,
    pub shares: Vec<Share>,
    /// `(id, name)` of the active partner schools.
    pub partner_schools: Vec<(i64, String)>,
}

fn courses_with_type(root: &ReqNode) -> Vec<(i64, String)> {
    fn walk(n: &ReqNode, group: &str, out: &mut Vec<(i64, String)>) {
        for c in &n.children {
            match c.node_type {
                NodeType::Course => {
                    if let Some(id) = c.course_id.filter(|id| !out.iter().any(|(x, _)| x == id)) {
                        out.push((id, group.to_owned()));
                    }
                }
                NodeType::Operator => walk(c, if group.is_empty() { &c.title } else { group }, out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(root, "", &mut out);
    out
}

/// The record of `user` in `program`; `NotFound` unless the learner is enrolled in it.
pub async fn record(
    db: &Db,
    cat: &Catalog,
    user_id: i64,
    program_id: i64,
    now: DateTime<Utc>,
) -> Result<Record, CertificateError> {
    let p = cat.program(program_id).ok_or(CertificateError::NotFound)?;
    let lines = p.root.as_ref().map(courses_with_type).unwrap_or_default();
    let runs_of: Vec<(i64, Vec<(i64, bool)>)> = lines
        .iter()
        .map(|(course, _)| {
            let runs = cat
                .course(*course)
                .map(|co| {
                    cat.course_runs(co)
                        .iter()
                        .map(|r| {
                            (
                                r.id,
                                r.certificate_available_date
                                    .or(r.end_date)
                                    .is_some_and(|d| d < now),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            (*course, runs)
        })
        .collect();
    let found = db
        .read(move |c| -> Result<_, CertificateError> {
            let Some(learner) = crate::users::store::find_by_id(c, user_id)? else {
                return Ok(None);
            };
            if crate::enrollment::store::find_program(c, user_id, program_id)?.is_none() {
                return Ok(None);
            }
            let certs = store::for_user(c, Kind::CourseRun, user_id)?;
            let enrolled = facts::learner_runs(c, user_id)?;
            let mut per_course = Vec::new();
            for (course, runs) in &runs_of {
                let mut certified: Vec<&Certificate> = certs
                    .iter()
                    .filter(|x| !x.is_revoked && runs.iter().any(|(r, _)| *r == x.object_id))
                    .collect();
                certified.sort_by_key(|x| std::cmp::Reverse(x.issue_date));
                let grade_runs: Vec<i64> = if certified.is_empty() {
                    enrolled
                        .iter()
                        .filter(|e| e.verified && runs.iter().any(|(r, done)| *r == e.run_id && *done))
                        .map(|e| e.run_id)
                        .collect()
                } else {
                    certified.iter().map(|x| x.object_id).collect()
                };
                let mut best: Option<(Decimal, Option<String>, bool, bool)> = None;
                for r in grade_runs {
                    if let Some((g, l, p, a)) = facts::grade_row(c, user_id, r)? {
                        let g: Decimal = g.parse().unwrap_or_default();
                        if best.as_ref().is_none_or(|b| g > b.0) {
                            best = Some((g.round_dp(2), l, p, a));
                        }
                    }
                }
                per_course.push((*course, best, certified.first().map(|x| x.uuid.clone())));
            }
            let username =
                crate::integrations::openedx::store::find_by_user(c, user_id)?.and_then(|u| u.edx_username);
            let shares = store::shares(c, user_id, program_id)?
                .into_iter()
                .filter(|s| s.2)
                .collect();
            let schools = store::partner_schools(c)?
                .into_iter()
                .map(|(id, name, _)| (id, name))
                .collect();
            Ok(Some((learner, username, per_course, shares, schools)))
        })
        .await?;
    let Some((learner, edx_username, per_course, shares, partner_schools)) = found else {
        return Err(CertificateError::NotFound);
    };
    let courses = lines
        .into_iter()
        .zip(per_course)
        .filter_map(|((id, reqtype), (_, grade, certificate))| {
            let co = cat.course(id)?;
            Some(RecordCourse {
                id,
                title: co.title.clone(),
                readable_id: co.readable_id.clone(),
                reqtype,
                grade,
                certificate,
            })
        })
        .collect();
    Ok(Record {
        learner,
        edx_username,
        program_id,
        title: p.title.clone(),
        readable_id: p.readable_id.clone(),
        courses,
        root: p.root.clone(),
        shares,
        partner_schools,
    })
}

/// Shares the record with a partner school (activating the share and emailing the school) or,
/// with `None`, makes sure a public link exists. Returns the share's uuid.
pub async fn share(
    state: &AppState,
    cat: &Catalog,
    user_id: i64,
    program_id: i64,
    school: Option<i64>,
) -> Result<String, CertificateError> {
    let now = state.clock.now();
    let r = record(&state.db, cat, user_id, program_id, now).await?;
    let base = state.config.public_url.to_string();
    let uuid = state
        .db
        .write(move |c| -> Result<String, CertificateError> {
            let target = match school {
                None => None,
                Some(id) => Some(
                    store::partner_schools(c)?
                        .into_iter()
                        .find(|s| s.0 == id)
                        .ok_or(CertificateError::Invalid {
                            field: "partnerSchool",
                            message: "No such partner school.".into(),
                        })?,
                ),
            };
            let uuid = store::activate_share(c, user_id, program_id, school, now)?;
            if let Some((_, name, email)) = target {
                let link = format!("{}/records/shared/{uuid}/", base.trim_end_matches('/'));
                crate::mail::queue(
                    c,
                    now,
                    &crate::mail::Email {
                        to: email,
                        subject: format!("{} shared their {} program record", r.learner.name, r.title),
                        body: format!(
                            "Hello {name},\n\n{} ({}) shared their MITx Online record for {} with you:\n{link}\n",
                            r.learner.name, r.learner.email, r.title
                        ),
                    },
                )?;
            }
            Ok(uuid)
        })
        .await?;
    state.outbox.wake();
    Ok(uuid)
}

/// Deactivates the learner's public links to the record.
pub async fn revoke_public(
    state: &AppState,
    user_id: i64,
    program_id: i64,
) -> Result<usize, CertificateError> {
    state
        .write_at(move |c, now| {
            store::deactivate_public_shares(c, user_id, program_id, now).map_err(CertificateError::from)
        })
        .await
}

/// The record behind an active share (without sharing or partner school data).
pub async fn shared(
    db: &Db,
    cat: &Catalog,
    uuid: String,
    now: DateTime<Utc>,
) -> Result<Record, CertificateError> {
    let (user, program) = db
        .read(move |c| store::active_share(c, &uuid).map_err(CertificateError::from))
        .await?
        .ok_or(CertificateError::NotFound)?;
    let mut r = record(db, cat, user, program, now).await?;
    r.shares.clear();
    r.partner_schools.clear();
    Ok(r)
}

/// Active partner schools, `(id, name)`.
pub async fn partner_schools(db: &Db) -> Result<Vec<(i64, String)>, CertificateError> {
    db.read(|c| {
        Ok(store::partner_schools(c)?
            .into_iter()
            .map(|(id, name, _)| (id, name))
            .collect())
    })
    .await
}
