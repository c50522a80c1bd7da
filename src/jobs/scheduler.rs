//! Runs registered jobs on their cron schedules with tokio-cron-scheduler.

use tokio_cron_scheduler::{Job, JobScheduler};

use super::{Trigger, run_now};
use crate::state::AppState;

/// The running scheduler; dropped or [`Scheduler::stop`]ped at shutdown.
pub struct Scheduler {
    inner: JobScheduler,
}

impl Scheduler {
    /// Schedules every registered job and starts ticking.
    pub async fn start(state: &AppState) -> anyhow::Result<Self> {
        let sched = JobScheduler::new().await?;
        for def in state.jobs.list() {
            let st = state.clone();
            let name = def.name;
            let job = Job::new_async(def.schedule, move |_id, _l| {
                let st = st.clone();
                Box::pin(async move {
                    if let Err(e) = run_now(&st, name, Trigger::Schedule).await {
                        tracing::error!(job.name = name, error = %e, "scheduled run could not start");
                    }
                })
            })
            .map_err(|e| anyhow::anyhow!("job {name}: bad schedule {}: {e}", def.schedule))?;
            sched.add(job).await?;
        }
        sched.start().await?;
        Ok(Self { inner: sched })
    }

    pub async fn stop(mut self) {
        if let Err(e) = self.inner.shutdown().await {
            tracing::warn!(error = %e, "scheduler did not stop cleanly");
        }
    }
}
