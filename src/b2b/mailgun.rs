//! Mailgun delivery events for invite mails (`POST /api/v0/b2b/webhook`). An event counts
//! only when it carries our tag, its signature is HMAC-SHA256(signing key, timestamp + token)
//! (checked in constant time), its timestamp is within [`WINDOW`] and its token was not seen
//! before (a replay), it is one of the statuses we keep, and it is not a temporary failure.
//! It then updates the assignment whose Message-ID it names, unless a newer event did already.
//! The endpoint always answers 200, so Mailgun never retries.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, KeyInit as _, Mac as _};
use rusqlite::{Connection, params};
use serde_json::Value;
use sha2::Sha256;

use super::store_codes;
use crate::clock::to_db;
use crate::state::AppState;

/// How far a signature's timestamp may be from now.
pub const WINDOW: Duration = Duration::minutes(15);

const KEPT: [&str; 5] = ["accepted", "delivered", "opened", "clicked", "failed"];

/// Why an event was ignored (or that it was applied), for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    NotConfigured,
    Malformed,
    OtherTag,
    BadSignature,
    Stale,
    Replayed,
    Uninteresting,
    Temporary,
    UnknownMessage,
    Older,
}

fn hex(bytes: &str) -> Option<Vec<u8>> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    (0..bytes.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(bytes.get(i..i + 2)?, 16).ok())
        .collect()
}

/// HMAC-SHA256 of `timestamp + token` against the hex `signature`, in constant time.
pub fn signature_ok(key: &str, timestamp: &str, token: &str, signature: &str) -> bool {
    let Some(given) = hex(signature) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    mac.verify_slice(&given).is_ok()
}

fn apply(
    c: &Connection,
    token: &str,
    message_id: &str,
    status: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> rusqlite::Result<Outcome> {
    c.execute(
        "DELETE FROM b2b_mailgun_tokens WHERE seen_at < ?1",
        [to_db(now - WINDOW * 2)],
    )?;
    let fresh = c.execute(
        "INSERT INTO b2b_mailgun_tokens (token, seen_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![token, to_db(now)],
    )?;
    if fresh == 0 {
        return Ok(Outcome::Replayed);
    }
    let Some(a) = store_codes::assignment_by_message(c, message_id)? else {
        return Ok(Outcome::UnknownMessage);
    };
    Ok(if store_codes::set_email_status(c, a.id, status, at)? > 0 {
        Outcome::Applied
    } else {
        Outcome::Older
    })
}

/// Checks and applies one webhook payload.
pub async fn process(state: &AppState, payload: &Value) -> Outcome {
    let Some(key) = state
        .config
        .b2b
        .mailgun_signing_key
        .as_ref()
        .map(|k| k.expose().to_owned())
    else {
        return Outcome::NotConfigured;
    };
    let sig = &payload["signature"];
    let ev = &payload["event-data"];
    let (Some(timestamp), Some(token), Some(signature), Some(event), Some(message_id), Some(at)) = (
        sig["timestamp"].as_str(),
        sig["token"].as_str(),
        sig["signature"].as_str(),
        ev["event"].as_str(),
        ev["message"]["headers"]["message-id"].as_str(),
        ev["timestamp"].as_f64(),
    ) else {
        return Outcome::Malformed;
    };
    let tag = &state.config.b2b.mailgun_tag;
    if !ev["tags"]
        .as_array()
        .is_some_and(|t| t.iter().any(|x| x.as_str() == Some(tag)))
    {
        return Outcome::OtherTag;
    }
    if !signature_ok(&key, timestamp, token, signature) {
        return Outcome::BadSignature;
    }
    let now = state.clock.now();
    let signed_at = timestamp
        .parse::<i64>()
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0));
    if signed_at.is_none_or(|t| (now - t).abs() > WINDOW) {
        return Outcome::Stale;
    }
    if !KEPT.contains(&event) {
        return Outcome::Uninteresting;
    }
    if event == "failed" && ev["severity"].as_str() == Some("temporary") {
        return Outcome::Temporary;
    }
    let Some(at) = DateTime::from_timestamp_millis((at * 1000.0) as i64) else {
        return Outcome::Malformed;
    };
    let (token, message_id, status) = (token.to_owned(), message_id.to_owned(), event.to_owned());
    match state
        .db
        .write(move |c| apply(c, &token, &message_id, &status, at, now))
        .await
    {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "Mailgun event not stored");
            Outcome::Malformed
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_and_token_in_hex() {
        // Mailgun's documented example computed with the key "key-secret".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key-secret").unwrap();
        mac.update(b"1529006854abc123");
        let good: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(signature_ok("key-secret", "1529006854", "abc123", &good));
        assert!(!signature_ok("other", "1529006854", "abc123", &good));
        assert!(!signature_ok("key-secret", "1529006855", "abc123", &good));
        assert!(!signature_ok("key-secret", "1529006854", "abc123", "zz"));
        assert!(!signature_ok("key-secret", "1529006854", "abc123", &good[..10]));
    }
}
