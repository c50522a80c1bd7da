//! Delivers due outbox messages: one sequential lane per destination, token-bucket rate limits,
//! backoff with jitter, `Retry-After`, attempt caps and dead letters.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::Rng as _;
use tokio::sync::Notify;

use super::store::{self, Message};
use crate::clock::Clock;
use crate::config::OutboxConfig;
use crate::db::{Db, DbError};
use crate::metrics::Metrics;

/// The partner's `Retry-After`, as sent.
pub fn retry_after(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Delivered,
    /// Worth retrying: network errors, timeouts, 5xx, 429. `retry_after` is the partner's wish.
    Transient {
        error: String,
        retry_after: Option<Duration>,
    },
    /// The partner refused the message (4xx other than 429); counted towards the permanent cap.
    Permanent {
        error: String,
    },
}

impl Delivery {
    /// Classifies an HTTP response the way every integration does.
    pub fn from_status(status: u16, retry_after: Option<&str>, body: &str) -> Delivery {
        let snippet: String = body.chars().take(300).collect();
        match status {
            200..=299 => Delivery::Delivered,
            429 | 408 | 500..=599 => Delivery::Transient {
                error: format!("HTTP {status}: {snippet}"),
                retry_after: retry_after.and_then(parse_retry_after),
            },
            _ => Delivery::Permanent {
                error: format!("HTTP {status}: {snippet}"),
            },
        }
    }

    /// Classifies what a plain HTTP call answered: a network failure is transient, a response
    /// is [`Delivery::from_status`].
    pub async fn from_sent(sent: reqwest::Result<reqwest::Response>) -> Delivery {
        match sent {
            Err(e) => Delivery::Transient {
                error: format!("request failed: {e}"),
                retry_after: None,
            },
            Ok(resp) => {
                let status = resp.status().as_u16();
                let retry_after = crate::outbox::retry_after(&resp);
                let text = resp.text().await.unwrap_or_default();
                Delivery::from_status(status, retry_after.as_deref(), &text)
            }
        }
    }
}

/// `Retry-After` as delta-seconds or an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    if let Ok(secs) = v.trim().parse::<u64>() {
        return Some(Duration::from_secs(secs.min(86_400)));
    }
    let when = DateTime::parse_from_rfc2822(v.trim()).ok()?;
    let delta = when.with_timezone(&Utc) - Utc::now();
    delta.to_std().ok()
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Delivers messages of one destination. Implementations send `msg.idempotency_key` so the
/// partner can deduplicate a message delivered again after a crash.
pub trait Deliverer: Send + Sync {
    fn deliver<'a>(&'a self, msg: &'a Message) -> BoxFuture<'a, Delivery>;

    /// A retry policy of its own for `msg`, instead of the dispatcher's backoff and caps.
    fn retry_policy(&self, _msg: &Message) -> Option<RetryPolicy> {
        None
    }
}

/// Linear retries, as some of the original's Celery tasks do (`countdown = step × retries +
/// jitter`): every failure, transient or permanent, waits `step × attempts` plus up to
/// `jitter`, and the message is a dead letter after `max_attempts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub step: Duration,
    pub jitter: Duration,
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt.
    pub fn delay(&self, attempts: u32) -> Duration {
        let jitter = rand::rng().random_range(0.0..=self.jitter.as_secs_f64());
        self.step * attempts + Duration::from_secs_f64(jitter)
    }
}

/// Token bucket per destination, plus a pause when the partner said `Retry-After`.
struct Lane {
    tokens: f64,
    refilled: Instant,
    paused_until: Option<Instant>,
}

/// Burst size: ten seconds' worth of the rate, at least one.
fn capacity(rate_per_minute: u32) -> f64 {
    (f64::from(rate_per_minute) / 6.0).max(1.0)
}

impl Lane {
    /// A lane starts with a full bucket.
    fn new(rate_per_minute: u32) -> Self {
        Self {
            tokens: capacity(rate_per_minute),
            refilled: Instant::now(),
            paused_until: None,
        }
    }

    /// Takes a token, or says how long to wait for one.
    fn take(&mut self, rate_per_minute: u32) -> Result<(), Duration> {
        let now = Instant::now();
        if let Some(until) = self.paused_until {
            if until > now {
                return Err(until - now);
            }
            self.paused_until = None;
        }
        let per_sec = f64::from(rate_per_minute) / 60.0;
        self.tokens = (self.tokens + now.duration_since(self.refilled).as_secs_f64() * per_sec)
            .min(capacity(rate_per_minute));
        self.refilled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / per_sec))
        }
    }
}

/// What one dispatch round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    pub delivered: usize,
    pub retried: usize,
    pub dead: usize,
    /// Due messages left for later because a destination was rate limited or paused.
    pub deferred: usize,
}

/// The outbox dispatcher; one per process.
pub struct Dispatcher {
    db: Db,
    clock: Clock,
    config: OutboxConfig,
    metrics: Arc<Metrics>,
    deliverers: RwLock<HashMap<String, Arc<dyn Deliverer>>>,
    lanes: Mutex<HashMap<String, Lane>>,
    wake: Notify,
    /// Serialises rounds, so the background loop and an explicit drain never send one message twice.
    round: tokio::sync::Mutex<()>,
}

const BATCH: usize = 200;

impl Dispatcher {
    pub fn new(db: Db, clock: Clock, config: OutboxConfig, metrics: Arc<Metrics>) -> Self {
        Self {
            db,
            clock,
            config,
            metrics,
            deliverers: RwLock::default(),
            lanes: Mutex::default(),
            wake: Notify::new(),
            round: tokio::sync::Mutex::new(()),
        }
    }

    /// Registers (or replaces) the deliverer of a destination.
    pub fn register(&self, destination: &str, deliverer: Arc<dyn Deliverer>) {
        self.deliverers
            .write()
            .expect("deliverers lock")
            .insert(destination.to_owned(), deliverer);
    }

    /// Asks the background loop to look for due messages now (call after enqueuing).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Runs until `stop` resolves: a round whenever woken, or every poll interval.
    pub async fn run(self: Arc<Self>, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            let sleep = match self.round_once().await {
                Ok(report) if report.deferred > 0 => Duration::from_millis(250),
                Ok(_) => self.config.poll_interval,
                Err(e) => {
                    tracing::error!(error = %e, "outbox round failed");
                    self.config.poll_interval
                }
            };
            tokio::select! {
                () = &mut stop => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(sleep) => {}
            }
        }
    }

    /// Delivers every message due now (one round). Tests and `job run` use it directly.
    pub async fn round_once(&self) -> Result<DrainReport, DbError> {
        let _round = self.round.lock().await;
        let now = self.clock.now();
        let due = self.db.read(move |c| store::due(c, now, BATCH)).await?;
        let mut by_dest: BTreeMap<String, Vec<Message>> = BTreeMap::new();
        for m in due {
            by_dest.entry(m.destination.clone()).or_default().push(m);
        }
        let lanes = by_dest
            .into_iter()
            .map(|(dest, msgs)| self.deliver_lane(dest, msgs));
        let mut total = DrainReport::default();
        for r in futures_util::future::join_all(lanes).await {
            let r = r?;
            total.delivered += r.delivered;
            total.retried += r.retried;
            total.dead += r.dead;
            total.deferred += r.deferred;
        }
        Ok(total)
    }

    /// Rounds until nothing is due now (tests: "drain the outbox").
    pub async fn drain(&self) -> Result<DrainReport, DbError> {
        let mut total = DrainReport::default();
        loop {
            let r = self.round_once().await?;
            let progressed = r.delivered + r.retried + r.dead;
            total.delivered += r.delivered;
            total.retried += r.retried;
            total.dead += r.dead;
            total.deferred = r.deferred;
            if progressed == 0 {
                return Ok(total);
            }
        }
    }

    async fn deliver_lane(&self, dest: String, msgs: Vec<Message>) -> Result<DrainReport, DbError> {
        let mut report = DrainReport::default();
        let deliverer = self
            .deliverers
            .read()
            .expect("deliverers lock")
            .get(&dest)
            .cloned();
        let Some(deliverer) = deliverer else {
            // No deliverer (e.g. the integration is disabled): leave the messages pending.
            tracing::warn!(outbox.destination = %dest, count = msgs.len(), "no deliverer registered");
            report.deferred = msgs.len();
            return Ok(report);
        };
        let count = msgs.len();
        for (i, msg) in msgs.into_iter().enumerate() {
            let permit = self
                .lanes
                .lock()
                .expect("lanes lock")
                .entry(dest.clone())
                .or_insert_with(|| Lane::new(self.config.rate_per_minute))
                .take(self.config.rate_per_minute);
            if permit.is_err() {
                report.deferred += count - i;
                break;
            }
            let outcome = deliverer.deliver(&msg).await;
            let policy = deliverer.retry_policy(&msg);
            self.record(&dest, &msg, outcome, policy, &mut report).await?;
        }
        Ok(report)
    }

    async fn record(
        &self,
        dest: &str,
        msg: &Message,
        outcome: Delivery,
        policy: Option<RetryPolicy>,
        report: &mut DrainReport,
    ) -> Result<(), DbError> {
        let now = self.clock.now();
        let id = msg.id;
        let label = match &outcome {
            Delivery::Delivered => "delivered",
            Delivery::Transient { .. } => "transient",
            Delivery::Permanent { .. } => "permanent",
        };
        self.metrics.inc(
            "mitxonline_outbox_deliveries_total",
            "Outbox delivery attempts by destination and outcome.",
            &[("destination", dest), ("outcome", label)],
        );
        match (outcome, policy) {
            (Delivery::Delivered, _) => {
                self.db.write(move |c| store::mark_delivered(c, id, now)).await?;
                report.delivered += 1;
            }
            (Delivery::Transient { error, .. } | Delivery::Permanent { error }, Some(p)) => {
                let attempts = u32::try_from(msg.attempts).unwrap_or(u32::MAX).saturating_add(1);
                let permanent = matches!(label, "permanent");
                let dead = attempts >= p.max_attempts;
                self.fail(msg, error, permanent, now, p.delay(attempts), dead, report)
                    .await?;
            }
            (Delivery::Transient { error, retry_after }, None) => {
                if let Some(wait) = retry_after
                    && let Some(lane) = self.lanes.lock().expect("lanes lock").get_mut(dest)
                {
                    lane.paused_until = Some(Instant::now() + wait);
                }
                let attempts = u32::try_from(msg.attempts).unwrap_or(u32::MAX).saturating_add(1);
                let delay = self.backoff(attempts).max(retry_after.unwrap_or_default());
                let dead = attempts >= self.config.max_attempts;
                self.fail(msg, error, false, now, delay, dead, report).await?;
            }
            (Delivery::Permanent { error }, None) => {
                let attempts = u32::try_from(msg.attempts).unwrap_or(u32::MAX).saturating_add(1);
                let permanent = u32::try_from(msg.permanent_failures).unwrap_or(u32::MAX) + 1;
                let dead =
                    permanent >= self.config.max_permanent_failures || attempts >= self.config.max_attempts;
                let delay = self.backoff(attempts);
                self.fail(msg, error, true, now, delay, dead, report).await?;
            }
        }
        Ok(())
    }

    #[expect(clippy::too_many_arguments, reason = "one private call site per outcome")]
    async fn fail(
        &self,
        msg: &Message,
        error: String,
        permanent: bool,
        now: DateTime<Utc>,
        delay: Duration,
        dead: bool,
        report: &mut DrainReport,
    ) -> Result<(), DbError> {
        let id = msg.id;
        let retry_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
        if dead {
            tracing::error!(outbox.id = id, outbox.destination = %msg.destination, outbox.kind = %msg.kind,
                error = %error, "outbox message is now a dead letter");
            report.dead += 1;
        } else {
            tracing::warn!(outbox.id = id, outbox.destination = %msg.destination, error = %error,
                retry_in_ms = delay.as_millis() as u64, "outbox delivery failed; will retry");
            report.retried += 1;
        }
        self.db
            .write(move |c| store::mark_failed(c, id, &error, permanent, retry_at, dead))
            .await
            .map_err(DbError::from)
    }

    /// Exponential backoff with "equal jitter": half the step fixed, half random.
    fn backoff(&self, attempts: u32) -> Duration {
        let base = self.config.base_backoff.as_secs_f64();
        let step = (base * 2f64.powi(attempts.saturating_sub(1).min(30) as i32))
            .min(self.config.max_backoff.as_secs_f64());
        let jitter = rand::rng().random_range(0.0..=step / 2.0);
        Duration::from_secs_f64(step / 2.0 + jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_classify_like_the_original() {
        assert_eq!(Delivery::from_status(201, None, ""), Delivery::Delivered);
        assert!(matches!(
            Delivery::from_status(429, Some("7"), ""),
            Delivery::Transient { retry_after: Some(d), .. } if d == Duration::from_secs(7)
        ));
        assert!(matches!(
            Delivery::from_status(503, None, ""),
            Delivery::Transient { .. }
        ));
        assert!(matches!(
            Delivery::from_status(400, None, "bad"),
            Delivery::Permanent { .. }
        ));
        assert!(matches!(
            Delivery::from_status(404, None, ""),
            Delivery::Permanent { .. }
        ));
    }

    #[test]
    fn a_linear_retry_policy_waits_step_times_attempts_plus_jitter() {
        let p = RetryPolicy {
            max_attempts: 5,
            step: Duration::from_secs(300),
            jitter: Duration::from_secs(60),
        };
        for attempts in 1..=5 {
            let d = p.delay(attempts);
            assert!(d >= Duration::from_secs(300 * u64::from(attempts)), "{d:?}");
            assert!(d <= Duration::from_secs(300 * u64::from(attempts) + 60), "{d:?}");
        }
    }

    #[test]
    fn retry_after_accepts_http_dates() {
        let later = (Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        let d = parse_retry_after(&later).unwrap();
        assert!(d <= Duration::from_secs(30) && d >= Duration::from_secs(28));
        assert!(parse_retry_after("soon").is_none());
    }

    #[test]
    fn the_token_bucket_allows_a_ten_second_burst_then_the_configured_rate() {
        let mut lane = Lane::new(60);
        for _ in 0..10 {
            assert!(lane.take(60).is_ok());
        }
        let wait = lane.take(60).unwrap_err();
        assert!(
            wait <= Duration::from_secs(1) && wait > Duration::from_millis(900),
            "{wait:?}"
        );
    }
}
