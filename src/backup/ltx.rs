//! The LTX file format (v3, as Litestream 0.5 reads and writes it): a 100-byte header, page
//! frames compressed as raw LZ4 blocks in ascending page order, a page index and a 16-byte
//! trailer whose file checksum is CRC-64/GO-ISO over the file with pages hashed uncompressed.
//!
//! We always write the no-checksum mode (flag 2, zero pre/post-apply checksums) that
//! Litestream 0.5.17 itself writes; a file with database checksums is refused by its restore.
//!
//! A leaf module (std, crc, lz4_flex, thiserror): the fuzz suite (`fuzz/`, target `ltx`)
//! compiles it on its own.

use std::io::{Read, Write};

/// Header size in bytes.
pub const HEADER_SIZE: usize = 100;
/// The only valid header flag: no database checksums tracked.
pub const FLAG_NO_CHECKSUM: u32 = 0x2;
/// Page frame flag: a u32 compressed size follows, then a raw LZ4 block.
const PAGE_FLAG_SIZE: u16 = 0x1;
const MAGIC: &[u8; 4] = b"LTX1";
const CHECKSUM_FLAG: u64 = 1 << 63;

/// CRC-64 with Go's ISO table, as the LTX file checksum uses.
pub static CRC64: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_GO_ISO);

/// What can be wrong with an LTX file.
#[derive(Debug, thiserror::Error)]
pub enum LtxError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> LtxError {
    LtxError::Invalid(msg.into())
}

/// The 100-byte LTX header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub flags: u32,
    pub page_size: u32,
    /// Database size in pages after applying this file.
    pub commit: u32,
    pub min_txid: u64,
    pub max_txid: u64,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: i64,
    pub pre_apply_checksum: u64,
    pub wal_offset: i64,
    pub wal_size: i64,
    pub wal_salt1: u32,
    pub wal_salt2: u32,
    pub node_id: u64,
}

impl Header {
    /// A no-checksum header as we write it.
    pub fn new(page_size: u32, commit: u32, min_txid: u64, max_txid: u64, timestamp_ms: i64) -> Self {
        Header {
            flags: FLAG_NO_CHECKSUM,
            page_size,
            commit,
            min_txid,
            max_txid,
            timestamp_ms,
            ..Header::default()
        }
    }

    /// A snapshot holds every page of the database (its range starts at TXID 1).
    pub fn is_snapshot(&self) -> bool {
        self.min_txid == 1
    }

    pub fn encode(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[0..4].copy_from_slice(MAGIC);
        b[4..8].copy_from_slice(&self.flags.to_be_bytes());
        b[8..12].copy_from_slice(&self.page_size.to_be_bytes());
        b[12..16].copy_from_slice(&self.commit.to_be_bytes());
        b[16..24].copy_from_slice(&self.min_txid.to_be_bytes());
        b[24..32].copy_from_slice(&self.max_txid.to_be_bytes());
        b[32..40].copy_from_slice(&self.timestamp_ms.to_be_bytes());
        b[40..48].copy_from_slice(&self.pre_apply_checksum.to_be_bytes());
        b[48..56].copy_from_slice(&self.wal_offset.to_be_bytes());
        b[56..64].copy_from_slice(&self.wal_size.to_be_bytes());
        b[64..68].copy_from_slice(&self.wal_salt1.to_be_bytes());
        b[68..72].copy_from_slice(&self.wal_salt2.to_be_bytes());
        b[72..80].copy_from_slice(&self.node_id.to_be_bytes());
        b
    }

    pub fn decode(b: &[u8]) -> Result<Header, LtxError> {
        if b.len() < HEADER_SIZE || &b[0..4] != MAGIC {
            return Err(invalid("not an LTX file (bad magic)"));
        }
        let u32_at = |o: usize| u32::from_be_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let u64_at = |o: usize| u64::from_be_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        let h = Header {
            flags: u32_at(4),
            page_size: u32_at(8),
            commit: u32_at(12),
            min_txid: u64_at(16),
            max_txid: u64_at(24),
            timestamp_ms: u64_at(32) as i64,
            pre_apply_checksum: u64_at(40),
            wal_offset: u64_at(48) as i64,
            wal_size: u64_at(56) as i64,
            wal_salt1: u32_at(64),
            wal_salt2: u32_at(68),
            node_id: u64_at(72),
        };
        h.validate()?;
        Ok(h)
    }

    pub fn validate(&self) -> Result<(), LtxError> {
        if self.flags & !FLAG_NO_CHECKSUM != 0 {
            return Err(invalid(format!("invalid flags: {:#010x}", self.flags)));
        }
        if !(512..=65536).contains(&self.page_size) || !self.page_size.is_power_of_two() {
            return Err(invalid(format!("invalid page size {}", self.page_size)));
        }
        if self.min_txid == 0 || self.min_txid > self.max_txid {
            return Err(invalid(format!(
                "invalid transaction range {}-{}",
                self.min_txid, self.max_txid
            )));
        }
        if (self.wal_salt1 != 0 || self.wal_salt2 != 0 || self.wal_size != 0) && self.wal_offset == 0 {
            return Err(invalid("WAL fields set without a WAL offset"));
        }
        if self.is_snapshot() && self.pre_apply_checksum != 0 {
            return Err(invalid("snapshot with a pre-apply checksum"));
        }
        Ok(())
    }

    /// The SQLite lock page, never stored in LTX files.
    pub fn lock_page(&self) -> u32 {
        lock_page(self.page_size)
    }
}

/// The page holding SQLite's locking bytes (only exists in databases over 1 GiB).
pub fn lock_page(page_size: u32) -> u32 {
    0x4000_0000 / page_size + 1
}

/// `ltx/<level>/<min>-<max>.ltx` file name part.
pub fn file_name(min_txid: u64, max_txid: u64) -> String {
    format!("{min_txid:016x}-{max_txid:016x}.ltx")
}

/// Parses `<min>-<max>.ltx`.
pub fn parse_file_name(name: &str) -> Option<(u64, u64)> {
    let stem = name.strip_suffix(".ltx")?;
    let (a, b) = stem.split_once('-')?;
    if a.len() != 16 || b.len() != 16 {
        return None;
    }
    let min = u64::from_str_radix(a, 16).ok()?;
    let max = u64::from_str_radix(b, 16).ok()?;
    (min >= 1 && min <= max).then_some((min, max))
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Streams an LTX file: header first, then pages in ascending order, then `finish`.
pub struct Encoder<W: Write> {
    w: W,
    header: Header,
    digest: crc::Digest<'static, u64>,
    offset: u64,
    index: Vec<(u32, u64, u64)>,
    last_pgno: u32,
    compressed: Vec<u8>,
}

impl<W: Write> Encoder<W> {
    pub fn new(mut w: W, header: Header) -> Result<Self, LtxError> {
        header.validate()?;
        if header.flags != FLAG_NO_CHECKSUM {
            return Err(invalid("only the no-checksum mode is written"));
        }
        let bytes = header.encode();
        w.write_all(&bytes)?;
        let mut digest = CRC64.digest();
        digest.update(&bytes);
        Ok(Encoder {
            w,
            header,
            digest,
            offset: HEADER_SIZE as u64,
            index: Vec::new(),
            last_pgno: 0,
            compressed: Vec::new(),
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Adds one page; pages must come in strictly ascending order and be within `commit`.
    pub fn write_page(&mut self, pgno: u32, data: &[u8]) -> Result<(), LtxError> {
        if pgno == 0 || pgno <= self.last_pgno {
            return Err(invalid(format!("page {pgno} out of order")));
        }
        if pgno > self.header.commit {
            return Err(invalid(format!(
                "page {pgno} beyond the commit size {}",
                self.header.commit
            )));
        }
        if pgno == self.header.lock_page() {
            return Err(invalid("the lock page is never encoded"));
        }
        if data.len() != self.header.page_size as usize {
            return Err(invalid(format!("page {pgno} has {} bytes", data.len())));
        }
        self.compressed
            .resize(lz4_flex::block::get_maximum_output_size(data.len()), 0);
        let n = lz4_flex::block::compress_into(data, &mut self.compressed)
            .map_err(|e| invalid(format!("lz4: {e}")))?;
        let mut head = [0u8; 10];
        head[0..4].copy_from_slice(&pgno.to_be_bytes());
        head[4..6].copy_from_slice(&PAGE_FLAG_SIZE.to_be_bytes());
        head[6..10].copy_from_slice(&(n as u32).to_be_bytes());
        self.w.write_all(&head)?;
        self.w.write_all(&self.compressed[..n])?;
        self.digest.update(&head);
        self.digest.update(data);
        let len = 10 + n as u64;
        self.index.push((pgno, self.offset, len));
        self.offset += len;
        self.last_pgno = pgno;
        Ok(())
    }

    /// Writes the terminator, page index and trailer; returns the writer and the file checksum.
    pub fn finish(mut self) -> Result<(W, u64), LtxError> {
        let end = [0u8; 6];
        self.w.write_all(&end)?;
        self.digest.update(&end);
        let mut idx = Vec::with_capacity(self.index.len() * 8 + 9);
        for (pgno, off, len) in &self.index {
            put_uvarint(&mut idx, u64::from(*pgno));
            put_uvarint(&mut idx, *off);
            put_uvarint(&mut idx, *len);
        }
        put_uvarint(&mut idx, 0);
        let idx_len = (idx.len() as u64).to_be_bytes();
        idx.extend_from_slice(&idx_len);
        let post_apply = 0u64.to_be_bytes();
        idx.extend_from_slice(&post_apply);
        self.w.write_all(&idx)?;
        self.digest.update(&idx);
        let checksum = self.digest.finalize() | CHECKSUM_FLAG;
        self.w.write_all(&checksum.to_be_bytes())?;
        self.w.flush()?;
        Ok((self.w, checksum))
    }
}

/// Reads an LTX file page by page, verifying order and, at the end, the file checksum.
pub struct Decoder<R: Read> {
    r: R,
    header: Header,
    digest: crc::Digest<'static, u64>,
    last_pgno: u32,
    done: bool,
    compressed: Vec<u8>,
    pages: u64,
}

impl<R: Read> Decoder<R> {
    pub fn new(mut r: R) -> Result<Self, LtxError> {
        let mut b = [0u8; HEADER_SIZE];
        read_exact(&mut r, &mut b, "header")?;
        let header = Header::decode(&b)?;
        let mut digest = CRC64.digest();
        digest.update(&b);
        Ok(Decoder {
            r,
            header,
            digest,
            last_pgno: 0,
            done: false,
            compressed: Vec::new(),
            pages: 0,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Reads the next page into `buf` (resized to the page size); `None` after the last page.
    pub fn next_page(&mut self, buf: &mut Vec<u8>) -> Result<Option<u32>, LtxError> {
        if self.done {
            return Ok(None);
        }
        let mut head = [0u8; 6];
        read_exact(&mut self.r, &mut head, "page header")?;
        self.digest.update(&head);
        let pgno = u32::from_be_bytes(head[0..4].try_into().expect("4"));
        let flags = u16::from_be_bytes(head[4..6].try_into().expect("2"));
        if pgno == 0 && flags == 0 {
            self.done = true;
            return Ok(None);
        }
        if flags != PAGE_FLAG_SIZE {
            return Err(invalid(format!(
                "unsupported page header flags {flags:#06x} at page {pgno}"
            )));
        }
        if pgno <= self.last_pgno {
            return Err(invalid(format!("page {pgno} out of order")));
        }
        if pgno > self.header.commit {
            return Err(invalid(format!(
                "page {pgno} beyond the commit size {}",
                self.header.commit
            )));
        }
        let mut size = [0u8; 4];
        read_exact(&mut self.r, &mut size, "page size")?;
        self.digest.update(&size);
        let n = u32::from_be_bytes(size) as usize;
        if n > lz4_flex::block::get_maximum_output_size(self.header.page_size as usize) {
            return Err(invalid(format!("page {pgno} has an impossible size {n}")));
        }
        self.compressed.resize(n, 0);
        read_exact(&mut self.r, &mut self.compressed, "page data")?;
        let ps = self.header.page_size as usize;
        buf.resize(ps, 0);
        let got = lz4_flex::block::decompress_into(&self.compressed, buf)
            .map_err(|e| invalid(format!("page {pgno} does not decompress: {e}")))?;
        if got != ps {
            return Err(invalid(format!("page {pgno} decompresses to {got} bytes")));
        }
        self.digest.update(buf);
        self.last_pgno = pgno;
        self.pages += 1;
        Ok(Some(pgno))
    }

    /// Reads the rest (index and trailer) and verifies the file checksum; call after the last
    /// page. Returns the number of pages read.
    pub fn finish(mut self) -> Result<u64, LtxError> {
        let mut scratch = Vec::new();
        while self.next_page(&mut scratch)?.is_some() {}
        let mut idx_len = 0u64;
        let mut entries = 0u64;
        loop {
            let pgno = self.uvarint(&mut idx_len)?;
            if pgno == 0 {
                break;
            }
            self.uvarint(&mut idx_len)?;
            self.uvarint(&mut idx_len)?;
            entries += 1;
            if entries > self.pages {
                return Err(invalid("page index longer than the page block"));
            }
        }
        let mut b = [0u8; 8];
        read_exact(&mut self.r, &mut b, "page index size")?;
        self.digest.update(&b);
        if u64::from_be_bytes(b) != idx_len || entries != self.pages {
            return Err(invalid("page index does not match the pages"));
        }
        read_exact(&mut self.r, &mut b, "trailer")?;
        self.digest.update(&b);
        let post_apply = u64::from_be_bytes(b);
        if self.header.flags & FLAG_NO_CHECKSUM != 0 && post_apply != 0 {
            return Err(invalid("post-apply checksum in a no-checksum file"));
        }
        read_exact(&mut self.r, &mut b, "trailer")?;
        let stored = u64::from_be_bytes(b);
        let computed = self.digest.finalize() | CHECKSUM_FLAG;
        if stored != computed {
            return Err(invalid(format!(
                "file checksum mismatch (stored {stored:016x}, computed {computed:016x})"
            )));
        }
        let mut extra = [0u8; 1];
        if self.r.read(&mut extra)? != 0 {
            return Err(invalid("trailing bytes after the trailer"));
        }
        Ok(self.pages)
    }

    fn uvarint(&mut self, counted: &mut u64) -> Result<u64, LtxError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let mut b = [0u8; 1];
            read_exact(&mut self.r, &mut b, "page index")?;
            self.digest.update(&b);
            *counted += 1;
            v |= u64::from(b[0] & 0x7f) << shift;
            if b[0] & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(invalid("page index varint too long"))
    }
}

fn read_exact<R: Read>(r: &mut R, buf: &mut [u8], what: &str) -> Result<(), LtxError> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            invalid(format!("truncated file (in the {what})"))
        } else {
            LtxError::Io(e)
        }
    })
}

#[cfg(test)]
#[path = "ltx_tests.rs"]
mod tests;
