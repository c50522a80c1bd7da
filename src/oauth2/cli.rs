//! `mitxonline oauth2 app create NAME --redirect-uri URI [--skip-authorization]` and
//! `mitxonline oauth2 app list`: register client applications from the command line (the
//! secret is printed once).

use std::process::ExitCode;

use clap::Subcommand;

use crate::clock::Clock;
use crate::config::Config;
use crate::state::AppState;

#[derive(Subcommand, Debug)]
pub enum Oauth2Command {
    /// Client applications.
    App {
        #[command(subcommand)]
        command: AppCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum AppCommand {
    /// Register an application; its client_id and secret are printed (the secret only once).
    Create {
        name: String,
        /// An exact-match redirect URI (repeatable).
        #[arg(long = "redirect-uri", required = true)]
        redirect_uri: Vec<String>,
        /// Issue codes without a consent page (trusted first-party clients such as Open edX).
        #[arg(long)]
        skip_authorization: bool,
    },
    /// List applications (never the secrets).
    List,
}

pub async fn command(command: Oauth2Command, config: Config) -> anyhow::Result<ExitCode> {
    let state = AppState::open(config, Clock::default())?;
    let Oauth2Command::App { command } = command;
    match command {
        AppCommand::Create {
            name,
            redirect_uri,
            skip_authorization,
        } => {
            let (name, uris) = match super::apps::validate_new_app(&name, &redirect_uri) {
                Ok(ok) => ok,
                Err(errors) => {
                    for (field, msgs) in errors {
                        eprintln!("error: {field}: {}", msgs.join(" "));
                    }
                    return Ok(ExitCode::from(2));
                }
            };
            let created = super::apps::create(&state, "cli".into(), name, uris, skip_authorization).await?;
            let Some((app, secret)) = created else {
                eprintln!("error: name: an application with this name exists");
                return Ok(ExitCode::from(2));
            };
            println!("created OAuth2 application {} ({})", app.id, app.name);
            println!("client_id: {}", app.client_id);
            println!("client_secret: {secret}");
            println!("store the secret now: it cannot be shown again");
            Ok(ExitCode::SUCCESS)
        }
        AppCommand::List => {
            let apps = super::apps::list(&state).await?;
            for a in apps {
                println!(
                    "{:>4}  {:<24} {}  {}{}",
                    a.id,
                    a.name,
                    a.client_id,
                    a.redirect_uris.join(" "),
                    if a.skip_authorization {
                        "  (skips consent)"
                    } else {
                        ""
                    }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
