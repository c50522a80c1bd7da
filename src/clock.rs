//! The application's notion of "now", so tests can move time instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// UTC wall clock plus an adjustable offset (always zero outside tests).
#[derive(Clone, Default)]
pub struct Clock {
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// Formats a time the way the database stores it: RFC 3339 with milliseconds and `Z`,
/// which sorts lexicographically in time order.
pub fn to_db(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Parses a stored time; `None` for anything unreadable.
pub fn from_db(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone() {
        let a = Clock::default();
        let b = a.clone();
        let before = b.now();
        a.advance(std::time::Duration::from_secs(3600));
        assert!(b.now() - before >= chrono::Duration::seconds(3599));
    }

    #[test]
    fn stored_times_round_trip_and_sort() {
        let t = Utc::now();
        let s = to_db(t);
        assert!(s.ends_with('Z'));
        assert_eq!(from_db(&s).unwrap().timestamp_millis(), t.timestamp_millis());
        assert!(to_db(t) < to_db(t + chrono::Duration::seconds(1)));
    }
}
