//! Where the process's memory goes, as gauges read at scrape time: resident set, SQLite's own
//! allocations (page caches of every connection, statement caches, in-memory temp tables) and,
//! on glibc, the allocator's heap in use and held free. A soak that sees RSS grow reads these to
//! tell a leak (heap in use growing) from caches filling to their bound (SQLite memory) or
//! allocator fragmentation (heap free growing).

use super::Metrics;

/// The figures of this process, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    pub resident: i64,
    pub sqlite: i64,
    pub sqlite_highwater: i64,
    /// Bytes handed out by malloc and not freed (glibc only, else -1).
    pub heap_in_use: i64,
    /// Bytes the allocator holds free inside its arenas (glibc only, else -1).
    pub heap_free: i64,
}

impl Memory {
    pub fn read() -> Memory {
        let (heap_in_use, heap_free) = heap();
        Memory {
            resident: resident(),
            // SAFETY: both read SQLite's global memory statistics; no pointers involved.
            sqlite: unsafe { rusqlite::ffi::sqlite3_memory_used() },
            sqlite_highwater: unsafe { rusqlite::ffi::sqlite3_memory_highwater(0) },
            heap_in_use,
            heap_free,
        }
    }
}

/// Caps glibc's malloc arenas at two. By default glibc gives each thread that allocates its own
/// arena (up to 8 per core), and each arena keeps what was freed in it: with tokio's workers,
/// the blocking pool and the database threads, the memory held free grew steadily in a soak
/// while the memory in use stayed flat. Called once at start, before any thread is spawned.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt sets an allocator parameter; called before other threads exist.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Hands the pages malloc holds free back to the system every `every`, until `stop` says so.
/// glibc trims only the top of a heap by itself; a burst (a backup compaction, a big export)
/// freed in the middle of the heap stayed resident for good (a soak saw 40 MB of it after one
/// such burst). `malloc_trim` releases those pages; what is in use is untouched.
pub fn spawn_trimmer(every: std::time::Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {
                    let _ = tokio::task::spawn_blocking(trim).await;
                }
                _ = async { drop(stop.wait_for(|v| *v).await) } => break,
            }
        }
    });
}

/// One `malloc_trim` (glibc only; elsewhere nothing).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim walks the allocator's own arenas; no pointers of ours involved.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Sets the `mitxonline_memory_*` gauges from [`Memory::read`].
pub fn record(m: &Metrics) {
    let mem = Memory::read();
    for (name, help, v) in [
        (
            "mitxonline_memory_resident_bytes",
            "Resident set size of the process.",
            mem.resident,
        ),
        (
            "mitxonline_memory_sqlite_bytes",
            "Memory SQLite has allocated (page caches, statements, temp tables).",
            mem.sqlite,
        ),
        (
            "mitxonline_memory_sqlite_highwater_bytes",
            "The most memory SQLite has held at once.",
            mem.sqlite_highwater,
        ),
        (
            "mitxonline_memory_heap_in_use_bytes",
            "Bytes allocated by malloc and not freed (-1: not glibc).",
            mem.heap_in_use,
        ),
        (
            "mitxonline_memory_heap_free_bytes",
            "Bytes the allocator holds free in its arenas (-1: not glibc).",
            mem.heap_free,
        ),
    ] {
        m.set_gauge(name, help, &[], v);
    }
}

fn resident() -> i64 {
    // statm's second field: resident pages.
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: i64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(-1);
    if pages < 0 { -1 } else { pages * 4096 }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn heap() -> (i64, i64) {
    // SAFETY: mallinfo2 takes no arguments and returns a plain struct; glibc ≥ 2.33.
    let mi = unsafe { libc::mallinfo2() };
    let c = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    (c(mi.uordblks) + c(mi.hblkhd), c(mi.fordblks))
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn heap() -> (i64, i64) {
    (-1, -1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_read_and_rendered() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (randomblob(100000));")
            .unwrap();
        let mem = Memory::read();
        assert!(mem.resident > 1_000_000, "{mem:?}");
        assert!(mem.sqlite > 0 && mem.sqlite_highwater >= mem.sqlite, "{mem:?}");
        if cfg!(target_env = "gnu") {
            assert!(mem.heap_in_use > 0 && mem.heap_free >= 0, "{mem:?}");
        }
        trim();
        let m = Metrics::default();
        record(&m);
        let text = m.render();
        assert!(
            text.contains("# TYPE mitxonline_memory_sqlite_bytes gauge"),
            "{text}"
        );
        assert!(text.contains("mitxonline_memory_resident_bytes "), "{text}");
        drop(conn);
    }
}
