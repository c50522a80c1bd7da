//! Application state: what handlers, services and jobs share (configuration, database, clock,
//! outbox, job registry, metrics, the backup handle, health contributors). A leaf: it imports
//! foundation modules only, never a domain module or the web layer, so any module can take an
//! [`AppState`] without joining an import cycle with the router. Start-up and shutdown live in
//! [`crate::serve`].

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{Db, DbOptions};
use crate::jobs::Registry;
use crate::metrics::Metrics;
use crate::outbox::{Dispatcher, HTTP_POST, HttpPostDeliverer};

/// Health of one component, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HealthStatus {
    Ok,
    Degraded,
    Failing,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Ok => "ok",
            HealthStatus::Degraded => "degraded",
            HealthStatus::Failing => "failing",
        }
    }
}

/// A component that reports on `/health/full/` (the backup replicator, integrations).
pub trait HealthContributor: Send + Sync {
    fn name(&self) -> &'static str;
    /// Cheap and synchronous: report remembered state, do no I/O.
    fn check(&self) -> (HealthStatus, serde_json::Value);
}

/// Everything handlers and jobs need, passed explicitly (no globals). Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub db: Db,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    pub outbox: Arc<Dispatcher>,
    pub jobs: Arc<Registry>,
    /// Shared outbound HTTP client (rustls, timeouts), for every integration.
    pub http_client: reqwest::Client,
    pub started: Instant,
    /// The backup replicator, once started (`MITXONLINE_BACKUP_URL`).
    pub backup: std::sync::OnceLock<crate::backup::Replicator>,
    shutting_down: AtomicBool,
    scheduler_enabled: AtomicBool,
    health: RwLock<Vec<Arc<dyn HealthContributor>>>,
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Opens the database (creating and migrating it) and builds the state.
    pub fn open(mut config: Config, clock: Clock) -> anyhow::Result<AppState> {
        let metrics = Arc::new(Metrics::default());
        crate::db::limit_memory(config.db_memory_mb);
        let db = Db::open(
            &DbOptions {
                path: config.database_path(),
                readers: config.db_readers,
                synchronous: config.db_synchronous,
                hold_checkpoints: config.backup_url.is_some(),
            },
            &metrics,
        )?;
        if config.cybersource_sandbox() {
            config.sandbox_keys = Some(crate::db::sandbox_keys::load_or_create(
                &config.database_path(),
                config.db_synchronous,
                clock.now(),
            )?);
        }
        let http_client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("mitxonline/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the HTTP client")?;
        let outbox = Arc::new(Dispatcher::new(
            db.clone(),
            clock.clone(),
            config.outbox.clone(),
            metrics.clone(),
        ));
        outbox.register(HTTP_POST, Arc::new(HttpPostDeliverer::new(http_client.clone())));
        Ok(AppState(Arc::new(Inner {
            config,
            db,
            clock,
            metrics,
            outbox,
            jobs: Arc::new(Registry::with_builtin()),
            http_client,
            started: Instant::now(),
            backup: std::sync::OnceLock::new(),
            shutting_down: AtomicBool::new(false),
            scheduler_enabled: AtomicBool::new(false),
            health: RwLock::default(),
        })))
    }

    /// Runs `f` inside the writer's transaction (as [`Db::write`]) with the clock's current
    /// time, read before the write is queued: the common "write, stamped now" of the services.
    pub async fn write_at<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&rusqlite::Connection, chrono::DateTime<chrono::Utc>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<rusqlite::Error> + Send + 'static,
    {
        let now = self.clock.now();
        self.db.write(move |c| f(c, now)).await
    }

    /// [`AppState::write_at`] for a write that queues outbox messages: once it committed, the
    /// dispatcher is woken to deliver them.
    pub async fn write_queued<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&rusqlite::Connection, chrono::DateTime<chrono::Utc>) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<rusqlite::Error> + Send + 'static,
    {
        let out = self.write_at(f).await?;
        self.outbox.wake();
        Ok(out)
    }

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    pub fn scheduler_enabled(&self) -> bool {
        self.scheduler_enabled.load(Ordering::SeqCst)
    }

    /// Start-up says the scheduler runs (for `/health/full/`).
    pub fn mark_scheduler_enabled(&self) {
        self.scheduler_enabled.store(true, Ordering::SeqCst);
    }

    /// Shutdown has begun: readiness answers 503 from now on.
    pub fn mark_shutting_down(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    pub fn add_health_contributor(&self, c: Arc<dyn HealthContributor>) {
        self.health.write().expect("health lock").push(c);
    }

    pub fn health_contributors(&self) -> Vec<Arc<dyn HealthContributor>> {
        self.health.read().expect("health lock").clone()
    }
}
