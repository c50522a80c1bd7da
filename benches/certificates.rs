//! The hourly `generate-course-certificate` job over BENCH_LEARNERS (10,000) learners × 10
//! self-paced runs of one program (100,000 passing grades in the sandbox Open edX): pull every
//! grade from the sandbox edX, store it, issue each course certificate, walk the program tree
//! once per learner; then the same job again with nothing new, and the pulls alone. Printed,
//! never asserted. `cargo bench --profile release-nolto --bench certificates`.

use std::time::Instant;

use chrono::Duration;
use mitxonline::catalog::store::{self as cat, NewCourse, NewNode, NewProgram, NewRun};
use mitxonline::clock::to_db;
use mitxonline::cms::model::{PageContent, PageType};
use mitxonline::cms::store::{self as cms, NewPage};
use mitxonline::db::DbError;
use mitxonline::integrations::openedx::OpenEdx;
use mitxonline::integrations::openedx::jobs::pull_course_grades;
use rusqlite::params;

#[path = "../tests/it/support/mod.rs"]
mod support;

use support::TestApp;

const RUNS: usize = 10;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let learners: i64 = std::env::var("BENCH_LEARNERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let app = TestApp::builder().spawn().await;
    app.expect_undelivered_outbox();
    let now = app.state.clock.now();
    let seeded = Instant::now();
    app.state
        .db
        .write(move |c| -> Result<(), DbError> {
            let audit = cat::ensure_mode(c, "audit", false)?;
            let verified = cat::ensure_mode(c, "verified", true)?;
            let (program, root) = cat::insert_program(
                c,
                &NewProgram {
                    title: "Bench Program",
                    readable_id: "program-v1:MITx+BENCH",
                    live: true,
                    program_type: "Series",
                    departments: &[],
                    modes: &[audit, verified],
                    start_date: None,
                },
                now,
            )?;
            let all = cat::add_requirement(c, program, root, 0, &NewNode::AllOf { title: "Required Courses" })?;
            let mut runs = Vec::new();
            for i in 0..RUNS {
                let readable = format!("course-v1:MITx+BENCH{i}");
                let course = cat::insert_course(
                    c,
                    &NewCourse { title: "Bench Course", readable_id: &readable, live: true, departments: &[], topics: &[] },
                    now,
                )?;
                cat::add_requirement(c, program, all, i as i64, &NewNode::Course(course))?;
                let key = format!("{readable}+1T2026");
                let run = cat::insert_run(
                    c,
                    &NewRun {
                        course_id: course,
                        title: "Bench Course",
                        courseware_id: &key,
                        run_tag: "1T2026",
                        start_date: Some(now - Duration::days(10)),
                        end_date: Some(now + Duration::days(10)),
                        live: true,
                        is_self_paced: true,
                        is_primary_language: true,
                        language: "en",
                        modes: &[audit, verified],
                        ..NewRun::default()
                    },
                    now,
                )?;
                let (page, rev) = cms::create_page(
                    c,
                    &NewPage { page_type: PageType::Course, slug: &readable, course_id: Some(course), program_id: None, parent_id: None },
                    &PageContent { title: "Bench Course".into(), ..PageContent::default() },
                    "bench",
                    now,
                )?;
                cms::publish(c, page, rev, now)?;
                let (cert, rev) = cms::create_page(
                    c,
                    &NewPage { page_type: PageType::Certificate, slug: &format!("certificate-{page}"), course_id: None, program_id: None, parent_id: Some(page) },
                    &PageContent { title: "Certificate".into(), product_name: "Bench Course".into(), ..PageContent::default() },
                    "bench",
                    now,
                )?;
                cms::publish(c, cert, rev, now)?;
                runs.push((run, key));
            }
            let ts = to_db(now);
            for i in 0..learners {
                c.execute(
                    "INSERT INTO users (email, username, name, created_on, updated_on) VALUES (?1, ?2, 'Bench Learner', ?3, ?3)",
                    params![format!("b{i}@example.com"), format!("b{i}"), ts],
                )?;
                let user = c.last_insert_rowid();
                let name = format!("bench{i}");
                c.execute(
                    "INSERT INTO openedx_users (user_id, edx_username, has_been_synced, created_on, updated_on) VALUES (?1, ?2, 1, ?3, ?3)",
                    params![user, name, ts],
                )?;
                c.execute(
                    "INSERT INTO openedx_sandbox_users (username, email, name, created_on) VALUES (?1, ?2, 'Bench Learner', ?3)",
                    params![name, format!("b{i}@example.com"), ts],
                )?;
                c.execute(
                    "INSERT INTO program_enrollments (user_id, program_id, enrollment_mode, created_on, updated_on) VALUES (?1, ?2, 'verified', ?3, ?3)",
                    params![user, program, ts],
                )?;
                for (run, key) in &runs {
                    c.execute(
                        "INSERT INTO course_run_enrollments (user_id, run_id, enrollment_mode, created_on, updated_on) VALUES (?1, ?2, 'verified', ?3, ?3)",
                        params![user, run, ts],
                    )?;
                    c.execute(
                        "INSERT INTO openedx_sandbox_grades (username, course_id, percent, passed, letter_grade, updated_on) VALUES (?1, ?2, '0.87', 1, 'B', ?3)",
                        params![name, key, ts],
                    )?;
                }
            }
            Ok(())
        })
        .await
        .unwrap();
    println!(
        "seeded {learners} learners x {RUNS} runs in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let out = app.run_job("generate-course-certificate").await;
    let first = t.elapsed();
    println!(
        "first run ({} grades, all new): {:.2} s — {}",
        learners * RUNS as i64,
        first.as_secs_f64(),
        out.detail
    );
    let t = Instant::now();
    let out = app.run_job("generate-course-certificate").await;
    let second = t.elapsed();
    println!(
        "second run (nothing new): {:.2} s — {}",
        second.as_secs_f64(),
        out.detail
    );
    // The sandbox edX's share of the job: the same pulls alone (in production edX answers).
    let t = Instant::now();
    let edx = OpenEdx::from_state(&app.state);
    for i in 0..RUNS {
        let key = format!("course-v1:MITx+BENCH{i}+1T2026");
        pull_course_grades(&app.state, &edx, &key).await.unwrap();
    }
    println!(
        "of which pulling the grades from the sandbox edX alone takes: {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let certs = app
        .scalar_i64("SELECT count(*) FROM course_run_certificates")
        .await;
    let programs = app.scalar_i64("SELECT count(*) FROM program_certificates").await;
    println!("course certificates: {certs}, program certificates: {programs}");
    app.shutdown().await;
}
