//! `mitxonline bench seed`: the load-test data set. For `--courses C --learners L`: C courses
//! with three runs each (one ended, one running and open, one upcoming), a product per run,
//! C/20 programs (five required courses and one of five electives), L learners with up to ten
//! enrollments each (one verified), grades on the ended runs, and a fulfilled, paid order for
//! every other learner's verified enrollment.
//!
//! Everything is keyed by stable names (`course-v1:BENCH+C0001`, `bench-000001@example.com`),
//! so a rerun finds what exists and adds only what is missing.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::catalog::store::{self as catalog, NewCourse, NewNode, NewProgram, NewRun, ProductTarget};
use crate::commerce::basket::store as products;
use crate::commerce::orders::model::OrderState;
use crate::commerce::orders::store as orders;
use crate::db::DbError;
use crate::enrollment::model::Mode;
use crate::enrollment::store as enrollments;
use crate::state::AppState;
use crate::users::store::{self as users, NewUser};

/// Learners per write transaction.
const BATCH: usize = 1_000;
/// Enrollments per learner (fewer when the catalog is smaller).
const PER_LEARNER: usize = 10;
const RUN_TAGS: [&str; 3] = ["1T2026", "2T2026", "3T2026"];

#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub learners: usize,
    pub courses: usize,
    pub programs: usize,
}

impl Size {
    pub fn new(learners: usize, courses: usize) -> Size {
        let courses = courses.max(1);
        Size {
            learners,
            courses,
            programs: (courses / 20).max(1),
        }
    }
}

/// What a seed run found and added.
#[derive(Debug, Default)]
pub struct Report {
    pub courses_added: usize,
    pub programs_added: usize,
    pub learners_added: usize,
    pub enrollments_added: usize,
    pub grades_written: usize,
    pub orders_added: usize,
    pub seconds: f64,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bench seed: added {} courses ({} runs), {} programs, {} learners, {} enrollments, {} grades, {} orders in {:.1} s",
            self.courses_added,
            self.courses_added * RUN_TAGS.len(),
            self.programs_added,
            self.learners_added,
            self.enrollments_added,
            self.grades_written,
            self.orders_added,
            self.seconds
        )
    }
}

fn course_key(i: usize) -> String {
    format!("course-v1:BENCH+C{i:04}")
}

/// The course's runs: ended, running (open), upcoming.
fn run_dates(k: usize, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = Duration::days(1);
    match k {
        0 => (now - day * 200, now - day * 100),
        1 => (now - day * 20, now + day * 70),
        _ => (now + day * 30, now + day * 120),
    }
}

fn seed_course(
    c: &Connection,
    i: usize,
    dept: i64,
    modes: &[i64],
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let readable = course_key(i);
    if catalog::course_id_by_readable(c, &readable)?.is_some() {
        return Ok(false);
    }
    let title = format!("Bench course {i}");
    let course = catalog::insert_course(
        c,
        &NewCourse {
            title: &title,
            readable_id: &readable,
            live: true,
            departments: &[dept],
            topics: &[],
        },
        now,
    )?;
    for (k, tag) in RUN_TAGS.iter().enumerate() {
        let key = format!("{readable}+{tag}");
        let (start, end) = run_dates(k, now);
        let run = catalog::insert_run(
            c,
            &NewRun {
                course_id: course,
                title: &title,
                courseware_id: &key,
                run_tag: tag,
                start_date: Some(start),
                end_date: Some(end),
                enrollment_start: Some(start - Duration::days(30)),
                upgrade_deadline: Some(end - Duration::days(10)),
                live: true,
                language: "en",
                modes,
                ..NewRun::default()
            },
            now,
        )?;
        let price = Decimal::from(50 + (i % 10) as i64 * 25);
        catalog::insert_product(c, ProductTarget::CourseRun(run), price, &key, now)?;
    }
    Ok(true)
}

fn seed_program(
    c: &Connection,
    j: usize,
    size: Size,
    dept: i64,
    now: DateTime<Utc>,
) -> rusqlite::Result<bool> {
    let readable = format!("program-v1:BENCH+P{j:02}");
    if catalog::program_id_by_readable(c, &readable)?.is_some() {
        return Ok(false);
    }
    let title = format!("Bench program {j}");
    let (program, root) = catalog::insert_program(
        c,
        &NewProgram {
            title: &title,
            readable_id: &readable,
            live: true,
            program_type: "Series",
            departments: &[dept],
            modes: &[],
            start_date: None,
        },
        now,
    )?;
    let course = |n: usize| catalog::course_id_by_readable(c, &course_key((j * 10 + n) % size.courses));
    let required = catalog::add_requirement(c, program, root, 0, &NewNode::AllOf { title: "Required" })?;
    let electives = NewNode::MinNumberOf {
        title: "Electives",
        n: 1,
        elective: true,
    };
    let electives = catalog::add_requirement(c, program, root, 1, &electives)?;
    let mut seen = Vec::new();
    for n in 0..10 {
        let Some(id) = course(n)?.filter(|id| !seen.contains(id)) else {
            continue;
        };
        seen.push(id);
        let (parent, pos) = if n < 5 { (required, n) } else { (electives, n - 5) };
        catalog::add_requirement(c, program, parent, pos as i64, &NewNode::Course(id))?;
    }
    Ok(true)
}

/// The runs a learner is enrolled in: `(run index, verified)`; run index = course * 3 + k.
fn learner_runs(n: usize, size: Size) -> Vec<(usize, bool)> {
    let mut out: Vec<(usize, bool)> = Vec::new();
    for k in 0..PER_LEARNER.min(size.courses) {
        let course = (n * 13 + k * 97) % size.courses;
        if out.iter().any(|(r, _)| r / 3 == course) {
            continue;
        }
        out.push((course * 3 + k % 3, k == 0));
    }
    out
}

/// Per run index, `(run id, product id, version id, price)`.
type Runs = Vec<(i64, i64, i64, Decimal)>;

fn bench_runs(c: &Connection, size: Size) -> rusqlite::Result<Runs> {
    let by_run: HashMap<i64, (i64, i64, Decimal)> = products::products(c)?
        .into_iter()
        .filter_map(|p| p.course_run_id.map(|r| (r, (p.id, p.version_id, p.price))))
        .collect();
    let mut out = Vec::with_capacity(size.courses * 3);
    for i in 0..size.courses {
        for tag in RUN_TAGS {
            let key = format!("{}+{tag}", course_key(i));
            let run = crate::catalog::service::run_id_by_courseware(c, &key)?
                .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            let (product, version, price) = by_run
                .get(&run)
                .copied()
                .ok_or(rusqlite::Error::QueryReturnedNoRows)?;
            out.push((run, product, version, price));
        }
    }
    Ok(out)
}

/// Seeds learners `from..to` with their enrollments, grades and orders.
fn seed_learners(
    c: &Connection,
    range: std::ops::Range<usize>,
    size: Size,
    runs: &Runs,
    environment: &str,
    now: DateTime<Utc>,
    report: &mut Report,
) -> rusqlite::Result<()> {
    for n in range {
        let email = format!("bench-{n:06}@example.com");
        let user = match users::find_by_email(c, &email)? {
            Some(u) => u.id,
            None => {
                report.learners_added += 1;
                let u = NewUser {
                    email,
                    username: format!("bench-{n:06}"),
                    name: format!("Bench Learner {n}"),
                    ..NewUser::default()
                };
                users::insert(c, &u, now)?
            }
        };
        for (index, verified) in learner_runs(n, size) {
            let (run, product, version, price) = runs[index];
            if enrollments::find(c, user, run)?.is_none() {
                let mode = if verified { Mode::Verified } else { Mode::Audit };
                enrollments::insert(c, user, run, mode, now)?;
                report.enrollments_added += 1;
            }
            if index % 3 == 0 {
                let grade = Decimal::new(((n + index) % 101) as i64, 2);
                let passed = grade >= Decimal::new(5, 1);
                if enrollments::upsert_grade(c, user, run, grade, None, passed, now)? {
                    report.grades_written += 1;
                }
            }
            if verified && n % 2 == 0 && !enrollments::is_paid_run(c, user, run)? {
                let order = orders::insert_order(c, user, environment, now)?;
                orders::replace_lines(c, order, &[(product, version, 1, price)])?;
                orders::set_total(c, order, price, now)?;
                let data = serde_json::json!({ "bench": true });
                orders::insert_transaction(
                    c,
                    &format!("bench-{order}"),
                    order,
                    price,
                    &data,
                    "payment",
                    "",
                    now,
                )?;
                orders::transition(
                    c,
                    order,
                    OrderState::Pending,
                    OrderState::Fulfilled,
                    "bench seed",
                    now,
                )?;
                enrollments::insert_paid_run(c, user, run, order, now)?;
                report.orders_added += 1;
            }
        }
    }
    Ok(())
}

/// Seeds the data set; `progress(what, done, total)` after each batch.
pub async fn seed(
    state: &AppState,
    size: Size,
    mut progress: impl FnMut(&str, usize, usize),
) -> Result<Report, DbError> {
    let started = std::time::Instant::now();
    let now = state.clock.now();
    let (courses, programs) = state
        .db
        .write(move |c| {
            let dept = catalog::ensure_department(c, "Bench")?;
            let modes = [
                catalog::ensure_mode(c, "audit", false)?,
                catalog::ensure_mode(c, "verified", true)?,
            ];
            let mut added = (0, 0);
            for i in 0..size.courses {
                added.0 += usize::from(seed_course(c, i, dept, &modes, now)?);
            }
            for j in 0..size.programs {
                added.1 += usize::from(seed_program(c, j, size, dept, now)?);
            }
            Ok::<_, DbError>(added)
        })
        .await?;
    progress("catalog", size.courses, size.courses);
    let runs = std::sync::Arc::new(state.db.read(move |c| bench_runs(c, size)).await?);
    let mut report = Report {
        courses_added: courses,
        programs_added: programs,
        ..Report::default()
    };
    let mut done = 0;
    while done < size.learners {
        let to = (done + BATCH).min(size.learners);
        let (runs, env) = (runs.clone(), state.config.environment.clone());
        let part = state
            .db
            .write(move |c| {
                let mut part = Report::default();
                seed_learners(c, done..to, size, &runs, &env, now, &mut part)?;
                Ok::<_, DbError>(part)
            })
            .await?;
        report.learners_added += part.learners_added;
        report.enrollments_added += part.enrollments_added;
        report.grades_written += part.grades_written;
        report.orders_added += part.orders_added;
        done = to;
        progress("learners", done, size.learners);
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learners_get_distinct_courses_one_verified() {
        let size = Size::new(10, 1000);
        for n in [0, 1, 77, 99_999] {
            let runs = learner_runs(n, size);
            assert_eq!(runs.len(), 10);
            let mut courses: Vec<usize> = runs.iter().map(|(r, _)| r / 3).collect();
            courses.sort_unstable();
            courses.dedup();
            assert_eq!(courses.len(), 10, "distinct courses");
            assert_eq!(runs.iter().filter(|(_, v)| *v).count(), 1);
        }
        let small = Size::new(1, 3);
        assert!(learner_runs(5, small).len() <= 3);
        assert_eq!(small.programs, 1);
    }
}
