//! Issue 4 benchmark: the Cranelift JIT backend against the block interpreter, a hand-written Rust loop
//! and naive R, on the passes lazyshare runs.
//!
//! Run:  `cargo run --release -p lazyshare-bench --bin kernels`  (a few minutes; R's side needs ~6 GB).
//! Add `-- --no-r` to skip naive R (its column is then NA).
//!
//! Data: n = 10^4; x = N(0, 1) draws, y = x^2 + N(0, 1) draws, from a fixed counter-based generator here
//! and from `set.seed(1)` in R (the same distributions, not the same numbers).
//!
//! Workloads:
//! 1. dcor pass 1: row means and total mean of a_ij = |x_i - x_j| and b_ij = |y_i - y_j|. The four
//!    reducers (rowMeans and mean of dist(x) and of dist(y)) are registered as roots, so forcing one runs
//!    a single fused symmetric pass (i <= j).
//! 2. dcor pass 2: with m, M from pass 1 (forced first, untimed), A = a - m_i - m_j + M (B likewise);
//!    mean(A*B), mean(A*A), mean(B*B) in one fused symmetric pass.
//! 3. mean(x * y) with x, y of length 10^8, with `exact_sums = false` (the mean joins a parallel fused
//!    pass on either backend); plus an informative row with `exact_sums = true` (R-exact: the product is
//!    evaluated in blocks by the backend, then summed sequentially in long double, twice for a mean).
//! 4. rowMeans(dist(x)^0.5).
//!
//! Columns:
//! - naive R: base R in a child `Rscript --vanilla bench/R/kernels.R`, which materialises the n x n
//!   matrices; NA when Rscript is missing or fails.
//! - interp: lazyshare's block interpreter (`jit_min_work = Inf`).
//! - JIT: lazyshare's Cranelift backend (`jit_min_work = 0`), steady state. The first run of a kernel
//!   shape compiles it; that compile time is reported separately (kernels, compile ms/kernel).
//! - hand: a plain, safe, parallel Rust loop (rayon par_iter inside the runtime's own pool, so both use
//!   the same threads; a second pool's idle workers would compete with them for the cores), as a careful
//!   engineer writes it: symmetric passes visit i < j once with weight 2 plus the diagonal; scalar sums
//!   run in plain lanes over blocks of 256 rows with the block partials added under Neumaier
//!   compensation; row sums add plainly into a per-task vector (a task is 128 columns) and the tasks'
//!   vectors merge row by row with compensation; all merges are in a fixed order. The orchestration
//!   (tasks, merges) is in this file; what one task runs is in bench/native/tasks.rs, compiled here for
//!   the default x86-64 target (SSE2, 4 lanes, no FMA).
//! - native: the same tasks.rs compiled by bench/build.rs with `-C opt-level=3 -C target-cpu=native`
//!   into a static library (C ABI, `native_*` symbols), run by the same orchestration: the hardware's
//!   own limit for these loops. On an AMD EPYC Zen 5 (AVX-512) `objdump -d` of
//!   the library shows pass 2 computing A and B in zmm registers and its three sums as 512-bit FMAs
//!   (`vfmadd231pd zmm`, 16 lanes per sum), rowMeans(dist^0.5) with `vsqrtpd zmm`, mean(x*y) with zmm
//!   FMAs. Pass 1's fused row-sums loop computes |x_i - x_j| in 128-bit halves (`vsubpd`, `vaddpd xmm`)
//!   and updates the row partials 512 bits at a time (`vaddpd zmm`): no loop shape tried got LLVM's SLP
//!   vectoriser further, and a fully 512-bit (buffered) form measured slower, since that pass is bound
//!   by the loads and stores of the row partials. FMA rounds once where the hand copy rounds twice:
//!   native results may differ from hand's in the last bits (checked below with the same tolerance).
//!
//! What it would take the JIT to reach native: on the compute-bound passes (2 and rowMeans(dist(x)^0.5),
//! JIT/native 3 to 4 on the Zen 5 machine with AVX-512, 1.6 to 1.8 on a Zen 3 with AVX2) the gap is
//! vector width: Cranelift's x86-64 backend lowers 128-bit vectors only, what WebAssembly SIMD needs (the
//! kernels run on xmm registers, 2 doubles per instruction, as `LAZYSHARE_JIT_DISASM=1` shows), where
//! native runs 4 or 8 per instruction; reaching it needs 256- and 512-bit vector types (F64X4, F64X8)
//! with AVX/AVX-512 lowering in Cranelift and the JIT using them, plus the JIT emitting `fma` for the
//! products (Cranelift does not contract a * b + c by itself; lazyshare would have to accept FMA's
//! rounding on non-R-exact sums). Calling a natively compiled routine for a block's square roots does not
//! get there: measured on the Zen 3, the stores and loads of the detour cost more than the wider roots
//! save (`--bin ceilings`: roots alone 2x faster at 256 bits, a distance loop 0.87-0.89x as fast buffered as
//! inline). Pass 1 (JIT/native 1.2 to
//! 1.3) is less about width, since native's arithmetic there is mostly 128-bit too. mean(x*y) is bound
//! by memory bandwidth and already at native's speed.
//!
//! Times are wall-clock seconds: one untimed warm-up run of each implementation (the JIT's compiles),
//! then `REPS` rounds running interpreter, JIT, hand and native once each in turn (so drift in the
//! machine's speed affects all alike); the median per implementation. Each lazyshare run builds a fresh
//! graph (reducer results are memoised in the nodes).
//! Goals (issue 4): JIT <= 1.5x the hand loop's time on the compute-bound passes (1, 2, 4), and the JIT
//! at least 2x faster than the interpreter. Each hand result is checked against lazyshare's and the
//! native build's: the largest relative difference over both backends, native and all values must be
//! below 1e-10.
//!
//! Output: the table on stdout, also written as CSV to bench/kernels.csv (overwritten each run).

use std::fmt::Write as _;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use lazyshare_bench::{
    centred, counter, force_fused, markdown_table, mean_of, median, noisy_square, normals,
    pass1_nodes, reducer,
};
use lazyshare_runtime::config;
use lazyshare_runtime::graph::{self, BinaryOp, NodeRef, ReduceOp, Shape, Source};
use lazyshare_runtime::plan;
use rayon::prelude::*;

/// Size of the n x n workloads.
const N: usize = 10_000;
/// Length of the vectors of mean(x * y).
const BIG_N: usize = 100_000_000;
/// Timed runs per measurement (after one warm-up run); the median is reported.
const REPS: usize = 7;
/// Timed runs of each naive R workload (each takes seconds).
const R_REPS: usize = 3;
/// Largest accepted relative difference between a hand loop and lazyshare.
const AGREE_TOL: f64 = 1e-10;

/// Columns per parallel task of the hand-written symmetric passes.
const TASK_COLS: usize = 128;
/// Elements per parallel task of the hand-written vector pass.
const TASK_ELEMS: usize = 1 << 16;

// ---------------------------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------------------------

/// x ~ N(0, 1) and y = x^2 + N(0, 1), length n.
fn data(n: usize) -> (Vec<f64>, Vec<f64>) {
    let x = normals(1, n);
    let y = noisy_square(&x, 2);
    (x, y)
}

// ---------------------------------------------------------------------------------------------------------
// Lazyshare: graphs, backend choice, counters
// ---------------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Interp,
    Jit,
}

fn configure(backend: Backend, exact_sums: bool) {
    let mut t = config::get();
    t.jit_min_work = match backend {
        Backend::Jit => 0.0,
        Backend::Interp => f64::INFINITY,
    };
    t.exact_sums = exact_sums;
    config::set(t).expect("valid thresholds");
}

fn vector(s: &Arc<Source>) -> NodeRef {
    graph::source(s.clone(), Shape::vector(s.len() as u64))
}

fn value(node: &NodeRef) -> Vec<f64> {
    reducer(node).value().expect("computed").to_vec()
}

/// Workload 1: [rowMeans(a), mean(a), rowMeans(b), mean(b)] concatenated.
fn lazy_pass1(x: &Arc<Source>, y: &Arc<Source>) -> (f64, Vec<f64>) {
    let (_, ma, mma) = pass1_nodes(x, Shape::vector(x.len() as u64));
    let (_, mb, mmb) = pass1_nodes(y, Shape::vector(y.len() as u64));
    let nodes = [ma, mma, mb, mmb];
    let secs = force_fused(&nodes);
    (secs, nodes.iter().flat_map(value).collect())
}

/// Workload 2: pass 1 untimed, then [mean(A*B), mean(A*A), mean(B*B)] timed.
fn lazy_pass2(x: &Arc<Source>, y: &Arc<Source>) -> (f64, Vec<f64>) {
    let (da, ma, mma) = pass1_nodes(x, Shape::vector(x.len() as u64));
    let (db, mb, mmb) = pass1_nodes(y, Shape::vector(y.len() as u64));
    force_fused(&[ma.clone(), mma.clone(), mb.clone(), mmb.clone()]);
    let (a, b) = (centred(&da, &ma, &mma), centred(&db, &mb, &mmb));
    let nodes = [mean_of(&a, &b), mean_of(&a, &a), mean_of(&b, &b)];
    let secs = force_fused(&nodes);
    (secs, nodes.iter().flat_map(value).collect())
}

/// Workload 3: mean(x * y).
fn lazy_mean_product(x: &Arc<Source>, y: &Arc<Source>) -> (f64, Vec<f64>) {
    let p = graph::binary(BinaryOp::Mul, &vector(x), &vector(y)).expect("product");
    let r = graph::reduce(ReduceOp::Mean, &p, false);
    let secs = force_fused(std::slice::from_ref(&r));
    (secs, value(&r))
}

/// Workload 4: rowMeans(dist(x)^0.5).
fn lazy_rowmeans_sqrt(x: &Arc<Source>) -> (f64, Vec<f64>) {
    let d = graph::dist(&vector(x)).expect("dist of a source");
    let e = graph::binary(BinaryOp::Pow, &d, &graph::constant(0.5)).expect("power");
    let r = graph::reduce(ReduceOp::RowMeans, &e, false);
    let secs = force_fused(std::slice::from_ref(&r));
    (secs, value(&r))
}

// ---------------------------------------------------------------------------------------------------------
// Hand-written loops, portable ("hand") and native
// ---------------------------------------------------------------------------------------------------------

/// The per-task inner loops, compiled here for the default target (the "hand" column).
#[path = "../../native/tasks.rs"]
mod tasks;

use tasks::{Centring, Comp};

/// The same loops compiled with `-C target-cpu=native` by bench/build.rs (the "native" column), behind
/// safe wrappers with the portable loops' signatures.
mod native {
    use super::tasks::{Centring, Comp};

    extern "C" {
        fn native_pass1_task(
            x: *const f64,
            y: *const f64,
            j0: usize,
            j1: usize,
            rows_x: *mut f64,
            rows_y: *mut f64,
        );
        fn native_sqrt_rows_task(x: *const f64, j0: usize, j1: usize, rows: *mut f64);
        #[allow(clippy::too_many_arguments)]
        fn native_pass2_task(
            x: *const f64,
            y: *const f64,
            ma: *const f64,
            mma: f64,
            mb: *const f64,
            mmb: f64,
            j0: usize,
            j1: usize,
            out: *mut Comp,
        );
        fn native_dot_task(x: *const f64, y: *const f64, len: usize) -> Comp;
    }

    pub fn pass1_task(
        x: &[f64],
        y: &[f64],
        j0: usize,
        j1: usize,
        rows_x: &mut [f64],
        rows_y: &mut [f64],
    ) {
        assert!(
            j0 <= j1
                && [x.len(), y.len(), rows_x.len(), rows_y.len()]
                    .iter()
                    .all(|&l| l >= j1)
        );
        // SAFETY: the four slices hold at least j1 elements (checked above); the outputs are two distinct
        // `&mut` slices, so nothing aliases them.
        unsafe {
            native_pass1_task(
                x.as_ptr(),
                y.as_ptr(),
                j0,
                j1,
                rows_x.as_mut_ptr(),
                rows_y.as_mut_ptr(),
            )
        }
    }

    pub fn sqrt_rows_task(x: &[f64], j0: usize, j1: usize, rows: &mut [f64]) {
        assert!(j0 <= j1 && x.len() >= j1 && rows.len() >= j1);
        // SAFETY: both slices hold at least j1 elements (checked above); `rows` is a unique borrow.
        unsafe { native_sqrt_rows_task(x.as_ptr(), j0, j1, rows.as_mut_ptr()) }
    }

    pub fn pass2_task(x: &[f64], y: &[f64], c: Centring<'_>, j0: usize, j1: usize) -> [Comp; 3] {
        let lens = [x.len(), y.len(), c.ma.len(), c.mb.len()];
        assert!(j0 <= j1 && lens.iter().all(|&l| l >= j1));
        let mut out = [Comp::default(); 3];
        // SAFETY: the four inputs hold at least j1 elements (checked above); `out` has room for 3 Comps.
        unsafe {
            native_pass2_task(
                x.as_ptr(),
                y.as_ptr(),
                c.ma.as_ptr(),
                c.mma,
                c.mb.as_ptr(),
                c.mmb,
                j0,
                j1,
                out.as_mut_ptr(),
            )
        };
        out
    }

    pub fn dot_task(x: &[f64], y: &[f64]) -> Comp {
        let len = x.len().min(y.len());
        // SAFETY: both slices hold at least `len` elements.
        unsafe { native_dot_task(x.as_ptr(), y.as_ptr(), len) }
    }
}

/// Which compilation of the inner loops a hand-written pass runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Build {
    /// The default x86-64 target (SSE2), as the workspace builds everything.
    Hand,
    /// `-C target-cpu=native`.
    Native,
}

impl Build {
    fn pass1_task(self, x: &[f64], y: &[f64], j0: usize, j1: usize, rows: [&mut [f64]; 2]) {
        let [rx, ry] = rows;
        match self {
            Build::Hand => tasks::pass1_task(x, y, j0, j1, rx, ry),
            Build::Native => native::pass1_task(x, y, j0, j1, rx, ry),
        }
    }

    fn sqrt_rows_task(self, x: &[f64], j0: usize, j1: usize, rows: [&mut [f64]; 1]) {
        let [r] = rows;
        match self {
            Build::Hand => tasks::sqrt_rows_task(x, j0, j1, r),
            Build::Native => native::sqrt_rows_task(x, j0, j1, r),
        }
    }

    fn pass2_task(self, x: &[f64], y: &[f64], c: Centring<'_>, j0: usize, j1: usize) -> [Comp; 3] {
        match self {
            Build::Hand => tasks::pass2_task(x, y, c, j0, j1),
            Build::Native => native::pass2_task(x, y, c, j0, j1),
        }
    }

    fn dot_task(self, x: &[f64], y: &[f64]) -> Comp {
        match self {
            Build::Hand => tasks::dot_task(x, y),
            Build::Native => native::dot_task(x, y),
        }
    }
}

/// Runs parallel hand-loop work in the runtime's thread pool (one thread per core).
fn in_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    lazyshare_runtime::pool::install(f)
}

/// Column blocks [j0, j1) of the symmetric passes, the heaviest (largest j) first for load balance.
fn column_tasks(n: usize) -> Vec<(usize, usize)> {
    let mut t: Vec<(usize, usize)> = (0..n)
        .step_by(TASK_COLS)
        .map(|j0| (j0, (j0 + TASK_COLS).min(n)))
        .collect();
    t.reverse();
    t
}

/// Row sums of K symmetric n x n matrices: `task(j0, j1, rows)` adds columns j0..j1's contributions to
/// rows 0..j1 of its own plain vectors; the tasks' vectors are then merged row by row, in task order,
/// with compensation.
fn row_sums<const K: usize>(
    n: usize,
    task: impl Fn(usize, usize, [&mut [f64]; K]) + Sync,
) -> [Vec<f64>; K] {
    let tasks = column_tasks(n);
    let parts: Vec<[Vec<f64>; K]> = in_pool(|| {
        tasks
            .par_iter()
            .map(|&(j0, j1)| {
                let mut part: [Vec<f64>; K] = std::array::from_fn(|_| vec![0.0; j1]);
                task(j0, j1, part.each_mut().map(Vec::as_mut_slice));
                part
            })
            .collect()
    });
    // Merge in task order (ascending columns) so the result does not depend on scheduling.
    let order: Vec<&[Vec<f64>; K]> = parts.iter().rev().collect();
    std::array::from_fn(|k| {
        let mut out = vec![0.0; n];
        in_pool(|| {
            out.par_chunks_mut(1024).enumerate().for_each(|(c, o)| {
                let r0 = c * 1024;
                let mut acc = vec![Comp::default(); o.len()];
                for part in &order {
                    let v = &part[k];
                    if v.len() <= r0 {
                        continue;
                    }
                    let r1 = v.len().min(r0 + o.len());
                    for (a, &x) in acc.iter_mut().zip(&v[r0..r1]) {
                        a.add(x);
                    }
                }
                for (o, a) in o.iter_mut().zip(acc) {
                    *o = a.value();
                }
            })
        });
        out
    })
}

/// Workload 1 by hand: [m_a, M_a, m_b, M_b] as `lazy_pass1` gives them.
fn hand_pass1(build: Build, x: &[f64], y: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    let [ra, rb] = row_sums(x.len(), |j0, j1, rows| build.pass1_task(x, y, j0, j1, rows));
    let mut out = Vec::with_capacity(2 * x.len() + 2);
    for rs in [ra, rb] {
        let mut total = Comp::default();
        for &r in &rs {
            total.add(r);
        }
        out.extend(rs.iter().map(|r| r / n));
        out.push(total.value() / (n * n));
    }
    out
}

/// Workload 2 by hand: means of A*B, A*A, B*B with A_ij = |x_i - x_j| - m_i - m_j + M (B likewise).
fn hand_pass2(build: Build, x: &[f64], y: &[f64], p1: &[f64]) -> Vec<f64> {
    let n = x.len();
    let c = Centring {
        ma: &p1[..n],
        mma: p1[n],
        mb: &p1[n + 1..2 * n + 1],
        mmb: p1[2 * n + 1],
    };
    let tasks = column_tasks(n);
    let parts: Vec<[Comp; 3]> = in_pool(|| {
        tasks
            .par_iter()
            .map(|&(j0, j1)| build.pass2_task(x, y, c, j0, j1))
            .collect()
    });
    let mut total = [Comp::default(); 3];
    for part in parts.iter().rev() {
        for (t, p) in total.iter_mut().zip(part) {
            t.merge(*p);
        }
    }
    let nn = (n * n) as f64;
    total.iter().map(|t| t.value() / nn).collect()
}

/// Workload 3 by hand: mean(x * y).
fn hand_mean_product(build: Build, x: &[f64], y: &[f64]) -> Vec<f64> {
    let parts: Vec<Comp> = in_pool(|| {
        x.par_chunks(TASK_ELEMS)
            .zip(y.par_chunks(TASK_ELEMS))
            .map(|(xc, yc)| build.dot_task(xc, yc))
            .collect()
    });
    let mut total = Comp::default();
    for p in parts {
        total.merge(p);
    }
    vec![total.value() / x.len() as f64]
}

/// Workload 4 by hand: rowMeans(dist(x)^0.5).
fn hand_rowmeans_sqrt(build: Build, x: &[f64]) -> Vec<f64> {
    let n = x.len() as f64;
    let [rs] = row_sums(x.len(), |j0, j1, rows| {
        build.sqrt_rows_task(x, j0, j1, rows)
    });
    rs.iter().map(|r| r / n).collect()
}

// ---------------------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------------------

struct Measured {
    secs: f64,
    values: Vec<f64>,
    kernels: u64,
    compile_ns: u64,
}

/// A lazyshare run (timed inside) or a hand loop (timed here): seconds and values.
type Run<'a> = &'a mut dyn FnMut() -> (f64, Vec<f64>);

/// Times a hand loop.
fn timed(f: impl Fn() -> Vec<f64>) -> impl FnMut() -> (f64, Vec<f64>) {
    move || {
        let t = Instant::now();
        let v = f();
        (t.elapsed().as_secs_f64(), v)
    }
}

/// One workload's measurements: lazyshare's two backends, and the hand loop compiled both ways.
struct Compared {
    interp: Measured,
    jit: Measured,
    hand: Option<Measured>,
    native: Option<Measured>,
}

/// The interpreter, the JIT (on the same lazyshare run) and the hand loop's two builds of one workload:
/// one untimed warm-up run of each (the JIT's compiles), then `REPS` rounds that run each once in turn,
/// so that drift in the machine's speed affects all alike. Values are those of the warm-up runs.
fn compare(exact_sums: bool, lazy_run: Run<'_>, mut hand_runs: Option<[Run<'_>; 2]>) -> Compared {
    let mut out: Vec<Measured> = (0..4)
        .map(|_| Measured {
            secs: 0.0,
            values: Vec::new(),
            kernels: 0,
            compile_ns: 0,
        })
        .collect();
    let mut times: [Vec<f64>; 4] = Default::default();
    for round in 0..=REPS {
        for (w, m) in out.iter_mut().enumerate() {
            let (k0, c0) = (counter("kernels_compiled"), counter("compile_ns"));
            let (secs, values) = match w {
                0 | 1 => {
                    let backend = if w == 0 {
                        Backend::Interp
                    } else {
                        Backend::Jit
                    };
                    configure(backend, exact_sums);
                    let r = lazy_run();
                    configure(Backend::Interp, true);
                    r
                }
                _ => match hand_runs.as_mut() {
                    Some(h) => h[w - 2](),
                    None => continue,
                },
            };
            m.kernels += counter("kernels_compiled") - k0;
            m.compile_ns += counter("compile_ns") - c0;
            if round == 0 {
                m.values = values;
            } else {
                times[w].push(secs);
            }
        }
    }
    for (m, t) in out.iter_mut().zip(times) {
        if !t.is_empty() {
            m.secs = median(t);
        }
    }
    let mut out = out.into_iter();
    let (interp, jit) = (out.next().expect("four"), out.next().expect("four"));
    let (hand, native) = match hand_runs {
        Some(_) => (out.next(), out.next()),
        None => (None, None),
    };
    Compared {
        interp,
        jit,
        hand,
        native,
    }
}

/// Largest relative difference between corresponding values.
fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "results of different lengths");
    a.iter()
        .zip(b)
        .map(|(p, q)| {
            if p == q {
                0.0
            } else {
                (p - q).abs() / q.abs().max(f64::MIN_POSITIVE)
            }
        })
        .fold(0.0, |m: f64, d| {
            if m.is_nan() || d.is_nan() {
                f64::NAN
            } else {
                m.max(d)
            }
        })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Both goals apply.
    Compute,
    /// Bound by memory bandwidth (for the JIT and the hand loop): judged, and marked as such.
    Memory,
    /// Not a JIT workload (R-exact sums run sequentially in long double).
    Informative,
}

struct Row {
    name: &'static str,
    n: usize,
    kind: Kind,
    naive_r: Option<f64>,
    interp: Measured,
    jit: Measured,
    hand: Option<Measured>,
    native: Option<Measured>,
    /// Largest relative difference from the portable hand loop's values, of lazyshare's (both
    /// backends) and of the native build's.
    diff: f64,
}

impl Row {
    fn new(name: &'static str, n: usize, kind: Kind, m: Compared, reference: &[f64]) -> Row {
        let native_diff = m
            .native
            .as_ref()
            .map_or(0.0, |v| rel_diff(&v.values, reference));
        let diff = rel_diff(&m.interp.values, reference)
            .max(rel_diff(&m.jit.values, reference))
            .max(native_diff);
        Row {
            name,
            n,
            kind,
            naive_r: None,
            interp: m.interp,
            jit: m.jit,
            hand: m.hand,
            native: m.native,
            diff,
        }
    }

    fn jit_over_hand(&self) -> Option<f64> {
        self.hand.as_ref().map(|h| self.jit.secs / h.secs)
    }

    fn jit_over_native(&self) -> Option<f64> {
        self.native.as_ref().map(|v| self.jit.secs / v.secs)
    }

    fn hand_over_native(&self) -> Option<f64> {
        let (h, v) = (self.hand.as_ref()?, self.native.as_ref()?);
        Some(h.secs / v.secs)
    }

    fn interp_over_jit(&self) -> f64 {
        self.interp.secs / self.jit.secs
    }

    fn goal(&self) -> String {
        let fast_enough = self.jit_over_hand().is_some_and(|r| r <= 1.5);
        let beats_interp = self.interp_over_jit() >= 2.0;
        let verdict = match (fast_enough, beats_interp) {
            (true, true) => "yes",
            (false, true) => "NO: JIT/hand > 1.5",
            (true, false) => "NO: interp/JIT < 2",
            (false, false) => "NO: both",
        };
        match self.kind {
            Kind::Compute => verdict.into(),
            Kind::Memory => format!("{verdict} (memory-bound)"),
            Kind::Informative => "n/a (R-exact, not JIT)".into(),
        }
    }

    fn compile_ms(&self) -> Option<f64> {
        (self.jit.kernels > 0).then(|| self.jit.compile_ns as f64 / 1e6 / self.jit.kernels as f64)
    }
}

// ---------------------------------------------------------------------------------------------------------
// Naive R
// ---------------------------------------------------------------------------------------------------------

/// Median seconds per workload key ("pass1", "pass2", "mean_xy", "rowmeans_sqrt"), or why R did not run.
fn naive_r() -> Result<(String, Vec<(String, f64)>), String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/R/kernels.R");
    let out = Command::new("Rscript")
        .arg("--vanilla")
        .arg(script)
        .args([N.to_string(), BIG_N.to_string(), R_REPS.to_string()])
        .output()
        .map_err(|e| format!("Rscript could not be started: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "Rscript failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut version = String::new();
    let mut times = Vec::new();
    for line in stdout.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["INFO", v] => version = v.to_string(),
            ["RESULT", key, secs] => {
                let s = secs.trim().parse().map_err(|e| format!("{line:?}: {e}"))?;
                times.push((key.to_string(), s));
            }
            _ => {}
        }
    }
    Ok((version, times))
}

// ---------------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------------

fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or("NA".into(), |v| format!("{v:.digits$}"))
}

fn table(rows: &[Row]) -> String {
    let header = [
        "workload",
        "n",
        "naive R s",
        "interp s",
        "JIT s",
        "hand s",
        "native s",
        "JIT/hand",
        "JIT/native",
        "hand/native",
        "interp/JIT",
        "goal met?",
        "kernels",
        "compile ms/kernel",
        "vs hand",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.name.to_string(),
                format!("{:.0e}", r.n as f64),
                num(r.naive_r, 3),
                format!("{:.4}", r.interp.secs),
                format!("{:.4}", r.jit.secs),
                num(r.hand.as_ref().map(|h| h.secs), 4),
                num(r.native.as_ref().map(|v| v.secs), 4),
                num(r.jit_over_hand(), 2),
                num(r.jit_over_native(), 2),
                num(r.hand_over_native(), 2),
                format!("{:.2}", r.interp_over_jit()),
                r.goal(),
                r.jit.kernels.to_string(),
                r.compile_ms()
                    .map_or("0 (cached)".into(), |c| format!("{c:.2}")),
                format!(
                    "{:.1e} {}",
                    r.diff,
                    if r.diff < AGREE_TOL { "ok" } else { "FAIL" }
                ),
            ]
        })
        .collect();
    markdown_table(&header, &cells, &[0, 11])
}

fn csv(rows: &[Row]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let opt = |v: Option<f64>| v.map_or("NA".into(), |v| format!("{v}"));
    let mut s = String::from(
        "\"workload\",\"n\",\"naive_r_s\",\"interp_s\",\"jit_s\",\"hand_s\",\"native_s\",\
         \"jit_over_hand\",\"jit_over_native\",\"hand_over_native\",\"interp_over_jit\",\"goal_met\",\
         \"kernels_compiled\",\"compile_ms_per_kernel\",\"rel_diff_from_hand\"\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            q(r.name),
            r.n,
            opt(r.naive_r),
            r.interp.secs,
            r.jit.secs,
            opt(r.hand.as_ref().map(|h| h.secs)),
            opt(r.native.as_ref().map(|v| v.secs)),
            opt(r.jit_over_hand()),
            opt(r.jit_over_native()),
            opt(r.hand_over_native()),
            r.interp_over_jit(),
            q(&r.goal()),
            r.jit.kernels,
            opt(r.compile_ms()),
            r.diff
        );
    }
    s
}

// ---------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------

fn main() {
    plan::set_jit(Box::new(lazyshare_jit::Jit::default()));
    configure(Backend::Interp, true);
    let threads = lazyshare_runtime::pool::threads();
    println!(
        "lazyshare kernels benchmark: {threads} threads (the runtime's pool, also running the hand loops), \
         median of {REPS} interleaved rounds after a warm-up"
    );
    let mut rows = Vec::new();

    let (xv, yv) = data(N);
    let (x, y) = (
        Arc::new(Source::owned(xv.clone())),
        Arc::new(Source::owned(yv.clone())),
    );

    eprintln!("1. dcor pass 1 ...");
    let m = compare(
        true,
        &mut || lazy_pass1(&x, &y),
        Some([
            &mut timed(|| hand_pass1(Build::Hand, &xv, &yv)),
            &mut timed(|| hand_pass1(Build::Native, &xv, &yv)),
        ]),
    );
    let p1 = m.hand.as_ref().expect("hand loop").values.clone();
    rows.push(Row::new("dcor pass 1", N, Kind::Compute, m, &p1));

    eprintln!("2. dcor pass 2 ...");
    let m = compare(
        true,
        &mut || lazy_pass2(&x, &y),
        Some([
            &mut timed(|| hand_pass2(Build::Hand, &xv, &yv, &p1)),
            &mut timed(|| hand_pass2(Build::Native, &xv, &yv, &p1)),
        ]),
    );
    let reference = m.hand.as_ref().expect("hand loop").values.clone();
    rows.push(Row::new("dcor pass 2", N, Kind::Compute, m, &reference));

    eprintln!("3. mean(x*y) at 1e8 ...");
    {
        let (bx, by) = data(BIG_N);
        let (bx, by) = (Arc::new(Source::owned(bx)), Arc::new(Source::owned(by)));
        let m = compare(
            false,
            &mut || lazy_mean_product(&bx, &by),
            Some([
                &mut timed(|| hand_mean_product(Build::Hand, bx.values(), by.values())),
                &mut timed(|| hand_mean_product(Build::Native, bx.values(), by.values())),
            ]),
        );
        let reference = m.hand.as_ref().expect("hand loop").values.clone();
        rows.push(Row::new("mean(x*y)", BIG_N, Kind::Memory, m, &reference));
        eprintln!("   ... R-exact ...");
        let m = compare(true, &mut || lazy_mean_product(&bx, &by), None);
        rows.push(Row::new(
            "mean(x*y), R-exact",
            BIG_N,
            Kind::Informative,
            m,
            &reference,
        ));
    }

    eprintln!("4. rowMeans(dist(x)^0.5) ...");
    let m = compare(
        true,
        &mut || lazy_rowmeans_sqrt(&x),
        Some([
            &mut timed(|| hand_rowmeans_sqrt(Build::Hand, &xv)),
            &mut timed(|| hand_rowmeans_sqrt(Build::Native, &xv)),
        ]),
    );
    let reference = m.hand.as_ref().expect("hand loop").values.clone();
    rows.push(Row::new(
        "rowMeans(dist(x)^0.5)",
        N,
        Kind::Compute,
        m,
        &reference,
    ));

    let skip_r = std::env::args().any(|a| a == "--no-r");
    if !skip_r {
        eprintln!("naive R (child Rscript, {R_REPS} runs each) ...");
    }
    match if skip_r {
        Err("skipped: --no-r".into())
    } else {
        naive_r()
    } {
        Ok((version, times)) => {
            println!("naive R: {version}, median of {R_REPS} runs");
            let get = |k: &str| times.iter().find(|(key, _)| key == k).map(|(_, t)| *t);
            let keys = ["pass1", "pass2", "mean_xy", "mean_xy", "rowmeans_sqrt"];
            for (row, key) in rows.iter_mut().zip(keys) {
                row.naive_r = get(key);
            }
        }
        Err(e) => println!("naive R: NA ({e})"),
    }

    println!();
    print!("{}", table(&rows));
    println!();
    println!(
        "JIT/hand and interp/JIT are time ratios (goals: JIT/hand <= 1.5 on the compute-bound passes, \
         interp/JIT >= 2); naive R on the mean(x*y) rows is the same R call (R's mean is R-exact)."
    );
    println!(
        "kernels = kernel shapes compiled by the JIT during that row's runs (first run only; later runs hit \
         the cache); vs hand = largest relative difference of lazyshare's and native's values from the \
         hand loop's (tolerance {AGREE_TOL:e})."
    );
    println!(
        "native = the hand loops' tasks compiled with -C target-cpu=native; JIT/native is how far the JIT \
         is from this machine's own limit for these loops, hand/native what the baseline target leaves."
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/kernels.csv");
    match std::fs::write(path, csv(&rows)) {
        Ok(()) => println!("wrote {path}"),
        Err(e) => println!("could not write {path}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Largest relative difference, as the table reports it, of each build from `want`.
    fn check(name: &str, want: &[f64], run: impl Fn(Build) -> Vec<f64>) {
        for build in [Build::Hand, Build::Native] {
            let got = run(build);
            let d = rel_diff(&got, want);
            assert!(d < 1e-12, "{name}, {build:?}: relative difference {d:e}");
        }
    }

    /// A compensated sum, so that the reference's own rounding stays far below the tolerance.
    fn sum(v: impl Iterator<Item = f64>) -> f64 {
        let mut c = Comp::default();
        v.for_each(|x| c.add(x));
        c.value()
    }

    /// Both builds of every task against plain double loops over the full matrices, at a size that
    /// leaves partial blocks, partial lane groups and several column tasks.
    #[test]
    fn hand_and_native_passes_match_plain_loops() {
        let n = 2 * tasks::BLOCK + 37;
        let (x, y) = data(n);
        let nf = n as f64;
        let row_means = |p: &[f64], g: &dyn Fn(f64) -> f64| -> Vec<f64> {
            (0..n)
                .map(|i| sum((0..n).map(|j| g((p[i] - p[j]).abs()))) / nf)
                .collect()
        };
        let (ma, mb) = (row_means(&x, &|d| d), row_means(&y, &|d| d));
        let (mma, mmb) = (sum(ma.iter().copied()) / nf, sum(mb.iter().copied()) / nf);
        let mut p1 = ma.clone();
        p1.push(mma);
        p1.extend(&mb);
        p1.push(mmb);
        check("pass 1", &p1, |b| hand_pass1(b, &x, &y));

        let mut sums = [Comp::default(); 3];
        for i in 0..n {
            for j in 0..n {
                let a = (x[i] - x[j]).abs() - ma[i] - ma[j] + mma;
                let b = (y[i] - y[j]).abs() - mb[i] - mb[j] + mmb;
                sums[0].add(a * b);
                sums[1].add(a * a);
                sums[2].add(b * b);
            }
        }
        let p2: Vec<f64> = sums.iter().map(|s| s.value() / (nf * nf)).collect();
        check("pass 2", &p2, |b| hand_pass2(b, &x, &y, &p1));

        check("rowMeans(dist^0.5)", &row_means(&x, &f64::sqrt), |b| {
            hand_rowmeans_sqrt(b, &x)
        });

        let (bx, by) = data(3 * TASK_ELEMS + 5);
        let dot = sum(bx.iter().zip(&by).map(|(a, b)| a * b)) / bx.len() as f64;
        check("mean(x*y)", &[dot], |b| hand_mean_product(b, &bx, &by));
    }
}
