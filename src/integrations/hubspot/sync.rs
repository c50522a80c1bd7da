//! Re-syncing what changed: the `hubspot-sync` job queues a sync of every learner, product,
//! order and certificate (course run and program) changed since its last run (everything on the first run), like the original's
//! `sync_db_to_hubspot`; `mitxonline hubspot sync` does the same from the command line, and
//! `--dry-run` prints what would be sent (one JSON object per line) and sends nothing.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use rusqlite::Connection;
use serde_json::json;

use super::messages::{self, Obj};
use super::syncer;
use crate::clock::{Clock, from_db, to_db};
use crate::config::Config;
use crate::state::AppState;

#[derive(Subcommand, Debug)]
pub enum HubspotCommand {
    /// Queue a sync of everything changed since the last run (or print it with --dry-run).
    Sync {
        /// Print what would be sent, one JSON object per line; send and queue nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

fn last_run(c: &Connection) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let v: Option<String> = c.query_row(
        "SELECT last_run_at FROM hubspot_sync_state WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    Ok(v.as_deref().and_then(from_db))
}

fn objects(c: &Connection) -> rusqlite::Result<Vec<Obj>> {
    let ch = super::source::changed_since(c, last_run(c)?)?;
    let users = ch.users.into_iter().map(|user_id| Obj::Contact { user_id });
    let products = ch
        .products
        .into_iter()
        .map(|product_id| Obj::Product { product_id });
    let orders = ch.orders.into_iter().map(|order_id| Obj::Deal { order_id });
    let runs = ch
        .run_certificates
        .into_iter()
        .map(|certificate_id| Obj::CourseRunCertificate { certificate_id });
    let programs = ch
        .program_certificates
        .into_iter()
        .map(|certificate_id| Obj::ProgramCertificate { certificate_id });
    Ok(users
        .chain(products)
        .chain(orders)
        .chain(runs)
        .chain(programs)
        .collect())
}

/// Queues every changed object and moves the mark; returns how many of each kind.
pub fn queue_changed(c: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Option<[usize; 4]>> {
    if !messages::enabled(c)? {
        return Ok(None);
    }
    let mut n = [0usize; 4];
    for obj in objects(c)? {
        messages::enqueue(c, now, obj, "resync")?;
        n[match obj {
            Obj::Contact { .. } => 0,
            Obj::Product { .. } => 1,
            Obj::Deal { .. } | Obj::Cart { .. } => 2,
            Obj::CourseRunCertificate { .. } | Obj::ProgramCertificate { .. } => 3,
        }] += 1;
    }
    c.execute(
        "UPDATE hubspot_sync_state SET last_run_at = ?1 WHERE id = 1",
        [to_db(now)],
    )?;
    Ok(Some(n))
}

/// The `hubspot-sync` job.
pub async fn run(state: &AppState) -> anyhow::Result<String> {
    let queued = state.write_at(queue_changed).await?;
    state.outbox.wake();
    Ok(match queued {
        None => "HubSpot sync is off".to_owned(),
        Some([u, p, o, x]) => {
            format!("queued {u} contacts, {p} products, {o} deals and {x} certificates")
        }
    })
}

/// What a dry run prints: one line per object that would be sent or skipped.
pub fn dry_run(c: &Connection, prefix: &str, pipeline: &str) -> rusqlite::Result<Vec<String>> {
    let mut out = Vec::new();
    for obj in objects(c)? {
        let snap = syncer::snapshot(c, obj, prefix, pipeline)?;
        if let syncer::Snapshot::Skip(why) = snap {
            out.push(json!({ "skip": obj, "why": why }).to_string());
            continue;
        }
        for o in syncer::describe(c, &snap, prefix, pipeline)? {
            out.push(json!({ "for": obj, "send": o }).to_string());
        }
    }
    Ok(out)
}

/// `mitxonline hubspot sync [--dry-run]`.
pub async fn command(command: HubspotCommand, config: Config) -> anyhow::Result<ExitCode> {
    let HubspotCommand::Sync { dry_run: dry } = command;
    let state = AppState::open(config, Clock::default())?;
    if dry {
        let (prefix, pipeline) = (
            state.config.hubspot.id_prefix.clone(),
            state.config.hubspot.pipeline_id.clone(),
        );
        let lines = state.db.read(move |c| dry_run(c, &prefix, &pipeline)).await?;
        for l in &lines {
            println!("{l}");
        }
        println!("dry run: {} lines, nothing sent or queued", lines.len());
        return Ok(ExitCode::SUCCESS);
    }
    println!("{} (the server's outbox delivers them)", run(&state).await?);
    Ok(ExitCode::SUCCESS)
}
