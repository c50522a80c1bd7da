//! `src/backup/`: the LTX codec and the WAL reader.

#[path = "../../src/backup/ltx.rs"]
pub mod ltx;
#[path = "../../src/backup/wal.rs"]
pub mod wal;
