//! Reads every flow's figures in one read transaction.

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::model::{FLOWS, Figures, FlowDef, FlowStatus, Source};
use crate::clock::from_db;
use crate::db::DbError;
use crate::state::{AppState, HealthStatus};

/// Every flow with its figures now.
pub async fn flows(state: &AppState) -> Result<Vec<FlowStatus>, DbError> {
    let now = state.clock.now();
    let backup = state
        .health_contributors()
        .into_iter()
        .find(|c| c.name() == "backup")
        .map(|c| c.check());
    let mut figures = state
        .db
        .read(move |c| {
            FLOWS
                .iter()
                .map(|f| db_figures(c, f, now))
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    for (def, fig) in FLOWS.iter().zip(figures.iter_mut()) {
        if def.sources.iter().any(|s| matches!(s, Source::Backup)) {
            add_backup(fig, backup.as_ref());
        }
    }
    Ok(FLOWS
        .iter()
        .zip(figures)
        .map(|(def, figures)| FlowStatus {
            id: def.id,
            label: def.label,
            partner: def.partner,
            outbound: def.outbound,
            health: figures.health(),
            destinations: def
                .sources
                .iter()
                .filter_map(|s| match s {
                    Source::Outbox { destination, .. } => Some(*destination),
                    _ => None,
                })
                .collect(),
            jobs: def
                .sources
                .iter()
                .flat_map(|s| match s {
                    Source::Jobs(j) => j.to_vec(),
                    _ => Vec::new(),
                })
                .collect(),
            figures,
        })
        .collect())
}

fn later(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if from_db(&a) >= from_db(&b) { a } else { b }),
        (a, b) => a.or(b),
    }
}

fn age(now: DateTime<Utc>, t: Option<&str>) -> i64 {
    t.and_then(from_db)
        .map(|t| (now - t).num_seconds().max(0))
        .unwrap_or(0)
}

fn db_figures(c: &Connection, def: &FlowDef, now: DateTime<Utc>) -> rusqlite::Result<Figures> {
    let since = now - chrono::Duration::hours(24);
    let mut f = Figures::default();
    for source in def.sources {
        match *source {
            Source::Outbox { destination, kinds } => {
                let o = crate::outbox::flow_figures(c, destination, kinds, since)?;
                f.seen |= o.last_delivered.is_some() || o.pending > 0 || o.dead > 0;
                f.last_success = later(f.last_success.take(), o.last_delivered);
                f.lag_seconds = f.lag_seconds.max(age(now, o.oldest_pending.as_deref()));
                f.backlog += o.pending;
                f.dead_letters += o.dead;
                f.attempts_24h += o.attempts_24h;
                f.errors_24h += o.failed_attempts_24h;
                f.failing_now |= o.retrying > 0;
                f.detail = f.detail.take().or(o.last_error);
            }
            Source::Jobs(jobs) => {
                let j = crate::jobs::store::flow_figures(c, jobs, since)?;
                f.seen |= j.last_status.is_some();
                f.last_success = later(f.last_success.take(), j.last_success);
                f.attempts_24h += j.runs_24h;
                f.errors_24h += j.failed_24h;
                if j.last_status.as_deref() == Some("failed") {
                    f.failing_now = true;
                    f.detail = f.detail.take().or(j.last_detail);
                }
            }
            Source::CatalogPulls => {
                if let Some((key, at)) = crate::users::api_keys::last_catalog_pull(c)? {
                    f.seen = true;
                    f.last_success = later(f.last_success.take(), Some(at));
                    f.detail = Some(format!("last pull with the key \u{201c}{key}\u{201d}"));
                }
            }
            Source::PaymentResults => {
                let (last, payments, alerts) = crate::commerce::orders::integrity::result_figures(c, since)?;
                f.seen |= last.is_some() || alerts > 0;
                f.last_success = later(f.last_success.take(), last);
                f.attempts_24h += payments + alerts;
                f.errors_24h += alerts;
            }
            Source::Backup => {}
        }
    }
    Ok(f)
}

fn add_backup(f: &mut Figures, check: Option<&(HealthStatus, serde_json::Value)>) {
    let Some((status, v)) = check else {
        f.detail = Some("no replica configured".into());
        return;
    };
    f.seen = true;
    f.failing_now = *status != HealthStatus::Ok;
    f.last_success = v["last_sync"].as_str().map(str::to_owned);
    f.lag_seconds = v["lag_seconds"].as_f64().map(|s| s as i64).unwrap_or(0);
    f.detail = v["last_error"].as_str().map(str::to_owned);
}
