use super::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/litestream");

fn info(level: u8, min: u64, max: u64, ts: i64) -> FileInfo {
    FileInfo {
        level,
        min_txid: min,
        max_txid: max,
        size: 1,
        timestamp_ms: ts,
    }
}

#[test]
fn the_plan_starts_at_the_newest_snapshot_and_follows_the_longest_contiguous_files() {
    let files = vec![
        info(0, 1, 1, 1),
        info(0, 2, 2, 2),
        info(0, 3, 3, 3),
        info(0, 4, 4, 4),
        info(1, 2, 3, 3),
        info(9, 1, 2, 2),
    ];
    let p = plan(&files, Target::Latest).unwrap();
    let ranges: Vec<(u8, u64, u64)> = p.iter().map(|f| (f.level, f.min_txid, f.max_txid)).collect();
    assert_eq!(ranges, vec![(9, 1, 2), (1, 2, 3), (0, 4, 4)]);
}

#[test]
fn a_point_in_time_plan_ignores_files_after_the_target() {
    let files = vec![info(0, 1, 1, 10), info(0, 2, 2, 20), info(0, 3, 3, 30)];
    let by_time = plan(&files, Target::Time(25)).unwrap();
    assert_eq!(by_time.last().unwrap().max_txid, 2);
    let by_txid = plan(&files, Target::Txid(1)).unwrap();
    assert_eq!(by_txid.len(), 1);
}

#[test]
fn a_gap_in_transaction_ids_is_refused_naming_the_next_file() {
    let files = vec![info(0, 1, 1, 1), info(0, 3, 3, 3)];
    let err = plan(&files, Target::Latest).unwrap_err().to_string();
    assert!(err.contains("non-contiguous"), "{err}");
    assert!(
        err.contains("ltx/0/0000000000000003-0000000000000003.ltx"),
        "{err}"
    );
}

#[test]
fn a_replica_without_a_snapshot_is_refused() {
    assert!(plan(&[info(0, 2, 2, 2)], Target::Latest).is_err());
    assert!(plan(&[], Target::Latest).is_err());
}

fn fixture_inputs() -> Vec<Input> {
    [
        "0000000000000001-0000000000000001.ltx",
        "0000000000000002-0000000000000002.ltx",
    ]
    .iter()
    .map(|n| Input {
        name: (*n).to_owned(),
        path: PathBuf::from(format!("{FIXTURES}/{n}")),
    })
    .collect()
}

#[test]
fn merging_files_written_by_the_real_litestream_gives_the_database_its_restore_gives() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.db");
    merge(&fixture_inputs(), &Sink::Database(out.clone())).unwrap();
    let ours = std::fs::read(&out).unwrap();
    let theirs = std::fs::read(format!("{FIXTURES}/restored.db")).unwrap();
    assert!(ours == theirs, "restored bytes differ from litestream's restore");
}

#[test]
fn compacting_files_then_restoring_gives_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let compacted = dir.path().join("c.ltx");
    let m = merge(&fixture_inputs(), &Sink::Ltx(compacted.clone())).unwrap();
    assert_eq!((m.header.min_txid, m.header.max_txid), (1, 2));
    let out = dir.path().join("r.db");
    merge(
        &[Input {
            name: "c".into(),
            path: compacted,
        }],
        &Sink::Database(out.clone()),
    )
    .unwrap();
    let theirs = std::fs::read(format!("{FIXTURES}/restored.db")).unwrap();
    assert!(std::fs::read(&out).unwrap() == theirs);
}

#[test]
fn a_corrupted_input_fails_the_merge_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs = fixture_inputs();
    let mut bytes = std::fs::read(&inputs[1].path).unwrap();
    let n = bytes.len();
    bytes[n - 30] ^= 0xff;
    let bad = dir.path().join("bad.ltx");
    std::fs::write(&bad, bytes).unwrap();
    inputs[1].path = bad;
    let err = merge(&inputs, &Sink::Database(dir.path().join("r.db")))
        .unwrap_err()
        .to_string();
    assert!(err.contains("0000000000000002-0000000000000002.ltx"), "{err}");
}
