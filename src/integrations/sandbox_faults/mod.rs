//! Outages on demand in a built-in sandbox partner (the sandbox Open edX and HubSpot CRM): staff
//! switch one on for N seconds from the sandbox's staff page or the JSON API ([`staff`]), and
//! until it ends every call our client makes meets it — down (as a refused connection), slow
//! (5 s before the answer), failing (HTTP 500), throttling (429 with `Retry-After: 5`) or
//! answering nonsense (a 200 with an HTML page; the HubSpot sandbox, reached without HTTP,
//! answers its client's decode error). What the outbox does meanwhile (retries, backoff, the
//! pace, dead letters) is then what it would do against the real partner; `benches/partners`
//! drives it. The edX sandbox meets faults in its router ([`layer`]), HubSpot's in its client
//! (`hubspot::sandbox::fault`). Owns `sandbox_faults`; every switch is audited.

pub mod staff;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension as _, params};

use crate::clock::{Clock, to_db};
use crate::db::{Db, DbError};
use crate::state::AppState;

/// How long a slow partner takes before it answers.
pub const SLOW: std::time::Duration = std::time::Duration::from_secs(5);
/// The header a `down` answer carries, which the in-process transport turns into a refused
/// connection (a real socket would never get an answer at all).
pub const DOWN_HEADER: &str = "x-sandbox-fault-down";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Down,
    Slow,
    Error,
    Throttle,
    Garbage,
}

impl Fault {
    pub const ALL: [Fault; 5] = [
        Fault::Down,
        Fault::Slow,
        Fault::Error,
        Fault::Throttle,
        Fault::Garbage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Fault::Down => "down",
            Fault::Slow => "slow",
            Fault::Error => "error",
            Fault::Throttle => "throttle",
            Fault::Garbage => "garbage",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Fault::Down => "Down (connections refused)",
            Fault::Slow => "Slow (5 s before each answer)",
            Fault::Error => "Failing (HTTP 500)",
            Fault::Throttle => "Throttling (HTTP 429, Retry-After 5)",
            Fault::Garbage => "Wrong answers (200 with an HTML page)",
        }
    }

    pub fn parse(s: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// The partner's fault now in force, if any.
pub fn active(
    c: &Connection,
    partner: &str,
    now: DateTime<Utc>,
) -> rusqlite::Result<Option<(Fault, String)>> {
    c.prepare_cached("SELECT kind, until FROM sandbox_faults WHERE partner = ?1 AND until > ?2")?
        .query_row(params![partner, to_db(now)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .optional()
        .map(|row| row.and_then(|(k, until)| Fault::parse(&k).map(|f| (f, until))))
}

/// Switches `fault` on for `seconds` (replacing any), or clears it with `None`; audited.
pub async fn set(
    state: &AppState,
    actor: String,
    partner: &'static str,
    fault: Option<Fault>,
    seconds: i64,
) -> Result<(), DbError> {
    state
        .write_at(move |c, now| {
            c.execute("DELETE FROM sandbox_faults WHERE partner = ?1", [partner])?;
            let after = fault.map(|f| {
                serde_json::json!({ "kind": f.as_str(), "until": to_db(now + Duration::seconds(seconds)) })
            });
            if let Some(f) = fault {
                c.execute(
                    "INSERT INTO sandbox_faults (partner, kind, until, actor, created_on) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![partner, f.as_str(), to_db(now + Duration::seconds(seconds)), actor, to_db(now)],
                )?;
            }
            crate::audit::by_staff(c, &actor, "sandbox.fault", "sandbox_partner", partner, after.as_ref(), now)?;
            Ok::<_, DbError>(())
        })
        .await
}

/// What a sandbox router's fault layer needs: the database, the clock, the partner's name.
#[derive(Clone)]
pub struct Faulty {
    pub db: Db,
    pub clock: Clock,
    pub partner: &'static str,
}

/// The layer in front of a sandbox's routes: answers as the fault in force says, else passes.
pub async fn layer(State(f): State<Faulty>, req: Request, next: Next) -> Response {
    use axum::http::StatusCode;
    let now = f.clock.now();
    let partner = f.partner;
    let fault =
        f.db.read(move |c| Ok::<_, DbError>(active(c, partner, now)?))
            .await;
    match fault.ok().flatten().map(|(fault, _)| fault) {
        None => next.run(req).await,
        Some(Fault::Slow) => {
            tokio::time::sleep(SLOW).await;
            next.run(req).await
        }
        Some(Fault::Down) => (StatusCode::SERVICE_UNAVAILABLE, [(DOWN_HEADER, "1")]).into_response(),
        Some(Fault::Error) => (StatusCode::INTERNAL_SERVER_ERROR, "sandbox fault: failing").into_response(),
        Some(Fault::Throttle) => {
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "5")], "slow down").into_response()
        }
        Some(Fault::Garbage) => (
            StatusCode::OK,
            [("content-type", "text/html")],
            "<html><body>Down for maintenance</body></html>",
        )
            .into_response(),
    }
}

/// A request to switch a fault: `kind` one of [`Fault::ALL`] or `none` (end it), `seconds`
/// 1–3600 (default 60). A refusal names the field.
pub fn parse_request(
    kind: &str,
    seconds: Option<&str>,
) -> Result<(Option<Fault>, i64), (&'static str, String)> {
    let fault = match kind.trim() {
        "none" => None,
        k => Some(Fault::parse(k).ok_or_else(|| {
            let all: Vec<&str> = Fault::ALL.iter().map(|f| f.as_str()).collect();
            ("kind", format!("\"{k}\" is not one of none, {}.", all.join(", ")))
        })?),
    };
    let seconds = match seconds.map(str::trim).filter(|s| !s.is_empty()) {
        None => 60,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=3600).contains(n))
            .ok_or_else(|| {
                (
                    "seconds",
                    "A whole number of seconds from 1 to 3600 is required.".to_owned(),
                )
            })?,
    };
    Ok((fault, seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_name_the_bad_field() {
        assert_eq!(
            parse_request("throttle", Some("10")),
            Ok((Some(Fault::Throttle), 10))
        );
        assert_eq!(parse_request("none", None), Ok((None, 60)));
        assert_eq!(parse_request("flood", None).unwrap_err().0, "kind");
        for bad in ["0", "3601", "ten", "-5"] {
            assert_eq!(
                parse_request("down", Some(bad)).unwrap_err().0,
                "seconds",
                "{bad}"
            );
        }
        for f in Fault::ALL {
            assert_eq!(Fault::parse(f.as_str()), Some(f));
        }
    }
}
