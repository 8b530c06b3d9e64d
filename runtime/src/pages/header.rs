//! The on-page layout. A page starts with a fixed 128-byte header, then one 56-byte record per array, then
//! the names and attribute blobs, then each array's data at a 4096-byte aligned offset (so a single array
//! can be mapped privately for copy-on-write). All integers are little-endian. Every offset read back is
//! checked against the segment size: a damaged or hostile page gives an error, never an out-of-bounds read.

use super::owner::Owner;

pub const MAGIC: [u8; 8] = *b"LZSPAGE\0";
pub const VERSION: u32 = 1;
pub const HEADER_LEN: usize = 128;
pub const ENTRY_LEN: usize = 56;
/// Offset of the u32 publication state; written last, with release ordering.
pub const STATE_OFFSET: usize = 12;
pub const STATE_WRITING: u32 = 0;
pub const STATE_READY: u32 = 1;
pub const DATA_ALIGN: u64 = 4096;
const MAX_DIMS: u32 = 64;
/// R stores dimensions as integers; a larger one could not become a `dim` attribute.
const MAX_DIM: u64 = i32::MAX as u64;

/// Element types R can share without conversion: double, integer and logical (an R logical is an i32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    F64,
    I32,
    Lgl,
}

impl DType {
    pub fn size(self) -> u64 {
        match self {
            DType::F64 => 8,
            DType::I32 | DType::Lgl => 4,
        }
    }

    fn code(self) -> u32 {
        match self {
            DType::F64 => 1,
            DType::I32 => 2,
            DType::Lgl => 3,
        }
    }

    fn from_code(c: u32) -> Option<DType> {
        match c {
            1 => Some(DType::F64),
            2 => Some(DType::I32),
            3 => Some(DType::Lgl),
            _ => None,
        }
    }
}

/// A page holds one array (a vector or matrix variable) or a list of arrays (a list variable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Array,
    List,
}

/// One array to be written: type, length, dimensions (empty for a plain vector) and an opaque blob of the
/// attributes the caller wants back (the R layer stores names/dimnames there).
#[derive(Debug, Clone, PartialEq)]
pub struct ArraySpec {
    pub dtype: DType,
    pub len: u64,
    pub dims: Vec<u64>,
    pub attrs: Vec<u8>,
}

impl ArraySpec {
    pub fn bytes(&self) -> u64 {
        self.len * self.dtype.size()
    }
}

/// What a writer asks for: the kind, its arrays, and the attributes of the list itself (its names).
#[derive(Debug, Clone, PartialEq)]
pub struct PageSpec {
    pub kind: Kind,
    pub arrays: Vec<ArraySpec>,
    pub attrs: Vec<u8>,
}

/// An array as laid out in a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub spec: ArraySpec,
    pub data_off: u64,
}

/// Everything a page says about itself, read back and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub kind: Kind,
    pub owner: Owner,
    pub created_ns: u64,
    pub total_len: u64,
    pub ns: String,
    pub var: String,
    pub attrs: Vec<u8>,
    pub entries: Vec<Entry>,
}

impl Header {
    /// Lays out `spec`: the header with its entries filled in and the bytes of the metadata region, which
    /// the writer copies to offset 0 (its state says "writing").
    pub fn layout(
        spec: &PageSpec,
        ns: &str,
        var: &str,
        owner: Owner,
        created_ns: u64,
    ) -> (Header, Vec<u8>) {
        let n = spec.arrays.len();
        let mut blob = Vec::new();
        let mut blob_at = |bytes: &[u8]| {
            let off = (HEADER_LEN + ENTRY_LEN * n + blob.len()) as u64;
            blob.extend_from_slice(bytes);
            (off, bytes.len() as u64)
        };
        let ns_ref = blob_at(ns.as_bytes());
        let var_ref = blob_at(var.as_bytes());
        let attrs_ref = blob_at(&spec.attrs);
        let mut records = Vec::with_capacity(n);
        for a in &spec.arrays {
            let dims: Vec<u8> = a.dims.iter().flat_map(|d| d.to_le_bytes()).collect();
            let dims_ref = blob_at(&dims);
            let attrs_ref = blob_at(&a.attrs);
            records.push((dims_ref.0, attrs_ref));
        }
        let meta_len = (HEADER_LEN + ENTRY_LEN * n + blob.len()) as u64;
        let mut data_off = align(meta_len);
        let mut entries = Vec::with_capacity(n);
        for a in &spec.arrays {
            entries.push(Entry {
                spec: a.clone(),
                data_off,
            });
            data_off = align(data_off + a.bytes());
        }
        let total_len = data_off.max(DATA_ALIGN);

        let mut meta = Vec::with_capacity(meta_len as usize);
        meta.extend_from_slice(&MAGIC);
        put32(&mut meta, VERSION);
        put32(&mut meta, STATE_WRITING);
        put32(
            &mut meta,
            match spec.kind {
                Kind::Array => 0,
                Kind::List => 1,
            },
        );
        put32(&mut meta, n as u32);
        put32(&mut meta, owner.pid);
        put32(&mut meta, 0);
        for v in [
            owner.start,
            created_ns,
            total_len,
            ns_ref.0,
            ns_ref.1,
            var_ref.0,
            var_ref.1,
            attrs_ref.0,
            attrs_ref.1,
        ] {
            put64(&mut meta, v);
        }
        meta.resize(HEADER_LEN, 0);
        for (e, (dims_off, attrs_ref)) in entries.iter().zip(records) {
            put32(&mut meta, e.spec.dtype.code());
            put32(&mut meta, e.spec.dims.len() as u32);
            for v in [e.spec.len, e.data_off, dims_off, attrs_ref.0, attrs_ref.1] {
                put64(&mut meta, v);
            }
            put64(&mut meta, 0);
        }
        meta.extend_from_slice(&blob);
        let header = Header {
            kind: spec.kind,
            owner,
            created_ns,
            total_len,
            ns: ns.to_string(),
            var: var.to_string(),
            attrs: spec.attrs.clone(),
            entries,
        };
        (header, meta)
    }

    /// Reads and validates the header of a page whose bytes (the whole segment) are `page`.
    pub fn parse(page: &[u8]) -> Result<Header, String> {
        let r = Reader { b: page };
        if page.len() < HEADER_LEN {
            return Err(format!(
                "{} bytes is shorter than a header ({HEADER_LEN})",
                page.len()
            ));
        }
        if page[..8] != MAGIC {
            return Err("bad magic".into());
        }
        let version = r.u32(8)?;
        if version != VERSION {
            return Err(format!(
                "format version {version}, this build reads {VERSION}"
            ));
        }
        let kind = match r.u32(16)? {
            0 => Kind::Array,
            1 => Kind::List,
            k => return Err(format!("unknown kind {k}")),
        };
        let n = r.u32(20)? as usize;
        let owner = Owner {
            pid: r.u32(24)?,
            start: r.u64(32)?,
        };
        let created_ns = r.u64(40)?;
        let total_len = r.u64(48)?;
        if total_len != page.len() as u64 {
            return Err(format!(
                "header says {total_len} bytes, segment has {}",
                page.len()
            ));
        }
        let ns = r.utf8(r.u64(56)?, r.u64(64)?)?;
        let var = r.utf8(r.u64(72)?, r.u64(80)?)?;
        let attrs = r.bytes(r.u64(88)?, r.u64(96)?)?.to_vec();
        if n > (page.len() - HEADER_LEN) / ENTRY_LEN {
            return Err(format!("{n} entries cannot fit"));
        }
        if kind == Kind::Array && n != 1 {
            return Err(format!("an array page with {n} entries"));
        }
        let mut entries = Vec::with_capacity(n);
        // Arrays lie after the entry table, in order and apart, as `layout` puts them: data a reader maps
        // never aliases the header (whose state word is written) or another array.
        let mut data_from = (HEADER_LEN + n * ENTRY_LEN) as u64;
        for i in 0..n {
            let at = HEADER_LEN + i * ENTRY_LEN;
            let dtype = DType::from_code(r.u32(at)?)
                .ok_or_else(|| format!("entry {i}: unknown type code"))?;
            let ndim = r.u32(at + 4)?;
            if ndim > MAX_DIMS {
                return Err(format!("entry {i}: {ndim} dimensions"));
            }
            let len = r.u64(at + 8)?;
            let data_off = r.u64(at + 16)?;
            let dims_bytes = r.bytes(r.u64(at + 24)?, u64::from(ndim) * 8)?;
            let dims: Vec<u64> = dims_bytes
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().expect("chunk of 8")))
                .collect();
            let attrs = r.bytes(r.u64(at + 32)?, r.u64(at + 40)?)?.to_vec();
            if let Some(d) = dims.iter().find(|&&d| d > MAX_DIM) {
                return Err(format!(
                    "entry {i}: dimension {d} exceeds R's limit {MAX_DIM}"
                ));
            }
            if !dims.is_empty() && dims.iter().try_fold(1u64, |p, &d| p.checked_mul(d)) != Some(len)
            {
                return Err(format!(
                    "entry {i}: dimensions {dims:?} do not multiply to {len}"
                ));
            }
            let bytes = len
                .checked_mul(dtype.size())
                .ok_or_else(|| format!("entry {i}: length overflows"))?;
            if data_off % DATA_ALIGN != 0 {
                return Err(format!("entry {i}: data at unaligned offset {data_off}"));
            }
            if data_off < data_from {
                return Err(format!(
                    "entry {i}: data at {data_off} overlaps the header or the previous array (which end at {data_from})"
                ));
            }
            r.bytes(data_off, bytes)?;
            data_from = data_off + bytes;
            entries.push(Entry {
                spec: ArraySpec {
                    dtype,
                    len,
                    dims,
                    attrs,
                },
                data_off,
            });
        }
        Ok(Header {
            kind,
            owner,
            created_ns,
            total_len,
            ns,
            var,
            attrs,
            entries,
        })
    }
}

fn align(x: u64) -> u64 {
    x.div_ceil(DATA_ALIGN) * DATA_ALIGN
}

fn put32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn put64(v: &mut Vec<u8>, x: u64) {
    v.extend_from_slice(&x.to_le_bytes());
}

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn bytes(&self, off: u64, len: u64) -> Result<&'a [u8], String> {
        let end = off
            .checked_add(len)
            .filter(|&e| e <= self.b.len() as u64)
            .ok_or_else(|| format!("range {off}+{len} outside the segment"))?;
        Ok(&self.b[off as usize..end as usize])
    }

    fn u32(&self, off: usize) -> Result<u32, String> {
        let b = self.bytes(off as u64, 4)?;
        Ok(u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    fn u64(&self, off: usize) -> Result<u64, String> {
        let b = self.bytes(off as u64, 8)?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn utf8(&self, off: u64, len: u64) -> Result<String, String> {
        String::from_utf8(self.bytes(off, len)?.to_vec()).map_err(|_| "name is not UTF-8".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> PageSpec {
        PageSpec {
            kind: Kind::List,
            arrays: vec![
                ArraySpec {
                    dtype: DType::F64,
                    len: 6,
                    dims: vec![2, 3],
                    attrs: b"dimnames".to_vec(),
                },
                ArraySpec {
                    dtype: DType::Lgl,
                    len: 0,
                    dims: vec![],
                    attrs: vec![],
                },
                ArraySpec {
                    dtype: DType::I32,
                    len: 1025,
                    dims: vec![],
                    attrs: b"names".to_vec(),
                },
            ],
            attrs: b"list names".to_vec(),
        }
    }

    fn page_of(header: &Header, meta: &[u8]) -> Vec<u8> {
        let mut page = vec![0u8; header.total_len as usize];
        page[..meta.len()].copy_from_slice(meta);
        page
    }

    #[test]
    fn layout_parses_back_with_aligned_disjoint_data() {
        let owner = Owner { pid: 42, start: 7 };
        let (h, meta) = Header::layout(&spec(), "ns", "L", owner, 99);
        let page = page_of(&h, &meta);
        let back = Header::parse(&page).unwrap();
        assert_eq!(back, h);
        let mut prev_end = meta.len() as u64;
        for e in &back.entries {
            assert_eq!(e.data_off % DATA_ALIGN, 0);
            assert!(e.data_off >= prev_end);
            prev_end = e.data_off + e.spec.bytes();
        }
        assert!(prev_end <= back.total_len);
    }

    #[test]
    fn damaged_pages_are_errors_not_panics() {
        let (h, meta) = Header::layout(&spec(), "ns", "L", Owner { pid: 1, start: 1 }, 1);
        let page = page_of(&h, &meta);
        assert!(Header::parse(&page[..100]).is_err());
        assert!(Header::parse(&page[..page.len() - 4096]).is_err());
        let mut bad = page.clone();
        bad[0] = b'X';
        assert!(Header::parse(&bad).is_err());
        // Every single corrupted byte in the metadata region is either harmless or an error.
        for i in 8..meta.len() {
            let mut p = page.clone();
            p[i] ^= 0xff;
            let _ = Header::parse(&p);
        }
        let mut huge = page.clone();
        let at = HEADER_LEN + 8;
        huge[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(Header::parse(&huge).is_err());
    }

    /// Found by the fuzzer: a zero in the dimensions let any other dimension through (its product is still
    /// the length, 0), though R cannot hold a dimension above 2^31 - 1.
    #[test]
    fn dimensions_beyond_r_are_refused() {
        let spec = PageSpec {
            kind: Kind::Array,
            arrays: vec![ArraySpec {
                dtype: DType::F64,
                len: 0,
                dims: vec![0, 1 << 40],
                attrs: vec![],
            }],
            attrs: vec![],
        };
        let (h, meta) = Header::layout(&spec, "ns", "v", Owner { pid: 1, start: 1 }, 1);
        let err = Header::parse(&page_of(&h, &meta)).unwrap_err();
        assert!(err.contains("exceeds R's limit"), "{err}");
    }

    /// Found by the fuzzer: an array could start inside the header or inside the previous array.
    #[test]
    fn arrays_overlapping_the_header_or_each_other_are_refused() {
        let (h, meta) = Header::layout(&spec(), "ns", "L", Owner { pid: 1, start: 1 }, 1);
        let page = page_of(&h, &meta);
        let data_off = |i: usize| HEADER_LEN + i * ENTRY_LEN + 16;
        let mut at_zero = page.clone();
        at_zero[data_off(0)..data_off(0) + 8].copy_from_slice(&0u64.to_le_bytes());
        assert!(Header::parse(&at_zero).unwrap_err().contains("overlaps"));
        let mut shared = page.clone();
        let first = h.entries[0].data_off.to_le_bytes();
        shared[data_off(2)..data_off(2) + 8].copy_from_slice(&first);
        assert!(Header::parse(&shared).unwrap_err().contains("overlaps"));
    }
}

#[cfg(test)]
#[path = "header_fuzz.rs"]
mod fuzz;
