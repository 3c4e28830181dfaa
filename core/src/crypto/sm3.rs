//! SM3 cryptographic hash (GB/T 32905-2016).

use ::sm3::Digest;
pub use ::sm3::Sm3;

/// SM3 of `data` (GB/T 32905-2016).
pub fn sm3(data: &[u8]) -> [u8; 32] {
    Sm3::digest(data).into()
}

/// SM3 over several parts, as if concatenated.
pub fn sm3_parts(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sm3::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// SM3 of everything a reader yields, in bounded memory.
pub fn sm3_reader(mut r: impl std::io::Read) -> std::io::Result<[u8; 32]> {
    let mut h = Sm3::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GB/T 32905-2016 Appendix A, examples 1 and 2.
    #[test]
    fn standard_examples() {
        assert_eq!(
            hex::encode(sm3(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            hex::encode(sm3(&b"abcd".repeat(16))),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
        assert_eq!(sm3_parts(&[b"ab", b"c"]), sm3(b"abc"));
        assert_eq!(sm3_reader(&b"abc"[..]).unwrap(), sm3(b"abc"));
    }
}
