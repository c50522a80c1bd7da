//! Image validation for uploads (type by content, not by name; size and dimension limits) and
//! a small PNG encoder for the demo's generated images.

use std::io::Write as _;

/// Largest accepted upload.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
const MAX_SIDE: u32 = 10_000;

/// What an upload really is: (content type, width, height), or why it is refused.
pub fn inspect(bytes: &[u8]) -> Result<(&'static str, u32, u32), String> {
    if bytes.is_empty() {
        return Err("The file is empty.".into());
    }
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "The image is larger than {} MB.",
            MAX_BYTES / 1024 / 1024
        ));
    }
    let (ty, dims) = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        ("image/png", png_size(bytes))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        ("image/gif", gif_size(bytes))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        ("image/jpeg", jpeg_size(bytes))
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        ("image/webp", webp_size(bytes))
    } else {
        return Err("Only PNG, JPEG, GIF and WebP images are accepted.".into());
    };
    let (w, h) = dims.ok_or_else(|| "The image is damaged or truncated.".to_owned())?;
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(format!(
            "Image dimensions must be between 1 and {MAX_SIDE} pixels."
        ));
    }
    Ok((ty, w, h))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn png_size(b: &[u8]) -> Option<(u32, u32)> {
    (b.get(12..16)? == b"IHDR").then_some(())?;
    Some((be32(b, 16)?, be32(b, 20)?))
}

fn gif_size(b: &[u8]) -> Option<(u32, u32)> {
    let w = u16::from_le_bytes(b.get(6..8)?.try_into().ok()?);
    let h = u16::from_le_bytes(b.get(8..10)?.try_into().ok()?);
    Some((w.into(), h.into()))
}

fn jpeg_size(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 < b.len() {
        if b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        let len = usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        // Start-of-frame markers carry the size (not DHT/JPG/DAC).
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            let h = u16::from_be_bytes([b[i + 5], b[i + 6]]);
            let w = u16::from_be_bytes([b[i + 7], b[i + 8]]);
            return Some((w.into(), h.into()));
        }
        i += 2 + len;
    }
    None
}

fn webp_size(b: &[u8]) -> Option<(u32, u32)> {
    let le24 = |at: usize| -> Option<u32> {
        let s = b.get(at..at + 3)?;
        Some(u32::from(s[0]) | u32::from(s[1]) << 8 | u32::from(s[2]) << 16)
    };
    match b.get(12..16)? {
        b"VP8X" => Some((le24(24)? + 1, le24(27)? + 1)),
        b"VP8 " => {
            let w = u16::from_le_bytes(b.get(26..28)?.try_into().ok()?) & 0x3FFF;
            let h = u16::from_le_bytes(b.get(28..30)?.try_into().ok()?) & 0x3FFF;
            Some((w.into(), h.into()))
        }
        b"VP8L" => {
            let v = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
            Some(((v & 0x3FFF) + 1, ((v >> 14) & 0x3FFF) + 1))
        }
        _ => None,
    }
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut d = CRC.digest();
    d.update(kind);
    d.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&d.finalize().to_be_bytes());
}

/// A diagonal two-colour gradient PNG (RGB), for demo feature images.
pub fn gradient_png(width: u32, height: u32, from: [u8; 3], to: [u8; 3]) -> Vec<u8> {
    let mut raw = Vec::with_capacity((width as usize * 3 + 1) * height as usize);
    let span = (width + height).max(1) as f32;
    for y in 0..height {
        raw.push(0);
        for x in 0..width {
            let t = (x + y) as f32 / span;
            for ch in 0..3 {
                let v = f32::from(from[ch]) * (1.0 - t) + f32::from(to[ch]) * t;
                raw.push(v as u8);
            }
        }
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = z.write_all(&raw);
    let idat = z.finish().unwrap_or_default();
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &idat);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pngs_are_recognised_with_their_size() {
        let png = gradient_png(40, 20, [0, 0, 0], [255, 255, 255]);
        assert_eq!(inspect(&png), Ok(("image/png", 40, 20)));
    }

    #[test]
    fn uploads_that_are_not_images_or_too_big_are_refused() {
        assert!(inspect(b"<svg xmlns='http://www.w3.org/2000/svg'/>").is_err());
        assert!(inspect(b"").is_err());
        assert!(inspect(b"\x89PNG\r\n\x1a\n").is_err());
        let mut big = gradient_png(2, 2, [0; 3], [0; 3]);
        big.resize(MAX_BYTES + 1, 0);
        assert!(inspect(&big).unwrap_err().contains("larger"));
    }

    #[test]
    fn gif_and_jpeg_headers_give_their_dimensions() {
        let gif = b"GIF89a\x0a\x00\x05\x00rest".to_vec();
        assert_eq!(inspect(&gif), Ok(("image/gif", 10, 5)));
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x30, 0x00,
            0x40, 0x03, 0, 0, 0, 0,
        ];
        assert_eq!(inspect(&jpeg), Ok(("image/jpeg", 64, 48)));
    }
}
