use super::*;
use crate::metrics::Metrics;

fn open(dir: &std::path::Path) -> Db {
    Db::open(
        &DbOptions {
            path: dir.join("t.db"),
            readers: 2,
            synchronous: Synchronous::Normal,
            hold_checkpoints: false,
        },
        &Metrics::default(),
    )
    .expect("open")
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs `test` on a fresh database in a temporary folder, on a two-thread runtime.
fn with_db<F: std::future::Future<Output = ()>>(test: impl FnOnce(Db) -> F) {
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async { test(open(dir.path())).await });
}

#[test]
fn writes_are_visible_to_readers_after_they_resolve() {
    with_db(|db| async move {
        db.write(|c| c.execute("INSERT INTO settings VALUES ('a', '1', 'now')", []))
            .await
            .unwrap();
        let v: String = db
            .read(|c| c.query_row("SELECT value FROM settings WHERE key='a'", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(v, "1");
        db.shutdown().await;
    });
}

#[test]
fn a_failing_write_in_a_batch_does_not_undo_the_others() {
    with_db(|db| async move {
        let mut handles = Vec::new();
        for i in 0..200 {
            let db = db.clone();
            handles.push(tokio::spawn(async move {
                db.write(move |c| {
                    c.execute("INSERT INTO settings VALUES (?1, 'x', 'now')", [format!("k{i}")])?;
                    if i % 10 == 0 {
                        // Duplicate key: this closure fails and only its own insert is undone.
                        c.execute("INSERT INTO settings VALUES (?1, 'y', 'now')", [format!("k{i}")])?;
                    }
                    Ok::<_, DbError>(())
                })
                .await
            }));
        }
        let mut failed = 0;
        for h in handles {
            if h.await.unwrap().is_err() {
                failed += 1;
            }
        }
        assert_eq!(failed, 20);
        let n: i64 = db
            .read(|c| c.query_row("SELECT count(*) FROM settings", [], |r| r.get(0)))
            .await
            .unwrap();
        assert_eq!(n, 180);
        db.shutdown().await;
    });
}

#[test]
fn a_panicking_write_is_reported_and_the_writer_survives() {
    with_db(|db| async move {
        let r: Result<(), DbError> = db.write(|_| panic!("boom")).await;
        assert!(matches!(r, Err(DbError::Panicked(m)) if m == "boom"));
        db.write(|c| c.execute("INSERT INTO settings VALUES ('b', '2', 'now')", []))
            .await
            .unwrap();
        db.shutdown().await;
    });
}

#[test]
fn a_database_from_a_newer_binary_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let db = open(dir.path());
        let next = latest_embedded_version() + 1;
        db.write(move |c| {
            c.execute(
                "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES (?1, 'future', '', '0')",
                [next],
            )
        })
        .await
        .unwrap();
        db.shutdown().await;
    });
    let err = Db::open(
        &DbOptions {
            path: dir.path().join("t.db"),
            readers: 1,
            synchronous: Synchronous::Normal,
            hold_checkpoints: false,
        },
        &Metrics::default(),
    )
    .err()
    .expect("must refuse");
    assert!(err.to_string().contains("newer than this binary"), "{err}");
}

#[test]
fn shutdown_truncates_the_wal() {
    let dir = tempfile::tempdir().unwrap();
    rt().block_on(async {
        let db = open(dir.path());
        db.write(|c| c.execute("INSERT INTO settings VALUES ('c', '3', 'now')", []))
            .await
            .unwrap();
        db.shutdown().await;
    });
    let wal = dir.path().join("t.db-wal");
    let len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(len, 0);
}

/// Runs a cached `col = ?` query with a new value each time; returns how often SQLite had to
/// re-prepare it.
fn reprepares_of_cached_lookup(conn: &Connection) -> i32 {
    conn.execute_batch(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, basket_id INTEGER NOT NULL, product_id INTEGER NOT NULL,
             UNIQUE (basket_id, product_id));
         INSERT INTO items (basket_id, product_id) VALUES (1, 1), (2, 2), (3, 3);",
    )
    .unwrap();
    let sql = "SELECT id, product_id FROM items WHERE basket_id = ?1 ORDER BY id";
    for basket in 1..=20_i64 {
        let mut stmt = conn.prepare_cached(sql).unwrap();
        let _: Vec<i64> = stmt
            .query_map([basket], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    }
    conn.prepare_cached(sql)
        .unwrap()
        .get_status(rusqlite::StatementStatus::RePrepare)
}

#[test]
fn cached_statements_are_reused_without_being_prepared_again() {
    // The SQLite behaviour the setting guards against: a plain connection re-prepares.
    let plain = Connection::open_in_memory().unwrap();
    assert!(reprepares_of_cached_lookup(&plain) > 0);
    let mut tuned = Connection::open_in_memory().unwrap();
    apply_pragmas(&mut tuned, Synchronous::Normal).unwrap();
    assert_eq!(reprepares_of_cached_lookup(&tuned), 0);
}

#[test]
fn statements_are_counted() {
    let mut conn = Connection::open_in_memory().unwrap();
    apply_pragmas(&mut conn, Synchronous::Normal).unwrap();
    let before = super::statements_run();
    conn.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1); SELECT * FROM t;")
        .unwrap();
    // Other tests run statements at the same time: at least these three were counted.
    assert!(super::statements_run() - before >= 3);
}

/// A backup hook that panics at every call.
struct PanickingHook;

impl CheckpointHook for PanickingHook {
    fn before_checkpoint(&self, _: &Connection) -> anyhow::Result<()> {
        panic!("before_checkpoint");
    }
    fn after_commit(&self) {
        panic!("after_commit");
    }
}

#[test]
fn a_panicking_checkpoint_hook_does_not_end_the_writer() {
    with_db(|db| async move {
        db.set_checkpoint_hook(Arc::new(PanickingHook));
        for i in 0..3 {
            db.write(move |c| c.execute("INSERT INTO settings VALUES (?1, '1', 'now')", [format!("k{i}")]))
                .await
                .expect("writes go on after the hook panicked");
        }
        // The checkpoint is postponed (the hook failed), not fatal.
        db.checkpoint().await.expect("checkpoint answered");
        let n: i64 = db
            .write(|c| {
                c.query_row("SELECT count(*) FROM settings WHERE key LIKE 'k%'", [], |r| {
                    r.get(0)
                })
            })
            .await
            .unwrap();
        assert_eq!(n, 3);
        db.shutdown().await;
    });
}
