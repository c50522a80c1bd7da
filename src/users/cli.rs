//! `mitxonline apikey create|list|revoke`: API keys from the command line (printed once, only
//! their hash stored).

use std::process::ExitCode;

use clap::Subcommand;

use crate::clock::Clock;
use crate::config::Config;
use crate::state::AppState;
use crate::users::api_keys::{self, Scope};

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create a key; it is printed once and only its hash is stored.
    Create {
        name: String,
        /// `catalog` (read the catalog incl. /api/internal/) or `staff` (operate jobs and the outbox).
        #[arg(long, default_value = "catalog")]
        scope: String,
    },
    /// List keys (never the secrets).
    List,
    /// Revoke a key by id.
    Revoke { id: i64 },
}

pub async fn apikey(command: ApiKeyCommand, config: Config) -> anyhow::Result<ExitCode> {
    let state = AppState::open(config, Clock::default())?;
    let now = state.clock.now();
    let code = match command {
        ApiKeyCommand::Create { name, scope } => {
            let Some(scope) = Scope::parse(&scope) else {
                eprintln!("error: --scope must be `catalog` or `staff`, not `{scope}`");
                return Ok(ExitCode::from(2));
            };
            if name.trim().is_empty() || name.len() > 100 {
                eprintln!("error: the key name must have 1 to 100 characters");
                return Ok(ExitCode::from(2));
            }
            let (row, key) = state
                .db
                .write(move |c| api_keys::create(c, &name, scope, now))
                .await?;
            println!(
                "created API key {} ({}, scope {})",
                row.id,
                row.name,
                row.scope.as_str()
            );
            println!("key: {key}");
            println!("store it now: it cannot be shown again");
            ExitCode::SUCCESS
        }
        ApiKeyCommand::List => {
            let keys = state.db.read(api_keys::list).await?;
            for k in keys {
                println!(
                    "{:>4}  {:<24} {:<8} {}.…  created {}{}",
                    k.id,
                    k.name,
                    k.scope.as_str(),
                    k.prefix,
                    k.created_on,
                    k.revoked_on.map(|r| format!("  REVOKED {r}")).unwrap_or_default()
                );
            }
            ExitCode::SUCCESS
        }
        ApiKeyCommand::Revoke { id } => {
            let ok = state.db.write(move |c| api_keys::revoke(c, id, now)).await?;
            if ok {
                println!("revoked API key {id}");
                ExitCode::SUCCESS
            } else {
                eprintln!("error: no active API key with id {id}");
                ExitCode::FAILURE
            }
        }
    };
    Ok(code)
}

/// `mitxonline user retire EMAIL|ID… [--block]`: each account retired in its own transaction;
/// exit 1 when any could not be (each reason printed), the others are still retired.
pub async fn retire(users: Vec<String>, block: bool, config: Config) -> anyhow::Result<ExitCode> {
    let state = AppState::open(config, Clock::default())?;
    let mut failed = false;
    for who in users {
        match crate::users::retirement::retire(&state, "cli".into(), None, who.clone(), block).await {
            Ok(r) => {
                println!(
                    "retired user {}: {} is now {}",
                    r.user_id, r.old_email, r.new_email
                );
                if r.blocked {
                    println!("{} is on the blocklist", r.old_email);
                }
            }
            Err(crate::users::error::UserError::NotFound) => {
                eprintln!("error: no account {who}");
                failed = true;
            }
            Err(crate::users::error::UserError::Invalid(errors)) => {
                for messages in errors.values() {
                    for m in messages {
                        eprintln!("error: {m}");
                    }
                }
                failed = true;
            }
            Err(e) => return Err(anyhow::anyhow!("{e}")),
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
