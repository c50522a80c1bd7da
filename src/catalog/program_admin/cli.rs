//! `mitxonline catalog program add --readable-id ID --title TITLE [...]` and `mitxonline
//! catalog program requirements PROGRAM FILE`: the program console's writes for scripts
//! (actor `cli`), checked exactly as the staff pages' are. A refusal prints every problem and
//! exits 2 with nothing changed.
//!
//! The requirements file is JSON: `{"groups": [{"title": "Required Courses", "items":
//! [{"course": "course-v1:MITx+A"}, {"program": "program-v1:MITx+P"}]}, {"title": "Elective
//! Courses", "at_least": 1, "items": [{"course": "…"}, {"group": {…}}]}]}` (`at_least` absent:
//! all of these).

use std::process::ExitCode;

use clap::Subcommand;

use super::service::{self, Actor, ProgramAdminError};
use super::store::ProgramFields;
use super::tree::Tree;
use crate::clock::Clock;
use crate::config::Config;
use crate::state::AppState;

#[derive(Subcommand, Debug)]
pub enum ProgramCommand {
    /// Create a program (no requirements yet); prints its id.
    Add {
        #[arg(long)]
        readable_id: String,
        #[arg(long)]
        title: String,
        /// Program type, e.g. "Series" (the default) or "MicroMasters®".
        #[arg(long, default_value = "Series")]
        program_type: String,
        /// Make it live (shown in the catalog).
        #[arg(long)]
        live: bool,
        /// Offered through B2B contracts only.
        #[arg(long)]
        b2b_only: bool,
    },
    /// Replace a program's requirement tree with the JSON tree in FILE.
    Requirements {
        /// The program's readable id (or numeric id).
        program: String,
        /// The JSON file (see `mitxonline catalog program --help` or the README).
        file: std::path::PathBuf,
    },
}

/// `mitxonline catalog program …` (mounted by [`crate::catalog::admin::cli`]).
pub async fn command(command: ProgramCommand, config: Config) -> anyhow::Result<ExitCode> {
    let state = AppState::open(config, Clock::default())?;
    let who = Actor::system("cli");
    let outcome = match command {
        ProgramCommand::Add {
            readable_id,
            title,
            program_type,
            live,
            b2b_only,
        } => {
            let f = ProgramFields {
                title,
                readable_id: readable_id.clone(),
                live,
                program_type,
                availability: "anytime".into(),
                b2b_only,
                ..ProgramFields::default()
            };
            service::create_program(&state, who, f)
                .await
                .map(|id| println!("created program {readable_id} (id {id})"))
        }
        ProgramCommand::Requirements { program, file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let tree: Tree = match serde_json::from_str(&text) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {}: not a requirement tree: {e}", file.display());
                    return Ok(ExitCode::from(2));
                }
            };
            match service::program_id(&state, program.clone()).await {
                Ok(id) => service::set_requirements(&state, who, id, tree)
                    .await
                    .map(|()| println!("saved the requirements of {program}")),
                Err(e) => Err(e),
            }
        }
    };
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(ProgramAdminError::Db(e)) => Err(e.into()),
        Err(ProgramAdminError::Tree(problems)) => {
            for p in problems {
                eprintln!("error: {p}");
            }
            Ok(ExitCode::from(2))
        }
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
    }
}
