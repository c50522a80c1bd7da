//! The per-portal token bucket every HubSpot request takes a token from (the original keeps
//! a 19-per-second window per process, `hubspot_sync/rate_limiter.py`). It holds one token, so
//! requests are spaced `1/rate` apart and no one-second window sees more than `rate + 1`.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

/// Tokens refill at `rate` per second up to `capacity`.
#[derive(Debug)]
pub struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    refilled: Instant,
}

impl Bucket {
    pub fn new(rate_per_second: u32) -> Bucket {
        let capacity = 1.0;
        Bucket {
            rate: f64::from(rate_per_second.max(1)),
            capacity,
            tokens: capacity,
            refilled: Instant::now(),
        }
    }

    /// Takes a token at `now`, or says how long until one is there.
    pub fn take_at(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / self.rate))
        }
    }
}

/// A bucket shared by the requests of one portal.
#[derive(Debug)]
pub struct Shared(Mutex<Bucket>);

impl Shared {
    pub fn new(rate_per_second: u32) -> Shared {
        Shared(Mutex::new(Bucket::new(rate_per_second)))
    }

    /// Waits for a token.
    pub async fn acquire(&self) {
        loop {
            let wait = match self.0.lock().await.take_at(Instant::now()) {
                Ok(()) => return,
                Err(wait) => wait,
            };
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_spaces_requests_one_over_the_rate_apart() {
        let mut b = Bucket::new(10);
        let t0 = Instant::now();
        assert!(b.take_at(t0).is_ok(), "a full bucket gives one token");
        let wait = b.take_at(t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(99) && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        assert!(b.take_at(t0 + Duration::from_millis(50)).is_err());
        assert!(b.take_at(t0 + Duration::from_millis(101)).is_ok());
    }

    #[test]
    fn an_idle_bucket_never_saves_more_than_its_capacity() {
        let mut b = Bucket::new(5);
        let later = Instant::now() + Duration::from_secs(60);
        assert!(b.take_at(later).is_ok());
        assert!(
            b.take_at(later).is_err(),
            "a minute idle still allows one, not 300"
        );
    }

    #[test]
    fn no_one_second_window_sees_more_than_rate_plus_one() {
        let mut b = Bucket::new(19);
        let start = Instant::now();
        let mut granted = Vec::new();
        let mut t = start;
        while t < start + Duration::from_secs(3) {
            if b.take_at(t).is_ok() {
                granted.push(t);
            }
            t += Duration::from_millis(1);
        }
        for (i, first) in granted.iter().enumerate() {
            let in_window = granted[i..]
                .iter()
                .take_while(|g| **g < *first + Duration::from_secs(1))
                .count();
            assert!(in_window <= 20, "{in_window} in one second");
        }
        assert!(granted.len() >= 56, "{} granted in 3 s", granted.len());
    }

    #[tokio::test]
    async fn acquire_waits_for_the_next_token() {
        let b = Shared::new(20);
        let t0 = Instant::now();
        for _ in 0..3 {
            b.acquire().await;
        }
        assert!(t0.elapsed() >= Duration::from_millis(95), "{:?}", t0.elapsed());
    }
}
