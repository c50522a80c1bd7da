//! The foundation's own housekeeping jobs.

use super::{JobDef, store};

/// How long finished job runs are kept.
const JOB_RUN_RETENTION_DAYS: i64 = 90;
/// How long delivered outbox messages are kept (for audits and idempotency look-ups).
const DELIVERED_OUTBOX_RETENTION_DAYS: i64 = 30;

pub(super) fn jobs() -> Vec<JobDef> {
    vec![
        JobDef::new(
            "prune-job-runs",
            "0 30 3 * * *",
            "Deletes finished job runs older than 90 days.",
            |state| async move {
                let before = state.clock.now() - chrono::Duration::days(JOB_RUN_RETENTION_DAYS);
                let n = state.db.write(move |c| store::prune(c, before)).await?;
                Ok(format!("deleted {n} job runs"))
            },
        ),
        JobDef::new(
            "purge-delivered-outbox",
            "0 40 3 * * *",
            "Deletes outbox messages delivered more than 30 days ago.",
            |state| async move {
                let before = state.clock.now() - chrono::Duration::days(DELIVERED_OUTBOX_RETENTION_DAYS);
                let n = state
                    .db
                    .write(move |c| crate::outbox::purge_delivered(c, before))
                    .await?;
                Ok(format!("deleted {n} delivered messages"))
            },
        ),
        JobDef::new(
            "deliver-outbox",
            "0 */5 * * * *",
            "Delivers every due outbox message (the dispatcher also runs continuously).",
            |state| async move {
                let r = state.outbox.drain().await?;
                Ok(format!(
                    "delivered {}, retrying {}, dead {}, deferred {}",
                    r.delivered, r.retried, r.dead, r.deferred
                ))
            },
        ),
    ]
}
