//! The HubSpot CRM sync (integrations.md §5; the original's `hubspot_sync/` app and
//! mitol-django-hubspot-api): contacts for learners, products for course-run and program
//! products, deals and line items for orders and cart adds, and the certificate custom
//! objects (`course_run_certificate`, `program_certificate`) associated to the contact, with
//! the original's property names and pipeline stages ([`properties`]).
//!
//! Domain services call [`enqueue`] inside their transaction (nothing is queued when
//! `MITXONLINE_HUBSPOT_SYNC=off`); an outbox message names the local object, and its
//! deliverer ([`messages`]) reads the object as it is at delivery and upserts it: the local
//! mapping first ([`mapping`]), else a search by `unique_app_id` (email for contacts), and a
//! create only when that finds nothing, so a create retried after a lost answer never makes a
//! duplicate. [`client`] talks to HubSpot's CRM v3 API with the private app token through a
//! per-portal token bucket ([`bucket`]); [`sandbox`] is the built-in CRM used when no token is
//! set, seen by staff at `/staff/sandbox/hubspot/`. The `hubspot-sync` job and
//! `mitxonline hubspot sync [--dry-run]` ([`sync`]) re-sync what changed since the last run.
//!
//! Owns `hubspot_objects`, `hubspot_sync_state` and `hubspot_sandbox_*`; reads learners,
//! orders, products and certificates through [`source`] and B2B contracts through
//! `b2b::service`.

pub mod bucket;
pub mod client;
pub mod mapping;
pub mod messages;
pub mod properties;
pub mod sandbox;
mod sandbox_page;
pub mod source;
pub mod sync;
pub mod syncer;

use std::sync::Arc;

use crate::db::Db;
use crate::outbox::Delivery;
use crate::state::AppState;

pub use messages::{Obj, certificate, contact, deal, enqueue};
pub use properties::Properties;
pub use sandbox_page::routes;

/// HubSpot's CRM object types we write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    Contacts,
    Deals,
    LineItems,
    Products,
    /// The original's `course_run_certificate` custom object.
    CourseRunCertificates,
    /// The original's `program_certificate` custom object.
    ProgramCertificates,
}

impl ObjectType {
    /// The type's name (custom objects: the original's schema name; the client may use a
    /// configured objectTypeId in their paths instead).
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Contacts => "contacts",
            ObjectType::Deals => "deals",
            ObjectType::LineItems => "line_items",
            ObjectType::Products => "products",
            ObjectType::CourseRunCertificates => "course_run_certificate",
            ObjectType::ProgramCertificates => "program_certificate",
        }
    }

    /// The property that identifies our object there (search-before-create).
    pub fn key_property(self) -> &'static str {
        match self {
            ObjectType::Contacts => "email",
            _ => "unique_app_id",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HubspotError {
    #[error("HubSpot did not answer: {0}")]
    Transport(String),
    #[error("HubSpot answered HTTP {status}: {body}")]
    Status {
        status: u16,
        retry_after: Option<String>,
        body: String,
    },
    #[error("unexpected answer from HubSpot: {0}")]
    Decode(String),
    #[error("the HubSpot sync failed locally: {0}")]
    Local(String),
}

crate::db::error_from!(rusqlite::Error, crate::db::DbError => HubspotError::Local(crate::db::error_text));

impl HubspotError {
    /// 429 (with `Retry-After`), 5xx and network errors are retried; other 4xx are refusals.
    pub fn to_delivery(&self) -> Delivery {
        match self {
            HubspotError::Status {
                status,
                retry_after,
                body,
            } => Delivery::from_status(*status, retry_after.as_deref(), body),
            e => Delivery::Transient {
                error: e.to_string(),
                retry_after: None,
            },
        }
    }

    /// The id a 409 conflict names (`"Contact already exists. Existing ID: 123"`), as the
    /// original's client resolves a create conflict.
    pub fn existing_id(&self) -> Option<String> {
        let HubspotError::Status {
            status: 409, body, ..
        } = self
        else {
            return None;
        };
        let rest = &body[body.find("Existing ID: ")? + "Existing ID: ".len()..];
        let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
        (!id.is_empty()).then_some(id)
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, HubspotError::Status { status: 404, .. })
    }
}

/// The real CRM API or the sandbox.
#[derive(Clone)]
pub enum Crm {
    Real(Arc<client::Client>),
    Sandbox { db: Db, clock: crate::clock::Clock },
}

impl Crm {
    pub fn from_state(state: &AppState) -> Crm {
        let h = &state.config.hubspot;
        match &h.access_token {
            Some(token) => Crm::Real(Arc::new(client::Client::new(
                state.http_client.clone(),
                h.base_url.clone(),
                token.clone(),
                h.rate_per_second,
                [
                    h.course_run_certificate_type.clone(),
                    h.program_certificate_type.clone(),
                ],
            ))),
            None => Crm::Sandbox {
                db: state.db.clone(),
                clock: state.clock.clone(),
            },
        }
    }

    /// The id of the object whose `property` equals `value`, if any.
    pub async fn search(
        &self,
        t: ObjectType,
        property: &str,
        value: &str,
    ) -> Result<Option<String>, HubspotError> {
        match self {
            Crm::Real(c) => c.search(t, (property, value)).await,
            Crm::Sandbox { db, clock } => {
                sandbox::fault(db, clock.now()).await?;
                sandbox::search(db, t, property, value).await
            }
        }
    }

    /// Creates an object; returns its id.
    pub async fn create(&self, t: ObjectType, props: &Properties) -> Result<String, HubspotError> {
        match self {
            Crm::Real(c) => c.create(t, props).await,
            Crm::Sandbox { db, clock } => {
                sandbox::fault(db, clock.now()).await?;
                sandbox::create(db, clock.now(), t, props).await
            }
        }
    }

    /// Updates an object's properties; an unknown id is HTTP 404.
    pub async fn update(&self, t: ObjectType, id: &str, props: &Properties) -> Result<(), HubspotError> {
        match self {
            Crm::Real(c) => c.update(t, id, props).await,
            Crm::Sandbox { db, clock } => {
                sandbox::fault(db, clock.now()).await?;
                sandbox::update(db, clock.now(), t, id, props).await
            }
        }
    }

    /// The default association from one object to another (idempotent).
    pub async fn associate(
        &self,
        from: (ObjectType, &str),
        to: (ObjectType, &str),
    ) -> Result<(), HubspotError> {
        match self {
            Crm::Real(c) => c.associate(from, to).await,
            Crm::Sandbox { db, clock } => {
                sandbox::fault(db, clock.now()).await?;
                sandbox::associate(db, from, to).await
            }
        }
    }
}

/// Records whether this deployment syncs, then registers the `hubspot` deliverer (called
/// from `modules::register`).
pub async fn register(state: &AppState) -> anyhow::Result<()> {
    let on = state.config.hubspot.sync
        && (state.config.hubspot.access_token.is_some() || state.config.hubspot_sandbox());
    state
        .db
        .write(move |c| c.execute("UPDATE hubspot_sync_state SET enabled = ?1 WHERE id = 1", [on]))
        .await?;
    state.jobs.add(crate::jobs::JobDef::new(
        "hubspot-sync",
        "0 15 * * * *",
        "Queues a HubSpot sync of every learner, product, order and certificate changed since the last run.",
        |state| async move { sync::run(&state).await },
    ));
    state.outbox.register(
        messages::DESTINATION,
        Arc::new(messages::HubspotDeliverer {
            sync: messages::Syncer::from_state(state),
        }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16, body: &str) -> HubspotError {
        HubspotError::Status {
            status,
            retry_after: None,
            body: body.into(),
        }
    }

    #[test]
    fn a_create_conflict_names_the_existing_object_and_429_is_retried_after_its_wait() {
        let e = status(
            409,
            r#"{"status":"error","message":"Contact already exists. Existing ID: 4511","category":"CONFLICT"}"#,
        );
        assert_eq!(e.existing_id().as_deref(), Some("4511"));
        assert_eq!(status(409, "conflict").existing_id(), None);
        assert_eq!(status(400, "Existing ID: 1").existing_id(), None);
        let limited = HubspotError::Status {
            status: 429,
            retry_after: Some("3".into()),
            body: String::new(),
        };
        assert!(matches!(
            limited.to_delivery(),
            Delivery::Transient { retry_after: Some(d), .. } if d == std::time::Duration::from_secs(3)
        ));
        assert!(matches!(
            status(400, "bad").to_delivery(),
            Delivery::Permanent { .. }
        ));
        assert!(status(404, "").is_not_found());
    }
}
