//! Shared steps of the verified-program flow tests: programs with courses (and sub-programs),
//! runs with or without a product and the verified mode, program enrollments, the POST itself
//! and a snapshot of every table the flow may touch (to show that a refusal changed nothing).

use mitxonline::catalog::store::{self as cat, NewCourse, NewNode, NewProgram, NewRun, ProductTarget};
use mitxonline::db::DbError;
use mitxonline::enrollment::model::{Actor, Mode};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::support::TestApp;

/// A live program with a product (unless `price` is `None`) and an "all of" node for its
/// courses. Returns `(program id, all-of node id)`.
pub async fn program(app: &TestApp, readable: &str, price: Option<&str>) -> (i64, i64) {
    let now = app.state.clock.now();
    let readable = readable.to_owned();
    let price: Option<Decimal> = price.map(|p| p.parse().unwrap());
    app.state
        .db
        .write(move |c| {
            let (id, root) = cat::insert_program(
                c,
                &NewProgram {
                    title: "Data, Economics and Design of Policy",
                    readable_id: &readable,
                    live: true,
                    program_type: "Series",
                    departments: &[],
                    modes: &[],
                    start_date: None,
                },
                now,
            )?;
            let node = cat::add_requirement(
                c,
                id,
                root,
                0,
                &NewNode::AllOf {
                    title: "Required Courses",
                },
            )?;
            if let Some(p) = price {
                cat::insert_product(
                    c,
                    ProductTarget::Program(id),
                    p,
                    &format!("{readable} program"),
                    now,
                )?;
            }
            Ok::<_, DbError>((id, node))
        })
        .await
        .unwrap()
}

/// Makes `child` a requirement of `parent` (under its all-of node).
pub async fn add_sub_program(app: &TestApp, parent: (i64, i64), child: i64) {
    app.state
        .db
        .write(move |c| cat::add_requirement(c, parent.0, parent.1, 50, &NewNode::Program(child)))
        .await
        .unwrap();
}

/// How a run is set up.
#[derive(Clone, Copy)]
pub struct RunOpts {
    pub enrollable: bool,
    pub product: bool,
    pub verified_mode: bool,
    pub upgrade_deadline_passed: bool,
}

pub const UPGRADABLE: RunOpts = RunOpts {
    enrollable: true,
    product: true,
    verified_mode: true,
    upgrade_deadline_passed: false,
};

/// A new course (in `program`'s node when given) with one run; returns `(run id, courseware id)`.
pub async fn course_run(app: &TestApp, tag: &str, program: Option<(i64, i64)>, o: RunOpts) -> (i64, String) {
    let now = app.state.clock.now();
    let tag = tag.to_owned();
    app.state
        .db
        .write(move |c| {
            let readable = format!("course-v1:MITx+{tag}");
            let courseware = format!("{readable}+1T2026");
            let course = cat::insert_course(
                c,
                &NewCourse {
                    title: &format!("Course {tag}"),
                    readable_id: &readable,
                    live: true,
                    departments: &[],
                    topics: &[],
                },
                now,
            )?;
            let verified = cat::ensure_mode(c, "verified", true)?;
            let audit = cat::ensure_mode(c, "audit", false)?;
            let modes = if o.verified_mode {
                vec![audit, verified]
            } else {
                vec![audit]
            };
            let day = chrono::Duration::days(1);
            let run = cat::insert_run(
                c,
                &NewRun {
                    course_id: course,
                    title: &format!("Run {tag}"),
                    courseware_id: &courseware,
                    run_tag: "1T2026",
                    start_date: Some(now + day),
                    end_date: Some(now + day * 90),
                    enrollment_start: Some(now - day * 5),
                    enrollment_end: Some(if o.enrollable { now + day * 30 } else { now - day }),
                    upgrade_deadline: Some(if o.upgrade_deadline_passed {
                        now - day
                    } else {
                        now + day * 60
                    }),
                    live: true,
                    language: "en",
                    modes: &modes,
                    ..NewRun::default()
                },
                now,
            )?;
            if o.product {
                cat::insert_product(
                    c,
                    ProductTarget::CourseRun(run),
                    Decimal::from(100),
                    &format!("Course {tag}"),
                    now,
                )?;
            }
            if let Some((p, node)) = program {
                cat::add_requirement(c, p, node, 1, &NewNode::Course(course))?;
            }
            Ok::<_, DbError>((run, courseware))
        })
        .await
        .unwrap()
}

/// Enrolls the learner in the program in `mode` (as a purchase or staff would).
pub async fn enroll_in_program(app: &TestApp, user: i64, program: i64, mode: Mode) {
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| {
            mitxonline::enrollment::service::enroll_program(
                c,
                now,
                user,
                program,
                mode,
                &Actor::system("test"),
            )
            .map(|_| ())
        })
        .await
        .unwrap();
}

/// POST `/api/v2/verified_program_enrollments/{run}/` with a JSON body.
pub async fn post_vpe(app: &TestApp, client: &reqwest::Client, run: &str, body: &Value) -> (u16, Value) {
    let req = client
        .post(app.url(&format!("/api/v2/verified_program_enrollments/{run}/")))
        .json(body);
    super::openapi::send_json(req).await
}

/// The learner's enrollment mode in a run, if active.
pub async fn run_mode(app: &TestApp, user: i64, run: i64) -> Option<String> {
    app.state
        .db
        .read(move |c| {
            use rusqlite::OptionalExtension;
            c.query_row(
                "SELECT enrollment_mode FROM course_run_enrollments WHERE user_id = ?1 AND run_id = ?2 AND active = 1",
                [user, run],
                |r| r.get(0),
            )
            .optional()
        })
        .await
        .unwrap()
}

/// The learner's active program enrollment mode, if any.
pub async fn program_mode(app: &TestApp, user: i64, program: i64) -> Option<String> {
    app.state
        .db
        .read(move |c| {
            use rusqlite::OptionalExtension;
            c.query_row(
                "SELECT enrollment_mode FROM program_enrollments WHERE user_id = ?1 AND program_id = ?2 AND active = 1",
                [user, program],
                |r| r.get(0),
            )
            .optional()
        })
        .await
        .unwrap()
}

/// Row counts of every table the flow writes, plus the audit log.
pub async fn snapshot(app: &TestApp) -> Vec<(&'static str, i64)> {
    const TABLES: [&str; 12] = [
        "orders",
        "order_lines",
        "order_transactions",
        "discount_redemptions",
        "discounts",
        "discount_products",
        "baskets",
        "basket_items",
        "course_run_enrollments",
        "program_enrollments",
        "paid_course_runs",
        "outbox",
    ];
    app.state
        .db
        .read(|c| {
            let mut out = Vec::new();
            for t in TABLES.iter().chain(std::iter::once(&"audit_log")) {
                let n: i64 = c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))?;
                out.push((*t, n));
            }
            Ok::<_, DbError>(out)
        })
        .await
        .unwrap()
}
