//! Test helper for tests/e2e/long-vector.R: publishes a sparse page of `len` doubles (only the first and
//! last elements are written, so a > 2^31-element page costs two memory pages), then holds it until its
//! standard input closes, and unlinks it.
//!
//! Usage: lzs-sparse-page <namespace> <variable> <len>

use std::io::Read;

use lazyshare_runtime::pages::{ArraySpec, DType, Kind, PageName, PageSpec, PageWriter};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: lzs-sparse-page <namespace> <variable> <len>");
        std::process::exit(2);
    }
    let len: u64 = args[3].parse().expect("len must be a whole number");
    assert!(len >= 2, "len must be at least 2");
    let name = PageName::new(&args[1], &args[2]).unwrap_or_else(|e| panic!("{e}"));
    let spec = PageSpec {
        kind: Kind::Array,
        arrays: vec![ArraySpec {
            dtype: DType::F64,
            len,
            dims: vec![],
            attrs: vec![],
        }],
        attrs: vec![],
    };
    let mut writer = PageWriter::create_sparse(&name, &spec).unwrap_or_else(|e| panic!("{e}"));
    let bytes = writer.bytes_mut(0);
    let last = bytes.len() - 8;
    bytes[..8].copy_from_slice(&1.0f64.to_le_bytes());
    bytes[last..].copy_from_slice(&1.5f64.to_le_bytes());
    let page = writer.publish();
    println!("ready");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    page.unlink().unwrap_or_else(|e| panic!("{e}"));
}
