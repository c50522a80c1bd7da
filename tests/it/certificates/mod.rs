//! Certificates: grades passed in the sandbox Open edX become course certificates through the
//! hourly job, program certificates follow the requirement tree, public pages and APIs show
//! them, staff revoke and override grades, and concurrent triggers make exactly one each.

mod browser;
mod concurrency;
mod lifecycle;
mod programs;
mod records;
mod staff;

use chrono::Duration;
use mitxonline::catalog::store::{self, NewCourse, NewNode, NewProgram, NewRun};
use mitxonline::cms::model::{CeuOverride, PageContent, PageType};
use mitxonline::cms::store::{self as cms, NewPage};
use mitxonline::db::DbError;
use mitxonline::enrollment::{Actor, Checks, Mode, service};
use mitxonline::users::api_keys::Scope;
use mitxonline::users::store::{NewUser, insert};
use serde_json::{Value, json};

use crate::support::TestApp;

/// How a test run issues certificates.
#[derive(Clone, Copy)]
pub enum Pacing {
    SelfPaced,
    /// Instructor-paced with the certificate date this many days from now.
    CertificateIn(i64),
}

/// A seeded course run with its course page and certificate page.
#[derive(Clone, Debug)]
pub struct Seeded {
    pub course_id: i64,
    pub run_id: i64,
    pub courseware_id: String,
    pub certificate_page: i64,
}

fn publish(
    c: &rusqlite::Connection,
    n: &NewPage<'_>,
    content: &PageContent,
    now: chrono::DateTime<chrono::Utc>,
) -> rusqlite::Result<i64> {
    let (id, rev) = cms::create_page(c, n, content, "test", now)?;
    cms::publish(c, id, rev, now)?;
    Ok(id)
}

/// A signatory page with a 300x100 signature; returns its page id.
pub fn signatory(
    c: &rusqlite::Connection,
    now: chrono::DateTime<chrono::Utc>,
    slug: &str,
    name: &str,
) -> rusqlite::Result<i64> {
    let png = mitxonline::cms::media::gradient_png(300, 100, [20, 20, 60], [250, 250, 250]);
    let img = mitxonline::cms::service::seed_image(c, "Signature", "sig.png", (300, 100), &png, now)?;
    publish(
        c,
        &NewPage {
            page_type: PageType::Signatory,
            slug,
            course_id: None,
            program_id: None,
            parent_id: None,
        },
        &PageContent {
            title: name.into(),
            name: name.into(),
            title_1: "Professor of Testing".into(),
            organization: "MIT".into(),
            signature_image_id: Some(img),
            ..PageContent::default()
        },
        now,
    )
}

/// A live course `readable` with one run (verified and audit modes), a course page and a
/// certificate page (CEUs 1.5, overridden to 2.5 for this run, provisioning verifiable
/// credentials when `vc`).
pub async fn course(app: &TestApp, readable: &'static str, pacing: Pacing, vc: bool) -> Seeded {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            let audit = store::ensure_mode(c, "audit", false)?;
            let verified = store::ensure_mode(c, "verified", true)?;
            let course_id = store::insert_course(
                c,
                &NewCourse {
                    title: "Signals and Systems",
                    readable_id: readable,
                    live: true,
                    departments: &[],
                    topics: &[],
                },
                now,
            )?;
            let courseware_id = format!("{readable}+1T2026");
            let day = Duration::days(1);
            let cert_date = match pacing {
                Pacing::SelfPaced => None,
                Pacing::CertificateIn(d) => Some(now + Duration::days(d)),
            };
            let run_id = store::insert_run(
                c,
                &NewRun {
                    course_id,
                    title: "Signals and Systems 2026",
                    courseware_id: &courseware_id,
                    run_tag: "1T2026",
                    start_date: Some(now - day * 30),
                    end_date: Some(now + day * 30),
                    certificate_available_date: cert_date,
                    enrollment_start: Some(now - day * 40),
                    live: true,
                    is_self_paced: matches!(pacing, Pacing::SelfPaced),
                    is_primary_language: true,
                    language: "en",
                    modes: &[audit, verified],
                    ..NewRun::default()
                },
                now,
            )?;
            let page = publish(
                c,
                &NewPage {
                    page_type: PageType::Course,
                    slug: readable,
                    course_id: Some(course_id),
                    program_id: None,
                    parent_id: None,
                },
                &PageContent {
                    title: "Signals and Systems".into(),
                    ..PageContent::default()
                },
                now,
            )?;
            let sig = signatory(c, now, &format!("sig-{readable}"), "Grace Hopper")?;
            let certificate_page = publish(
                c,
                &NewPage {
                    page_type: PageType::Certificate,
                    slug: &format!("certificate-{page}"),
                    course_id: None,
                    program_id: None,
                    parent_id: Some(page),
                },
                &PageContent {
                    title: "Certificate For Signals and Systems".into(),
                    product_name: "Signals and Systems".into(),
                    ceus: "1.5".into(),
                    ceu_overrides: vec![CeuOverride {
                        readable_id: courseware_id.clone(),
                        ceus: "2.5".into(),
                    }],
                    signatory_ids: vec![sig],
                    verifiable_credential_criteria: if vc {
                        "Passed every unit.".into()
                    } else {
                        String::new()
                    },
                    should_provision_verifiable_credential: vc,
                    ..PageContent::default()
                },
                now,
            )?;
            Ok::<_, DbError>(Seeded {
                course_id,
                run_id,
                courseware_id,
                certificate_page,
            })
        })
        .await
        .unwrap()
}

/// A live program with the given requirement tree builder; returns its id.
pub async fn program<F>(app: &TestApp, readable: &'static str, build: F) -> i64
where
    F: FnOnce(&rusqlite::Connection, i64, i64) -> rusqlite::Result<()> + Send + 'static,
{
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            let audit = store::ensure_mode(c, "audit", false)?;
            let verified = store::ensure_mode(c, "verified", true)?;
            let (pid, root) = store::insert_program(
                c,
                &NewProgram {
                    title: "Electrical Engineering",
                    readable_id: readable,
                    live: true,
                    program_type: "Series",
                    departments: &[],
                    modes: &[audit, verified],
                    start_date: None,
                },
                now,
            )?;
            build(c, pid, root)?;
            Ok::<_, DbError>(pid)
        })
        .await
        .unwrap()
}

/// A live program requiring every one of `courses` (an `all_of` "Required Courses"); returns
/// its id.
pub async fn program_requiring(app: &TestApp, readable: &'static str, courses: Vec<i64>) -> i64 {
    program(app, readable, move |c, pid, root| {
        let all = store::add_requirement(
            c,
            pid,
            root,
            0,
            &NewNode::AllOf {
                title: "Required Courses",
            },
        )?;
        for (i, course) in (0..).zip(courses) {
            store::add_requirement(c, pid, all, i, &NewNode::Course(course))?;
        }
        Ok(())
    })
    .await
}

/// Enrolls the learner in the program.
pub async fn enroll_program(app: &TestApp, user: i64, program: i64, mode: Mode) {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| service::enroll_program(c, now, user, program, mode, &Actor::system("test")))
        .await
        .unwrap();
}

/// A learner (email `<name>@example.com`) with a verified enrollment in each run.
pub async fn learner(app: &TestApp, name: &'static str, runs: &[i64]) -> i64 {
    let now = app.state.clock.now();
    let runs = runs.to_vec();
    app.state
        .db
        .write(move |c| {
            let id = insert(
                c,
                &NewUser {
                    email: format!("{name}@example.com"),
                    username: name.into(),
                    name: format!("{name} Learner"),
                    ..NewUser::default()
                },
                now,
            )?;
            for run in runs {
                service::enroll(
                    c,
                    now,
                    id,
                    run,
                    Mode::Verified,
                    Checks::NONE,
                    &Actor::system("test"),
                )?;
            }
            Ok::<_, mitxonline::enrollment::EnrollError>(id)
        })
        .await
        .unwrap()
}

/// Sets a grade in the sandbox Open edX (as its staff API does).
pub async fn edx_grade(app: &TestApp, key: &str, email: &str, course_id: &str, percent: f64) {
    let r = app
        .client
        .post(app.url("/api/v0/staff/openedx/sandbox/grades/"))
        .header("authorization", format!("Api-Key {key}"))
        .json(&json!({ "email": email, "course_id": course_id, "percent": percent, "letter_grade": "A" }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(status, 200, "{}", r.text().await.unwrap_or_default());
}

pub async fn staff_key(app: &TestApp) -> String {
    app.api_key(Scope::Staff).await
}

/// The learner's certificate uuid for the run, if any (revoked or not).
pub async fn run_certificate(app: &TestApp, user: i64, run: i64) -> Option<(String, bool)> {
    app.state
        .db
        .read(move |c| {
            use rusqlite::OptionalExtension as _;
            c.query_row(
                "SELECT uuid, is_revoked FROM course_run_certificates WHERE user_id = ?1 AND run_id = ?2",
                [user, run],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
        .await
        .unwrap()
}

pub async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    app.get_json(path).await
}
