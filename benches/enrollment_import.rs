//! Bulk CSV import benchmark (issue 17's target: 10,000 rows, dry run and apply, ≤ 5 s each):
//! seeds 10,000 learners and 50 open runs into a temp data dir, writes a 10,000-row
//! `email,run,mode` file, then runs the real binary — `mitxonline enrollment import FILE
//! --dry-run`, then without `--dry-run`, then again (idempotent: 0 changes) — and a 10,000-row
//! file of unknown learners (changes nothing). Prints wall time per run and rows/s, and checks
//! the enrollment and outbox counts after each step; exits non-zero when a count is wrong.
//!
//! Run: `scripts/bench-enrollment-import`
//! (`cargo bench --profile release-nolto --bench enrollment_import`). `BENCH_ROWS` (default
//! 10000).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Utc};
use mitxonline::catalog::store::{self, NewCourse, NewRun};
use mitxonline::clock::Clock;
use mitxonline::config::Config;
use mitxonline::serve::{self, StartOptions};
use mitxonline::users::store::NewUser;
use rusqlite::Connection;

const RUNS: usize = 50;

fn seed(c: &Connection, rows: usize, now: DateTime<Utc>) -> rusqlite::Result<Vec<String>> {
    let audit = store::ensure_mode(c, "audit", false)?;
    let verified = store::ensure_mode(c, "verified", true)?;
    let day = |n: i64| Some(now + chrono::Duration::days(n));
    let mut keys = Vec::new();
    for i in 0..RUNS {
        let readable = format!("course-v1:BENCH+I{i:03}x");
        let course = store::insert_course(
            c,
            &NewCourse {
                title: &format!("Import course {i}"),
                readable_id: &readable,
                live: true,
                departments: &[],
                topics: &[],
            },
            now,
        )?;
        let key = format!("{readable}+1T2026");
        store::insert_run(
            c,
            &NewRun {
                course_id: course,
                title: "Import run",
                courseware_id: &key,
                run_tag: "1T2026",
                start_date: day(-10),
                end_date: day(80),
                enrollment_start: day(-40),
                live: true,
                language: "en",
                modes: &[audit, verified],
                ..NewRun::default()
            },
            now,
        )?;
        keys.push(key);
    }
    for i in 0..rows {
        mitxonline::users::store::insert(
            c,
            &NewUser {
                email: format!("imp{i}@example.com"),
                username: format!("imp{i}"),
                name: format!("Importer {i}"),
                ..NewUser::default()
            },
            now,
        )?;
    }
    Ok(keys)
}

fn count(db: &Path, sql: &str) -> i64 {
    let c = Connection::open(db).unwrap();
    c.query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Runs `mitxonline enrollment import FILE [--dry-run]`; returns seconds and its exit code.
fn import(dir: &Path, file: &Path, dry_run: bool) -> (f64, i32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mitxonline"));
    cmd.args(["enrollment", "import"]).arg(file);
    if dry_run {
        cmd.arg("--dry-run");
    }
    cmd.env("MITXONLINE_DATA_DIR", dir)
        .env("MITXONLINE_SCHEDULER", "false")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let t = Instant::now();
    let status = cmd.status().expect("run mitxonline");
    (t.elapsed().as_secs_f64(), status.code().unwrap_or(-1))
}

fn main() {
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let keys = rt.block_on(async {
        let vars = std::collections::BTreeMap::from([
            ("MITXONLINE_DATA_DIR".to_owned(), dir.path().display().to_string()),
            ("MITXONLINE_LOG_FORMAT".to_owned(), "text".to_owned()),
        ]);
        let config = Config::from_vars(&vars).expect("config");
        let running = serve::start(
            config,
            StartOptions {
                listener: Some(std::net::TcpListener::bind("127.0.0.1:0").unwrap()),
                clock: Clock::default(),
                dispatcher: false,
                scheduler: Some(false),
                ..StartOptions::default()
            },
        )
        .await
        .expect("start");
        let now = running.state.clock.now();
        let keys = running
            .state
            .db
            .write(move |c| seed(c, rows, now))
            .await
            .expect("seed");
        running.shutdown().await;
        keys
    });
    let db = dir.path().join("mitxonline.db");
    let good = dir.path().join("rows.csv");
    let mut csv = String::from("email,run,mode\n");
    for i in 0..rows {
        let mode = if i % 4 == 0 { "verified" } else { "audit" };
        csv.push_str(&format!("imp{i}@example.com,{},{mode}\n", keys[i % RUNS]));
    }
    std::fs::write(&good, &csv).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, csv.replace("@example.com", "@nowhere.example")).unwrap();

    let enrollments = || count(&db, "SELECT count(*) FROM course_run_enrollments");
    let outbox = || count(&db, "SELECT count(*) FROM outbox");
    let mut failed = false;
    let mut report = |what: &str, (secs, code): (f64, i32), want_code: i32, want: (i64, i64)| {
        let got = (enrollments(), outbox());
        let ok = code == want_code && got == want;
        failed |= !ok;
        println!(
            "{what:<28} {secs:>6.2} s  {:>8.0} rows/s  exit {code}  enrollments {}  outbox {}{}",
            rows as f64 / secs,
            got.0,
            got.1,
            if ok { "" } else { "  <-- WRONG" }
        );
    };
    let profile = if cfg!(debug_assertions) { "dev" } else { "release" };
    println!("bulk import of {rows} rows into {RUNS} runs ({profile} build, the real binary)");
    let r = rows as i64;
    report("dry run", import(dir.path(), &good, true), 0, (0, 0));
    // Each learner's first enrollment queues their edX account creation and the enroll.
    report("apply", import(dir.path(), &good, false), 0, (r, 2 * r));
    report(
        "apply again (idempotent)",
        import(dir.path(), &good, false),
        0,
        (r, 2 * r),
    );
    report(
        "unknown learners (all bad)",
        import(dir.path(), &bad, false),
        1,
        (r, 2 * r),
    );
    if failed {
        eprintln!("a count was wrong");
        std::process::exit(1);
    }
}
