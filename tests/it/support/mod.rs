//! Shared test harness: [`TestApp`] (the app in-process), [`fake::FakeServer`] (a scripted
//! partner service), [`process::Process`] (the real binary, for kill -9 tests), and the
//! builders shared by the areas' tests (`catalog`, `commerce`, `enrollment`, `identity`,
//! `program_flow`).

#![allow(dead_code, reason = "each test module uses a different part of the harness")]

pub mod browser;
pub mod catalog;
pub mod commerce;
pub mod enrollment;
pub mod fake;
pub mod identity;
pub mod process;
pub mod program_flow;

use std::collections::BTreeMap;
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

    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.get(path).await;
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
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

    pub async fn shutdown(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }
}
