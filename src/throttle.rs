//! Rate limits shared by every module: sliding windows over `throttle_events`. A request's
//! event is checked against every limit and counted in the same write (the writer thread runs
//! one closure at a time), so parallel requests cannot all pass a limit that each saw as not yet
//! reached. A refusal counts nothing and says how long to wait (`Retry-After`).

use std::net::IpAddr;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::clock::{from_db, to_db};
use crate::db::DbError;
use crate::state::AppState;

/// One limit: at most `max` events of `bucket` for `key` within `window`.
#[derive(Debug, Clone)]
pub struct Limit {
    pub bucket: &'static str,
    pub key: String,
    pub max: i64,
    pub window: Duration,
}

impl Limit {
    pub fn new(bucket: &'static str, key: impl Into<String>, max: i64, window: Duration) -> Limit {
        Limit {
            bucket,
            key: key.into(),
            max,
            window,
        }
    }

    /// A limit per client address (requests without one share the key `unknown`).
    pub fn per_client(bucket: &'static str, ip: Option<IpAddr>, max: i64, window: Duration) -> Limit {
        Limit::new(bucket, client_key(ip), max, window)
    }
}

/// The key of a client address.
pub fn client_key(ip: Option<IpAddr>) -> String {
    ip.map_or_else(|| "unknown".to_owned(), |i| i.to_string())
}

/// A limit that was reached: which, and when an event will be allowed again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    pub bucket: &'static str,
    pub retry_after: StdDuration,
}

/// How long until `limit` lets one more event through, if it is reached now.
fn wait(c: &Connection, l: &Limit, now: DateTime<Utc>) -> rusqlite::Result<Option<StdDuration>> {
    let since = to_db(now - l.window);
    // The `max`-th newest event in the window: when it leaves the window, one more is allowed.
    let blocking: Option<String> = c
        .prepare_cached(
            "SELECT at FROM throttle_events WHERE bucket = ?1 AND key = ?2 AND at > ?3
             ORDER BY at DESC LIMIT 1 OFFSET ?4",
        )?
        .query_row(params![l.bucket, l.key, since, l.max - 1], |r| r.get(0))
        .optional()?;
    Ok(blocking.map(|at| {
        let free_at = from_db(&at).unwrap_or(now) + l.window;
        let ms = (free_at - now).num_milliseconds().max(1);
        let secs = (ms + 999) / 1000;
        StdDuration::from_secs(u64::try_from(secs).unwrap_or(1))
    }))
}

/// Checks every limit and, when none is reached, counts one event for each — inside the
/// caller's write. `Ok(Err(_))` names the first limit reached; nothing was counted then.
pub fn hit(c: &Connection, limits: &[Limit], now: DateTime<Utc>) -> rusqlite::Result<Result<(), Limited>> {
    let mut worst: Option<Limited> = None;
    for l in limits {
        if let Some(w) = wait(c, l, now)?
            && worst.as_ref().is_none_or(|x| w > x.retry_after)
        {
            worst = Some(Limited {
                bucket: l.bucket,
                retry_after: w,
            });
        }
    }
    if let Some(w) = worst {
        return Ok(Err(w));
    }
    let at = to_db(now);
    for l in limits {
        c.prepare_cached("INSERT INTO throttle_events (bucket, key, at) VALUES (?1, ?2, ?3)")?
            .execute(params![l.bucket, l.key, at])?;
    }
    Ok(Ok(()))
}

/// Forgets the events of `bucket` for `key` (a successful login clears its failures).
pub fn forget(c: &Connection, bucket: &str, key: &str) -> rusqlite::Result<()> {
    c.execute(
        "DELETE FROM throttle_events WHERE bucket = ?1 AND key = ?2",
        params![bucket, key],
    )?;
    Ok(())
}

/// Takes back one event of `bucket` for `key` counted at `at` (an attempt that turned out
/// not to be a failure).
pub fn uncount(c: &Connection, bucket: &str, key: &str, at: DateTime<Utc>) -> rusqlite::Result<()> {
    c.execute(
        "DELETE FROM throttle_events WHERE id =
           (SELECT id FROM throttle_events WHERE bucket = ?1 AND key = ?2 AND at = ?3 LIMIT 1)",
        params![bucket, key, to_db(at)],
    )?;
    Ok(())
}

/// Removes events older than `before` (the identity housekeeping job).
pub fn prune(c: &Connection, before: DateTime<Utc>) -> rusqlite::Result<usize> {
    c.execute("DELETE FROM throttle_events WHERE at < ?1", [to_db(before)])
}

/// Discount-code attempts (guessing): 10 per user and 300 per client address in 15 minutes.
/// The per-user limit is the guard (accounts are themselves limited per address at sign-up);
/// the per-address one is loose enough for a campus behind one NAT address at a course launch.
pub fn code_attempts(user_id: i64, ip: Option<IpAddr>) -> Vec<Limit> {
    let window = Duration::minutes(15);
    vec![
        Limit::new("discount-code:user", user_id.to_string(), 10, window),
        Limit::per_client("discount-code:client", ip, 300, window),
    ]
}

/// [`hit`] in its own write; the error (`AppError::TooManyRequests`, 429 with `Retry-After`,
/// or a service's own error type) names how long to wait when a limit is reached.
pub async fn check<E: From<Limited> + From<DbError>>(state: &AppState, limits: Vec<Limit>) -> Result<(), E> {
    let verdict = state
        .write_at(move |c, now| hit(c, &limits, now).map_err(DbError::from))
        .await?;
    verdict.map_err(|l| {
        tracing::info!(bucket = l.bucket, "rate limit reached");
        E::from(l)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db() -> Connection {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE throttle_events (id INTEGER PRIMARY KEY, bucket TEXT, key TEXT, at TEXT)",
        )
        .unwrap();
        c
    }

    #[test]
    fn a_limit_refuses_the_event_past_its_maximum_and_frees_up_as_the_window_slides() {
        let c = db();
        let t0 = Utc::now();
        let l = [Limit::new("t", "k", 2, Duration::minutes(10))];
        assert_eq!(hit(&c, &l, t0).unwrap(), Ok(()));
        assert_eq!(hit(&c, &l, t0 + Duration::minutes(4)).unwrap(), Ok(()));
        let refused = hit(&c, &l, t0 + Duration::minutes(5)).unwrap().unwrap_err();
        assert_eq!(refused.retry_after, StdDuration::from_secs(5 * 60));
        // The refusal counted nothing: after the first event leaves the window, one fits.
        assert_eq!(hit(&c, &l, t0 + Duration::minutes(11)).unwrap(), Ok(()));
        assert!(hit(&c, &l, t0 + Duration::minutes(12)).unwrap().is_err());
        let other = [Limit::new("t", "other", 2, Duration::minutes(10))];
        assert_eq!(hit(&c, &other, t0 + Duration::minutes(12)).unwrap(), Ok(()));
    }

    #[test]
    fn several_limits_count_together_and_the_longest_wait_is_reported() {
        let c = db();
        let t0 = Utc::now();
        let ls = [
            Limit::new("a", "k", 1, Duration::minutes(1)),
            Limit::new("b", "k", 5, Duration::hours(1)),
        ];
        assert_eq!(hit(&c, &ls, t0).unwrap(), Ok(()));
        let r = hit(&c, &ls, t0).unwrap().unwrap_err();
        assert_eq!((r.bucket, r.retry_after), ("a", StdDuration::from_secs(60)));
        let n: i64 = c
            .query_row("SELECT count(*) FROM throttle_events", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2, "one event per limit, none for the refusal");
    }
}
