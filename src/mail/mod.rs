//! Outgoing mail. A message is written to the outbox (destination `mail`) in the same
//! transaction as the change that causes it; the [`MailDeliverer`] then sends it over SMTP when
//! `MITXONLINE_SMTP_URL` is set, or keeps it in the sandbox mailbox (`mail_sandbox`) that staff
//! read at `/staff/mail/`, so local development and tests can follow emailed links.
//!
//! Owns `mail_sandbox`. Reads nothing of other modules: callers pass the rendered message.

mod pages;
pub mod smtp;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, to_db};
use crate::db::Db;
use crate::db::from_row;
use crate::outbox::{BoxFuture, Deliverer, Delivery, Message, NewMessage};
use crate::state::AppState;

pub use pages::routes;

pub const DESTINATION: &str = "mail";
pub const FROM_ADDRESS: &str = "MITx Online <no-reply@mitxonline.mit.edu>";

/// One plain-text email.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Queues an email inside the caller's write transaction; call `state.outbox.wake()` after.
pub fn queue(c: &Connection, now: DateTime<Utc>, email: &Email) -> rusqlite::Result<i64> {
    crate::outbox::enqueue(
        c,
        now,
        &NewMessage {
            destination: DESTINATION.into(),
            kind: "send".into(),
            payload: serde_json::to_value(email).unwrap_or_default(),
            idempotency_key: format!("mail:{}", uuid::Uuid::new_v4()),
        },
    )
}

/// Queues an email carrying a Mailgun tag (`X-Mailgun-Tag`), and returns the Message-ID it
/// will be sent with (without angle brackets, as Mailgun reports it), so delivery events can
/// be matched back to it.
pub fn queue_tagged(
    c: &Connection,
    now: DateTime<Utc>,
    email: &Email,
    tag: &str,
) -> rusqlite::Result<String> {
    let key = format!("mail:{tag}:{}", uuid::Uuid::new_v4().simple());
    let mut payload = serde_json::to_value(email).unwrap_or_default();
    payload["tag"] = serde_json::json!(tag);
    crate::outbox::enqueue(
        c,
        now,
        &NewMessage {
            destination: DESTINATION.into(),
            kind: "send".into(),
            payload,
            idempotency_key: key.clone(),
        },
    )?;
    Ok(message_id_for(&key))
}

/// The Message-ID (without brackets) of the mail sent for an outbox key.
pub fn message_id_for(key: &str) -> String {
    let id: String = key.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("{id}@mitxonline")
}

/// A mail kept in the sandbox mailbox.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxMail {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_on: String,
}

/// The newest sandbox mails, optionally only those to `to`.
pub fn sandbox(c: &Connection, to: Option<&str>, limit: i64) -> rusqlite::Result<Vec<SandboxMail>> {
    let mut stmt = c.prepare(
        "SELECT id, to_address, subject, body, created_on FROM mail_sandbox
         WHERE ?1 IS NULL OR lower(to_address) = lower(?1) ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![to, limit], |r| {
        from_row!(
            r,
            SandboxMail {
                id,
                to,
                subject,
                body,
                created_on
            }
        )
    })?;
    rows.collect()
}

/// What replaces a secret shown to staff who are not superusers.
pub const MASK: &str = "[hidden: superusers only]";

/// `text` with every emailed link's secret (`token=…`: password reset, email verification and
/// change) replaced by [`MASK`], for staff who are not superusers.
pub fn mask_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("token=") {
        let (head, tail) = rest.split_at(at + "token=".len());
        out.push_str(head);
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~' | '%')))
            .unwrap_or(tail.len());
        if end > 0 {
            out.push_str(MASK);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// A JSON payload with its secrets masked (see [`mask_links`]): strings under keys that name
/// a secret (`*token*`, `*password*`, `*secret*`) entirely, and links inside every string.
pub fn mask_json(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(mask_links(s)),
        Value::Array(a) => Value::Array(a.iter().map(mask_json).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| {
                    let k2 = k.to_ascii_lowercase();
                    let secret = ["token", "password", "secret"].iter().any(|w| k2.contains(w));
                    let v = match v {
                        Value::String(_) if secret => Value::String(MASK.into()),
                        other => mask_json(other),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Delivers `mail` outbox messages by SMTP or into the sandbox.
pub struct MailDeliverer {
    db: Db,
    clock: Clock,
    smtp: Option<smtp::Smtp>,
}

impl Deliverer for MailDeliverer {
    fn deliver<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Delivery> {
        Box::pin(async move {
            let Ok(email) = serde_json::from_value::<Email>(msg.payload.clone()) else {
                return Delivery::Permanent {
                    error: "mail payload is not an email".into(),
                };
            };
            match &self.smtp {
                Some(smtp) => {
                    let tag = msg.payload.get("tag").and_then(serde_json::Value::as_str);
                    smtp::send(smtp, FROM_ADDRESS, &email, &msg.idempotency_key, tag).await
                }
                None => {
                    let key = msg.idempotency_key.clone();
                    let now = self.clock.now();
                    let stored = self
                        .db
                        .write(move |c| {
                            c.execute(
                                "INSERT INTO mail_sandbox (outbox_key, to_address, subject, body, created_on)
                                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (outbox_key) DO NOTHING",
                                params![key, email.to, email.subject, email.body, to_db(now)],
                            )
                        })
                        .await;
                    match stored {
                        Ok(_) => Delivery::Delivered,
                        Err(e) => Delivery::Transient {
                            error: format!("sandbox mailbox: {e}"),
                            retry_after: None,
                        },
                    }
                }
            }
        })
    }
}

/// Registers the mail deliverer (called from `modules::register`).
pub fn register(state: &AppState) -> anyhow::Result<()> {
    let smtp = match &state.config.smtp_url {
        Some(url) => Some(smtp::Smtp::new(smtp::SmtpTarget::parse(url.expose())?)?),
        None => None,
    };
    state.outbox.register(
        DESTINATION,
        Arc::new(MailDeliverer {
            db: state.db.clone(),
            clock: state.clock.clone(),
            smtp,
        }),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_secrets_are_masked_and_the_rest_is_kept() {
        let body =
            "Reset here:\nhttps://x.test/password-reset/confirm/?token=Abc123xyz\nThanks. token= alone";
        let m = mask_links(body);
        assert!(!m.contains("Abc123xyz"), "{m}");
        assert!(m.contains("/password-reset/confirm/?token=[hidden"), "{m}");
        assert!(m.ends_with("Thanks. token= alone"));
        let j = mask_json(
            &serde_json::json!({"to": "a@b.c", "access_token": "sekrit", "body": "?token=zz", "n": 1}),
        );
        assert_eq!(j["access_token"], MASK);
        assert_eq!(j["to"], "a@b.c");
        assert_eq!(j["body"], format!("?token={MASK}"));
        assert_eq!(j["n"], 1);
    }
}
