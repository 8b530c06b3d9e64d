//! Results do not depend on how a pass is walked: every tile size (`chunk_rows`) and thread count gives
//! the same bits on each backend, because partial sums are grouped by fold units fixed by the domain
//! alone. The grids here are large enough to have several units and several tiles per unit (the
//! differential test's grids are small and fit in one), with NaNs, mirrored symmetric passes, row and
//! column sums, totals and products. Across the two backends the values agree to rounding.

use std::sync::{Arc, Mutex};

use lazyshare_runtime::config::{self, Thresholds};
use lazyshare_runtime::graph::{self, BinaryOp, Expr, Margin, NodeRef, ReduceOp, Shape, Source};
use lazyshare_runtime::plan;

/// A fixed pseudo-random sequence (SplitMix64), as values in [-1, 1).
fn noise(n: usize, seed: u64) -> Vec<f64> {
    (0..n as u64)
        .map(|k| {
            let mut z = (seed << 40) ^ k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

fn src(values: Vec<f64>, shape: Shape) -> NodeRef {
    graph::source(Arc::new(Source::owned(values)), shape)
}

/// Forces every reducer of `roots` and returns their values, in order.
fn values(roots: &[NodeRef]) -> Vec<Vec<f64>> {
    for r in roots {
        graph::register_root(r);
    }
    roots
        .iter()
        .map(|r| match &r.expr {
            Expr::Reduced(red) => {
                plan::force(red).expect("forcing a reducer");
                red.value().expect("forced").to_vec()
            }
            _ => panic!("not a reducer"),
        })
        .collect()
}

/// dcor's two passes over points x and y (n x p and n x q matrices, or vectors): row means and means of
/// the distances, then the means of the products of the double-centred distances.
fn dcor_passes(x: &NodeRef, y: &NodeRef) -> Vec<Vec<f64>> {
    let centred = |pts: &NodeRef| {
        let d = graph::dist(pts).expect("dist");
        let m = graph::reduce(ReduceOp::RowMeans, &d, false);
        let mm = graph::reduce(ReduceOp::Mean, &d, false);
        let r = graph::sweep(&d, Margin::Rows, &m, BinaryOp::Sub).expect("sweep rows");
        let c = graph::sweep(&r, Margin::Cols, &m, BinaryOp::Sub).expect("sweep cols");
        (graph::binary(BinaryOp::Add, &c, &mm).expect("add"), m, mm)
    };
    let (a, ma, mma) = centred(x);
    let (b, mb, mmb) = centred(y);
    let mut out = values(&[ma, mma, mb, mmb]);
    let mean = |p: NodeRef| graph::reduce(ReduceOp::Mean, &p, false);
    let prod = |u: &NodeRef, v: &NodeRef| graph::binary(BinaryOp::Mul, u, v).expect("mul");
    out.extend(values(&[
        mean(prod(&a, &b)),
        mean(prod(&a, &a)),
        mean(prod(&b, &b)),
    ]));
    out
}

/// 1 + x / scale: factors whose long products stay finite and differ from 1.
fn near_one(x: &NodeRef, scale: f64) -> NodeRef {
    let small = graph::binary(BinaryOp::Div, x, &graph::constant(scale)).expect("div");
    graph::binary(BinaryOp::Add, &graph::constant(1.0), &small).expect("add")
}

/// Row, column and whole sums and means (some skipping NaNs) and a product of a matrix with NaNs.
fn matrix_reducers(rows: u64, cols: u64) -> Vec<Vec<f64>> {
    let mut v = noise((rows * cols) as usize, 3);
    for k in (0..v.len()).step_by(977) {
        v[k] = f64::NAN;
    }
    let m = src(v, Shape::matrix(rows, cols));
    let w = graph::binary(BinaryOp::Mul, &m, &m).expect("mul");
    // 1 + x/1000 keeps the product of 700,000 factors finite and not 1.
    let near_one = near_one(&m, 1000.0);
    values(&[
        graph::reduce(ReduceOp::RowSums, &w, true),
        graph::reduce(ReduceOp::ColSums, &w, true),
        graph::reduce(ReduceOp::Sum, &w, true),
        graph::reduce(ReduceOp::RowMeans, &m, false),
        graph::reduce(ReduceOp::Mean, &m, true),
        graph::reduce(ReduceOp::Prod, &near_one, true),
    ])
}

/// Sums, a mean and a product over a vector long enough for several units of rows.
fn vector_reducers(n: u64) -> Vec<Vec<f64>> {
    let x = src(noise(n as usize, 4), Shape::vector(n));
    let y = src(noise(n as usize, 5), Shape::vector(n));
    let xy = graph::binary(BinaryOp::Mul, &x, &y).expect("mul");
    let near_one = near_one(&x, 1e4);
    values(&[
        graph::reduce(ReduceOp::Sum, &xy, false),
        graph::reduce(ReduceOp::Mean, &xy, false),
        graph::reduce(ReduceOp::Prod, &near_one, false),
    ])
}

type Workload = (&'static str, Box<dyn Fn() -> Vec<Vec<f64>>>);

fn workloads() -> Vec<Workload> {
    vec![
        (
            "dcor bivariate n = 1500",
            Box::new(|| {
                let n = 1500;
                dcor_passes(
                    &src(noise(2 * n, 1), Shape::matrix(n as u64, 2)),
                    &src(noise(2 * n, 2), Shape::matrix(n as u64, 2)),
                )
            }),
        ),
        (
            "dcor univariate n = 1300",
            Box::new(|| {
                let n = 1300;
                dcor_passes(
                    &src(noise(n, 6), Shape::vector(n as u64)),
                    &src(noise(n, 7), Shape::vector(n as u64)),
                )
            }),
        ),
        ("matrix 1000 x 700", Box::new(|| matrix_reducers(1000, 700))),
        // Rows enough for the lanes' row sums to be folded in parallel (exec::combine).
        ("matrix 6000 x 40", Box::new(|| matrix_reducers(6000, 40))),
        ("vector 300,000", Box::new(|| vector_reducers(300_000))),
    ]
}

/// The thresholds are one per process: each test holds this while it sets and uses them.
static CONFIG: Mutex<()> = Mutex::new(());

fn configure(jit: bool, tile_rows: u64, threads: usize) {
    config::set(Thresholds {
        jit_min_work: if jit { 0.0 } else { f64::INFINITY },
        chunk_rows: tile_rows,
        threads,
        exact_sums: false,
        defer_min_len: 0,
        ..Thresholds::default()
    })
    .expect("valid thresholds");
}

#[test]
fn results_do_not_depend_on_tiles_or_threads() {
    let _config = CONFIG.lock().unwrap_or_else(|e| e.into_inner());
    plan::set_jit(Box::new(lazyshare_jit::Jit::default()));
    for (name, work) in workloads() {
        let mut per_backend = Vec::new();
        for jit in [false, true] {
            configure(jit, 256, 1);
            let first = work();
            for tile_rows in [256, 768, 5000, 1 << 30] {
                for threads in [1, 2, 3] {
                    configure(jit, tile_rows, threads);
                    let got = work();
                    let same = got
                        .iter()
                        .flatten()
                        .zip(first.iter().flatten())
                        .all(|(a, b)| a.to_bits() == b.to_bits());
                    assert!(
                        same,
                        "{name}: jit {jit}, {tile_rows} rows per tile, {threads} threads differ"
                    );
                }
            }
            per_backend.push(first);
        }
        // The backends group the same elements but add within a block differently.
        for (a, b) in per_backend[0].iter().zip(&per_backend[1]) {
            for (&x, &y) in a.iter().zip(b) {
                let close = (x.is_nan() && y.is_nan()) || (x - y).abs() <= 1e-12 * x.abs().max(1.0);
                assert!(close, "{name}: interpreter {x} and JIT {y}");
            }
        }
    }
}

/// A pass is cut by its domain alone, so outputs that join it (reducers R merely holds) never regroup
/// the sums of the ones asked for.
#[test]
fn joining_outputs_do_not_change_a_pass() {
    let _config = CONFIG.lock().unwrap_or_else(|e| e.into_inner());
    plan::set_jit(Box::new(lazyshare_jit::Jit::default()));
    for jit in [false, true] {
        configure(jit, 768, 2);
        let m = || src(noise(1000 * 700, 8), Shape::matrix(1000, 700));
        let alone = values(&[graph::reduce(ReduceOp::ColSums, &m(), false)]);
        let x = m();
        let held = graph::reduce(ReduceOp::RowSums, &x, false);
        graph::register_root(&held);
        let cols = graph::reduce(ReduceOp::ColSums, &x, false);
        let joined = values(&[cols]);
        match &held.expr {
            Expr::Reduced(r) => assert!(r.is_done(), "the held row sums joined the pass"),
            _ => unreachable!(),
        }
        let bits = |v: &[Vec<f64>]| v[0].iter().map(|x| x.to_bits()).collect::<Vec<u64>>();
        assert_eq!(bits(&alone), bits(&joined), "jit {jit}");
    }
}
