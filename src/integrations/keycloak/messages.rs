//! Outbox messages for destination `keycloak`.
//!
//! | kind | payload | effect |
//! |---|---|---|
//! | `add_member` | `{organization_id, user_id}` (Keycloak ids) | `POST organizations/<org>/members` with the user id; an existing membership counts as done |

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::outbox::{self, NewMessage};

pub const DESTINATION: &str = "keycloak";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AddMember {
    pub organization_id: String,
    pub user_id: String,
}

/// Queues adding the Keycloak user to the Keycloak organization.
pub fn enqueue_add_member(
    c: &Connection,
    now: DateTime<Utc>,
    org: &str,
    user: &str,
) -> rusqlite::Result<i64> {
    outbox::enqueue(
        c,
        now,
        &NewMessage {
            destination: DESTINATION.into(),
            kind: "add_member".into(),
            payload: serde_json::json!(AddMember {
                organization_id: org.to_owned(),
                user_id: user.to_owned(),
            }),
            idempotency_key: format!("keycloak:add_member:{org}:{user}"),
        },
    )
}

/// Delivers `keycloak` messages.
pub struct KeycloakDeliverer {
    pub admin: super::KeycloakAdmin,
}

impl crate::outbox::Deliverer for KeycloakDeliverer {
    fn deliver<'a>(
        &'a self,
        msg: &'a crate::outbox::Message,
    ) -> crate::outbox::BoxFuture<'a, crate::outbox::Delivery> {
        Box::pin(async move {
            use crate::outbox::Delivery;
            if msg.kind != "add_member" {
                return Delivery::Permanent {
                    error: format!("unknown keycloak message kind `{}`", msg.kind),
                };
            }
            let m: AddMember = match serde_json::from_value(msg.payload.clone()) {
                Ok(m) => m,
                Err(e) => {
                    return Delivery::Permanent {
                        error: format!("bad add_member payload: {e}"),
                    };
                }
            };
            match self.admin.add_member(&m.organization_id, &m.user_id).await {
                Ok(()) => Delivery::Delivered,
                Err(e) => e.to_delivery(),
            }
        })
    }
}
