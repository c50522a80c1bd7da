//! Load-test data for the proof suites (issue 20): `mitxonline bench seed` fills the database
//! with a realistic catalog and learner population so the load, soak and chaos runs have
//! production-sized tables to read and write.
//!
//! Owns no tables: every row is written through the owning module's store functions (catalog,
//! users, enrollment, commerce orders), in batches of write transactions. Refused unless the
//! built-in sandboxes are allowed (`dev`/`test`, or `MITXONLINE_SANDBOX=true`): it must never
//! write fake learners into a production database.

pub mod seed;

use std::process::ExitCode;

use clap::Subcommand;

use crate::clock::Clock;
use crate::config::Config;
use crate::state::AppState;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Fill the database with bench data (idempotent: a rerun adds only what is missing).
    Seed {
        #[arg(long, default_value_t = 100_000)]
        learners: usize,
        #[arg(long, default_value_t = 1_000)]
        courses: usize,
    },
}

pub async fn command(command: BenchCommand, config: Config) -> anyhow::Result<ExitCode> {
    if !config.sandbox_allowed() {
        anyhow::bail!(
            "bench seed writes fake learners and orders; it runs only where the sandboxes are allowed \
             (MITXONLINE_ENVIRONMENT dev or test, or MITXONLINE_SANDBOX=true)"
        );
    }
    match command {
        BenchCommand::Seed { learners, courses } => {
            let state = AppState::open(config, Clock::default())?;
            let size = seed::Size::new(learners, courses);
            let report = seed::seed(&state, size, |what, done, total| {
                eprint!("\r{what}: [{done}/{total}]");
                if done == total {
                    eprintln!();
                }
            })
            .await?;
            println!("{report}");
            Ok(ExitCode::SUCCESS)
        }
    }
}
