//! Start-up and shutdown: open the state, plug the modules in (jobs, deliverers, the backup
//! replicator), optionally load the demo data, serve HTTP, and shut down in order (stop
//! accepting, finish requests, stop the scheduler and dispatcher, drain the writer, checkpoint
//! the WAL). The only place that wires modules, the router and the backup together.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Config;
use crate::jobs::Scheduler;
use crate::state::AppState;

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
    let interrupted = state.write_at(crate::jobs::store::fail_interrupted).await?;
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
        state.mark_scheduler_enabled();
        Some(s)
    } else {
        None
    };

    crate::metrics::memory::spawn_trimmer(Duration::from_secs(30), stop_rx.clone());
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
        self.state.mark_shutting_down();
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
