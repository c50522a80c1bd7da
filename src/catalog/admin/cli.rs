//! `mitxonline catalog …`: the console's catalog actions for scripts (actor `cli`). Each
//! prints what it made or changed; a refused change exits 2 with the field and the reason
//! and changes nothing.

use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::courses::{self, CourseInput};
use super::runs::{self, RunInput};
use super::service::{self, AdminError};
use super::{edx, pages_products, queries};
use crate::clock::Clock;
use crate::config::Config;
use crate::state::AppState;

const ACTOR: &str = "cli";

#[derive(Subcommand, Debug)]
pub enum CatalogCommand {
    /// Departments: `add NAME`, `rename ID NAME`.
    Department {
        #[command(subcommand)]
        command: DepartmentCommand,
    },
    /// Topics: `add NAME [--parent TOPIC]`.
    Topic {
        #[command(subcommand)]
        command: TopicCommand,
    },
    /// Courses: `add`, `update`, `list`.
    Course {
        #[command(subcommand)]
        command: CourseCommand,
    },
    /// Course runs: `add`, `update`, `sync` (from Open edX), `create-in-edx`.
    Run {
        #[command(subcommand)]
        command: RunCommand,
    },
    /// A run's product: `set --run RUN --price P` creates it or adds a price version.
    Price {
        #[command(subcommand)]
        command: PriceCommand,
    },
    /// Programs: `add`, `requirements PROGRAM FILE` ([`crate::catalog::program_admin::cli`]).
    #[command(subcommand)]
    Program(crate::catalog::program_admin::cli::ProgramCommand),
}

#[derive(Subcommand, Debug)]
pub enum DepartmentCommand {
    Add { name: String },
    Rename { id: i64, name: String },
}

#[derive(Subcommand, Debug)]
pub enum TopicCommand {
    Add {
        name: String,
        /// The parent topic (id or name).
        #[arg(long)]
        parent: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct CourseArgs {
    #[arg(long)]
    readable_id: Option<String>,
    #[arg(long)]
    title: Option<String>,
    /// `true` or `false`.
    #[arg(long)]
    live: Option<bool>,
    /// A department (id or name); repeat for more. Replaces the course's departments.
    #[arg(long = "department")]
    departments: Vec<String>,
    /// A topic (id or name); repeat for more. Replaces the course's topics.
    #[arg(long = "topic")]
    topics: Vec<String>,
    /// ISO country codes, comma-separated.
    #[arg(long)]
    blocked_countries: Option<String>,
    /// Variants, `;`-separated: `language[, length[, industry[, flags]]]`.
    #[arg(long)]
    variants: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum CourseCommand {
    Add(Box<CourseArgs>),
    /// Change the fields given (the course by id or readable id).
    Update {
        course: String,
        #[command(flatten)]
        args: Box<CourseArgs>,
    },
    /// Courses whose key or title contains SEARCH.
    List {
        search: Option<String>,
    },
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[arg(long)]
    title: Option<String>,
    #[arg(long)]
    courseware_id: Option<String>,
    #[arg(long)]
    run_tag: Option<String>,
    /// Dates: YYYY-MM-DD, YYYY-MM-DDTHH:MM (UTC) or RFC 3339; "" clears.
    #[arg(long)]
    start: Option<String>,
    #[arg(long)]
    end: Option<String>,
    #[arg(long)]
    enrollment_start: Option<String>,
    #[arg(long)]
    enrollment_end: Option<String>,
    #[arg(long)]
    upgrade_deadline: Option<String>,
    #[arg(long)]
    certificate_available_date: Option<String>,
    #[arg(long)]
    expiration_date: Option<String>,
    #[arg(long)]
    live: Option<bool>,
    #[arg(long)]
    self_paced: Option<bool>,
    #[arg(long)]
    has_courseware_url: Option<bool>,
    #[arg(long)]
    source_run: Option<bool>,
    #[arg(long)]
    primary_language: Option<bool>,
    #[arg(long)]
    language: Option<String>,
    #[arg(long)]
    variant_length: Option<String>,
    #[arg(long)]
    variant_industry: Option<String>,
    /// The B2B contract id ("" for none).
    #[arg(long)]
    contract: Option<String>,
    /// An enrollment mode; repeat for more (a new run defaults to audit and verified).
    #[arg(long = "mode")]
    modes: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum RunCommand {
    Add {
        /// The course (id or readable id).
        #[arg(long)]
        course: String,
        #[command(flatten)]
        args: Box<RunArgs>,
    },
    /// Change the fields given (the run by id or courseware id).
    Update {
        run: String,
        #[command(flatten)]
        args: Box<RunArgs>,
    },
    /// Pull the run's title, dates, pacing and modes from Open edX.
    Sync { run: String },
    /// Queue a Studio re-run of SOURCE (default: the course's source run) into the run's key.
    CreateInEdx {
        run: String,
        #[arg(long)]
        source: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum PriceCommand {
    Set {
        /// The run (id or courseware id).
        #[arg(long)]
        run: String,
        /// USD, at most 5 digits and 2 decimals.
        #[arg(long, allow_hyphen_values = true)]
        price: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Take the run's product off sale (`--active true` puts it back).
    Active {
        #[arg(long)]
        run: String,
        #[arg(long)]
        active: bool,
    },
}

fn set<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}

impl CourseArgs {
    fn apply(self, c: &mut CourseInput) {
        set(&mut c.readable_id, self.readable_id);
        set(&mut c.title, self.title);
        set(&mut c.live, self.live);
        if !self.departments.is_empty() {
            c.departments = self.departments;
        }
        if !self.topics.is_empty() {
            c.topics = self.topics;
        }
        set(&mut c.blocked_countries, self.blocked_countries);
        set(&mut c.variants, self.variants.map(|v| v.replace(';', "\n")));
    }
}

impl RunArgs {
    fn apply(self, r: &mut RunInput) {
        set(&mut r.title, self.title);
        set(&mut r.courseware_id, self.courseware_id);
        set(&mut r.run_tag, self.run_tag);
        set(&mut r.start_date, self.start);
        set(&mut r.end_date, self.end);
        set(&mut r.enrollment_start, self.enrollment_start);
        set(&mut r.enrollment_end, self.enrollment_end);
        set(&mut r.upgrade_deadline, self.upgrade_deadline);
        set(&mut r.certificate_available_date, self.certificate_available_date);
        set(&mut r.expiration_date, self.expiration_date);
        set(&mut r.live, self.live);
        set(&mut r.is_self_paced, self.self_paced);
        set(&mut r.has_courseware_url, self.has_courseware_url);
        set(&mut r.is_source_run, self.source_run);
        set(&mut r.is_primary_language, self.primary_language);
        set(&mut r.language, self.language);
        set(&mut r.variant_length, self.variant_length);
        set(&mut r.variant_industry, self.variant_industry);
        set(&mut r.b2b_contract_id, self.contract);
        if !self.modes.is_empty() {
            r.modes = self.modes;
        }
    }
}

async fn run_id(state: &AppState, key: String) -> Result<i64, AdminError> {
    state.db.read(move |c| runs::run_by_key(c, &key)).await
}

async fn course_id(state: &AppState, key: String) -> Result<i64, AdminError> {
    state.db.read(move |c| runs::course_by_key(c, &key)).await
}

async fn dispatch(state: &AppState, command: CatalogCommand) -> Result<String, AdminError> {
    let actor = || ACTOR.to_owned();
    Ok(match command {
        // Programs have their own runner (their errors list every tree problem); `command` hands
        // them over before opening the state here.
        CatalogCommand::Program(_) => unreachable!("catalog program is run by program_admin::cli"),
        CatalogCommand::Department {
            command: DepartmentCommand::Add { name },
        } => {
            format!(
                "department {} created",
                service::add_department(state, actor(), name).await?
            )
        }
        CatalogCommand::Department {
            command: DepartmentCommand::Rename { id, name },
        } => {
            service::rename_department(state, actor(), id, name).await?;
            format!("department {id} renamed")
        }
        CatalogCommand::Topic {
            command: TopicCommand::Add { name, parent },
        } => {
            format!(
                "topic {} created",
                service::add_topic(state, actor(), name, parent).await?
            )
        }
        CatalogCommand::Course {
            command: CourseCommand::Add(args),
        } => {
            let mut input = CourseInput::default();
            (*args).apply(&mut input);
            format!(
                "course {} created",
                courses::add_course(state, actor(), input).await?
            )
        }
        CatalogCommand::Course {
            command: CourseCommand::Update { course, args },
        } => {
            let id = course_id(state, course).await?;
            let mut input = queries::course(state, id).await?.input;
            (*args).apply(&mut input);
            courses::update_course(state, actor(), id, input).await?;
            format!("course {id} updated")
        }
        CatalogCommand::Course {
            command: CourseCommand::List { search },
        } => queries::courses(state, search.unwrap_or_default())
            .await?
            .iter()
            .map(|c| {
                format!(
                    "{}\t{}\t{}\tlive={}\truns={}",
                    c.id, c.readable_id, c.title, c.live, c.runs
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        CatalogCommand::Run {
            command: RunCommand::Add { course, args },
        } => {
            let mut input = RunInput {
                course,
                has_courseware_url: true,
                is_primary_language: true,
                modes: vec!["audit".into(), "verified".into()],
                ..RunInput::default()
            };
            (*args).apply(&mut input);
            format!("run {} created", runs::add_run(state, actor(), input).await?)
        }
        CatalogCommand::Run {
            command: RunCommand::Update { run, args },
        } => {
            let id = run_id(state, run).await?;
            let mut input = queries::run(state, id).await?.input;
            (*args).apply(&mut input);
            runs::update_run(state, actor(), id, input).await?;
            format!("run {id} updated")
        }
        CatalogCommand::Run {
            command: RunCommand::Sync { run },
        } => {
            let id = run_id(state, run).await?;
            let s = edx::sync_from_edx(state, actor(), id).await?;
            format!(
                "run {id} synced from Open edX: {}; modes {}",
                if s.fields_changed {
                    "title/dates/pacing changed"
                } else {
                    "title/dates/pacing unchanged"
                },
                s.modes.join(", ")
            )
        }
        CatalogCommand::Run {
            command: RunCommand::CreateInEdx { run, source },
        } => {
            let id = run_id(state, run).await?;
            let m = edx::create_in_edx(state, actor(), id, source.unwrap_or_default()).await?;
            format!("Studio re-run queued for run {id} (outbox message {m})")
        }
        CatalogCommand::Price {
            command:
                PriceCommand::Set {
                    run,
                    price,
                    description,
                },
        } => {
            let id = run_id(state, run).await?;
            let p = pages_products::set_price(state, actor(), id, &price, description).await?;
            format!("run {id}: product {p} priced {price}")
        }
        CatalogCommand::Price {
            command: PriceCommand::Active { run, active },
        } => {
            let id = run_id(state, run).await?;
            pages_products::set_active(state, actor(), id, active).await?;
            format!("run {id}: product {}", if active { "active" } else { "inactive" })
        }
    })
}

pub async fn command(command: CatalogCommand, config: Config) -> anyhow::Result<ExitCode> {
    if let CatalogCommand::Program(command) = command {
        return crate::catalog::program_admin::cli::command(command, config).await;
    }
    let state = AppState::open(config, Clock::default())?;
    match dispatch(&state, command).await {
        Ok(out) => {
            println!("{out}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ (AdminError::Invalid { .. } | AdminError::NotFound(_) | AdminError::Edx(_))) => {
            eprintln!("error: {e}");
            Ok(ExitCode::from(2))
        }
        Err(AdminError::Db(e)) => Err(e.into()),
    }
}
