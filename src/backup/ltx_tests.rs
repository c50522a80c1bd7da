use super::*;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/litestream");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
}

type Pages = Vec<(u32, Vec<u8>)>;

fn decode_all(bytes: &[u8]) -> Result<(Header, Pages), LtxError> {
    let mut d = Decoder::new(bytes)?;
    let header = d.header().clone();
    let mut pages = Vec::new();
    let mut buf = Vec::new();
    while let Some(pgno) = d.next_page(&mut buf)? {
        pages.push((pgno, buf.clone()));
    }
    d.finish()?;
    Ok((header, pages))
}

#[test]
fn the_checksum_is_crc64_go_iso() {
    assert_eq!(CRC64.checksum(b"123456789"), 0xB909_56C7_75A4_1001);
}

#[test]
fn a_snapshot_written_by_the_real_litestream_decodes_with_every_page_and_a_valid_checksum() {
    let (h, pages) = decode_all(&fixture("0000000000000001-0000000000000001.ltx")).unwrap();
    assert_eq!(h.flags, FLAG_NO_CHECKSUM);
    assert_eq!((h.min_txid, h.max_txid), (1, 1));
    assert_eq!(h.page_size, 4096);
    let numbers: Vec<u32> = pages.iter().map(|p| p.0).collect();
    assert_eq!(numbers, (1..=h.commit).collect::<Vec<_>>());
    assert!(pages[0].1.starts_with(b"SQLite format 3\0"));
}

#[test]
fn an_incremental_file_written_by_the_real_litestream_decodes() {
    let (h, pages) = decode_all(&fixture("0000000000000002-0000000000000002.ltx")).unwrap();
    assert_eq!((h.min_txid, h.max_txid), (2, 2));
    assert!(!pages.is_empty());
    assert!(pages.iter().all(|p| p.0 <= h.commit));
}

#[test]
fn re_encoding_litestream_pages_round_trips_through_our_decoder() {
    let (h, pages) = decode_all(&fixture("0000000000000001-0000000000000001.ltx")).unwrap();
    let mut e = Encoder::new(Vec::new(), Header::new(h.page_size, h.commit, 1, 1, 42)).unwrap();
    for (pgno, data) in &pages {
        e.write_page(*pgno, data).unwrap();
    }
    let (bytes, _) = e.finish().unwrap();
    let (h2, pages2) = decode_all(&bytes).unwrap();
    assert_eq!(h2.timestamp_ms, 42);
    assert_eq!(pages2, pages);
}

#[test]
fn a_flipped_bit_is_reported_as_a_checksum_mismatch() {
    let mut bytes = fixture("0000000000000002-0000000000000002.ltx");
    let last = bytes.len() - 20;
    bytes[last] ^= 0x01;
    let err = decode_all(&bytes).unwrap_err().to_string();
    assert!(err.contains("checksum") || err.contains("index"), "{err}");
}

#[test]
fn a_truncated_file_is_reported_as_truncated() {
    let bytes = fixture("0000000000000001-0000000000000001.ltx");
    let err = decode_all(&bytes[..bytes.len() / 2]).unwrap_err().to_string();
    assert!(err.contains("truncated") || err.contains("decompress"), "{err}");
}

#[test]
fn the_encoder_refuses_out_of_order_pages_and_pages_beyond_commit() {
    let page = vec![0u8; 512];
    let mut e = Encoder::new(Vec::new(), Header::new(512, 3, 2, 2, 0)).unwrap();
    e.write_page(2, &page).unwrap();
    assert!(e.write_page(1, &page).is_err());
    assert!(e.write_page(4, &page).is_err());
}

#[test]
fn headers_with_checksum_flags_or_bad_ranges_are_invalid() {
    let mut h = Header::new(4096, 1, 1, 1, 0);
    h.flags = 1;
    assert!(Header::decode(&h.encode()).is_err());
    let h = Header::new(4096, 1, 3, 2, 0);
    assert!(Header::decode(&h.encode()).is_err());
}

#[test]
fn file_names_are_sixteen_hex_digits_each() {
    assert_eq!(file_name(1, 255), "0000000000000001-00000000000000ff.ltx");
    assert_eq!(
        parse_file_name("0000000000000001-00000000000000ff.ltx"),
        Some((1, 255))
    );
    assert_eq!(parse_file_name("1-2.ltx"), None);
}
