//! The soak's steady mixed traffic, open loop: at each tick one operation is started (it does
//! not wait for the last to end), drawn by weight from what MIT Learn's ETL, browsers and
//! learners do: catalog lists and details (anonymous), the catalog page, v3 enrollment lists
//! and the dashboard (signed in), enroll/unenroll, and a certificate bought end to end.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rand::Rng as _;
use serde_json::Value;

use crate::process::client::{answer, client, purchase, signed_in, userinfo};

/// Operation names with their weights.
pub const MIX: &[(&str, u32)] = &[
    ("v2 courses list", 25),
    ("v2 course detail", 10),
    ("catalog page", 10),
    ("v3 enrollments", 20),
    ("dashboard page", 10),
    ("enroll", 10),
    ("unenroll", 5),
    ("checkout", 5),
];

/// Latencies (ms) per operation since the last window, and the answers by class.
#[derive(Default)]
pub struct Window {
    pub latencies: HashMap<&'static str, Vec<f64>>,
    pub server_errors: u64,
    pub unanswered: u64,
}

pub struct Traffic {
    pub base: String,
    /// (run id, product id, course id) of the open runs.
    pub runs: Vec<(i64, i64, i64)>,
    pub learners: usize,
    pub window: Mutex<Window>,
    next_buyer: AtomicUsize,
    http: reqwest::Client,
}

impl Traffic {
    pub fn new(base: String, runs: Vec<(i64, i64, i64)>, learners: usize) -> Traffic {
        Traffic {
            base,
            runs,
            learners,
            window: Default::default(),
            next_buyer: AtomicUsize::new(0),
            http: client(),
        }
    }

    fn pick(&self) -> &'static str {
        let total: u32 = MIX.iter().map(|m| m.1).sum();
        let mut at = rand::rng().random_range(0..total);
        for (name, w) in MIX {
            if at < *w {
                return name;
            }
            at -= w;
        }
        MIX[0].0
    }

    /// Starts one operation; its latency lands in the current window.
    pub fn tick(self: &Arc<Self>) {
        let op = self.pick();
        let me = self.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let status = me.run(op).await;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            let mut w = me.window.lock().unwrap();
            match status {
                None => w.unanswered += 1,
                Some(s) if s >= 500 => w.server_errors += 1,
                Some(_) => w.latencies.entry(op).or_default().push(ms),
            }
        });
    }

    /// The server's memory gauges in MB (`mitxonline_memory_*` from `/metrics`): SQLite's
    /// allocations, the heap in use and the heap held free; NaN where a gauge is missing.
    pub async fn memory(&self) -> [f64; 3] {
        let text = match self.http.get(format!("{}/metrics", self.base)).send().await {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let gauge = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse::<f64>().ok())
                .map_or(f64::NAN, |b| b / 1_048_576.0)
        };
        [
            gauge("mitxonline_memory_sqlite_bytes"),
            gauge("mitxonline_memory_heap_in_use_bytes"),
            gauge("mitxonline_memory_heap_free_bytes"),
        ]
    }

    /// Every learner enrolled in `each` random runs, so their lists have something to list.
    pub async fn warm_up(&self, each: usize) {
        for n in 0..self.learners {
            for _ in 0..each {
                self.enroll(n).await;
            }
        }
    }

    async fn enroll(&self, n: usize) -> Option<u16> {
        let run = self.runs[rand::rng().random_range(0..self.runs.len())].0;
        let req = self
            .http
            .post(format!("{}/api/v1/enrollments/", self.base))
            .json(&serde_json::json!({ "run_id": run }));
        answer(signed_in(req, &userinfo("s", n))).await.map(|a| a.0)
    }

    async fn get(&self, path: &str, learner: Option<usize>) -> Option<(u16, String)> {
        let req = self.http.get(format!("{}{path}", self.base));
        match learner {
            Some(n) => answer(signed_in(req, &userinfo("s", n))).await,
            None => answer(req).await,
        }
    }

    async fn run(&self, op: &'static str) -> Option<u16> {
        let (n, r) = {
            let mut rng = rand::rng();
            (
                rng.random_range(0..self.learners),
                rng.random_range(0..self.runs.len()),
            )
        };
        match op {
            "v2 courses list" => {
                let page = r % 3 + 1;
                self.get(&format!("/api/v2/courses/?page={page}&live=true"), None)
                    .await
                    .map(|a| a.0)
            }
            "v2 course detail" => self
                .get(&format!("/api/v2/courses/{}/", self.runs[r].2), None)
                .await
                .map(|a| a.0),
            "catalog page" => self.get("/catalog/", None).await.map(|a| a.0),
            "v3 enrollments" => self.get("/api/v3/enrollments/", Some(n)).await.map(|a| a.0),
            "dashboard page" => self.get("/dashboard/", Some(n)).await.map(|a| a.0),
            "enroll" => self.enroll(n).await,
            "unenroll" => {
                let (status, body) = self.get("/api/v1/enrollments/", Some(n)).await?;
                let list: Value = serde_json::from_str(&body).unwrap_or_default();
                let Some(id) = list
                    .as_array()
                    .and_then(|l| l.first())
                    .and_then(|e| e["id"].as_i64())
                else {
                    return Some(status);
                };
                let req = self
                    .http
                    .delete(format!("{}/api/v1/enrollments/{id}/", self.base));
                answer(signed_in(req, &userinfo("s", n))).await.map(|a| a.0)
            }
            _ => {
                // A new buyer each time, so every purchase is a first one.
                let b = self.next_buyer.fetch_add(1, Ordering::Relaxed);
                match purchase(&self.http, &self.base, &userinfo("sb", b), self.runs[r].1).await {
                    Ok(_) => Some(200),
                    Err(status) => status,
                }
            }
        }
    }
}
