//! `mitxonline enrollment defer --user EMAIL --from RUN [--to RUN] [--force]`: the deferral
//! service ([`super::deferral`]) from the command line (actor `cli`). A refused deferral exits
//! 2 with the reason and changes nothing.

use std::process::ExitCode;

use clap::Subcommand;

use super::Actor;
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
}

pub async fn command(command: EnrollmentCommand, config: Config) -> anyhow::Result<ExitCode> {
    let state = AppState::open(config, Clock::default())?;
    let EnrollmentCommand::Defer {
        user,
        from,
        to,
        force,
    } = command;
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
