//! Outbox messages for destination `hubspot`. A message names a local object; its deliverer
//! syncs the object as it is at delivery ([`super::syncer`]), so messages of one object
//! delivered late or out of order still leave HubSpot with the latest state.
//!
//! | kind | payload | effect |
//! |---|---|---|
//! | `contact` | `{object, user_id}` | upsert the learner's contact (skipped for B2B learners) |
//! | `product` | `{object, product_id}` | upsert the product |
//! | `deal` | `{object, order_id}` | upsert the order's deal (associated to the contact) and its line items (to the deal, with `hs_product_id`) |
//! | `cart` | `{object, basket_item_id}` | a cart add: a deal at `checkout_abandoned` with its line item |
//! | `course_run_certificate` | `{object, certificate_id}` | upsert the certificate custom object (associated to the contact; skipped for B2B learners) |
//! | `program_certificate` | `{object, certificate_id}` | the same for a program certificate |

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::outbox::{self, BoxFuture, Deliverer, Delivery, Message, NewMessage};

pub use super::syncer::{Outcome, Syncer};

pub const DESTINATION: &str = "hubspot";

/// The local object a message syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "object", rename_all = "snake_case")]
pub enum Obj {
    Contact { user_id: i64 },
    Product { product_id: i64 },
    Deal { order_id: i64 },
    Cart { basket_item_id: i64 },
    CourseRunCertificate { certificate_id: i64 },
    ProgramCertificate { certificate_id: i64 },
}

impl Obj {
    pub fn kind(self) -> &'static str {
        match self {
            Obj::Contact { .. } => "contact",
            Obj::Product { .. } => "product",
            Obj::Deal { .. } => "deal",
            Obj::Cart { .. } => "cart",
            Obj::CourseRunCertificate { .. } => "course_run_certificate",
            Obj::ProgramCertificate { .. } => "program_certificate",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Obj::Contact { user_id: id }
            | Obj::Product { product_id: id }
            | Obj::Deal { order_id: id }
            | Obj::Cart { basket_item_id: id }
            | Obj::CourseRunCertificate { certificate_id: id }
            | Obj::ProgramCertificate { certificate_id: id } => id,
        }
    }
}

/// Whether this deployment syncs (`MITXONLINE_HUBSPOT_SYNC`, recorded at start).
pub fn enabled(c: &Connection) -> rusqlite::Result<bool> {
    Ok(
        c.prepare_cached("SELECT enabled FROM hubspot_sync_state WHERE id = 1")?
            .query_row([], |r| r.get(0))
            .optional()?
            .unwrap_or(false),
    )
}

/// Queues a sync of `obj` inside the caller's transaction, for `event` (e.g. `created`,
/// `updated`, a new order state); nothing when the sync is off. One message per object,
/// event and instant.
pub fn enqueue(c: &Connection, now: DateTime<Utc>, obj: Obj, event: &str) -> rusqlite::Result<()> {
    if !enabled(c)? {
        return Ok(());
    }
    outbox::enqueue(
        c,
        now,
        &NewMessage {
            destination: DESTINATION.into(),
            kind: obj.kind().into(),
            payload: serde_json::json!(obj),
            idempotency_key: format!(
                "hubspot:{}:{}:{event}:{}",
                obj.kind(),
                obj.id(),
                now.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
            ),
        },
    )?;
    Ok(())
}

/// Queues a contact sync (a learner created or changed).
pub fn contact(c: &Connection, now: DateTime<Utc>, user_id: i64, event: &str) -> rusqlite::Result<()> {
    enqueue(c, now, Obj::Contact { user_id }, event)
}

/// Queues a deal sync (an order created or in a new state).
pub fn deal(c: &Connection, now: DateTime<Utc>, order_id: i64, event: &str) -> rusqlite::Result<()> {
    enqueue(c, now, Obj::Deal { order_id }, event)
}

/// Queues a certificate sync (issued, revoked or un-revoked); `program` for a program
/// certificate.
pub fn certificate(
    c: &Connection,
    now: DateTime<Utc>,
    program: bool,
    certificate_id: i64,
    event: &str,
) -> rusqlite::Result<()> {
    let obj = if program {
        Obj::ProgramCertificate { certificate_id }
    } else {
        Obj::CourseRunCertificate { certificate_id }
    };
    enqueue(c, now, obj, event)
}

/// Delivers `hubspot` messages.
pub struct HubspotDeliverer {
    pub sync: Syncer,
}

impl Deliverer for HubspotDeliverer {
    fn deliver<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let obj: Obj = match serde_json::from_value(msg.payload.clone()) {
                Ok(o) => o,
                Err(e) => {
                    return Delivery::Permanent {
                        error: format!("bad hubspot payload: {e}"),
                    };
                }
            };
            match self.sync.sync(obj).await {
                Ok(Outcome::Synced(id)) => {
                    tracing::debug!(outbox.id = msg.id, hubspot.id = %id, kind = obj.kind(), "synced to HubSpot");
                    Delivery::Delivered
                }
                Ok(Outcome::Skipped(why)) => {
                    tracing::info!(
                        outbox.id = msg.id,
                        kind = obj.kind(),
                        object = obj.id(),
                        why,
                        "HubSpot sync skipped"
                    );
                    Delivery::Delivered
                }
                Err(e) => e.to_delivery(),
            }
        })
    }
}
