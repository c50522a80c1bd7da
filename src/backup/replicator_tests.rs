use super::*;

#[test]
fn a_full_copy_is_stored_as_needed_until_it_is_staged() {
    let mut core = Core {
        txid: 7,
        expect_reset: true,
        base_needed: false,
        base_ready: Some((100, 4096)),
        ..Core::default()
    };
    let back: Core = serde_json::from_slice(&core.stored().unwrap()).unwrap();
    assert!(back.base_needed, "a copy being read is not staged yet");
    assert_eq!(back.base_ready, None);
    core.base_ready = None;
    let back: Core = serde_json::from_slice(&core.stored().unwrap()).unwrap();
    assert!(!back.base_needed);
    assert_eq!((back.txid, back.expect_reset), (7, true));
}

#[test]
fn positions_stored_before_marks_and_durable_full_copies_still_load() {
    let old = br#"{"txid":3,"pos":null,"expect_reset":true,"page_size":4096}"#;
    let core: Core = serde_json::from_slice(old).unwrap();
    assert!(!core.base_needed);
    assert_eq!(core.db_mark, None);
    assert!(core.db_unchanged(Path::new("/nonexistent")), "no mark: trusted");
}

#[test]
fn a_write_to_the_database_file_changes_its_mark() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    std::fs::write(&db, vec![0u8; 8192]).unwrap();
    let core = Core {
        db_mark: DbMark::of(&db),
        ..Core::default()
    };
    assert!(core.db_unchanged(&db));
    std::thread::sleep(Duration::from_millis(20));
    let f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
    f.write_all_at(&[1u8; 4096], 4096).unwrap();
    assert!(!core.db_unchanged(&db), "a checkpoint behind our back");
    std::fs::write(&db, vec![0u8; 12288]).unwrap();
    assert!(!core.db_unchanged(&db), "the file grew");
}
