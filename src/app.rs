//! Application state and lifecycle: open the database, wire the outbox, jobs and integrations,
//! serve HTTP, and shut down in order (stop accepting, finish requests, stop the scheduler and
//! dispatcher, drain the writer, checkpoint the WAL).

use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{Db, DbError, DbOptions};
use crate::jobs::{Registry, Scheduler};
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
        let db = Db::open(
            &DbOptions {
                path: config.database_path(),
                readers: config.db_readers,
                synchronous: config.db_synchronous,
            },
            &metrics,
        )?;
        if config.cybersource_sandbox() {
            config.sandbox_keys = Some(crate::integrations::cybersource::sandbox::keys::load_or_create(
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

    pub fn is_shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    pub fn scheduler_enabled(&self) -> bool {
        self.scheduler_enabled.load(Ordering::SeqCst)
    }

    pub fn add_health_contributor(&self, c: Arc<dyn HealthContributor>) {
        self.health.write().expect("health lock").push(c);
    }

    pub fn health_contributors(&self) -> Vec<Arc<dyn HealthContributor>> {
        self.health.read().expect("health lock").clone()
    }
}

/// How to start a server.
#[derive(Default)]
pub struct StartOptions {
    /// Load the demo data set (idempotent) before serving.
    pub demo: bool,
    /// Run scheduled jobs; overrides `MITXONLINE_SCHEDULER` when `Some`.
    pub scheduler: Option<bool>,
    /// Run the outbox dispatcher in the background (tests may drive it by hand instead).
    pub dispatcher: bool,
    pub clock: Clock,
    /// An already-bound listener (tests bind 127.0.0.1:0 first to know the URL); otherwise
    /// `MITXONLINE_BIND` is bound.
    pub listener: Option<std::net::TcpListener>,
}

/// A started server.
pub struct Running {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    dispatcher: Option<tokio::task::JoinHandle<()>>,
    scheduler: Option<Scheduler>,
}

/// Opens everything, binds `config.bind` and starts serving in the background.
pub async fn start(config: Config, opts: StartOptions) -> anyhow::Result<Running> {
    config
        .check_sandboxes()
        .map_err(|e| anyhow::anyhow!("refusing to serve: {e}"))?;
    let state = AppState::open(config, opts.clock.clone())?;
    let now = state.clock.now();
    let interrupted = state
        .db
        .write(move |c| crate::jobs::store::fail_interrupted(c, now).map_err(DbError::from))
        .await?;
    if interrupted > 0 {
        tracing::warn!(
            count = interrupted,
            "marked job runs interrupted by the last stop as failed"
        );
    }
    crate::modules::register(&state).await?;
    if opts.demo {
        let report = crate::demo::load(&state).await?;
        tracing::info!(%report, "demo data loaded");
    }
    crate::http::assets::warm();
    let listener = match opts.listener {
        Some(l) => {
            l.set_nonblocking(true)?;
            tokio::net::TcpListener::from_std(l)?
        }
        None => tokio::net::TcpListener::bind(state.config.bind)
            .await
            .with_context(|| format!("cannot listen on {}", state.config.bind))?,
    };
    let addr = listener.local_addr()?;
    let (stop, stop_rx) = watch::channel(false);

    let dispatcher = opts.dispatcher.then(|| {
        let mut rx = stop_rx.clone();
        let d = state.outbox.clone();
        tokio::spawn(async move {
            d.run(async move {
                let _ = rx.wait_for(|v| *v).await;
            })
            .await;
        })
    });
    let scheduler_on = opts.scheduler.unwrap_or(state.config.scheduler_enabled);
    let scheduler = if scheduler_on {
        let s = Scheduler::start(&state).await?;
        state.scheduler_enabled.store(true, Ordering::SeqCst);
        Some(s)
    } else {
        None
    };

    let app = crate::http::build(state.clone());
    let mut rx = stop_rx.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = rx.wait_for(|v| *v).await;
            })
            .await
    });
    tracing::info!(%addr, public_url = %state.config.public_url, "serving");
    Ok(Running {
        addr,
        state,
        stop,
        server,
        dispatcher,
        scheduler,
    })
}

impl Running {
    /// Stops accepting, lets in-flight requests finish (up to the grace period), stops the
    /// scheduler and the dispatcher, drains the writer and checkpoints the WAL.
    pub async fn shutdown(self) {
        self.state.shutting_down.store(true, Ordering::SeqCst);
        let _ = self.stop.send(true);
        let grace = self.state.config.shutdown_grace;
        if tokio::time::timeout(grace, self.server).await.is_err() {
            tracing::warn!(
                ?grace,
                "in-flight requests did not finish within the grace period"
            );
        }
        if let Some(s) = self.scheduler {
            s.stop().await;
        }
        if let Some(d) = self.dispatcher {
            let _ = tokio::time::timeout(Duration::from_secs(15), d).await;
        }
        crate::modules::shutdown(&self.state).await;
        self.state.db.shutdown().await;
        tracing::info!("stopped");
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully.
    pub async fn run_until_signal(self) {
        wait_for_signal().await;
        tracing::info!("shutdown signal received");
        self.shutdown().await;
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("install SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
