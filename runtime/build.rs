// Compiles csrc/ldsum.c: R's long-double reductions (see that file).
fn main() {
    println!("cargo:rerun-if-changed=csrc/ldsum.c");
    cc::Build::new()
        .file("csrc/ldsum.c")
        .flag_if_supported("-ffp-contract=off")
        .opt_level(2)
        .compile("lazyshare_ldsum");
}
