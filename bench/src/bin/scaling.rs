//! Issue 15 benchmark: how lazyshare's streaming passes scale with the size of the data, so that a change
//! of traversal (tiling) can be judged before and after on the same table.
//!
//! Run:  `cargo run --release -p lazyshare-bench --bin scaling`  (about 15 minutes and 17 GB of memory at
//! full size; `-- --max-n N` and `-- --max-len L` stop the two tables early, `-- --reps R` sets the timed
//! runs per row, median reported).
//!
//! 2-D: the streaming distance correlation, both passes, on the JIT backend (`jit_min_work = 0`):
//! pass 1 = rowMeans and mean of dist(x) and of dist(y), fused into one symmetric pass; pass 2 =
//! mean(A*B), mean(A*A), mean(B*B) with A, B the double-centred distances, fused into one symmetric pass.
//! The graph is built as kernels.rs builds it (the path dcor streams through), fresh for every run;
//! each pass is checked to be exactly one pass (nothing materialised). Univariate: x, y vectors;
//! bivariate: x, y n x 2 matrices (Euclidean distances of the rows). n = 1e3 ... 2e5; reported as
//! seconds per pass and ns per pair, pairs = n(n+1)/2 (i <= j, what a symmetric pass visits) counted
//! once for both passes: ns/pair = (t1 + t2) / (n(n+1)/2) * 1e9. Two configurations side by side:
//! `tiled` (the default `chunk_rows`) and `untiled` (`chunk_rows` = 2^30: with tiled traversal that is
//! rows per tile, so whole columns; in the runtime before it, elements per chunk, so a pass of
//! n <= 46000 is one chunk on one thread).
//! Runs per row: one untimed warm-up of each configuration (the JIT's compiles) below n = 8e4, then
//! rounds running each configuration once in turn, 3 below 8e4 and 1 from 8e4 (`--reps`); medians.
//! Kernels compiled during timed runs are counted in the table.
//!
//! 1-D: mean(x * y) fused (`exact_sums = false`: a parallel pass with compensated sums, JIT) and R-exact
//! (`exact_sums = true`: the product evaluated in blocks, summed sequentially in long double, twice for
//! a mean), len = 1e5 ... 1e9, in ns per element, with the process's peak resident memory during the
//! row (VmHWM of /proc/self/status, reset before each row through /proc/self/clear_refs). x and y take
//! 16 bytes per element; where MemAvailable cannot hold both (plus 4 GiB to spare), the row is mean(x * x)
//! over one vector instead, and says so. Runs per row: one untimed warm-up, then 3 timed runs below 1e9
//! and 1 at 1e9 (`--reps`).
//!
//! Data: x ~ N(0, 1), y = x^2 + N(0, 1) per coordinate, from a counter-based generator (as kernels.rs).
//! Output: the tables on stdout, also written as CSV to bench/scaling.csv (overwritten each run).

use std::fmt::Write as _;
use std::sync::Arc;

use lazyshare_bench::{
    centred, counter, force_fused, markdown_table, mean_of, median, noisy_square, normals,
    pass1_nodes, reducer,
};
use lazyshare_runtime::config;
use lazyshare_runtime::graph::{self, BinaryOp, ReduceOp, Shape, Source};
use lazyshare_runtime::plan;

/// Sizes of the 2-D table.
const NS: [usize; 8] = [
    1_000, 10_000, 20_000, 40_000, 80_000, 100_000, 150_000, 200_000,
];
/// From this n on, one timed run per row and no warm-up (a run takes many seconds).
const BIG_N: usize = 80_000;
/// Lengths of the 1-D table.
const LENS: [usize; 5] = [100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];
/// From this length on, one timed run per row.
const BIG_LEN: usize = 1_000_000_000;
/// `chunk_rows` of the untiled configuration (whole columns), if the runtime accepts it.
const UNTILED_ROWS: u64 = 1 << 30;
/// Memory left to others when deciding whether x and y both fit.
const SPARE_BYTES: u64 = 4 << 30;

// ---------------------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------------------

/// Points of the 2-D table: `cols` coordinates of n points, column-major.
struct Points {
    x: Arc<Source>,
    y: Arc<Source>,
    shape: Shape,
}

fn points(n: usize, cols: usize) -> Points {
    let x = normals(1, n * cols);
    let y = noisy_square(&x, 2);
    Points {
        x: Arc::new(Source::owned(x)),
        y: Arc::new(Source::owned(y)),
        shape: if cols == 1 {
            Shape::vector(n as u64)
        } else {
            Shape::matrix(n as u64, cols as u64)
        },
    }
}

// ---------------------------------------------------------------------------------------------------------
// Lazyshare: configuration, counters, forcing
// ---------------------------------------------------------------------------------------------------------

/// The JIT backend with the given sums and `chunk_rows` (`None`: the default).
fn configure(exact_sums: bool, chunk_rows: Option<u64>) {
    let mut t = config::Thresholds {
        jit_min_work: 0.0,
        exact_sums,
        ..config::Thresholds::default()
    };
    if let Some(rows) = chunk_rows {
        t.chunk_rows = rows;
    }
    config::set(t).expect("valid thresholds");
}

/// `UNTILED_ROWS`, or the largest power of two the runtime accepts as `chunk_rows` below it.
fn untiled_rows() -> u64 {
    let mut rows = UNTILED_ROWS;
    while rows > 64 {
        let t = config::Thresholds {
            chunk_rows: rows,
            ..config::Thresholds::default()
        };
        if t.validate().is_ok() {
            return rows;
        }
        rows /= 2;
    }
    rows
}

/// Both passes of the streaming dcor on a fresh graph: (pass 1 seconds, pass 2 seconds, the dcor
/// statistic, so that a run that computed nothing cannot pass unnoticed).
fn dcor_passes(p: &Points) -> (f64, f64, f64) {
    let (da, ma, mma) = pass1_nodes(&p.x, p.shape);
    let (db, mb, mmb) = pass1_nodes(&p.y, p.shape);
    let t1 = force_fused(&[ma.clone(), mma.clone(), mb.clone(), mmb.clone()]);
    let (a, b) = (centred(&da, &ma, &mma), centred(&db, &mb, &mmb));
    let nodes = [mean_of(&a, &b), mean_of(&a, &a), mean_of(&b, &b)];
    let t2 = force_fused(&nodes);
    let v: Vec<f64> = nodes
        .iter()
        .map(|nd| reducer(nd).value().expect("computed")[0])
        .collect();
    (t1, t2, v[0] / (v[1] * v[2]).sqrt())
}

/// mean(x * y) on a fresh graph: seconds and value.
fn mean_product(x: &Arc<Source>, y: &Arc<Source>) -> (f64, f64) {
    let vector = |s: &Arc<Source>| graph::source(s.clone(), Shape::vector(s.len() as u64));
    let p = graph::binary(BinaryOp::Mul, &vector(x), &vector(y)).expect("product");
    let r = graph::reduce(ReduceOp::Mean, &p, false);
    let secs = force_fused(std::slice::from_ref(&r));
    (secs, reducer(&r).value().expect("computed")[0])
}

// ---------------------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------------------

/// A field of /proc/self/status or /proc/meminfo, in kB.
fn proc_kb(file: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Resets the process's peak resident memory to its current value (Linux 4.0 and later).
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn peak_rss_mib() -> Option<f64> {
    proc_kb("/proc/self/status", "VmHWM:").map(|kb| kb as f64 / 1024.0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "NA".into())
}

/// One configuration of one 2-D row.
struct PairRun {
    t1: f64,
    t2: f64,
    kernels: u64,
}

struct PairRow {
    n: usize,
    data: &'static str,
    reps: usize,
    tiled: PairRun,
    untiled: PairRun,
    dcor: f64,
}

fn pairs(n: usize) -> f64 {
    n as f64 * (n as f64 + 1.0) / 2.0
}

impl PairRun {
    fn ns_per_pair(&self, n: usize) -> f64 {
        (self.t1 + self.t2) / pairs(n) * 1e9
    }
}

/// Both passes under each `chunk_rows` of `configs`: a warm-up of each below `BIG_N`, then `reps`
/// rounds that run each configuration once in turn (so drift in the machine's speed affects all
/// alike); medians per configuration, and the dcor statistic of each.
fn measure_pairs<const C: usize>(
    p: &Points,
    n: usize,
    reps: usize,
    configs: [Option<u64>; C],
) -> [(PairRun, f64); C] {
    let mut dcor = [f64::NAN; C];
    if n < BIG_N {
        for (rows, d) in configs.iter().zip(dcor.iter_mut()) {
            configure(true, *rows);
            *d = dcor_passes(p).2;
        }
    }
    let mut times: [(Vec<f64>, Vec<f64>, u64); C] = std::array::from_fn(|_| Default::default());
    for _ in 0..reps {
        for ((rows, d), (t1, t2, kernels)) in configs.iter().zip(dcor.iter_mut()).zip(&mut times) {
            configure(true, *rows);
            let k0 = counter("kernels_compiled");
            let (a, b, v) = dcor_passes(p);
            *kernels += counter("kernels_compiled") - k0;
            t1.push(a);
            t2.push(b);
            *d = v;
        }
    }
    let mut runs = times.into_iter().zip(dcor).map(|((t1, t2, kernels), d)| {
        let run = PairRun {
            t1: median(t1),
            t2: median(t2),
            kernels,
        };
        (run, d)
    });
    std::array::from_fn(|_| runs.next().expect("one run per configuration"))
}

/// One measurement of one 1-D row.
struct ElemRun {
    secs: f64,
    peak_mib: Option<f64>,
    value: f64,
}

struct ElemRow {
    len: usize,
    workload: &'static str,
    reps: usize,
    fused: ElemRun,
    exact: ElemRun,
}

fn measure_elems(x: &Arc<Source>, y: &Arc<Source>, reps: usize, exact_sums: bool) -> ElemRun {
    configure(exact_sums, None);
    let peak_reset = reset_peak_rss();
    let mut value = mean_product(x, y).1;
    let mut times = Vec::new();
    for _ in 0..reps {
        let (s, v) = mean_product(x, y);
        times.push(s);
        value = v;
    }
    ElemRun {
        secs: median(times),
        peak_mib: peak_rss_mib().filter(|_| peak_reset),
        value,
    }
}

// ---------------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------------

/// A table with the first `left` columns left-aligned.
fn table(header: &[&str], cells: &[Vec<String>], left: usize) -> String {
    markdown_table(header, cells, &(0..left).collect::<Vec<usize>>())
}

fn sci(v: usize) -> String {
    let s = format!("{:.1e}", v as f64);
    s.replace(".0e", "e")
}

fn pair_table(rows: &[PairRow]) -> String {
    let header = [
        "n",
        "data",
        "runs",
        "tiled pass 1 s",
        "tiled pass 2 s",
        "tiled ns/pair",
        "untiled pass 1 s",
        "untiled pass 2 s",
        "untiled ns/pair",
        "untiled/tiled",
        "compiles",
        "dcor",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                sci(r.n),
                r.data.to_string(),
                r.reps.to_string(),
                format!("{:.4}", r.tiled.t1),
                format!("{:.4}", r.tiled.t2),
                format!("{:.3}", r.tiled.ns_per_pair(r.n)),
                format!("{:.4}", r.untiled.t1),
                format!("{:.4}", r.untiled.t2),
                format!("{:.3}", r.untiled.ns_per_pair(r.n)),
                format!(
                    "{:.2}",
                    r.untiled.ns_per_pair(r.n) / r.tiled.ns_per_pair(r.n)
                ),
                (r.tiled.kernels + r.untiled.kernels).to_string(),
                format!("{:.4}", r.dcor),
            ]
        })
        .collect();
    table(&header, &cells, 2)
}

fn mib(v: Option<f64>) -> String {
    v.map_or("NA".into(), |v| format!("{v:.0}"))
}

fn elem_table(rows: &[ElemRow]) -> String {
    let header = [
        "len",
        "workload",
        "runs",
        "fused s",
        "fused ns/elem",
        "fused peak MiB",
        "R-exact s",
        "R-exact ns/elem",
        "R-exact peak MiB",
        "R-exact/fused",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let ns = |s: f64| s / r.len as f64 * 1e9;
            vec![
                sci(r.len),
                r.workload.to_string(),
                r.reps.to_string(),
                format!("{:.4}", r.fused.secs),
                format!("{:.3}", ns(r.fused.secs)),
                mib(r.fused.peak_mib),
                format!("{:.4}", r.exact.secs),
                format!("{:.3}", ns(r.exact.secs)),
                mib(r.exact.peak_mib),
                format!("{:.2}", r.exact.secs / r.fused.secs),
            ]
        })
        .collect();
    table(&header, &cells, 2)
}

fn csv(pair_rows: &[PairRow], elem_rows: &[ElemRow], untiled: u64) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let opt = |v: Option<f64>| v.map_or("NA".into(), |v| format!("{v}"));
    let mut s = String::from(
        "\"table\",\"workload\",\"config\",\"chunk_rows\",\"size\",\"runs\",\"pass1_s\",\"pass2_s\",\
         \"total_s\",\"units\",\"ns_per_unit\",\"peak_rss_mib\",\"kernels_compiled\",\"value\"\n",
    );
    let default_rows = config::Thresholds::default().chunk_rows;
    for r in pair_rows {
        for (name, rows, run) in [
            ("tiled", default_rows, &r.tiled),
            ("untiled", untiled, &r.untiled),
        ] {
            let _ = writeln!(
                s,
                "\"2-D\",{},{},{},{},{},{},{},{},{},{},NA,{},{}",
                q(&format!("dcor passes 1+2, {}", r.data)),
                q(name),
                rows,
                r.n,
                r.reps,
                run.t1,
                run.t2,
                run.t1 + run.t2,
                pairs(r.n),
                run.ns_per_pair(r.n),
                run.kernels,
                r.dcor
            );
        }
    }
    for r in elem_rows {
        for (name, run) in [("fused", &r.fused), ("R-exact", &r.exact)] {
            let _ = writeln!(
                s,
                "\"1-D\",{},{},{},{},{},NA,NA,{},{},{},{},NA,{}",
                q(r.workload),
                q(name),
                default_rows,
                r.len,
                r.reps,
                run.secs,
                r.len,
                run.secs / r.len as f64 * 1e9,
                opt(run.peak_mib),
                run.value
            );
        }
    }
    s
}

// ---------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------

struct Args {
    max_n: usize,
    max_len: usize,
    reps: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        max_n: usize::MAX,
        max_len: usize::MAX,
        reps: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| -> Result<usize, String> {
            let v = it.next().ok_or_else(|| format!("`{name}` needs a value"))?;
            let parsed = v.parse::<f64>().map_err(|_| {
                format!("`{name}` must be a positive number (1e5 is fine); got {v:?}")
            })?;
            if !((1.0..=1e12).contains(&parsed) && parsed.fract() == 0.0) {
                return Err(format!(
                    "`{name}` must be a positive whole number up to 1e12; got {v:?}"
                ));
            }
            Ok(parsed as usize)
        };
        match flag.as_str() {
            "--max-n" => args.max_n = value("--max-n")?,
            "--max-len" => args.max_len = value("--max-len")?,
            "--reps" => args.reps = Some(value("--reps")?),
            other => {
                return Err(format!(
                    "unknown argument {other:?}; expected --max-n N, --max-len L or --reps R"
                ))
            }
        }
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("scaling: {e}");
            std::process::exit(2);
        }
    };
    plan::set_jit(Box::new(lazyshare_jit::Jit::default()));
    let untiled = untiled_rows();
    let default_rows = config::Thresholds::default().chunk_rows;
    println!(
        "lazyshare scaling benchmark: {} threads, JIT backend; tiled: chunk_rows = {default_rows} \
         (default), untiled: chunk_rows = {untiled}; load average at start {}",
        lazyshare_runtime::pool::threads(),
        load_average()
    );

    let mut pair_rows = Vec::new();
    for &n in NS.iter().filter(|&&n| n <= args.max_n) {
        let reps = args.reps.unwrap_or(if n >= BIG_N { 1 } else { 3 });
        for (data, cols) in [("univariate", 1), ("bivariate", 2)] {
            eprintln!("2-D: n = {n}, {data} ...");
            let p = points(n, cols);
            let [(tiled, d1), (untiled_run, d2)] =
                measure_pairs(&p, n, reps, [None, Some(untiled)]);
            assert!(
                (d1 - d2).abs() <= 1e-9 * d1.abs().max(1e-300),
                "tiled and untiled dcor differ: {d1} vs {d2}"
            );
            pair_rows.push(PairRow {
                n,
                data,
                reps,
                tiled,
                untiled: untiled_run,
                dcor: d1,
            });
        }
    }

    let mut elem_rows = Vec::new();
    for &len in LENS.iter().filter(|&&l| l <= args.max_len) {
        let reps = args.reps.unwrap_or(if len >= BIG_LEN { 1 } else { 3 });
        let avail = proc_kb("/proc/meminfo", "MemAvailable:").map_or(u64::MAX, |kb| kb * 1024);
        let bytes = 8 * len as u64;
        let (workload, x, y) = if avail >= 2 * bytes + SPARE_BYTES {
            eprintln!("1-D: len = {len}, mean(x*y) ...");
            let x = normals(1, len);
            let y = noisy_square(&x, 2);
            let (x, y) = (Arc::new(Source::owned(x)), Arc::new(Source::owned(y)));
            ("mean(x*y)", x, y)
        } else if avail >= bytes + SPARE_BYTES {
            eprintln!("1-D: len = {len}, mean(x*x) (memory for one vector only) ...");
            let x = Arc::new(Source::owned(normals(1, len)));
            ("mean(x*x): memory held one vector", x.clone(), x)
        } else {
            println!(
                "1-D: len = {len} skipped: MemAvailable {:.1} GiB cannot hold one vector \
                 ({:.1} GiB) and {:.0} GiB to spare",
                avail as f64 / (1u64 << 30) as f64,
                bytes as f64 / (1u64 << 30) as f64,
                SPARE_BYTES as f64 / (1u64 << 30) as f64
            );
            continue;
        };
        let fused = measure_elems(&x, &y, reps, false);
        let exact = measure_elems(&x, &y, reps, true);
        assert!(
            (fused.value - exact.value).abs() <= 1e-10 * exact.value.abs(),
            "fused and R-exact means differ: {} vs {}",
            fused.value,
            exact.value
        );
        elem_rows.push(ElemRow {
            len,
            workload,
            reps,
            fused,
            exact,
        });
    }

    println!();
    println!("2-D: streaming dcor, both passes (ns/pair = (t1 + t2) / (n(n+1)/2) * 1e9)");
    print!("{}", pair_table(&pair_rows));
    println!();
    println!(
        "1-D: mean of a product (ns/elem = t / len * 1e9), peak RSS of the process during the row"
    );
    print!("{}", elem_table(&elem_rows));
    if elem_rows
        .iter()
        .any(|r| r.fused.peak_mib.is_none() || r.exact.peak_mib.is_none())
    {
        println!("peak RSS NA: /proc/self/clear_refs could not reset it, or VmHWM is missing");
    }
    println!();
    println!(
        "runs = timed runs per configuration (median); compiles = JIT kernels compiled during the \
         timed runs of both configurations (0: all cached by the warm-up or an earlier row)."
    );
    println!("load average at end {}", load_average());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scaling.csv");
    match std::fs::write(path, csv(&pair_rows, &elem_rows, untiled)) {
        Ok(()) => println!("wrote {path}"),
        Err(e) => println!("could not write {path}: {e}"),
    }
}
