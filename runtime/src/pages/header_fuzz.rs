//! A seeded, structured fuzzer of `Header::parse` (500,000 cases, about 2 s in release). Each case lays out
//! a random valid page, checks that it parses back to what was laid out, then damages it the ways a crash,
//! a bug or a hostile writer could (flipped bits, truncation, extension, length and offset fields
//! overwritten with boundary values, garbage) and checks that the parser either refuses it or accepts a
//! header whose every array lies inside the buffer, after the entry table, in order and apart.
//! Deterministic: a failure names its case and the damage done.

use super::*;
use crate::testutil::Rng;

const CASES: u64 = 500_000;
const SEED: u64 = 0x1a25_4a3e_0013_0001;

/// Offsets of the u32 and u64 fields of the fixed header, and of an entry (relative to its start).
const HEADER_U32: [usize; 6] = [8, 12, 16, 20, 24, 28];
const HEADER_U64: [usize; 9] = [32, 40, 48, 56, 64, 72, 80, 88, 96];
const ENTRY_U32: [usize; 2] = [0, 4];
const ENTRY_U64: [usize; 6] = [8, 16, 24, 32, 40, 48];

fn name(rng: &mut Rng) -> String {
    const PARTS: [&str; 8] = ["a", "Z", "0", ".", "_", "-", "ü", "名"];
    (0..1 + rng.below(12))
        .map(|_| PARTS[rng.below(PARTS.len())])
        .collect()
}

fn bytes(rng: &mut Rng, max: usize) -> Vec<u8> {
    (0..rng.below(max + 1))
        .map(|_| rng.next_u64() as u8)
        .collect()
}

fn array(rng: &mut Rng) -> ArraySpec {
    let dtype = [DType::F64, DType::I32, DType::Lgl][rng.below(3)];
    let len = match rng.below(10) {
        0 => 0,
        1 => 1 + rng.below(6000) as u64,
        _ => rng.below(700) as u64,
    };
    let dims = match rng.below(4) {
        0 => vec![],
        1 => vec![len],
        2 => match (1..=len.min(40))
            .rev()
            .find(|d| len % d == 0 && rng.below(3) == 0)
        {
            Some(d) => vec![d, len / d],
            None => vec![1, len],
        },
        _ => vec![1, len, 1],
    };
    ArraySpec {
        dtype,
        len,
        dims,
        attrs: bytes(rng, 40),
    }
}

/// A valid page and the header it was laid out from.
fn valid_page(rng: &mut Rng) -> (Header, Vec<u8>, usize) {
    let kind = if rng.below(2) == 0 {
        Kind::Array
    } else {
        Kind::List
    };
    let n = if kind == Kind::Array { 1 } else { rng.below(6) };
    let spec = PageSpec {
        kind,
        arrays: (0..n).map(|_| array(rng)).collect(),
        attrs: bytes(rng, 30),
    };
    let owner = Owner {
        pid: rng.next_u64() as u32,
        start: rng.next_u64(),
    };
    let (h, meta) = Header::layout(&spec, &name(rng), &name(rng), owner, rng.next_u64());
    let mut page = vec![0u8; h.total_len as usize];
    page[..meta.len()].copy_from_slice(&meta);
    page[STATE_OFFSET..STATE_OFFSET + 4].copy_from_slice(&STATE_READY.to_le_bytes());
    (h, page, meta.len())
}

fn boundary_u64(rng: &mut Rng, page_len: u64, meta_len: u64) -> u64 {
    let near = |rng: &mut Rng, x: u64| x.wrapping_add(rng.below(17) as u64).wrapping_sub(8);
    match rng.below(14) {
        0 => 0,
        1 => u64::MAX,
        2 => u64::MAX - rng.below(16) as u64,
        3 => i64::MAX as u64,
        4 => 1 << 63,
        5 => (u64::MAX / 8) + rng.below(3) as u64,
        6 => u64::from(u32::MAX) + rng.below(3) as u64,
        7 => i32::MAX as u64 + rng.below(3) as u64,
        8 => near(rng, page_len),
        9 => near(rng, meta_len),
        10 => {
            let x = DATA_ALIGN * rng.below(8) as u64;
            near(rng, x)
        }
        11 => near(rng, HEADER_LEN as u64),
        12 => rng.below(page_len as usize + 1) as u64,
        _ => rng.next_u64(),
    }
}

fn boundary_u32(rng: &mut Rng) -> u32 {
    match rng.below(8) {
        0 => 0,
        1 => 1 + rng.below(4) as u32,
        2 => u32::MAX,
        3 => i32::MAX as u32,
        4 => MAX_DIMS + rng.below(3) as u32 - 1,
        5 => 1 << 31,
        6 => rng.below(300) as u32,
        _ => rng.next_u64() as u32,
    }
}

fn put_u64(page: &mut [u8], at: usize, v: u64) {
    if let Some(b) = page.get_mut(at..at + 8) {
        b.copy_from_slice(&v.to_le_bytes());
    }
}

fn put_u32(page: &mut [u8], at: usize, v: u32) {
    if let Some(b) = page.get_mut(at..at + 4) {
        b.copy_from_slice(&v.to_le_bytes());
    }
}

/// A field offset: of the fixed header or of one of the page's entries.
fn field(rng: &mut Rng, n: usize, wide: bool) -> usize {
    let in_entry = n > 0 && rng.below(2) == 0;
    let base = if in_entry {
        HEADER_LEN + rng.below(n) * ENTRY_LEN
    } else {
        0
    };
    match (in_entry, wide) {
        (false, false) => HEADER_U32[rng.below(HEADER_U32.len())],
        (false, true) => HEADER_U64[rng.below(HEADER_U64.len())],
        (true, false) => base + ENTRY_U32[rng.below(ENTRY_U32.len())],
        (true, true) => base + ENTRY_U64[rng.below(ENTRY_U64.len())],
    }
}

/// Applies one damage to `page`; returns its description (printed if the case fails).
fn mutate(rng: &mut Rng, page: &mut Vec<u8>, n: usize, meta_len: usize) -> String {
    let len = page.len();
    match rng.below(11) {
        0 | 1 => {
            let at = if rng.below(4) == 0 {
                rng.below(len.max(1))
            } else {
                rng.below(meta_len.min(len).max(1))
            };
            let bit = rng.below(8);
            if let Some(b) = page.get_mut(at) {
                *b ^= 1 << bit;
            }
            format!("flip bit {bit} of byte {at}")
        }
        2 => {
            let at = rng.below(meta_len.min(len).max(1));
            let v = rng.next_u64() as u8;
            if let Some(b) = page.get_mut(at) {
                *b = v;
            }
            format!("byte {at} = {v}")
        }
        3 | 4 => {
            let at = field(rng, n, false);
            let v = boundary_u32(rng);
            put_u32(page, at, v);
            format!("u32 at {at} = {v}")
        }
        5 | 6 => {
            let at = field(rng, n, true);
            let v = boundary_u64(rng, len as u64, meta_len as u64);
            put_u64(page, at, v);
            format!("u64 at {at} = {v}")
        }
        7 => {
            let to = match rng.below(5) {
                0 => 0,
                1 => rng.below(HEADER_LEN + 1),
                2 => meta_len.saturating_sub(rng.below(9)),
                3 => len.saturating_sub(1 + rng.below(8)),
                _ => rng.below(len.max(1)),
            };
            page.truncate(to);
            format!("truncate to {to}")
        }
        8 => {
            // The file shrinks and its header is made to agree: arrays may now reach past the end.
            let to = len.saturating_sub(DATA_ALIGN as usize * (1 + rng.below(2)) + rng.below(64));
            page.truncate(to);
            put_u64(page, 48, to as u64);
            format!("truncate to {to} and say so")
        }
        9 => {
            let extra = 1 + rng.below(8192);
            page.resize(len + extra, rng.next_u64() as u8);
            if rng.below(2) == 0 {
                let now = page.len() as u64;
                put_u64(page, 48, now);
            }
            format!("extend by {extra}")
        }
        _ => {
            let keep = rng.below(3);
            let glen = rng.below(3 * DATA_ALIGN as usize);
            let mut garbage: Vec<u8> = (0..glen).map(|_| rng.next_u64() as u8).collect();
            if keep > 0 && garbage.len() >= HEADER_LEN {
                garbage[..8].copy_from_slice(&MAGIC);
                garbage[8..12].copy_from_slice(&VERSION.to_le_bytes());
                if keep > 1 {
                    garbage[16..20].copy_from_slice(&(rng.below(2) as u32).to_le_bytes());
                    garbage[20..24].copy_from_slice(&(rng.below(4) as u32).to_le_bytes());
                    put_u64(&mut garbage, 48, glen as u64);
                }
            }
            *page = garbage;
            format!("garbage of {glen} bytes (valid prefix level {keep})")
        }
    }
}

/// What an accepted header must promise: everything a reader slices or maps lies inside `page`.
fn check_accepted(h: &Header, page: &[u8]) -> Result<(), String> {
    if h.total_len != page.len() as u64 {
        return Err(format!(
            "total_len {} for {} bytes",
            h.total_len,
            page.len()
        ));
    }
    if h.kind == Kind::Array && h.entries.len() != 1 {
        return Err("array page without exactly one entry".into());
    }
    let mut from = (HEADER_LEN + h.entries.len() * ENTRY_LEN) as u64;
    for (i, e) in h.entries.iter().enumerate() {
        let bytes = e
            .spec
            .len
            .checked_mul(e.spec.dtype.size())
            .ok_or(format!("entry {i}: length overflows"))?;
        let end = e
            .data_off
            .checked_add(bytes)
            .ok_or(format!("entry {i}: end overflows"))?;
        if e.data_off % DATA_ALIGN != 0 || e.data_off < from || end > page.len() as u64 {
            return Err(format!(
                "entry {i}: data {}..{end} outside {from}..{}",
                e.data_off,
                page.len()
            ));
        }
        if page.get(e.data_off as usize..end as usize).is_none() {
            return Err(format!("entry {i}: cannot slice its data"));
        }
        if e.spec.dims.len() > MAX_DIMS as usize || e.spec.dims.iter().any(|&d| d > MAX_DIM) {
            return Err(format!("entry {i}: dims {:?}", e.spec.dims));
        }
        if !e.spec.dims.is_empty() && e.spec.dims.iter().product::<u64>() != e.spec.len {
            return Err(format!("entry {i}: dims {:?} vs len", e.spec.dims));
        }
        from = end;
    }
    Ok(())
}

/// A parsed header laid out again parses back to itself: whatever the parser accepts, the writer can
/// write.
fn relayout_round_trips(h: &Header) -> bool {
    let spec = PageSpec {
        kind: h.kind,
        arrays: h.entries.iter().map(|e| e.spec.clone()).collect(),
        attrs: h.attrs.clone(),
    };
    if spec.arrays.iter().map(|a| a.bytes()).sum::<u64>() > 1 << 24 {
        return true;
    }
    let (again, meta) = Header::layout(&spec, &h.ns, &h.var, h.owner, h.created_ns);
    let mut page = vec![0u8; again.total_len as usize];
    page[..meta.len()].copy_from_slice(&meta);
    Header::parse(&page).as_ref() == Ok(&again)
        && again.entries.len() == h.entries.len()
        && again.ns == h.ns
        && again.var == h.var
}

#[test]
fn fuzzed_headers_are_refused_or_describe_data_inside_the_page() {
    let started = std::time::Instant::now();
    let mut rng = Rng(SEED);
    let (mut accepted, mut refused) = (0u64, 0u64);
    let mut reasons = std::collections::BTreeMap::<String, u64>::new();
    for case in 0..CASES {
        let (h, valid, meta_len) = valid_page(&mut rng);
        assert_eq!(
            Header::parse(&valid).as_ref(),
            Ok(&h),
            "case {case}: a valid page does not parse back"
        );
        let mut page = valid.clone();
        let damages: Vec<String> = (0..1 + rng.below(3))
            .map(|_| mutate(&mut rng, &mut page, h.entries.len(), meta_len))
            .collect();
        let parsed = std::panic::catch_unwind(|| Header::parse(&page))
            .unwrap_or_else(|_| panic!("case {case}: parse panicked after {damages:?}"));
        match parsed {
            Ok(back) => {
                accepted += 1;
                if let Err(why) = check_accepted(&back, &page) {
                    panic!("case {case}: accepted a bad header after {damages:?}: {why}");
                }
                assert!(
                    relayout_round_trips(&back),
                    "case {case}: accepted header does not round-trip after {damages:?}"
                );
            }
            Err(reason) => {
                refused += 1;
                let key: String = reason
                    .split(|c: char| c.is_ascii_digit() || c == ':')
                    .filter(|w| w.len() > 3)
                    .take(3)
                    .collect();
                *reasons.entry(key).or_default() += 1;
            }
        }
    }
    eprintln!(
        "header fuzz: {CASES} cases ({accepted} accepted, {refused} refused, {} kinds of refusal) in {:.2?}",
        reasons.len(),
        started.elapsed()
    );
    assert_eq!(accepted + refused, CASES);
    // Both outcomes are common: damage the parser may ignore (names, attribute bytes, owner) and damage
    // it must refuse.
    assert!(
        accepted > CASES / 20 && refused > CASES / 2,
        "{accepted} accepted, {refused} refused"
    );
    assert!(reasons.len() >= 10, "refusals: {reasons:?}");
}

/// The same damage to real segments: `Page::open` gives an error or a page whose every array can be read
/// to its last byte (a header claiming more than the file holds would SIGBUS here).
#[test]
fn fuzzed_segments_open_as_errors_or_readable_pages() {
    use std::os::unix::fs::FileExt;

    use crate::pages::{segment, Page, PageName};

    const SEGMENTS: u64 = 2_000;
    let name = PageName::new(&format!("rt{}-h13a_fuzz", std::process::id()), "X").unwrap();
    let mut rng = Rng(SEED ^ 0xfeed);
    let (mut opened, mut refused) = (0u64, 0u64);
    for case in 0..SEGMENTS {
        // The page must name itself as the segment it is written to, or every open is refused.
        let (h, _, _) = valid_page(&mut rng);
        let spec = PageSpec {
            kind: h.kind,
            arrays: h.entries.iter().map(|e| e.spec.clone()).collect(),
            attrs: h.attrs.clone(),
        };
        let (named, meta) = Header::layout(&spec, name.ns(), name.var(), h.owner, h.created_ns);
        let mut page = vec![0u8; named.total_len as usize];
        page[..meta.len()].copy_from_slice(&meta);
        page[STATE_OFFSET..STATE_OFFSET + 4].copy_from_slice(&STATE_READY.to_le_bytes());
        let meta_len = meta.len();
        let n = named.entries.len();
        let damages: Vec<String> = (0..rng.below(3))
            .map(|_| mutate(&mut rng, &mut page, n, meta_len))
            .collect();
        let file = segment::create_for_test(name.shm(), page.len() as u64).unwrap();
        file.write_all_at(&page, 0).unwrap();
        match Page::open(&name) {
            Ok(p) => {
                opened += 1;
                for i in 0..p.header().entries.len() {
                    let sum = p.bytes(i).iter().fold(0u8, |a, &b| a.wrapping_add(b));
                    let expect = {
                        let e = p.entry(i);
                        let at = e.data_off as usize;
                        page[at..at + e.spec.bytes() as usize]
                            .iter()
                            .fold(0u8, |a, &b| a.wrapping_add(b))
                    };
                    assert_eq!(sum, expect, "case {case} after {damages:?}");
                }
            }
            Err(_) => refused += 1,
        }
        segment::unlink(name.shm()).unwrap();
    }
    eprintln!("segment fuzz: {SEGMENTS} segments ({opened} opened, {refused} refused)");
    assert!(opened > SEGMENTS / 10 && refused > SEGMENTS / 10);
}
