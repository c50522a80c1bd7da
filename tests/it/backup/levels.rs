//! Backups over time: compaction levels, snapshots and retention stay restorable by both
//! restores; checkpoints the writer triggers by WAL growth continue the history.

use std::time::Duration;

use mitxonline::backup::merge::Target;
use mitxonline::backup::service;

use super::replica::{
    backed_up_app, churn, create_churn_table, digests_of, file_replica, litestream, litestream_restore,
    live_digests, sync,
};

#[tokio::test]
async fn compaction_snapshots_and_retention_keep_the_replica_restorable_by_both() {
    let dir = tempfile::tempdir().unwrap();
    let replica = dir.path().join("replica");
    let app = backed_up_app(
        &replica,
        &[
            ("MITXONLINE_BACKUP_COMPACTION_INTERVALS", "300ms,600ms,900ms"),
            ("MITXONLINE_BACKUP_SNAPSHOT_INTERVAL", "1s"),
            ("MITXONLINE_BACKUP_L0_RETENTION", "500ms"),
            ("MITXONLINE_BACKUP_RETENTION", "1m"),
        ],
    )
    .await;
    create_churn_table(&app).await;
    let mut seen = std::collections::BTreeSet::new();
    let mut most_l0 = 0;
    // At least 10 rounds; more (up to 60) while a level has not been seen yet: a level-1 file
    // lives only until level 2 takes it, which a loaded machine can sample past.
    for round in 0..60 {
        churn(&app, 10).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let files = file_replica(&replica).list().await.unwrap();
        most_l0 = most_l0.max(files.iter().filter(|f| f.level == 0).count());
        seen.extend(files.iter().map(|f| f.level));
        if round >= 9 && [1u8, 2, 3, 9].iter().all(|l| seen.contains(l)) {
            break;
        }
    }
    sync(&app).await;
    for l in [1u8, 2, 3, 9] {
        assert!(seen.contains(&l), "never saw level {l} files: {seen:?}");
    }
    // Level-0 files go once level 1 covers them and they are older than the L0 retention.
    assert!(most_l0 < 25, "level-0 retention kept up to {most_l0} files");
    let live = live_digests(&app).await;
    let out = dir.path().join("ours.db");
    service::restore(&file_replica(&replica), &out, Target::Latest)
        .await
        .unwrap();
    assert_eq!(digests_of(&out), live);
    if let Some(bin) = litestream() {
        let theirs = dir.path().join("theirs.db");
        let o = litestream_restore(&bin, &replica, &theirs, &["-integrity-check", "full"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(digests_of(&theirs), live);
    }
    app.shutdown().await;
}

#[tokio::test]
async fn checkpoints_triggered_by_wal_growth_continue_the_history_without_a_full_copy() {
    let dir = tempfile::tempdir().unwrap();
    let replica = dir.path().join("replica");
    let app = backed_up_app(&replica, &[]).await;
    create_churn_table(&app).await;
    sync(&app).await;
    let full_copies = || {
        app.state
            .metrics
            .counter_value("mitxonline_backup_full_copies_total", &[])
    };
    assert_eq!(full_copies(), 1, "the first start writes one full copy");
    // ~24 MB of WAL: the writer checkpoints (and truncates the WAL) past 16 MB.
    for _ in 0..24 {
        app.state
            .db
            .write(|c| c.execute("INSERT INTO blobs (b) VALUES (randomblob(1000000))", []))
            .await
            .unwrap();
    }
    sync(&app).await;
    let wal = std::fs::metadata(app.dir.path().join("mitxonline.db-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    assert!(
        wal < 20 * 1024 * 1024,
        "the WAL was never checkpointed ({wal} bytes)"
    );
    assert_eq!(full_copies(), 1, "a checkpoint broke the history");
    let live = live_digests(&app).await;
    let out = dir.path().join("r.db");
    service::restore(&file_replica(&replica), &out, Target::Latest)
        .await
        .unwrap();
    assert_eq!(digests_of(&out), live);
    app.shutdown().await;
}
