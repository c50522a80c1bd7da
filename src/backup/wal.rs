//! Reading SQLite's WAL file directly: the 32-byte header, then frames (24-byte header + page)
//! that are valid only while their salts match the header and their cumulative checksum chains
//! on. Only frames up to the last commit frame form a consistent state.
//!
//! A leaf module (std and serde only): the file functions open the WAL and hand a reader to
//! [`parse_header`], [`scan_reader`] and [`still_valid_reader`], which the fuzz suite
//! (`fuzz/`, target `wal`) compiles on their own.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

pub const WAL_HEADER_SIZE: u64 = 32;
const FRAME_HEADER_SIZE: usize = 24;
/// The only WAL format version SQLite writes.
const WAL_FORMAT_VERSION: u32 = 3_007_000;

/// The WAL header fields the replicator needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalHeader {
    pub page_size: u32,
    pub salt1: u32,
    pub salt2: u32,
    pub big_endian: bool,
    /// Checksum of the header, the seed of the frame checksum chain.
    pub checksum: (u32, u32),
}

/// Where shipping stopped in one WAL generation: after a commit frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WalPos {
    pub salt1: u32,
    pub salt2: u32,
    pub offset: u64,
    pub checksum: (u32, u32),
    pub page_size: u32,
}

/// Committed frames read past a position: the newest image of each page and the database size.
pub struct Scan {
    pub pages: BTreeMap<u32, Vec<u8>>,
    /// Database size in pages after the last commit read.
    pub commit: u32,
    pub end: WalPos,
    pub start_offset: u64,
}

pub fn wal_checksum(big_endian: bool, data: &[u8], seed: (u32, u32)) -> (u32, u32) {
    let (mut s0, mut s1) = seed;
    for chunk in data.chunks_exact(8) {
        let (x0, x1) = if big_endian {
            (
                u32::from_be_bytes(chunk[0..4].try_into().expect("4")),
                u32::from_be_bytes(chunk[4..8].try_into().expect("4")),
            )
        } else {
            (
                u32::from_le_bytes(chunk[0..4].try_into().expect("4")),
                u32::from_le_bytes(chunk[4..8].try_into().expect("4")),
            )
        };
        s0 = s0.wrapping_add(x0).wrapping_add(s1);
        s1 = s1.wrapping_add(x1).wrapping_add(s0);
    }
    (s0, s1)
}

fn be32(b: &[u8], o: usize) -> u32 {
    u32::from_be_bytes(b[o..o + 4].try_into().expect("4 bytes"))
}

/// Reads and checks the WAL header; `None` when the file is missing, empty or not a valid WAL.
pub fn read_header(path: &Path) -> std::io::Result<Option<WalHeader>> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut b = [0u8; WAL_HEADER_SIZE as usize];
    if f.read_exact(&mut b).is_err() {
        return Ok(None);
    }
    Ok(parse_header(&b))
}

/// Parses and checks a WAL header; `None` unless it is one.
pub fn parse_header(b: &[u8; 32]) -> Option<WalHeader> {
    let magic = be32(b, 0);
    if magic & !1 != 0x377f_0682 {
        return None;
    }
    let big_endian = magic & 1 == 1;
    // SQLite's own test (walIndexRecover): format version 3007000 and a power-of-two page size
    // of 512–65536 bytes. Without it a header with a right checksum and a page size of 4 GiB
    // made `scan` allocate a 4 GiB frame (found by the fuzz suite).
    if be32(b, 4) != WAL_FORMAT_VERSION {
        return None;
    }
    let page_size = match be32(b, 8) {
        1 => 65536,
        n => n,
    };
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return None;
    }
    let checksum = wal_checksum(big_endian, &b[0..24], (0, 0));
    if checksum != (be32(b, 24), be32(b, 28)) {
        return None;
    }
    Some(WalHeader {
        page_size,
        salt1: be32(b, 16),
        salt2: be32(b, 20),
        big_endian,
        checksum,
    })
}

impl WalHeader {
    /// The position at the very start of this generation.
    pub fn start(&self) -> WalPos {
        WalPos {
            salt1: self.salt1,
            salt2: self.salt2,
            offset: WAL_HEADER_SIZE,
            checksum: self.checksum,
            page_size: self.page_size,
        }
    }
}

/// Reads every committed frame after `from` (which must belong to `hdr`'s generation).
/// Frames after the last commit, or failing the salt or checksum test, are left for later.
pub fn scan(path: &Path, hdr: &WalHeader, from: WalPos) -> std::io::Result<Scan> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    f.seek(SeekFrom::Start(from.offset))?;
    Ok(scan_reader(BufReader::with_capacity(1 << 20, f), len, hdr, from))
}

/// [`scan`] over a reader positioned at `from.offset` of a WAL `len` bytes long.
pub fn scan_reader<R: Read>(mut r: R, len: u64, hdr: &WalHeader, from: WalPos) -> Scan {
    let ps = hdr.page_size as usize;
    let frame_size = (FRAME_HEADER_SIZE + ps) as u64;
    let mut frame = vec![0u8; FRAME_HEADER_SIZE + ps];
    let mut pending: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut pages = BTreeMap::new();
    let mut commit = 0;
    let mut end = from;
    let mut offset = from.offset;
    let mut checksum = from.checksum;
    while offset + frame_size <= len {
        if r.read_exact(&mut frame).is_err() {
            break;
        }
        let salts = (be32(&frame, 8), be32(&frame, 12));
        if salts != (hdr.salt1, hdr.salt2) {
            break;
        }
        let c = wal_checksum(hdr.big_endian, &frame[0..8], checksum);
        let c = wal_checksum(hdr.big_endian, &frame[FRAME_HEADER_SIZE..], c);
        if c != (be32(&frame, 16), be32(&frame, 20)) {
            break;
        }
        checksum = c;
        offset += frame_size;
        let pgno = be32(&frame, 0);
        pending.push((pgno, frame[FRAME_HEADER_SIZE..].to_vec()));
        let db_size = be32(&frame, 4);
        if db_size != 0 {
            for (p, data) in pending.drain(..) {
                pages.insert(p, data);
            }
            commit = db_size;
            end = WalPos {
                salt1: hdr.salt1,
                salt2: hdr.salt2,
                offset,
                checksum,
                page_size: hdr.page_size,
            };
        }
    }
    pages.retain(|p, _| *p <= commit);
    Scan {
        pages,
        commit,
        end,
        start_offset: from.offset,
    }
}

/// True when `pos` still describes a commit boundary of the current WAL (same salts, and the
/// checksum chain from the header reaches `pos` unchanged).
pub fn still_valid(path: &Path, hdr: &WalHeader, pos: &WalPos) -> std::io::Result<bool> {
    if (hdr.salt1, hdr.salt2, hdr.page_size) != (pos.salt1, pos.salt2, pos.page_size) {
        return Ok(false);
    }
    if pos.offset == WAL_HEADER_SIZE {
        return Ok(pos.checksum == hdr.checksum);
    }
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    f.seek(SeekFrom::Start(WAL_HEADER_SIZE))?;
    still_valid_reader(BufReader::with_capacity(1 << 20, f), len, hdr, pos)
}

/// [`still_valid`] over a reader positioned just after the header of a WAL `len` bytes long.
pub fn still_valid_reader<R: Read>(
    mut r: R,
    len: u64,
    hdr: &WalHeader,
    pos: &WalPos,
) -> std::io::Result<bool> {
    if (hdr.salt1, hdr.salt2, hdr.page_size) != (pos.salt1, pos.salt2, pos.page_size) {
        return Ok(false);
    }
    if pos.offset == WAL_HEADER_SIZE {
        return Ok(pos.checksum == hdr.checksum);
    }
    if len < pos.offset {
        return Ok(false);
    }
    let ps = hdr.page_size as usize;
    let mut frame = vec![0u8; FRAME_HEADER_SIZE + ps];
    let mut checksum = hdr.checksum;
    let mut offset = WAL_HEADER_SIZE;
    let mut last_commit = (WAL_HEADER_SIZE, hdr.checksum);
    while offset < pos.offset {
        r.read_exact(&mut frame)?;
        if (be32(&frame, 8), be32(&frame, 12)) != (hdr.salt1, hdr.salt2) {
            return Ok(false);
        }
        let c = wal_checksum(hdr.big_endian, &frame[0..8], checksum);
        checksum = wal_checksum(hdr.big_endian, &frame[FRAME_HEADER_SIZE..], c);
        if checksum != (be32(&frame, 16), be32(&frame, 20)) {
            return Ok(false);
        }
        offset += frame.len() as u64;
        if be32(&frame, 4) != 0 {
            last_commit = (offset, checksum);
        }
    }
    Ok(last_commit == (pos.offset, pos.checksum))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fuzz");

    fn header(version: u32, page_size: u32) -> [u8; 32] {
        let mut b = [0u8; 32];
        b[0..4].copy_from_slice(&0x377f_0682u32.to_be_bytes());
        b[4..8].copy_from_slice(&version.to_be_bytes());
        b[8..12].copy_from_slice(&page_size.to_be_bytes());
        b[16..24].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let (c0, c1) = wal_checksum(false, &b[0..24], (0, 0));
        b[24..28].copy_from_slice(&c0.to_be_bytes());
        b[28..32].copy_from_slice(&c1.to_be_bytes());
        b
    }

    #[test]
    fn a_header_sqlite_writes_parses() {
        let h = parse_header(&header(3_007_000, 4096)).expect("a valid header");
        assert_eq!(
            (h.page_size, h.salt1, h.salt2, h.big_endian),
            (4096, 0x0102_0304, 0x0506_0708, false)
        );
        assert_eq!(
            parse_header(&header(3_007_000, 65536)).map(|h| h.page_size),
            Some(65536)
        );
    }

    #[test]
    fn the_fuzzers_4_gib_page_size_header_is_refused() {
        let path = std::path::Path::new(FIXTURES).join("wal-page-size-4g.wal");
        assert_eq!(read_header(&path).unwrap(), None);
        for (version, page_size) in [
            (3_007_000, u32::MAX),
            (3_007_000, 0),
            (3_007_000, 1000),
            (3_007_000, 256),
            (1, 4096),
        ] {
            assert_eq!(
                parse_header(&header(version, page_size)),
                None,
                "{version} {page_size}"
            );
        }
    }
}
