//! In-process Prometheus metrics: counters, gauges and histograms with labels, rendered in the
//! text exposition format at `/metrics`. Small on purpose: lookups are a read-locked map, the
//! values are atomics, so recording a sample on the request path costs well under a microsecond.

pub mod memory;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Upper bounds (seconds) shared by every latency histogram.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    /// Sum in nanoseconds, to stay integral and atomic.
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            if secs <= *bound {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

/// Writes the families of a one-value type (counters, gauges) in the exposition format.
fn render_simple<T>(
    out: &mut String,
    kind: &str,
    families: &BTreeMap<&'static str, Family<T>>,
    value: impl Fn(&T) -> String,
) {
    for (name, fam) in families {
        let _ = writeln!(out, "# HELP {name} {}\n# TYPE {name} {kind}", fam.help);
        for (labels, v) in fam.series.values() {
            let _ = writeln!(out, "{name}{} {}", label_text(labels, None), value(v));
        }
    }
}

struct Family<T> {
    help: &'static str,
    series: BTreeMap<String, (Labels, Arc<T>)>,
}

/// All metrics of one process.
#[derive(Default)]
pub struct Metrics {
    counters: RwLock<BTreeMap<&'static str, Family<AtomicU64>>>,
    gauges: RwLock<BTreeMap<&'static str, Family<AtomicI64>>>,
    histograms: RwLock<BTreeMap<&'static str, Family<Histogram>>>,
}

fn key(labels: &[(&'static str, &str)]) -> String {
    let mut k = String::new();
    for (n, v) in labels {
        k.push_str(n);
        k.push('=');
        k.push_str(v);
        k.push('\u{1}');
    }
    k
}

fn get_or_insert<T: Default>(
    map: &RwLock<BTreeMap<&'static str, Family<T>>>,
    name: &'static str,
    help: &'static str,
    labels: &[(&'static str, &str)],
) -> Arc<T> {
    let k = key(labels);
    if let Some(found) = map
        .read()
        .expect("metrics lock")
        .get(name)
        .and_then(|f| f.series.get(&k))
    {
        return found.1.clone();
    }
    let mut w = map.write().expect("metrics lock");
    let family = w.entry(name).or_insert_with(|| Family {
        help,
        series: BTreeMap::new(),
    });
    family
        .series
        .entry(k)
        .or_insert_with(|| {
            let owned = labels.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
            (owned, Arc::new(T::default()))
        })
        .1
        .clone()
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn label_text(labels: &Labels, extra: Option<(&str, String)>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(n, v)| format!("{n}=\"{}\"", escape(v)))
        .collect();
    if let Some((n, v)) = extra {
        parts.push(format!("{n}=\"{v}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

impl Metrics {
    pub fn inc(&self, name: &'static str, help: &'static str, labels: &[(&'static str, &str)]) {
        self.add(name, help, labels, 1);
    }

    pub fn add(&self, name: &'static str, help: &'static str, labels: &[(&'static str, &str)], n: u64) {
        get_or_insert(&self.counters, name, help, labels).fetch_add(n, Ordering::Relaxed);
    }

    /// A counter kept elsewhere (a process-wide atomic), copied in at scrape time.
    pub fn set_counter(&self, name: &'static str, help: &'static str, v: u64) {
        get_or_insert(&self.counters, name, help, &[]).store(v, Ordering::Relaxed);
    }

    pub fn set_gauge(&self, name: &'static str, help: &'static str, labels: &[(&'static str, &str)], v: i64) {
        get_or_insert(&self.gauges, name, help, labels).store(v, Ordering::Relaxed);
    }

    /// A gauge handle for values updated often (queue depths).
    pub fn gauge(&self, name: &'static str, help: &'static str) -> Arc<AtomicI64> {
        get_or_insert(&self.gauges, name, help, &[])
    }

    pub fn histogram(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&'static str, &str)],
    ) -> Arc<Histogram> {
        get_or_insert(&self.histograms, name, help, labels)
    }

    pub fn observe(
        &self,
        name: &'static str,
        help: &'static str,
        labels: &[(&'static str, &str)],
        d: Duration,
    ) {
        self.histogram(name, help, labels).observe(d);
    }

    /// The value of one counter series (tests and health use it).
    pub fn counter_value(&self, name: &str, labels: &[(&'static str, &str)]) -> u64 {
        self.counters
            .read()
            .expect("metrics lock")
            .get(name)
            .and_then(|f| f.series.get(&key(labels)))
            .map(|(_, v)| v.load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// Prometheus text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counters = self.counters.read().expect("metrics lock");
        render_simple(&mut out, "counter", &counters, |v| {
            v.load(Ordering::Relaxed).to_string()
        });
        let gauges = self.gauges.read().expect("metrics lock");
        render_simple(&mut out, "gauge", &gauges, |v| {
            v.load(Ordering::Relaxed).to_string()
        });
        for (name, fam) in self.histograms.read().expect("metrics lock").iter() {
            let _ = writeln!(out, "# HELP {name} {}\n# TYPE {name} histogram", fam.help);
            for (labels, h) in fam.series.values() {
                for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{} {}",
                        label_text(labels, Some(("le", bound.to_string()))),
                        h.buckets[i].load(Ordering::Relaxed)
                    );
                }
                let count = h.count.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {count}",
                    label_text(labels, Some(("le", "+Inf".into())))
                );
                let sum = h.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
                let _ = writeln!(out, "{name}_sum{} {sum}", label_text(labels, None));
                let _ = writeln!(out, "{name}_count{} {count}", label_text(labels, None));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_gauges_and_histograms() {
        let m = Metrics::default();
        m.inc("x_total", "X things.", &[("kind", "a\"b")]);
        m.inc("x_total", "X things.", &[("kind", "a\"b")]);
        m.set_gauge("depth", "Depth.", &[], 3);
        m.observe(
            "lat_seconds",
            "Latency.",
            &[("route", "/r")],
            Duration::from_millis(3),
        );
        let text = m.render();
        assert!(text.contains("# TYPE x_total counter"));
        assert!(text.contains("x_total{kind=\"a\\\"b\"} 2"));
        assert!(text.contains("depth 3"));
        assert!(text.contains("lat_seconds_bucket{route=\"/r\",le=\"0.0025\"} 0"));
        assert!(text.contains("lat_seconds_bucket{route=\"/r\",le=\"0.005\"} 1"));
        assert!(text.contains("lat_seconds_count{route=\"/r\"} 1"));
        assert_eq!(m.counter_value("x_total", &[("kind", "a\"b")]), 2);
    }
}
