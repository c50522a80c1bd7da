//! Throughput of the Open edX layer against the in-process sandbox, printed, never asserted.
//! Run with `scripts/bench-openedx` (`cargo bench --profile release-nolto --bench openedx`; the
//! app is the integration tests' `TestApp`). Env: BENCH_LEARNERS (300).

use std::time::Instant;

use mitxonline::db::DbError;
use mitxonline::integrations::openedx::messages::{self, CreateUser, Enroll};
use mitxonline::integrations::openedx::model::EnrollmentMode;
use mitxonline::users::store::{NewUser, insert};

#[path = "../tests/it/support/mod.rs"]
mod support;

use support::TestApp;

/// 0 → "a", 25 → "z", 26 → "ba", …
fn spelled(mut i: i64) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (i % 26) as u8);
        i /= 26;
        if i == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: i64 = std::env::var("BENCH_LEARNERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let app = TestApp::builder()
        .env("MITXONLINE_OUTBOX_RATE_PER_MINUTE", "1000000")
        .spawn()
        .await;
    let started = Instant::now();
    let now = app.state.clock.now();
    app.state
        .db
        .write(move |c| -> Result<(), DbError> {
            for i in 0..n {
                let u = NewUser {
                    email: format!("bench{i}@example.com"),
                    username: format!("bench{i}@example.com"),
                    // Digits vanish from edX usernames; spell the number so names stay distinct.
                    name: format!("Bench Learner {}", spelled(i)),
                    ..NewUser::default()
                };
                let id = insert(c, &u, now)?;
                messages::enqueue_create_user(
                    c,
                    now,
                    &CreateUser {
                        user_id: id,
                        desired_username: None,
                        profile: None,
                    },
                    &id.to_string(),
                )?;
                let e = Enroll {
                    user_id: id,
                    course_id: "course-v1:MITx+Bench+1T2026".into(),
                    mode: EnrollmentMode::Audit,
                };
                messages::enqueue_enroll(c, now, &e, &id.to_string())?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let enqueued = started.elapsed();
    let t = Instant::now();
    let r = app.drain_outbox().await;
    let drained = t.elapsed();
    assert_eq!(r.delivered as i64, 2 * n);
    println!(
        "openedx sandbox bench: {n} learners enqueued (user + 2 messages each) in {:.1} ms; \
         {} deliveries (registration + tokens, enrollment check + enroll) in {:.2} s = {:.0} messages/s, {:.0} learners/s",
        enqueued.as_secs_f64() * 1000.0,
        r.delivered,
        drained.as_secs_f64(),
        r.delivered as f64 / drained.as_secs_f64(),
        n as f64 / drained.as_secs_f64()
    );
    app.shutdown().await;
}
