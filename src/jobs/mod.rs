//! Named jobs (DESIGN decision 9): one registry with each job's schedule and description, every
//! run recorded in `job_runs`, a job never overlapping itself, runnable from the scheduler, the
//! CLI (`mitxonline job run NAME`) and staff.
//!
//! Owns `job_runs`; reads no other module's tables (each job calls its module's service).

mod builtin;
mod scheduler;
pub mod store;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use crate::db::DbError;
use crate::outbox::BoxFutureStatic;
use crate::state::AppState;

pub use scheduler::Scheduler;

/// What a job body returns: a short human summary of what it did.
pub type JobResult = anyhow::Result<String>;
type JobFn = Arc<dyn Fn(AppState) -> BoxFutureStatic<JobResult> + Send + Sync>;

/// A named, scheduled unit of background work.
#[derive(Clone)]
pub struct JobDef {
    pub name: &'static str,
    /// Six-field cron (seconds first), UTC.
    pub schedule: &'static str,
    pub description: &'static str,
    run: JobFn,
}

impl JobDef {
    pub fn new<F, Fut>(name: &'static str, schedule: &'static str, description: &'static str, f: F) -> Self
    where
        F: Fn(AppState) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = JobResult> + Send + 'static,
    {
        Self {
            name,
            schedule,
            description,
            run: Arc::new(move |s| Box::pin(f(s))),
        }
    }
}

/// How a run was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Cli,
    Staff,
    Test,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Cli => "cli",
            Trigger::Staff => "staff",
            Trigger::Test => "test",
        }
    }
}

/// The result of asking for a run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunOutcome {
    pub run_id: i64,
    pub status: String,
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("no job is named `{0}`")]
    Unknown(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

crate::db::error_from!(rusqlite::Error => JobError::Db);

/// Every job of this process and which are running now.
#[derive(Default)]
pub struct Registry {
    jobs: RwLock<BTreeMap<&'static str, JobDef>>,
    running: RwLock<BTreeMap<&'static str, Arc<AtomicBool>>>,
}

impl Registry {
    /// The registry with the foundation's own jobs; domain modules add theirs with [`Registry::add`].
    pub fn with_builtin() -> Self {
        let r = Self::default();
        for job in builtin::jobs() {
            r.add(job);
        }
        r
    }

    pub fn add(&self, job: JobDef) {
        self.running
            .write()
            .expect("jobs lock")
            .insert(job.name, Arc::new(AtomicBool::new(false)));
        self.jobs.write().expect("jobs lock").insert(job.name, job);
    }

    pub fn list(&self) -> Vec<JobDef> {
        self.jobs.read().expect("jobs lock").values().cloned().collect()
    }

    pub fn get(&self, name: &str) -> Option<JobDef> {
        self.jobs.read().expect("jobs lock").get(name).cloned()
    }

    pub fn is_running(&self, name: &str) -> bool {
        self.running
            .read()
            .expect("jobs lock")
            .get(name)
            .is_some_and(|f| f.load(Ordering::SeqCst))
    }
}

/// Queues a run (recorded at once) and executes it in the background; returns the queued row.
pub async fn queue_run(state: &AppState, name: &str, trigger: Trigger) -> Result<RunOutcome, JobError> {
    let (job, id) = record_queued(state, name, trigger).await?;
    let st = state.clone();
    tokio::spawn(async move {
        if let Err(e) = execute(&st, job, id).await {
            tracing::error!(job.run_id = id, error = %e, "could not record a job run");
        }
    });
    Ok(RunOutcome {
        run_id: id,
        status: "queued".into(),
        detail: String::new(),
    })
}

/// Finds the job and records a `queued` run of it.
async fn record_queued(state: &AppState, name: &str, trigger: Trigger) -> Result<(JobDef, i64), JobError> {
    let job = state
        .jobs
        .get(name)
        .ok_or_else(|| JobError::Unknown(name.to_owned()))?;
    let id = state
        .write_at(move |c, now| store::insert(c, job.name, trigger, "queued", now))
        .await?;
    Ok((job, id))
}

/// Runs a job now and waits for it (scheduler, CLI, tests).
pub async fn run_now(state: &AppState, name: &str, trigger: Trigger) -> Result<RunOutcome, JobError> {
    let (job, id) = record_queued(state, name, trigger).await?;
    execute(state, job, id).await
}

async fn execute(state: &AppState, job: JobDef, id: i64) -> Result<RunOutcome, JobError> {
    let flag = state
        .jobs
        .running
        .read()
        .expect("jobs lock")
        .get(job.name)
        .cloned()
        .expect("registered job has a flag");
    let (status, detail) = if flag.swap(true, Ordering::SeqCst) {
        (
            "skipped",
            "an earlier run of this job is still running".to_owned(),
        )
    } else {
        state
            .write_at(move |c, now| store::mark_started(c, id, now))
            .await?;
        let span = tracing::info_span!("job", job.name = job.name, job.run_id = id);
        let result = {
            let _e = span.enter();
            tracing::info!("job started");
            drop(_e);
            let fut = (job.run)(state.clone());
            // A panicking job is a failed run, never a stuck "running" flag.
            tokio::spawn(fut).await
        };
        flag.store(false, Ordering::SeqCst);
        match result {
            Ok(Ok(summary)) => {
                tracing::info!(job.name = job.name, job.run_id = id, %summary, "job succeeded");
                ("succeeded", summary)
            }
            Ok(Err(e)) => {
                tracing::error!(
                    job.name = job.name,
                    job.run_id = id,
                    error = format!("{e:#}"),
                    "job failed"
                );
                ("failed", format!("{e:#}"))
            }
            Err(join) => {
                tracing::error!(job.name = job.name, job.run_id = id, error = %join, "job panicked");
                ("failed", format!("panicked: {join}"))
            }
        }
    };
    state.metrics.inc(
        "mitxonline_job_runs_total",
        "Job runs by job and outcome.",
        &[("job", job.name), ("outcome", status)],
    );
    let d = detail.clone();
    state
        .write_at(move |c, now| store::mark_finished(c, id, status, &d, now))
        .await?;
    Ok(RunOutcome {
        run_id: id,
        status: status.into(),
        detail,
    })
}
