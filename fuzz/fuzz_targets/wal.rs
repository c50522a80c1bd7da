//! The WAL reader (`backup::wal`): what the replicator ships from SQLite's `-wal` file.
//!
//! Must hold beyond "no panic":
//! - a WAL built frame by frame (valid checksums, commits where the input says) scans to
//!   exactly the newest image of each page up to the last commit, within the commit size;
//! - for any bytes: a scan ends on a frame boundary inside the file, every page it returns has
//!   the page size and lies within the commit, the position it ends at is `still_valid`, and
//!   scanning on from there finds nothing more.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mitxonline_fuzz::backup::wal::{
    WAL_HEADER_SIZE, parse_header, scan_reader, still_valid_reader, wal_checksum,
};

const MAGIC: u32 = 0x377f_0682;

fn put(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

/// Writes a valid header checksum into the first 32 bytes, as SQLite would.
fn fix_header(b: &mut [u8], big_endian: bool) {
    let (c0, c1) = wal_checksum(big_endian, &b[0..24], (0, 0));
    put(b, 24, c0);
    put(b, 28, c1);
}

fn check_any(wal: &[u8]) {
    let Some(head) = wal.first_chunk::<32>() else {
        return;
    };
    let Some(hdr) = parse_header(head) else {
        return;
    };
    let len = wal.len() as u64;
    let body = &wal[WAL_HEADER_SIZE as usize..];
    let s = scan_reader(body, len, &hdr, hdr.start());
    let frame = 24 + u64::from(hdr.page_size);
    assert!(s.end.offset <= len && (s.end.offset - WAL_HEADER_SIZE) % frame == 0);
    for (p, data) in &s.pages {
        assert!(*p <= s.commit && data.len() == hdr.page_size as usize);
    }
    assert!(s.pages.is_empty() || s.commit > 0);
    assert!(
        still_valid_reader(body, len, &hdr, &s.end).unwrap_or(false),
        "a scan's end is still valid"
    );
    let rest = &wal[s.end.offset as usize..];
    let again = scan_reader(rest, len, &hdr, s.end);
    assert!(
        again.pages.is_empty() && again.end == s.end,
        "a scan reads every commit"
    );
}

fn built(u: &mut Unstructured<'_>) -> Result<()> {
    let big_endian: bool = u.arbitrary()?;
    let page_size = *u.choose(&[512u32, 1024, 4096])?;
    let (salt1, salt2): (u32, u32) = u.arbitrary()?;
    let mut wal = vec![0u8; 32];
    put(&mut wal, 0, MAGIC | u32::from(big_endian));
    put(&mut wal, 4, 3_007_000);
    put(&mut wal, 8, page_size);
    put(&mut wal, 16, salt1);
    put(&mut wal, 20, salt2);
    fix_header(&mut wal, big_endian);
    let hdr = parse_header(wal.first_chunk::<32>().expect("32")).expect("a valid header parses");
    let mut checksum = hdr.checksum;
    let mut want: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    let mut pending: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    let mut commit = 0;
    for _ in 0..u.int_in_range(0..=8)? {
        let pgno = u.int_in_range(1..=6u32)?;
        let fill: u8 = u.arbitrary()?;
        let data = vec![fill; page_size as usize];
        let db_size = if u.ratio(1, 3)? {
            u.int_in_range(1..=8u32)?
        } else {
            0
        };
        let mut head = [0u8; 24];
        put(&mut head, 0, pgno);
        put(&mut head, 4, db_size);
        put(&mut head, 8, salt1);
        put(&mut head, 12, salt2);
        checksum = wal_checksum(big_endian, &head[0..8], checksum);
        checksum = wal_checksum(big_endian, &data, checksum);
        put(&mut head, 16, checksum.0);
        put(&mut head, 20, checksum.1);
        wal.extend_from_slice(&head);
        wal.extend_from_slice(&data);
        pending.insert(pgno, data);
        if db_size != 0 {
            want.append(&mut pending);
            commit = db_size;
        }
    }
    want.retain(|p, _| *p <= commit);
    // A torn tail: part of one more frame.
    let torn = u.int_in_range(0..=30usize)?;
    wal.extend(std::iter::repeat_n(0xAB, torn));
    let s = scan_reader(&wal[32..], wal.len() as u64, &hdr, hdr.start());
    assert_eq!((s.commit, &s.pages), (commit, &want));
    check_any(&wal);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => check_any(rest),
        1 => {
            // Any bytes under a header whose checksum is right, so the frames get read.
            let mut wal = rest.to_vec();
            if wal.len() >= 32 {
                let big_endian = wal[3] & 1 == 1;
                put(&mut wal, 0, MAGIC | u32::from(big_endian));
                fix_header(&mut wal, big_endian);
            }
            check_any(&wal);
        }
        _ => {
            let _ = built(&mut Unstructured::new(rest));
        }
    }
});
