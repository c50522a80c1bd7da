//! Catalog read benchmark: loads a 1,000-course / 3,000-run / 50-program catalog (with pages)
//! into a fresh database, serves it in-process on 127.0.0.1, and drives it with `wrk` at 32
//! connections. Prints requests/s, latency percentiles and SQL statements per request for
//! the course list (first page, a deep page, page_size=100), the program list and a course
//! detail.
//!
//! Run: `cargo bench --bench catalog` (or `--profile release-nolto` to skip the LTO link).
//! `BENCH_SECONDS` (default 10) sets each run's length; `BENCH_CONNECTIONS` (default 32).

use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mitxonline::catalog::api::SQL_STATEMENTS;
use mitxonline::catalog::store::{self, NewCourse, NewNode, NewProgram, NewRun, ProductTarget};
use mitxonline::clock::Clock;
use mitxonline::cms::model::{PageContent, PageType};
use mitxonline::cms::store::{self as cms, NewPage};
use mitxonline::config::Config;
use mitxonline::db::DbError;
use mitxonline::serve::{self, StartOptions};
use rusqlite::Connection;

const COURSES: usize = 1000;
const RUNS_PER_COURSE: usize = 3;
const PROGRAMS: usize = 50;

fn generate(c: &Connection, now: DateTime<Utc>) -> rusqlite::Result<()> {
    let audit = store::ensure_mode(c, "audit", false)?;
    let verified = store::ensure_mode(c, "verified", true)?;
    let depts: Vec<i64> = (0..20)
        .map(|i| store::ensure_department(c, &format!("Department {i:02}")))
        .collect::<Result<_, _>>()?;
    let topics: Vec<i64> = (0..30)
        .map(|i| store::ensure_topic(c, &format!("Topic {i:02}"), None))
        .collect::<Result<_, _>>()?;
    let mut course_ids = Vec::with_capacity(COURSES);
    let day = |n: i64| Some(now + chrono::Duration::days(n));
    for i in 0..COURSES {
        let readable = format!("course-v1:BENCH+C{i:04}x");
        let title = format!("Bench course {:04} on subject {}", (i * 7919) % COURSES, i % 97);
        let id = store::insert_course(
            c,
            &NewCourse {
                title: &title,
                readable_id: &readable,
                live: true,
                departments: &[depts[i % depts.len()]],
                topics: &[topics[i % topics.len()], topics[(i + 7) % topics.len()]],
            },
            now,
        )?;
        course_ids.push(id);
        for (k, (tag, offset)) in [("1T2026", -200i64), ("2T2026", -10), ("3T2026", 60)]
            .into_iter()
            .take(RUNS_PER_COURSE)
            .enumerate()
        {
            let key = format!("{readable}+{tag}");
            let run = store::insert_run(
                c,
                &NewRun {
                    course_id: id,
                    title: &title,
                    courseware_id: &key,
                    run_tag: tag,
                    start_date: day(offset),
                    end_date: day(offset + 90),
                    enrollment_start: day(offset - 30),
                    enrollment_end: day(offset + 30),
                    expiration_date: day(offset + 400),
                    upgrade_deadline: day(offset + 80),
                    live: true,
                    is_self_paced: i % 3 == 0,
                    is_primary_language: true,
                    language: "en",
                    modes: &[audit, verified],
                    ..NewRun::default()
                },
                now,
            )?;
            if (i + k) % 2 == 0 {
                store::insert_product(
                    c,
                    ProductTarget::CourseRun(run),
                    rust_decimal::Decimal::from(49 + (i % 4) as i64 * 50),
                    &key,
                    now,
                )?;
            }
        }
        let content = PageContent {
            title: title.clone(),
            description: format!("{title}: a course generated for the benchmark."),
            length: "10 weeks".into(),
            effort: "5 hours per week".into(),
            min_weeks: Some(10),
            max_weeks: Some(10),
            include_in_learn_catalog: true,
            ..PageContent::default()
        };
        let (pid, rev) = cms::create_page(
            c,
            &NewPage {
                page_type: PageType::Course,
                slug: &readable,
                course_id: Some(id),
                program_id: None,
                parent_id: None,
            },
            &content,
            "bench",
            now,
        )?;
        cms::publish(c, pid, rev, now)?;
    }
    for p in 0..PROGRAMS {
        let readable = format!("program-v1:BENCH+P{p:02}");
        let title = format!("Bench program {p:02}");
        let (pid, root) = store::insert_program(
            c,
            &NewProgram {
                title: &title,
                readable_id: &readable,
                live: true,
                program_type: "Series",
                departments: &[depts[p % depts.len()]],
                modes: &[audit, verified],
                start_date: day(-10),
            },
            now,
        )?;
        let req = store::add_requirement(
            c,
            pid,
            root,
            0,
            &NewNode::AllOf {
                title: "Required Courses",
            },
        )?;
        let el = store::add_requirement(
            c,
            pid,
            root,
            1,
            &NewNode::MinNumberOf {
                title: "Elective Courses",
                n: 1,
                elective: true,
            },
        )?;
        for k in 0..6 {
            let parent = if k < 4 { req } else { el };
            store::add_requirement(
                c,
                pid,
                parent,
                k as i64,
                &NewNode::Course(course_ids[(p * 20 + k) % COURSES]),
            )?;
        }
        store::insert_product(
            c,
            ProductTarget::Program(pid),
            rust_decimal::Decimal::from(1000),
            &readable,
            now,
        )?;
    }
    Ok(())
}

struct WrkResult {
    requests: u64,
    rps: f64,
    p50: String,
    p99: String,
    p99_ms: f64,
    errors: String,
}

fn to_ms(s: &str) -> f64 {
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
    let v: f64 = num.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => v / 1000.0,
        "ms" => v,
        "s" => v * 1000.0,
        _ => f64::NAN,
    }
}

/// A wrk script that makes every request's URL unique (`&nocache=N`), so each one misses the
/// response cache and is built from the snapshot.
const UNIQUE_URLS: &str = r#"
local n = 0
request = function()
  n = n + 1
  local sep = string.find(wrk.path, "?", 1, true) and "&" or "?"
  return wrk.format(nil, wrk.path .. sep .. "nocache=" .. n)
end
"#;

fn wrk(url: &str, secs: u64, conns: u32, uncached: bool) -> WrkResult {
    let script = std::env::temp_dir().join(format!("catalog-bench-{}.lua", std::process::id()));
    std::fs::write(&script, UNIQUE_URLS).expect("write wrk script");
    let mut args = vec![
        "-t2".to_owned(),
        format!("-c{conns}"),
        format!("-d{secs}s"),
        "--latency".to_owned(),
    ];
    if uncached {
        args.extend(["-s".to_owned(), script.display().to_string()]);
    }
    args.push(url.to_owned());
    let out = Command::new("wrk")
        .args(&args)
        .output()
        .expect("wrk is installed (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let errors = text
        .lines()
        .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("; ");
    let p99 = field("99%");
    WrkResult {
        requests,
        rps: field("Requests/sec:").parse().unwrap_or(0.0),
        p50: field("50%"),
        p99_ms: to_ms(&p99),
        p99,
        errors,
    }
}

fn main() {
    let secs: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let conns: u32 = std::env::var("BENCH_CONNECTIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let dir = tempfile::tempdir().unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let vars = std::collections::BTreeMap::from([
            ("MITXONLINE_DATA_DIR".to_owned(), dir.path().display().to_string()),
            ("MITXONLINE_PUBLIC_URL".to_owned(), base.clone()),
            ("MITXONLINE_LOG_FORMAT".to_owned(), "text".to_owned()),
        ]);
        let config = Config::from_vars(&vars).expect("config");
        let running = serve::start(config, StartOptions { listener: Some(listener), clock: Clock::default(), ..StartOptions::default() })
            .await
            .expect("start");
        let state = running.state.clone();
        let started = std::time::Instant::now();
        let now = state.clock.now();
        state.db.write(move |c| generate(c, now)).await.expect("generate");
        let counts = state
            .db
            .read(|c| {
                let q = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0));
                Ok::<_, DbError>((q("SELECT count(*) FROM courses")?, q("SELECT count(*) FROM course_runs")?, q("SELECT count(*) FROM programs")?))
            })
            .await
            .unwrap();
        println!(
            "catalog: {} courses, {} runs, {} programs (generated in {:.1}s); wrk -t2 -c{conns} -d{secs}s against {base}",
            counts.0, counts.1, counts.2, started.elapsed().as_secs_f64()
        );
        let client = reqwest::Client::new();
        let cases = [
            ("course list, first page", "/api/v2/courses/", false),
            ("course list, deep page (80)", "/api/v2/courses/?page=80", false),
            ("course list, page_size=100", "/api/v2/courses/?page_size=100", false),
            ("program list", "/api/v2/programs/", false),
            ("course detail", "/api/v2/courses/500/", false),
            ("UNCACHED course list, first", "/api/v2/courses/", true),
            ("UNCACHED course list, deep", "/api/v2/courses/?page=80", true),
            ("UNCACHED page_size=100", "/api/v2/courses/?page_size=100", true),
            ("UNCACHED program list", "/api/v2/programs/", true),
        ];
        println!("{:<30} {:>10} {:>10} {:>10} {:>12}  notes", "endpoint", "req/s", "p50", "p99", "SQL/request");
        for (name, path, uncached) in cases {
            let url = format!("{base}{path}");
            let warm = client.get(&url).send().await.expect("warm-up request");
            assert_eq!(warm.status(), 200, "{path}");
            let body = warm.bytes().await.unwrap().len();
            let before = state.metrics.counter_value(SQL_STATEMENTS, &[]);
            let r = tokio::task::spawn_blocking(move || wrk(&url, secs, conns, uncached)).await.unwrap();
            let after = state.metrics.counter_value(SQL_STATEMENTS, &[]);
            let per_request = (after - before) as f64 / r.requests.max(1) as f64;
            println!(
                "{name:<30} {:>10.0} {:>10} {:>10} {:>12.3}  {} bytes{}{}",
                r.rps,
                r.p50,
                r.p99,
                per_request,
                body,
                if r.p99_ms.is_finite() { "" } else { " (p99 unparsed)" },
                if r.errors.is_empty() { String::new() } else { format!("; {}", r.errors) }
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        running.shutdown().await;
    });
}
