//! `mitxonline enrollment defer --user EMAIL --from RUN [--to RUN] [--force]`: the deferral
//! service ([`super::deferral`]) from the command line (actor `cli`). A refused deferral exits
//! 2 with the reason and changes nothing.
//!
//! `mitxonline enrollment import FILE [--dry-run]`: the bulk import ([`super::bulk`]) of a CSV
//! file (`email,run[,mode]`, `-run` to unenroll). Prints each row's outcome; without
//! `--dry-run` applies the good rows (actor `cli`) with a `[n/total]` progress line on stderr.
//! Exits 1 when any row was bad (bad rows are never applied).

use std::io::Write;
use std::process::ExitCode;

use clap::Subcommand;

use super::Actor;
use super::bulk;
use super::deferral::{self, DeferRequest, DeferralError};
use crate::clock::Clock;
use crate::config::Config;
use crate::state::AppState;

#[derive(Subcommand, Debug)]
pub enum EnrollmentCommand {
    /// Defer a learner's enrollment: to another run (verified there), or without --to just
    /// downgrade it to audit and mark it deferred.
    Defer {
        /// The learner's email.
        #[arg(long)]
        user: String,
        /// The courseware id of the run to defer from.
        #[arg(long)]
        from: String,
        /// The courseware id of the run to defer to.
        #[arg(long)]
        to: Option<String>,
        /// Defer even from an inactive enrollment, to a closed run or another course.
        #[arg(long)]
        force: bool,
    },
    /// Enroll / unenroll learners from a CSV file of `email,run[,mode]` rows (a run written
    /// `-RUN` means unenroll; mode audit (default) or verified; a header row is optional).
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
        /// Only show what each row would do; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn command(command: EnrollmentCommand, config: Config) -> anyhow::Result<ExitCode> {
    let state = AppState::open(config, Clock::default())?;
    let (user, from, to, force) = match command {
        EnrollmentCommand::Defer {
            user,
            from,
            to,
            force,
        } => (user, from, to, force),
        EnrollmentCommand::Import { file, dry_run } => return import(&state, &file, dry_run).await,
    };
    let req = DeferRequest {
        email: user,
        from: from.clone(),
        to: to.clone(),
        force,
    };
    match deferral::defer(&state, req, Actor::system("cli")).await {
        Ok(d) => {
            println!("{}", d.summary(&from, to.as_deref()));
            Ok(ExitCode::SUCCESS)
        }
        Err(DeferralError::Enroll(e)) => Err(e.into()),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

async fn import(state: &AppState, file: &std::path::Path, dry_run: bool) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let plan = bulk::plan(state, bulk::parse(&text)).await?;
    let rows = if dry_run {
        plan
    } else {
        let mut err = std::io::stderr();
        bulk::apply(state, plan, &Actor::system("cli"), |done, total| {
            let _ = write!(err, "\r[{done}/{total}]");
            let _ = err.flush();
        })
        .await?
    };
    if !dry_run {
        eprintln!();
    }
    for r in &rows {
        println!(
            "line {}: {} {}: {}",
            r.line.number,
            r.line.email,
            r.line.run,
            r.outcome.describe(!dry_run)
        );
    }
    let (changes, errors) = (bulk::changes(&rows), bulk::errors(&rows));
    let verb = if dry_run { "would change" } else { "changed" };
    println!("{} row(s): {verb} {changes}, {errors} bad", rows.len());
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
