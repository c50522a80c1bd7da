//! Where domain modules plug into the running application: jobs, outbox deliverers, health
//! contributors and background tasks. Each issue's module adds one line here.

use crate::app::AppState;

/// Called once at start, before serving.
pub async fn register(state: &AppState) -> anyhow::Result<()> {
    crate::mail::register(state)?;
    crate::users::register(state);
    Ok(())
}

/// Called once at shutdown, after HTTP stopped and before the database closes.
pub async fn shutdown(state: &AppState) {
    let _ = state;
}

/// `mitxonline backup …`; the backup module replaces this when it lands.
pub async fn backup_command(
    command: crate::cli::BackupCommand,
    config: crate::config::Config,
) -> anyhow::Result<std::process::ExitCode> {
    let _ = (command, config);
    eprintln!("streamed backups are not built yet (see the backup issue); nothing was done");
    Ok(std::process::ExitCode::from(2))
}
