//! The command line: `serve`, `migrate`, `demo`, `config check`, `job …`, `user create`,
//! `apikey …`, `order …`, `hubspot sync`, `backup …`, `healthcheck`.

use std::io::Read as _;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::clock::Clock;
use crate::config::Config;
use crate::db::DbError;
use crate::jobs::{self, Trigger};
use crate::serve::{self, StartOptions};
use crate::state::AppState;
use crate::users::store::{self as users, NewUser};

#[derive(Parser, Debug)]
#[command(
    name = "mitxonline",
    version,
    about = "MITx Online: catalog, enrollments, ecommerce and more, in one binary on one SQLite file.",
    long_about = "MITx Online in one binary. Configuration comes from MITXONLINE_* environment variables \
(see deploy/env.example); `mitxonline config check` prints the effective values."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the web server, scheduler and outbox dispatcher (migrates the database first).
    Serve {
        /// Load the demo data set (idempotent) before serving.
        #[arg(long)]
        demo: bool,
    },
    /// Create or migrate the database, then exit.
    Migrate,
    /// Load the demo data set (idempotent), then exit.
    Demo,
    /// The configuration check (as `/staff/check/`): print every problem; exit 1 when any.
    Check,
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Scheduled jobs.
    Job {
        #[command(subcommand)]
        command: JobCommand,
    },
    /// User accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// API keys for service accounts (MIT Learn's ETL uses `Authorization: Api-Key <key>`).
    Apikey {
        #[command(subcommand)]
        command: crate::users::cli::ApiKeyCommand,
    },
    /// Look up and refund orders (`order show`, `order refund`).
    Order {
        #[command(subcommand)]
        command: crate::commerce::orders::cli::OrderCommand,
    },
    /// The catalog: departments, topics, courses, runs, prices, programs (`catalog run add …`).
    Catalog {
        #[command(subcommand)]
        command: crate::catalog::admin::cli::CatalogCommand,
    },
    /// Enrollment changes (`enrollment defer`).
    Enrollment {
        #[command(subcommand)]
        command: crate::enrollment::cli::EnrollmentCommand,
    },
    /// Our OAuth2/OIDC provider's client applications.
    Oauth2 {
        #[command(subcommand)]
        command: crate::oauth2::cli::Oauth2Command,
    },
    /// The HubSpot CRM sync (`hubspot sync [--dry-run]`).
    Hubspot {
        #[command(subcommand)]
        command: crate::integrations::hubspot::sync::HubspotCommand,
    },
    /// Load-test data (`bench seed --learners N --courses N`; dev/test only).
    Bench {
        #[command(subcommand)]
        command: crate::bench::BenchCommand,
    },
    /// Streamed, Litestream-compatible backups (MITXONLINE_BACKUP_URL).
    Backup {
        #[command(subcommand)]
        command: crate::backup::BackupCommand,
    },
    /// Exit 0 when the server answers 200 on its readiness endpoint (for container health checks).
    Healthcheck {
        /// Defaults to http://<MITXONLINE_BIND>/health/readiness/
        url: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the effective configuration with secrets redacted; exit 1 naming each invalid variable.
    Check,
}

#[derive(Subcommand, Debug)]
pub enum JobCommand {
    /// List jobs with their schedules.
    List,
    /// Run one job now and wait for it.
    Run { name: String },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a local account (or grant roles to an existing one). Prints a generated password
    /// unless --password-stdin is given.
    Create {
        email: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        staff: bool,
        /// Implies --staff.
        #[arg(long)]
        superuser: bool,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
        /// A service account: no password, never signs in as a person; the only kind of account
        /// bearer tokens are issued for (`/staff/access-tokens/`). Not with --superuser.
        #[arg(long, conflicts_with_all = ["superuser", "password_stdin"])]
        service_account: bool,
        /// May read the catalog's internal API (`/api/internal/courses/`) when signed in, as
        /// the original's `is_etl` users.
        #[arg(long)]
        etl: bool,
    },
    /// Retire accounts (by email or id), as the original's `retire_users`: deactivated, email
    /// replaced by a retired address, password unusable, sessions ended.
    Retire {
        #[arg(required = true)]
        users: Vec<String>,
        /// Also put each old email on the blocklist: no account can be made for it again.
        #[arg(long)]
        block: bool,
    },
}

impl Command {
    /// Serving, the demo loader, jobs and order refunds reach CyberSource, Open edX or mail.
    fn talks_to_partners(&self) -> bool {
        matches!(
            self,
            Command::Serve { .. }
                | Command::Demo
                | Command::Job { .. }
                | Command::Order { .. }
                | Command::Catalog { .. }
        )
    }
}

// CLI commands never shut the database down with a checkpoint: a running server (and its backup
// replicator) owns checkpoints. Every write awaited here is committed, so exiting loses nothing.

fn load_config() -> anyhow::Result<Config> {
    Config::from_env().map_err(|e| anyhow::anyhow!("{e}"))
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> ExitCode {
    crate::metrics::memory::tune_allocator();
    let cli = Cli::parse();
    if let Command::Config {
        command: ConfigCommand::Check,
    } = &cli.command
    {
        return config_check();
    }
    let config = match load_config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    // Commands that talk to partners (or serve) must never fall back to a sandbox where
    // sandboxes are not allowed; the others (migrate, backup, user, …) only touch the database.
    if cli.command.talks_to_partners()
        && let Err(e) = config.check_sandboxes()
    {
        eprint!("{e}");
        return ExitCode::from(2);
    }
    crate::telemetry::init(config.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn config_check() -> ExitCode {
    match Config::from_env() {
        Ok(c) => {
            for line in c.redacted_lines() {
                println!("{line}");
            }
            if let Err(e) = c.check_sandboxes() {
                eprint!("{e}");
                return ExitCode::FAILURE;
            }
            println!("configuration is valid");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprint!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { demo } => {
            let running = serve::start(
                config,
                StartOptions {
                    demo,
                    scheduler: None,
                    dispatcher: true,
                    clock: Clock::default(),
                    listener: None,
                },
            )
            .await?;
            running.run_until_signal().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let state = AppState::open(config, Clock::default())?;
            let m = state.db.migrations().clone();
            println!(
                "database at schema version {} ({} migrations applied now)",
                m.current, m.applied_now
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            let state = AppState::open(config, Clock::default())?;
            crate::modules::register(&state).await?;
            let report = crate::demo::load(&state).await?;
            println!("demo data loaded: {report}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => {
            let state = AppState::open(config, Clock::default())?;
            let found = crate::staff::check::problems(&state).await?;
            for p in &found {
                println!(
                    "{}: {} ({})",
                    p.area,
                    p.message,
                    state.config.absolute_url(&p.link)
                );
            }
            if found.is_empty() {
                println!("no configuration problems found");
                return Ok(ExitCode::SUCCESS);
            }
            eprintln!("{} configuration problem(s)", found.len());
            Ok(ExitCode::from(1))
        }
        Command::Config { .. } => unreachable!("handled before configuration is loaded"),
        Command::Job { command } => job(command, config).await,
        Command::User { command } => user(command, config).await,
        Command::Apikey { command } => crate::users::cli::apikey(command, config).await,
        Command::Order { command } => crate::commerce::orders::cli::command(command, config).await,
        Command::Catalog { command } => crate::catalog::admin::cli::command(command, config).await,
        Command::Enrollment { command } => crate::enrollment::cli::command(command, config).await,
        Command::Oauth2 { command } => crate::oauth2::cli::command(command, config).await,
        Command::Hubspot { command } => crate::integrations::hubspot::sync::command(command, config).await,
        Command::Backup { command } => crate::backup::service::command(command, config).await,
        Command::Bench { command } => crate::bench::command(command, config).await,
        Command::Healthcheck { url } => healthcheck(url, &config).await,
    }
}

async fn job(command: JobCommand, config: Config) -> anyhow::Result<ExitCode> {
    let state = AppState::open(config, Clock::default())?;
    crate::modules::register(&state).await?;
    match command {
        JobCommand::List => {
            for j in state.jobs.list() {
                println!("{:<34} {:<18} {}", j.name, j.schedule, j.description);
            }
            Ok(ExitCode::SUCCESS)
        }
        JobCommand::Run { name } => {
            let outcome = jobs::run_now(&state, &name, Trigger::Cli).await?;
            println!("run {}: {} {}", outcome.run_id, outcome.status, outcome.detail);
            Ok(if outcome.status == "succeeded" {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(char::is_whitespace)
}

async fn user(command: UserCommand, config: Config) -> anyhow::Result<ExitCode> {
    if let UserCommand::Retire { users, block } = command {
        return crate::users::cli::retire(users, block, config).await;
    }
    let UserCommand::Create {
        email,
        name,
        staff,
        superuser,
        password_stdin,
        service_account,
        etl,
    } = command
    else {
        unreachable!("retire is handled above")
    };
    if !valid_email(&email) {
        eprintln!("error: `{email}` is not a valid email address");
        return Ok(ExitCode::from(2));
    }
    let (password, generated) = if password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading the password from stdin")?;
        let s = s.trim_end_matches(['\r', '\n']).to_owned();
        anyhow::ensure!(
            s.chars().count() >= 8,
            "the password must have at least 8 characters"
        );
        (s, false)
    } else {
        (api_keys_random_password(), true)
    };
    let hash =
        tokio::task::spawn_blocking(move || crate::users::password::hash(&password).map(|h| (h, password)))
            .await??;
    let state = AppState::open(config, Clock::default())?;
    let is_staff = staff || superuser;
    let outcome = state
        .write_at(move |c, now| {
            if let Some(u) = users::find_by_email(c, &email)? {
                if service_account
                    && !u.is_service_account
                    && let Some(why) = users::service_account_obstacle(c, u.id)?
                {
                    return Ok(Err(why));
                }
                if u.is_service_account && superuser {
                    return Ok(Err("A service account cannot be a superuser."));
                }
                users::set_roles(c, u.id, is_staff || u.is_staff, superuser || u.is_superuser, now)?;
                if service_account {
                    users::set_service_account(c, u.id, true, now)?;
                }
                if etl {
                    users::set_etl(c, u.id, true, now)?;
                }
                return Ok::<_, DbError>(Ok((u.id, false)));
            }
            let username = users::free_username(c, &email)?;
            let id = users::insert(
                c,
                &NewUser {
                    email: email.clone(),
                    username,
                    name: name.unwrap_or_default(),
                    is_staff,
                    is_superuser: superuser,
                    password_hash: (!service_account).then(|| hash.0.clone()),
                },
                now,
            )?;
            if service_account {
                users::set_service_account(c, id, true, now)?;
            }
            if etl {
                users::set_etl(c, id, true, now)?;
            }
            Ok(Ok((id, true)))
        })
        .await?;
    let (id, created) = match outcome {
        Ok(v) => v,
        Err(why) => {
            eprintln!("error: {why}");
            return Ok(ExitCode::from(2));
        }
    };
    if created {
        let kind = match (service_account, is_staff) {
            (true, true) => " (staff service account)",
            (true, false) => " (service account)",
            (false, true) => " (staff)",
            (false, false) => "",
        };
        println!("created user {id}{kind}");
        if generated && !service_account {
            println!("password: {}", hash.1);
        }
    } else {
        println!("user {id} already existed; roles updated (password unchanged)");
    }
    Ok(ExitCode::SUCCESS)
}

fn api_keys_random_password() -> String {
    use rand::Rng as _;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

async fn healthcheck(url: Option<String>, config: &Config) -> anyhow::Result<ExitCode> {
    let url = url.unwrap_or_else(|| {
        let bind = config.bind;
        let host = if bind.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            bind.ip().to_string()
        };
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        format!("http://{host}:{}/health/readiness/", bind.port())
    });
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()?;
    match client.get(&url).send().await {
        Ok(r) if r.status().is_success() => {
            println!("ok: {url} answered {}", r.status());
            Ok(ExitCode::SUCCESS)
        }
        Ok(r) => {
            eprintln!("unhealthy: {url} answered {}", r.status());
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            eprintln!("unhealthy: {url}: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn emails_are_checked_before_creating_users() {
        assert!(super::valid_email("a@b.co"));
        assert!(!super::valid_email("a@b"));
        assert!(!super::valid_email("ab.co"));
        assert!(!super::valid_email("a b@c.de"));
    }
}
