//! Compiles bench/native (the hand loops of the kernels benchmark) a second time, with
//! `-C target-cpu=native`, into a static library that `kernels` links as its "native" column. Stable
//! Cargo has no per-crate target-cpu, so the build script runs the same rustc itself. The library keeps
//! the default panic strategy: built with `panic=abort`, its copy of the panic runtime is what the
//! linker picked, and every panic of the binary (a failed assertion included) aborted silently.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=native/lib.rs");
    println!("cargo:rerun-if-changed=native/tasks.rs");
    let rustc = env::var("RUSTC").expect("cargo sets RUSTC for build scripts");
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts"));
    let status = Command::new(&rustc)
        .args([
            "native/lib.rs",
            "--crate-type",
            "staticlib",
            "--crate-name",
            "lzs_native_tasks",
            "--edition",
            "2021",
            "-C",
            "opt-level=3",
            "-C",
            "target-cpu=native",
            "-C",
            "debuginfo=0",
            "--out-dir",
        ])
        .arg(&out_dir)
        .status()
        .unwrap_or_else(|e| panic!("could not run {rustc}: {e}"));
    assert!(
        status.success(),
        "{rustc} failed on native/lib.rs: {status}"
    );
    println!("cargo:rustc-link-search=native={}", out_dir.display());
    println!("cargo:rustc-link-lib=static=lzs_native_tasks");
}
