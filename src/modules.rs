//! Where domain modules plug into the running application: jobs, outbox deliverers, health
//! contributors and background tasks. Each issue's module adds one line here.

use crate::state::AppState;

/// Called once at start, before serving.
pub async fn register(state: &AppState) -> anyhow::Result<()> {
    match crate::backup::Replicator::start(state).await {
        Ok(Some(r)) => {
            let _ = state.backup.set(r);
        }
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "backup replication not started");
            // Nothing replicates: checkpoint as without backups. The usual cause is a replica
            // unreachable at the first start, with no local backup state: the next start makes
            // a full copy anyway.
            state.db.release_checkpoint_hold();
        }
    }
    crate::integrations::openedx::register(state);
    crate::integrations::cybersource::register(state);
    crate::integrations::keycloak::register(state);
    crate::integrations::hubspot::register(state).await?;
    crate::integrations::sheets::register(state).await?;
    crate::mail::register(state)?;
    crate::users::register(state);
    crate::oauth2::register(state);
    crate::enrollment::register(state);
    crate::cms::register(state);
    crate::certificates::register(state);
    crate::commerce::register(state);
    crate::pricing::register(state);
    crate::b2b::register(state);
    Ok(())
}

/// Called once at shutdown, after HTTP stopped and before the database closes.
pub async fn shutdown(state: &AppState) {
    if let Some(r) = state.backup.get() {
        r.shutdown().await;
    }
}
