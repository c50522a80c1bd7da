//! Shared test harness: [`TestApp`] (the app in-process), [`fake::FakeServer`] (a scripted
//! partner service), [`process::Process`] (the real binary, for kill -9 tests), and the
//! builders shared by the areas' tests (`catalog`, `commerce`, `enrollment`, `identity`,
//! `program_flow`).
//!
//! **The drop check.** When a [`TestApp`] ends (at [`TestApp::shutdown`], or when it is dropped
//! by a test that never calls it) it reads its database: a test that leaves outbox rows
//! undelivered (`pending` or `dead`) or job runs `failed` fails, listing them, unless it
//! declared them: [`TestApp::expect_undrained`] (the test is not about delivery and does not
//! drain: rows to those destinations may stay `pending`), [`TestApp::expect_undelivered_to`]
//! (the test leaves them on purpose: a partner down, a retry scheduled, a permanent failure),
//! [`TestApp::expect_dead_letters`] (exactly that many, checked),
//! [`TestApp::expect_undelivered_outbox`], [`TestApp::expect_failed_runs_of`] or
//! [`TestApp::expect_failed_job_runs`]. A test that is already failing is not checked again.

#![allow(dead_code, reason = "each test module uses a different part of the harness")]

pub mod browser;
pub mod catalog;
pub mod commerce;
pub mod enrollment;
pub mod fake;
pub mod identity;
pub mod openapi;
pub mod process;
pub mod program_flow;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use mitxonline::clock::Clock;
use mitxonline::config::Config;
use mitxonline::jobs::{self, RunOutcome, Trigger};
use mitxonline::outbox::DrainReport;
use mitxonline::serve::{self, Running, StartOptions};
use mitxonline::state::AppState;
use mitxonline::users::api_keys::{self, Scope};

/// A running app with its own temporary data directory.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    /// Keeps cookies, does not follow redirects.
    pub client: reqwest::Client,
    running: Option<Running>,
    pub dir: tempfile::TempDir,
    /// What the test declared it leaves behind (the drop check).
    expected: Mutex<Expected>,
    /// The drop check ran (at `shutdown`) or must not run again.
    checked: bool,
}

/// Leftovers a test declared on purpose; everything else fails the drop check.
#[derive(Debug, Default)]
struct Expected {
    /// Any undelivered outbox row is fine.
    any_undelivered: bool,
    /// Pending (not dead) rows to these destinations are fine: the test does not drain them.
    undrained: BTreeSet<String>,
    /// Undelivered rows (pending or dead) to these destinations are fine.
    undelivered_to: BTreeSet<String>,
    /// Exactly this many dead letters to each destination.
    dead_letters: BTreeMap<String, usize>,
    /// Any failed job run is fine.
    any_failed_runs: bool,
    /// Failed runs of these jobs are fine.
    failed_runs_of: BTreeSet<String>,
}

/// An outbox row that was not delivered.
#[derive(Debug)]
struct Undelivered {
    id: i64,
    destination: String,
    kind: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
}

/// A job run that failed.
#[derive(Debug)]
struct FailedRun {
    id: i64,
    job: String,
    trigger: String,
    detail: String,
}

/// Reads what the drop check looks at, with a plain read-only connection (works in `Drop`).
fn leftovers(db: &std::path::Path) -> rusqlite::Result<(Vec<Undelivered>, Vec<FailedRun>)> {
    use rusqlite::OpenFlags;
    let c = rusqlite::Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    c.busy_timeout(Duration::from_secs(10))?;
    let outbox = c
        .prepare(
            "SELECT id, destination, kind, status, attempts, last_error FROM outbox \
             WHERE status IN ('pending', 'dead') ORDER BY id",
        )?
        .query_map([], |r| {
            Ok(Undelivered {
                id: r.get(0)?,
                destination: r.get(1)?,
                kind: r.get(2)?,
                status: r.get(3)?,
                attempts: r.get(4)?,
                last_error: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let runs = c
        .prepare("SELECT id, job, trigger, detail FROM job_runs WHERE status = 'failed' ORDER BY id")?
        .query_map([], |r| {
            Ok(FailedRun {
                id: r.get(0)?,
                job: r.get(1)?,
                trigger: r.get(2)?,
                detail: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((outbox, runs))
}

/// What the drop check complains about: undeclared leftovers, and dead-letter counts that
/// differ from the declared ones.
fn complaints(expected: &Expected, outbox: &[Undelivered], runs: &[FailedRun]) -> Vec<String> {
    let mut out = Vec::new();
    for m in outbox {
        let declared = expected.any_undelivered
            || expected.undelivered_to.contains(&m.destination)
            || (m.status == "pending" && expected.undrained.contains(&m.destination))
            || (m.status == "dead" && expected.dead_letters.contains_key(&m.destination));
        if !declared {
            let mut error = m.last_error.clone().unwrap_or_default();
            if error.len() > 160 {
                let mut cut = 160;
                while !error.is_char_boundary(cut) {
                    cut -= 1;
                }
                error.truncate(cut);
                error.push('…');
            }
            out.push(format!(
                "outbox #{} {}/{} is {} after {} attempt(s){}",
                m.id,
                m.destination,
                m.kind,
                m.status,
                m.attempts,
                if error.is_empty() {
                    String::new()
                } else {
                    format!(" (last error: {error})")
                }
            ));
        }
    }
    for (destination, want) in &expected.dead_letters {
        let found = outbox
            .iter()
            .filter(|m| m.status == "dead" && &m.destination == destination)
            .count();
        if found != *want {
            out.push(format!(
                "expected {want} dead letter(s) to {destination}, found {found}"
            ));
        }
    }
    for r in runs {
        if !(expected.any_failed_runs || expected.failed_runs_of.contains(&r.job)) {
            out.push(format!(
                "job run #{} of {} (trigger {}) failed: {}",
                r.id, r.job, r.trigger, r.detail
            ));
        }
    }
    out
}

/// Configures a [`TestApp`] before it starts.
pub struct TestAppBuilder {
    vars: BTreeMap<String, String>,
    dispatcher: bool,
    scheduler: bool,
    demo: bool,
    public_url: Option<String>,
}

impl TestAppBuilder {
    /// Sets a `MITXONLINE_*` variable.
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.vars.insert(key.to_owned(), value.to_owned());
        self
    }
    /// Runs the outbox dispatcher in the background (off by default: tests drain explicitly).
    pub fn dispatcher(mut self, on: bool) -> Self {
        self.dispatcher = on;
        self
    }
    /// Runs the cron scheduler (off by default).
    pub fn scheduler(mut self, on: bool) -> Self {
        self.scheduler = on;
        self
    }
    pub fn demo(mut self, on: bool) -> Self {
        self.demo = on;
        self
    }
    /// The public URL the app builds absolute links with (default: its own address).
    pub fn public_url(mut self, url: &str) -> Self {
        self.public_url = Some(url.to_owned());
        self
    }

    pub async fn spawn(self) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let base = format!("http://{addr}");
        let mut vars = self.vars;
        vars.entry("MITXONLINE_DATA_DIR".into())
            .or_insert_with(|| dir.path().display().to_string());
        vars.entry("MITXONLINE_BIND".into())
            .or_insert_with(|| addr.to_string());
        vars.entry("MITXONLINE_PUBLIC_URL".into())
            .or_insert_with(|| self.public_url.clone().unwrap_or_else(|| base.clone()));
        vars.entry("MITXONLINE_DB_SYNCHRONOUS".into())
            .or_insert_with(|| "NORMAL".into());
        vars.entry("MITXONLINE_DB_READERS".into())
            .or_insert_with(|| "2".into());
        // HubSpot sync is off unless a test turns it on (tests/it/hubspot/).
        vars.entry("MITXONLINE_HUBSPOT_SYNC".into())
            .or_insert_with(|| "off".into());
        let config = Config::from_vars(&vars).expect("valid test configuration");
        let running = serve::start(
            config,
            StartOptions {
                demo: self.demo,
                scheduler: Some(self.scheduler),
                dispatcher: self.dispatcher,
                clock: Clock::default(),
                listener: Some(listener),
            },
        )
        .await
        .expect("app starts");
        TestApp {
            base,
            state: running.state.clone(),
            client: client(),
            running: Some(running),
            dir,
            expected: Mutex::new(Expected::default()),
            checked: false,
        }
    }
}

/// A cookie-keeping client that does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

impl TestApp {
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            vars: BTreeMap::new(),
            dispatcher: false,
            scheduler: false,
            demo: false,
            public_url: None,
        }
    }

    /// The app with default test settings.
    pub async fn spawn() -> TestApp {
        Self::builder().spawn().await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// `GET path`'s JSON answer (`Null` when not JSON), checked against our OpenAPI document.
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        self.send_json(self.client.get(self.url(path))).await
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    /// Runs a job now and waits for it.
    pub async fn run_job(&self, name: &str) -> RunOutcome {
        jobs::run_now(&self.state, name, Trigger::Test)
            .await
            .expect("job runs")
    }

    /// Delivers everything due in the outbox now.
    pub async fn drain_outbox(&self) -> DrainReport {
        self.state.outbox.drain().await.expect("outbox drains")
    }

    /// Moves the app's clock forward.
    pub fn advance(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    /// Creates an API key and returns it.
    pub async fn api_key(&self, scope: Scope) -> String {
        let now = self.state.clock.now();
        let (_, key) = self
            .state
            .db
            .write(move |c| api_keys::create(c, "test", scope, now))
            .await
            .expect("create key");
        key
    }

    /// A single-value SQL query against the app's database (assertions only).
    pub async fn scalar_i64(&self, sql: &'static str) -> i64 {
        self.state
            .db
            .read(move |c| c.query_row(sql, [], |r| r.get(0)))
            .await
            .expect("query")
    }

    /// Stops the app (in-flight requests and deliveries finish), then runs the drop check.
    pub async fn shutdown(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
        self.check_leftovers();
    }

    fn expect(&self, f: impl FnOnce(&mut Expected)) -> &Self {
        f(&mut self.expected.lock().unwrap_or_else(|e| e.into_inner()));
        self
    }

    /// Declares that the test does not drain the outbox for these destinations (it is not
    /// about their delivery): their rows may stay pending. Dead letters are still reported.
    pub fn expect_undrained(&self, destinations: &[&str]) -> &Self {
        self.expect(|e| {
            e.undrained.extend(destinations.iter().map(|d| (*d).to_owned()));
        })
    }

    /// Declares that the test leaves outbox rows undelivered (pending or dead), whatever their
    /// destination. Prefer [`TestApp::expect_undelivered_to`] when the destination is known.
    pub fn expect_undelivered_outbox(&self) -> &Self {
        self.expect(|e| e.any_undelivered = true)
    }

    /// Declares that the test leaves outbox rows to `destination` (`openedx`, `mail`,
    /// `http_post`, …) undelivered, pending or dead, any number of them.
    pub fn expect_undelivered_to(&self, destination: &str) -> &Self {
        self.expect(|e| {
            e.undelivered_to.insert(destination.to_owned());
        })
    }

    /// Declares that the test ends with exactly `n` dead letters to `destination` (checked).
    pub fn expect_dead_letters(&self, destination: &str, n: usize) -> &Self {
        self.expect(|e| {
            e.dead_letters.insert(destination.to_owned(), n);
        })
    }

    /// Declares that the test leaves failed job runs, of any job.
    pub fn expect_failed_job_runs(&self) -> &Self {
        self.expect(|e| e.any_failed_runs = true)
    }

    /// Declares that the test leaves failed runs of the job `job`.
    pub fn expect_failed_runs_of(&self, job: &str) -> &Self {
        self.expect(|e| {
            e.failed_runs_of.insert(job.to_owned());
        })
    }

    fn database_path(&self) -> PathBuf {
        self.state.config.database_path()
    }

    /// The drop check (once): panics listing undeclared undelivered outbox rows and failed job
    /// runs. Skipped while the test is already panicking.
    fn check_leftovers(&mut self) {
        if std::mem::replace(&mut self.checked, true) || std::thread::panicking() {
            return;
        }
        let path = self.database_path();
        let (outbox, runs) = match leftovers(&path) {
            Ok(found) => found,
            Err(e) => panic!(
                "TestApp drop check: cannot read {} ({e}); a test that removes or replaces the \
                 database must still leave it readable",
                path.display()
            ),
        };
        let expected = self.expected.lock().unwrap_or_else(|e| e.into_inner());
        let complaints = complaints(&expected, &outbox, &runs);
        if !complaints.is_empty() {
            panic!(
                "TestApp drop check: the test left what it did not declare:\n  {}\n\
                 Drain the outbox (app.drain_outbox()), or declare what the test means to leave: \
                 app.expect_undrained(&[destination]) (not drained: pending rows), \
                 app.expect_undelivered_to(destination) (left on purpose: pending or dead), \
                 app.expect_dead_letters(destination, n), app.expect_failed_runs_of(job) (or the \
                 catch-alls expect_undelivered_outbox / expect_failed_job_runs).",
                complaints.join("\n  ")
            );
        }
    }
}

impl Drop for TestApp {
    /// Runs the drop check for tests that never call [`TestApp::shutdown`] (the app is still
    /// running: the check reads the database through its own read-only connection).
    fn drop(&mut self) {
        self.check_leftovers();
    }
}
