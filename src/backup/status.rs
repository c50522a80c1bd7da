//! What the replicator remembers about itself, shown on `/health/full/`, `/metrics` and by
//! `mitxonline backup status` (through `<backup dir>/status.json`, since the CLI is another
//! process).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::replicator::{CaptureTimes, Shared};
use crate::metrics::Metrics;
use crate::state::{HealthContributor, HealthStatus};

/// A replica with something unshipped for longer than this is stalled.
pub const STALL_AFTER: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct Status {
    pub captured_txid: u64,
    pub replicated_txid: u64,
    pub last_sync: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub errors: u64,
    pub capture_times: CaptureTimes,
    pub lag_samples: VecDeque<Duration>,
    pub last_snapshot: Option<(u64, DateTime<Utc>)>,
    pub stalled_alerted: bool,
}

/// The persisted summary `backup status` prints.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub replica: String,
    pub status: String,
    pub captured_txid: u64,
    pub replicated_txid: u64,
    pub lag_seconds: f64,
    pub last_sync: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_snapshot_txid: Option<u64>,
    pub last_snapshot_at: Option<DateTime<Utc>>,
    pub written_at: DateTime<Utc>,
}

impl Shared {
    /// When the oldest commit that is not yet on the replica happened.
    pub fn oldest_unshipped(&self) -> Option<Instant> {
        let pending = *self.pending_since();
        let staged = self
            .status
            .lock()
            .expect("lock")
            .capture_times
            .values()
            .next()
            .copied();
        match (pending, staged) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn summary(&self) -> Summary {
        let lag = self.oldest_unshipped().map(|t| t.elapsed()).unwrap_or_default();
        let st = self.status();
        let degraded = lag > STALL_AFTER || st.last_error.is_some();
        Summary {
            replica: self.replica.describe(),
            status: if degraded { "degraded" } else { "ok" }.into(),
            captured_txid: st.captured_txid,
            replicated_txid: st.replicated_txid,
            lag_seconds: lag.as_secs_f64(),
            last_sync: st.last_sync,
            last_error: st.last_error.clone(),
            last_snapshot_txid: st.last_snapshot.map(|s| s.0),
            last_snapshot_at: st.last_snapshot.map(|s| s.1),
            written_at: Utc::now(),
        }
    }

    /// Updates metrics, logs a stall once, and writes `status.json`.
    pub fn publish(&self, metrics: &Metrics) {
        let s = self.summary();
        metrics.set_gauge(
            "mitxonline_backup_txid",
            "Last transaction id (LTX file) on the replica.",
            &[],
            s.replicated_txid as i64,
        );
        metrics.set_gauge(
            "mitxonline_backup_lag_milliseconds",
            "Age of the oldest commit not yet on the replica.",
            &[],
            (s.lag_seconds * 1000.0) as i64,
        );
        metrics.set_gauge(
            "mitxonline_backup_last_sync_timestamp_seconds",
            "Unix time of the last successful upload to the replica.",
            &[],
            s.last_sync.map(|t| t.timestamp()).unwrap_or(0),
        );
        metrics.set_gauge(
            "mitxonline_backup_healthy",
            "1 when the replica is in sync, 0 when stalled or failing.",
            &[],
            i64::from(s.status == "ok"),
        );
        {
            let mut st = self.status();
            if s.lag_seconds > STALL_AFTER.as_secs_f64() {
                if !st.stalled_alerted {
                    st.stalled_alerted = true;
                    tracing::error!(
                        alert = "backup_stalled",
                        lag_seconds = s.lag_seconds,
                        error = ?s.last_error,
                        replica = %s.replica,
                        "ALERT: the backup replica is stalled"
                    );
                }
            } else if st.stalled_alerted {
                st.stalled_alerted = false;
                tracing::info!(replica = %s.replica, "backup replica caught up");
            }
        }
        if let Ok(bytes) = serde_json::to_vec_pretty(&s) {
            let _ = std::fs::write(self.dir.join("status.json"), bytes);
        }
    }
}

/// Health of the replicator on `/health/full/`.
pub struct BackupHealth(pub Arc<Shared>);

impl HealthContributor for BackupHealth {
    fn name(&self) -> &'static str {
        "backup"
    }

    fn check(&self) -> (HealthStatus, serde_json::Value) {
        let s = self.0.summary();
        let status = if s.status == "ok" {
            HealthStatus::Ok
        } else {
            HealthStatus::Degraded
        };
        (
            status,
            json!({
                "status": status.as_str(),
                "replica": s.replica,
                "txid": s.replicated_txid,
                "captured_txid": s.captured_txid,
                "lag_seconds": s.lag_seconds,
                "last_sync": s.last_sync,
                "last_error": s.last_error,
                "last_snapshot_txid": s.last_snapshot_txid,
                "last_snapshot_at": s.last_snapshot_at,
            }),
        )
    }
}
