//! Keycloak's admin API for organizations (integrations.md §6.1): list the realm's
//! organizations (the `sync-keycloak` job) and add a user to one (a local join by code, through
//! the outbox). [`client`] talks to a real Keycloak with client credentials
//! (`MITXONLINE_KEYCLOAK_*`); [`sandbox`] is the built-in stand-in when it is unconfigured,
//! keeping organizations and members in `keycloak_sandbox_*` tables (staff add organizations
//! with `POST /api/v0/staff/keycloak/sandbox/organizations/`).
//!
//! Owns `keycloak_sandbox_organizations` and `keycloak_sandbox_members`; knows no domain module.
//! - [`messages`]: the `keycloak` outbox destination and its deliverer.

pub mod client;
pub mod messages;
pub mod sandbox;
mod sandbox_api;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::outbox::Delivery;
use crate::state::AppState;

/// `OrganizationRepresentation`, the fields we use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KcOrganization {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub alias: String,
    pub description: Option<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, thiserror::Error)]
pub enum KeycloakError {
    #[error("Keycloak did not answer: {0}")]
    Transport(String),
    #[error("Keycloak answered HTTP {status}: {body}")]
    Status { status: u16, body: String },
    #[error("unexpected answer from Keycloak: {0}")]
    Decode(String),
    #[error("the Keycloak sandbox failed: {0}")]
    Sandbox(String),
}

impl KeycloakError {
    pub fn to_delivery(&self) -> Delivery {
        match self {
            KeycloakError::Status { status, body } => Delivery::from_status(*status, None, body),
            e => Delivery::Transient {
                error: e.to_string(),
                retry_after: None,
            },
        }
    }
}

/// The real admin API or the sandbox.
#[derive(Clone)]
pub enum KeycloakAdmin {
    Real(Arc<client::Client>),
    Sandbox { db: Db, clock: crate::clock::Clock },
}

impl KeycloakAdmin {
    pub fn from_state(state: &AppState) -> KeycloakAdmin {
        match &state.config.keycloak {
            Some(k) => KeycloakAdmin::Real(Arc::new(client::Client::new(
                state.http_client.clone(),
                k.clone(),
            ))),
            None => KeycloakAdmin::Sandbox {
                db: state.db.clone(),
                clock: state.clock.clone(),
            },
        }
    }

    pub async fn list_organizations(&self) -> Result<Vec<KcOrganization>, KeycloakError> {
        match self {
            KeycloakAdmin::Real(c) => c.list_organizations().await,
            KeycloakAdmin::Sandbox { db, .. } => sandbox::list(db).await,
        }
    }

    /// Adds the user to the organization; an existing membership counts as done.
    pub async fn add_member(&self, org: &str, user: &str) -> Result<(), KeycloakError> {
        match self {
            KeycloakAdmin::Real(c) => c.add_member(org, user).await,
            KeycloakAdmin::Sandbox { db, clock } => sandbox::add_member(db, clock.now(), org, user).await,
        }
    }
}

/// Registers the `keycloak` deliverer (called from `modules::register`).
pub fn register(state: &AppState) {
    state.outbox.register(
        messages::DESTINATION,
        Arc::new(messages::KeycloakDeliverer {
            admin: KeycloakAdmin::from_state(state),
        }),
    );
}

pub use sandbox_api::routes;
