//! ZIP files built byte by byte (PKWARE APPNOTE 6.3.10 §4.3), for packages the zip crate
//! refuses to write: duplicate names, local headers that disagree with the central directory,
//! hidden entries, second end records. Only what the tests need; no ZIP64.

use std::io::{Read, Write};

/// One entry: its name, flags, method and compressed bytes, plus extra fields.
#[derive(Debug, Clone)]
pub struct Item {
    pub name: Vec<u8>,
    pub flags: u16,
    /// 0 stored, 8 deflated.
    pub method: u16,
    pub crc: u32,
    pub size: u32,
    pub comp: Vec<u8>,
    pub local_extra: Vec<u8>,
    pub cd_extra: Vec<u8>,
}

pub fn crc32(data: &[u8]) -> u32 {
    let mut c = flate2::Crc::new();
    c.update(data);
    c.sum()
}

pub fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

impl Item {
    pub fn stored(name: impl AsRef<[u8]>, data: &[u8]) -> Item {
        Item {
            name: name.as_ref().to_vec(),
            flags: 0,
            method: 0,
            crc: crc32(data),
            size: data.len() as u32,
            comp: data.to_vec(),
            local_extra: Vec::new(),
            cd_extra: Vec::new(),
        }
    }
    pub fn deflated(name: impl AsRef<[u8]>, data: &[u8]) -> Item {
        Item {
            method: 8,
            comp: deflate(data),
            ..Item::stored(name, data)
        }
    }
    /// The uncompressed bytes.
    pub fn data(&self) -> Vec<u8> {
        match self.method {
            0 => self.comp.clone(),
            _ => {
                let mut v = Vec::new();
                flate2::read::DeflateDecoder::new(&self.comp[..])
                    .read_to_end(&mut v)
                    .unwrap();
                v
            }
        }
    }
    pub fn name_str(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
    /// With the UTF-8 flag (bit 11).
    pub fn utf8(mut self) -> Item {
        self.flags |= 0x800;
        self
    }
    pub fn named(mut self, name: impl AsRef<[u8]>) -> Item {
        self.name = name.as_ref().to_vec();
        self
    }
}

fn u16le(v: &mut Vec<u8>, x: u16) {
    v.extend(x.to_le_bytes());
}
fn u32le(v: &mut Vec<u8>, x: u32) {
    v.extend(x.to_le_bytes());
}

/// A local file header (§4.3.7) with the given name and fields.
pub fn local_header(it: &Item, name: &[u8], crc: u32, cs: u32, us: u32, flags: u16) -> Vec<u8> {
    let mut v = Vec::new();
    u32le(&mut v, 0x0403_4b50);
    u16le(&mut v, 20);
    u16le(&mut v, flags);
    u16le(&mut v, it.method);
    u16le(&mut v, 0);
    u16le(&mut v, 0x21);
    u32le(&mut v, crc);
    u32le(&mut v, cs);
    u32le(&mut v, us);
    u16le(&mut v, name.len() as u16);
    u16le(&mut v, it.local_extra.len() as u16);
    v.extend(name);
    v.extend(&it.local_extra);
    v
}

/// Writes a ZIP piece by piece: local entries, raw bytes, central records, the end record.
#[derive(Default)]
pub struct Builder {
    pub out: Vec<u8>,
    cd: Vec<u8>,
    n: u16,
}

impl Builder {
    pub fn new() -> Self {
        Self::default()
    }
    /// The local header and data of `it` at the current position; returns its offset.
    pub fn local(&mut self, it: &Item) -> u32 {
        let off = self.out.len() as u32;
        let h = local_header(
            it,
            &it.name,
            it.crc,
            it.comp.len() as u32,
            it.size,
            it.flags,
        );
        self.out.extend(h);
        self.out.extend(&it.comp);
        off
    }
    /// A central directory record for `it` pointing at `offset`.
    pub fn central(&mut self, it: &Item, offset: u32) {
        let v = &mut self.cd;
        u32le(v, 0x0201_4b50);
        u16le(v, 20);
        u16le(v, 20);
        u16le(v, it.flags);
        u16le(v, it.method);
        u16le(v, 0);
        u16le(v, 0x21);
        u32le(v, it.crc);
        u32le(v, it.comp.len() as u32);
        u32le(v, it.size);
        u16le(v, it.name.len() as u16);
        u16le(v, it.cd_extra.len() as u16);
        u16le(v, 0);
        u16le(v, 0);
        u16le(v, 0);
        u32le(v, 0);
        u32le(v, offset);
        v.extend(&it.name);
        v.extend(&it.cd_extra);
        self.n += 1;
    }
    /// Local entry and central record.
    pub fn put(&mut self, it: &Item) -> u32 {
        let off = self.local(it);
        self.central(it, off);
        off
    }
    /// Bytes of central directory records written so far.
    pub fn cd_len(&self) -> usize {
        self.cd.len()
    }
    pub fn raw(&mut self, b: &[u8]) {
        self.out.extend(b);
    }
    /// The central directory and an end record whose counts are `n` (the records written
    /// when `None`) with `comment`.
    pub fn finish_with(mut self, comment: &[u8], n: Option<u16>) -> Vec<u8> {
        let cd_off = self.out.len() as u32;
        let cd_len = self.cd.len() as u32;
        self.out.extend(&self.cd);
        let n = n.unwrap_or(self.n);
        let v = &mut self.out;
        u32le(v, 0x0605_4b50);
        u16le(v, 0);
        u16le(v, 0);
        u16le(v, n);
        u16le(v, n);
        u32le(v, cd_len);
        u32le(v, cd_off);
        u16le(v, comment.len() as u16);
        v.extend(comment);
        self.out
    }
    pub fn finish(self) -> Vec<u8> {
        self.finish_with(&[], None)
    }
}

/// A well-formed ZIP of `items`, in order.
pub fn build(items: &[Item]) -> Vec<u8> {
    let mut b = Builder::new();
    for it in items {
        b.put(it);
    }
    b.finish()
}

fn rd16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn rd32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The entries of a simple, well-formed ZIP (as eseal and the zip crate write them), in
/// central-directory order.
pub fn items(zip: &[u8]) -> Vec<Item> {
    let e = zip
        .windows(4)
        .rposition(|w| w == b"PK\x05\x06")
        .expect("an end record");
    let n = rd16(zip, e + 10) as usize;
    let mut p = rd32(zip, e + 16) as usize;
    let mut out = Vec::new();
    for _ in 0..n {
        assert_eq!(rd32(zip, p), 0x0201_4b50);
        let flags = rd16(zip, p + 8);
        let method = rd16(zip, p + 10);
        let crc = rd32(zip, p + 16);
        let cs = rd32(zip, p + 20) as usize;
        let us = rd32(zip, p + 24);
        let (nl, el, cl) = (
            rd16(zip, p + 28) as usize,
            rd16(zip, p + 30) as usize,
            rd16(zip, p + 32) as usize,
        );
        let off = rd32(zip, p + 42) as usize;
        let name = zip[p + 46..p + 46 + nl].to_vec();
        let lnl = rd16(zip, off + 26) as usize;
        let lel = rd16(zip, off + 28) as usize;
        let start = off + 30 + lnl + lel;
        out.push(Item {
            name,
            flags: flags & !0x0008,
            method,
            crc,
            size: us,
            comp: zip[start..start + cs].to_vec(),
            local_extra: Vec::new(),
            cd_extra: Vec::new(),
        });
        p += 46 + nl + el + cl;
    }
    out
}

/// The uncompressed bytes of entry `name`.
pub fn file(zip: &[u8], name: &str) -> Vec<u8> {
    items(zip)
        .into_iter()
        .find(|i| i.name == name.as_bytes())
        .unwrap_or_else(|| panic!("{name} missing"))
        .data()
}

/// `zip` with entry `name` replaced by `data` (added when absent), deflated.
pub fn with_file(zip: &[u8], name: &str, data: &[u8]) -> Vec<u8> {
    let mut v = items(zip);
    match v.iter_mut().find(|i| i.name == name.as_bytes()) {
        Some(i) => *i = Item::deflated(name, data),
        None => v.push(Item::deflated(name, data)),
    }
    build(&v)
}
