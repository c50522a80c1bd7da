//! The load: learners enrolling and unenrolling, buyers paying for certificates through the
//! sandbox CyberSource. Each is one task signing in through the gateway's `X-Userinfo` header;
//! a request whose answer arrived counts as acknowledged, one cut off by a kill does not.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng as _;
use serde_json::Value;

use super::client::{answer, client, purchase, signed_in, userinfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Enrolled,
    NotEnrolled,
}

/// Per (learner, run index): what the last request asked and whether its answer arrived.
pub type Ledger = HashMap<(usize, usize), (Want, bool)>;

/// An order whose payment the buyer saw accepted: (buyer, run index, order id).
pub type Paid = Vec<(usize, usize, i64)>;

#[derive(Default)]
pub struct Figures {
    pub acked_enrolls: u64,
    pub acked_unenrolls: u64,
    pub acked_orders: u64,
    pub refused: u64,
    pub unanswered: u64,
    pub server_errors: u64,
}

/// What every task shares: the server's address, the open runs and their products, the books.
pub struct Shared {
    pub base: String,
    pub runs: Vec<(i64, i64)>,
    pub ledger: Mutex<Ledger>,
    pub paid: Mutex<Paid>,
    pub figures: Mutex<Figures>,
    pub stop: AtomicBool,
    /// While set, learners wait (the partners suite measures a drain without new work).
    pub paused: AtomicBool,
    /// A learner's pause between requests.
    pub think: Duration,
}

impl Shared {
    /// Empty books for `runs` (run id, product id) on the server at `base`.
    pub fn new(base: String, runs: Vec<(i64, i64)>, think: Duration) -> Shared {
        Shared {
            base,
            runs,
            ledger: Default::default(),
            paid: Default::default(),
            figures: Default::default(),
            stop: Default::default(),
            paused: Default::default(),
            think,
        }
    }

    fn count(&self, outcome: Option<u16>) {
        let mut f = self.figures.lock().unwrap();
        match outcome {
            None => f.unanswered += 1,
            Some(s) if s >= 500 => f.server_errors += 1,
            Some(_) => f.refused += 1,
        }
    }
}

/// One learner's loop: enroll in a random open run, or unenroll from one they hold.
pub async fn learner(n: usize, s: Arc<Shared>) {
    let (client, header) = (client(), userinfo("l", n));
    let mut held: HashMap<usize, i64> = HashMap::new();
    while !s.stop.load(Ordering::Relaxed) {
        tokio::time::sleep(s.think).await;
        if s.paused.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        let (index, unenroll) = {
            let mut rng = rand::rng();
            let index = rng.random_range(0..s.runs.len());
            (index, held.contains_key(&index) && rng.random_bool(0.4))
        };
        let want = if unenroll {
            Want::NotEnrolled
        } else {
            Want::Enrolled
        };
        s.ledger.lock().unwrap().insert((n, index), (want, false));
        let req = if unenroll {
            client.delete(format!("{}/api/v1/enrollments/{}/", s.base, held[&index]))
        } else {
            client
                .post(format!("{}/api/v1/enrollments/", s.base))
                .json(&serde_json::json!({ "run_id": s.runs[index].0 }))
        };
        match answer(signed_in(req, &header)).await {
            Some((status, body)) if (200..300).contains(&status) => {
                if unenroll {
                    held.remove(&index);
                    s.figures.lock().unwrap().acked_unenrolls += 1;
                } else {
                    let id = serde_json::from_str::<Value>(&body)
                        .ok()
                        .and_then(|v| v["id"].as_i64());
                    held.insert(index, id.unwrap_or_default());
                    s.figures.lock().unwrap().acked_enrolls += 1;
                }
                s.ledger.lock().unwrap().insert((n, index), (want, true));
            }
            other => {
                s.count(other.as_ref().map(|(status, _)| *status));
                if other.is_none() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
}

/// One buyer's loop: a certificate for a run not bought yet, from the basket to the signed
/// result the browser brings back; acknowledged when that answer says the payment was accepted.
/// A buyer who holds every run hands over to a new one (buyer `n + buyers`, and so on).
pub async fn buyer(first: usize, buyers: usize, s: Arc<Shared>) {
    let mut n = first;
    while !s.stop.load(Ordering::Relaxed) {
        let (client, header) = (client(), userinfo("b", n));
        let mut bought: Vec<usize> = Vec::new();
        while !s.stop.load(Ordering::Relaxed) && bought.len() < s.runs.len() {
            let index = loop {
                let i = rand::rng().random_range(0..s.runs.len());
                if !bought.contains(&i) {
                    break i;
                }
            };
            match purchase(&client, &s.base, &header, s.runs[index].1).await {
                Ok(order) => {
                    bought.push(index);
                    s.paid.lock().unwrap().push((n, index, order));
                    s.figures.lock().unwrap().acked_orders += 1;
                }
                Err(outcome) => {
                    // Refused: most often bought already by a payment whose answer a kill cut off.
                    if outcome.is_some() {
                        bought.push(index);
                    }
                    s.count(outcome);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
        n += buyers;
    }
}
