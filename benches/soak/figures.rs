//! What the soak samples each window (the server's RSS and open files from `/proc`, the WAL's
//! size, latency percentiles per operation), the growth rule, and the report: a Markdown table
//! and an SVG chart drawn here, with no JavaScript.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// One window's figures.
pub struct Sample {
    pub at_secs: f64,
    pub rss_mb: f64,
    /// The server's own account of its memory (`/metrics`): SQLite's allocations, the heap in
    /// use and the heap the allocator holds free, MB.
    pub sqlite_mb: f64,
    pub heap_used_mb: f64,
    pub heap_free_mb: f64,
    pub open_files: usize,
    pub sockets: usize,
    pub wal_mb: f64,
    /// Per operation: (count, p50 ms, p99 ms).
    pub ops: BTreeMap<&'static str, (usize, f64, f64)>,
    pub server_errors: u64,
    pub unanswered: u64,
}

pub fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// (open files, open sockets) of the process: a leak is in the first; the second follows how
/// many connections the load holds at that moment.
pub fn open_fds(pid: u32) -> (usize, usize) {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return (0, 0);
    };
    let sockets: Vec<bool> = dir
        .flatten()
        .map(|e| std::fs::read_link(e.path()).is_ok_and(|t| t.to_string_lossy().starts_with("socket:")))
        .collect();
    let socks = sockets.iter().filter(|s| **s).count();
    (sockets.len() - socks, socks)
}

pub fn file_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64 / 1_048_576.0)
}

/// The `q` quantile (0..1) of `v`, nearest rank.
pub fn quantile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Least-squares slope of `ys` over `xs` (units of y per unit of x).
pub fn slope(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let num: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let den: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    if den == 0.0 { 0.0 } else { num / den }
}

/// The growth rule, on the samples after the first quarter (start-up and the caches filling):
/// RSS grows when its fitted slope would add more than max(16 MB, 20 % of its level) over a
/// run as long again as the one measured; open files (not sockets: those follow the load's
/// connections) grow when their floor (the fewest in a sample) over the last third of the
/// steady run is 16 above their floor over its first third. Floors, not the last sample: a
/// backup compaction holds each LTX file it merges open for its few seconds (a CI run caught
/// one at the last sample, 19 → 66), while a leak raises every later sample. Returns what
/// grew, in words.
pub fn growth(samples: &[Sample]) -> Vec<String> {
    let steady = &samples[samples.len() / 4..];
    let mut problems = Vec::new();
    if steady.len() < 3 {
        return problems;
    }
    let xs: Vec<f64> = steady.iter().map(|s| s.at_secs).collect();
    let rss: Vec<f64> = steady.iter().map(|s| s.rss_mb).collect();
    let per_sec = slope(&xs, &rss);
    let span = xs[xs.len() - 1] - xs[0];
    let allowed = (rss[0] * 0.2).max(16.0);
    if per_sec * span > allowed {
        problems.push(format!(
            "RSS grows {:.2} MB/min ({:.1} MB over the steady {:.0} s; allowed {allowed:.1})",
            per_sec * 60.0,
            per_sec * span,
            span
        ));
    }
    let third = (steady.len() / 3).max(1);
    let floor = |s: &[Sample]| s.iter().map(|s| s.open_files).min().unwrap_or(0);
    let (first, last) = (floor(&steady[..third]), floor(&steady[steady.len() - third..]));
    if last > first + 16 {
        problems.push(format!(
            "open files grew from {first} to {last} (the fewest in a sample, first third against last)"
        ));
    }
    problems
}

fn polyline(points: &[(f64, f64)], (w, h): (f64, f64), (xmax, ymax): (f64, f64), color: &str) -> String {
    let pts: Vec<String> = points
        .iter()
        .map(|(x, y)| {
            format!(
                "{:.1},{:.1}",
                50.0 + x / xmax * (w - 70.0),
                h - 30.0 - y / ymax * (h - 50.0)
            )
        })
        .collect();
    format!(
        "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"/>",
        pts.join(" ")
    )
}

/// Two panels: RSS (MB) and p99 per operation (ms), over the run's seconds.
pub fn svg(samples: &[Sample]) -> String {
    let (w, h) = (760.0, 260.0);
    let xmax = samples.last().map_or(1.0, |s| s.at_secs.max(1.0));
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"12\">",
        h * 2.0
    );
    let rmax = samples.iter().map(|s| s.rss_mb).fold(1.0, f64::max) * 1.2;
    let line = |f: fn(&Sample) -> f64, color| {
        let pts: Vec<(f64, f64)> = samples
            .iter()
            .filter(|s| f(s).is_finite())
            .map(|s| (s.at_secs, f(s)))
            .collect();
        polyline(&pts, (w, h), (xmax, rmax), color)
    };
    let _ = write!(
        out,
        "<text x=\"50\" y=\"16\">Server memory (MB, top {rmax:.0}) over {xmax:.0} s: <tspan fill=\"#1f77b4\">RSS</tspan>, <tspan fill=\"#ff7f0e\">SQLite</tspan>, <tspan fill=\"#2ca02c\">heap in use</tspan>, <tspan fill=\"#7f7f7f\">heap held free</tspan></text>{}{}{}{}",
        line(|s| s.rss_mb, "#1f77b4"),
        line(|s| s.sqlite_mb, "#ff7f0e"),
        line(|s| s.heap_used_mb, "#2ca02c"),
        line(|s| s.heap_free_mb, "#7f7f7f"),
    );
    let colors = [
        "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    ];
    let names: Vec<&str> = crate::traffic::MIX.iter().map(|m| m.0).collect();
    let pmax = samples
        .iter()
        .flat_map(|s| s.ops.values().map(|o| o.2))
        .fold(1.0, f64::max)
        * 1.2;
    let _ = write!(
        out,
        "<g transform=\"translate(0,{h})\"><text x=\"50\" y=\"16\">p99 latency (ms, top {pmax:.0}) per operation</text>"
    );
    for (i, name) in names.iter().enumerate() {
        let pts: Vec<(f64, f64)> = samples
            .iter()
            .filter_map(|s| s.ops.get(name).map(|o| (s.at_secs, o.2)))
            .collect();
        let color = colors[i % colors.len()];
        let _ = write!(
            out,
            "{}<text x=\"{}\" y=\"{}\" fill=\"{color}\">{name}</text>",
            polyline(&pts, (w, h), (xmax, pmax), color),
            60 + (i % 4) * 170,
            if i < 4 { h - 22.0 } else { h - 8.0 }
        );
    }
    out.push_str("</g></svg>\n");
    out
}

/// The Markdown table: one row a window.
pub fn markdown(samples: &[Sample], header: &str) -> String {
    let mut out = format!(
        "{header}\n\n| s | RSS MB | SQLite MB | heap in use MB | heap free MB | open files | sockets | WAL MB | 5xx | unanswered |"
    );
    for (name, _) in crate::traffic::MIX {
        let _ = write!(out, " {name} n / p50 / p99 ms |");
    }
    out.push_str("\n|---|---|---|---|---|---|---|---|---|---|");
    out.push_str(&"---|".repeat(crate::traffic::MIX.len()));
    for s in samples {
        let _ = write!(
            out,
            "\n| {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} | {:.2} | {} | {} |",
            s.at_secs,
            s.rss_mb,
            s.sqlite_mb,
            s.heap_used_mb,
            s.heap_free_mb,
            s.open_files,
            s.sockets,
            s.wal_mb,
            s.server_errors,
            s.unanswered
        );
        for (name, _) in crate::traffic::MIX {
            match s.ops.get(name) {
                Some((n, p50, p99)) => {
                    let _ = write!(out, " {n} / {p50:.1} / {p99:.1} |");
                }
                None => out.push_str(" – |"),
            }
        }
    }
    out.push('\n');
    out
}
