//! The LTX codec (`backup::ltx`): what restores read from the replica.
//!
//! Must hold beyond "no panic": decode(encode(x)) == x for any header and pages the encoder
//! accepts (same header, pages and file checksum); a file changed in one byte either fails to
//! decode or decodes to the very same pages; any file that decodes re-encodes to one that
//! decodes to the same pages.
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mitxonline_fuzz::backup::ltx::{Decoder, Encoder, FLAG_NO_CHECKSUM, Header, LtxError};

type Pages = Vec<(u32, Vec<u8>)>;

fn decode_all(bytes: &[u8]) -> std::result::Result<(Header, Pages, u64), LtxError> {
    let mut d = Decoder::new(bytes)?;
    let header = d.header().clone();
    let mut pages = Vec::new();
    let mut buf = Vec::new();
    while let Some(pgno) = d.next_page(&mut buf)? {
        pages.push((pgno, buf.clone()));
    }
    let n = d.finish()?;
    assert_eq!(n, pages.len() as u64);
    let checksum = u64::from_be_bytes(bytes[bytes.len() - 8..].try_into().expect("8"));
    Ok((header, pages, checksum))
}

fn encode_all(header: &Header, pages: &Pages) -> std::result::Result<(Vec<u8>, u64), LtxError> {
    let mut e = Encoder::new(Vec::new(), header.clone())?;
    for (pgno, data) in pages {
        e.write_page(*pgno, data)?;
    }
    e.finish()
}

fn round_trip(u: &mut Unstructured<'_>) -> Result<()> {
    let page_size = *u.choose(&[512u32, 1024, 4096])?;
    let min_txid = u.int_in_range(1..=1000u64)?;
    let max_txid = min_txid + u.int_in_range(0..=1000u64)?;
    let mut header = Header::new(page_size, 0, min_txid, max_txid, u.arbitrary()?);
    let mut pages: Pages = Vec::new();
    let mut pgno = 0u32;
    for _ in 0..u.int_in_range(0..=6)? {
        pgno += u.int_in_range(1..=3u32)?;
        // Pages compress like real ones: runs of a few fuzzed bytes.
        let seed: Vec<u8> = u.arbitrary()?;
        let mut data = vec![0u8; page_size as usize];
        if !seed.is_empty() {
            let run = usize::from(u.arbitrary::<u8>()?) + 1;
            for (i, b) in data.iter_mut().enumerate() {
                *b = seed[(i / run) % seed.len()];
            }
        }
        pages.push((pgno, data));
    }
    header.commit = pgno + u.int_in_range(0..=2u32)?;
    let (bytes, checksum) =
        encode_all(&header, &pages).expect("the encoder takes ascending pages within commit");
    let (h, p, c) = decode_all(&bytes).expect("what we encode decodes");
    assert_eq!((&h, &p, c), (&header, &pages, checksum), "decode(encode(x)) == x");

    let mut broken = bytes.clone();
    let at = u.choose_index(broken.len())?;
    broken[at] ^= u.int_in_range(1..=255u8)?;
    if let Ok((h2, p2, _)) = decode_all(&broken) {
        assert_eq!(
            (&h2, &p2),
            (&header, &pages),
            "a changed byte at {at} went unnoticed"
        );
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Ok((header, pages, _)) = decode_all(rest) {
            let mut header = header;
            header.flags = FLAG_NO_CHECKSUM;
            if let Ok((bytes, _)) = encode_all(&header, &pages) {
                let (_, again, _) = decode_all(&bytes).expect("a re-encoded file decodes");
                assert_eq!(again, pages);
            }
        }
    } else {
        let _ = round_trip(&mut Unstructured::new(rest));
    }
});
