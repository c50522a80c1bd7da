//! Choosing and merging LTX files: the restore plan (newest snapshot at or before the target,
//! then the contiguous files that reach furthest, as Litestream's `CalcRestorePlan` does) and
//! a streaming k-way merge by page number that writes either a database file (restore) or a new
//! LTX file (compaction, snapshots). Every input's checksum is verified before the output is
//! accepted, and an error names the file.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::ltx::{Decoder, Encoder, Header};
use super::replica::FileInfo;

/// What state to restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Latest,
    Txid(u64),
    /// Milliseconds since the epoch: the last transaction shipped at or before it.
    Time(i64),
}

/// Picks the files to merge for `target`, oldest first; the first starts at TXID 1.
pub fn plan(files: &[FileInfo], target: Target) -> anyhow::Result<Vec<FileInfo>> {
    let eligible: Vec<&FileInfo> = files
        .iter()
        .filter(|f| match target {
            Target::Latest => true,
            Target::Txid(t) => f.max_txid <= t,
            Target::Time(ms) => f.timestamp_ms <= ms,
        })
        .collect();
    let base = eligible
        .iter()
        .filter(|f| f.min_txid == 1)
        .max_by_key(|f| (f.max_txid, f.level))
        .ok_or_else(|| {
            if files.is_empty() {
                anyhow::anyhow!("the replica holds no LTX files")
            } else {
                anyhow::anyhow!("no snapshot at or before the requested point")
            }
        })?;
    let mut chosen = vec![(*base).clone()];
    let mut cur = base.max_txid;
    loop {
        let next = eligible
            .iter()
            .filter(|f| f.min_txid <= cur + 1 && f.max_txid > cur)
            .max_by(|a, b| {
                (a.max_txid, std::cmp::Reverse(a.min_txid), a.level).cmp(&(
                    b.max_txid,
                    std::cmp::Reverse(b.min_txid),
                    b.level,
                ))
            });
        match next {
            Some(f) => {
                cur = f.max_txid;
                chosen.push((*f).clone());
            }
            None => break,
        }
    }
    if let Some(gap) = eligible
        .iter()
        .filter(|f| f.min_txid > cur + 1)
        .min_by_key(|f| f.min_txid)
    {
        anyhow::bail!(
            "non-contiguous ltx files: have up to {cur:016x} but next file starts at {:016x} ({})",
            gap.min_txid,
            gap.key()
        );
    }
    Ok(chosen)
}

/// One merge input: a local path and the name to report in errors.
pub struct Input {
    pub name: String,
    pub path: PathBuf,
}

/// What a merge produced.
#[derive(Debug, Clone)]
pub struct Merged {
    pub header: Header,
    pub pages: u64,
}

struct Source {
    name: String,
    dec: Option<Decoder<BufReader<File>>>,
    cur: Option<(u32, Vec<u8>)>,
}

impl Source {
    fn advance(&mut self) -> anyhow::Result<()> {
        let Some(dec) = self.dec.as_mut() else {
            self.cur = None;
            return Ok(());
        };
        let mut buf = self.cur.take().map(|c| c.1).unwrap_or_default();
        match dec
            .next_page(&mut buf)
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.name))?
        {
            Some(p) => self.cur = Some((p, buf)),
            None => {
                let dec = self.dec.take().expect("decoder present");
                dec.finish().map_err(|e| anyhow::anyhow!("{}: {e}", self.name))?;
            }
        }
        Ok(())
    }
}

/// Where merged pages go.
pub enum Sink {
    /// A database file (restore); must end up complete.
    Database(PathBuf),
    /// A new LTX file at this path, with this timestamp (ms).
    Ltx(PathBuf),
}

/// Merges `inputs` (oldest first, contiguous) into `sink`; the newest copy of each page wins.
pub fn merge(inputs: &[Input], sink: &Sink) -> anyhow::Result<Merged> {
    anyhow::ensure!(!inputs.is_empty(), "nothing to merge");
    let mut sources = Vec::with_capacity(inputs.len());
    let mut headers = Vec::with_capacity(inputs.len());
    // Every input is open at once (a k-way merge), so each reads through a small buffer: a
    // compaction of 50 files held 50 MiB of 1 MiB buffers in a soak.
    for i in inputs {
        let f = File::open(&i.path).map_err(|e| anyhow::anyhow!("{}: {e}", i.name))?;
        let dec = Decoder::new(BufReader::with_capacity(64 << 10, f))
            .map_err(|e| anyhow::anyhow!("{}: {e}", i.name))?;
        headers.push(dec.header().clone());
        sources.push(Source {
            name: i.name.clone(),
            dec: Some(dec),
            cur: None,
        });
    }
    let first = &headers[0];
    let last = headers.last().expect("non-empty");
    for (w, pair) in headers.windows(2).enumerate() {
        anyhow::ensure!(
            pair[1].page_size == first.page_size,
            "{}: page size {} differs from {}",
            inputs[w + 1].name,
            pair[1].page_size,
            first.page_size
        );
        anyhow::ensure!(
            pair[1].min_txid <= pair[0].max_txid + 1,
            "{}: does not follow {} (non-contiguous)",
            inputs[w + 1].name,
            inputs[w].name
        );
    }
    let mut out = Header::new(
        first.page_size,
        last.commit,
        first.min_txid,
        last.max_txid,
        last.timestamp_ms,
    );
    if last.wal_offset != 0 {
        out.wal_offset = last.wal_offset;
        out.wal_size = last.wal_size;
        out.wal_salt1 = last.wal_salt1;
        out.wal_salt2 = last.wal_salt2;
    }
    for s in &mut sources {
        s.advance()?;
    }
    let ps = u64::from(first.page_size);
    let lock = out.lock_page();
    let mut pages = 0u64;
    match sink {
        Sink::Database(path) => {
            anyhow::ensure!(
                first.is_snapshot(),
                "{}: the first file is not a snapshot",
                inputs[0].name
            );
            let mut w = BufWriter::with_capacity(1 << 20, File::create(path)?);
            let mut next = 1u32;
            merge_pages(&mut sources, out.commit, |pgno, data| {
                if next == lock && pgno > lock {
                    w.write_all(&vec![0u8; ps as usize])?;
                    next += 1;
                }
                anyhow::ensure!(
                    pgno == next,
                    "the files do not hold page {next} (restore incomplete)"
                );
                w.write_all(data)?;
                next += 1;
                pages += 1;
                Ok(())
            })?;
            if next == lock && lock <= out.commit {
                w.write_all(&vec![0u8; ps as usize])?;
                next += 1;
            }
            anyhow::ensure!(
                next == out.commit + 1,
                "the files end at page {} of {} (restore incomplete)",
                next - 1,
                out.commit
            );
            let f = w.into_inner().map_err(|e| e.into_error())?;
            f.set_len(u64::from(out.commit) * ps)?;
            f.sync_all()?;
        }
        Sink::Ltx(path) => {
            let mut enc = Encoder::new(
                BufWriter::with_capacity(1 << 20, File::create(path)?),
                out.clone(),
            )?;
            let snapshot = out.is_snapshot();
            let mut next = 1u32;
            merge_pages(&mut sources, out.commit, |pgno, data| {
                if snapshot {
                    if next == lock {
                        next += 1;
                    }
                    anyhow::ensure!(pgno == next, "the files do not hold page {next}");
                    next = pgno + 1;
                }
                enc.write_page(pgno, data)?;
                pages += 1;
                Ok(())
            })?;
            let (w, _) = enc.finish()?;
            let f = w.into_inner().map_err(|e| e.into_error())?;
            f.sync_all()?;
        }
    }
    Ok(Merged { header: out, pages })
}

fn merge_pages(
    sources: &mut [Source],
    commit: u32,
    mut emit: impl FnMut(u32, &[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    while let Some(pgno) = sources.iter().filter_map(|s| s.cur.as_ref().map(|c| c.0)).min() {
        let winner = sources
            .iter()
            .rposition(|s| s.cur.as_ref().map(|c| c.0) == Some(pgno))
            .expect("a source holds the page");
        if pgno <= commit {
            emit(pgno, &sources[winner].cur.as_ref().expect("page").1)?;
        }
        for s in sources.iter_mut() {
            if s.cur.as_ref().map(|c| c.0) == Some(pgno) {
                s.advance()?;
            }
        }
    }
    Ok(())
}

/// Inputs for files already on local disk under `root` in the replica layout.
pub fn local_inputs(root: &Path, files: &[FileInfo]) -> Vec<Input> {
    files
        .iter()
        .map(|f| Input {
            name: f.key(),
            path: root.join(f.key()),
        })
        .collect()
}

#[cfg(test)]
#[path = "merge_tests.rs"]
mod tests;
