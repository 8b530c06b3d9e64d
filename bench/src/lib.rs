//! What the benchmark binaries share: the data they draw and the lazyshare graphs they force.

use std::sync::Arc;
use std::time::Instant;

use lazyshare_runtime::config;
use lazyshare_runtime::exec::COUNTERS;
use lazyshare_runtime::graph::{self, BinaryOp, Expr, Margin, NodeRef, ReduceOp, Shape, Source};
use lazyshare_runtime::plan;
use rayon::prelude::*;

/// SplitMix64's output function: a fixed, simple, counter-based generator (element k of stream s is
/// independent of the others, so long vectors are drawn in parallel with the same result).
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in (0, 1).
fn uniform(stream: u64, k: u64) -> f64 {
    let bits = splitmix(stream.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ k) >> 11;
    (bits as f64 + 0.5) / (1u64 << 53) as f64
}

/// A standard normal draw (Box-Muller).
fn normal(stream: u64, k: u64) -> f64 {
    let (u1, u2) = (uniform(stream, 2 * k), uniform(stream, 2 * k + 1));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// `len` N(0, 1) draws of stream `stream`.
pub fn normals(stream: u64, len: usize) -> Vec<f64> {
    (0..len as u64)
        .into_par_iter()
        .map(|k| normal(stream, k))
        .collect()
}

/// y = x^2 + N(0, 1) (of stream `stream`), elementwise.
pub fn noisy_square(x: &[f64], stream: u64) -> Vec<f64> {
    x.par_iter()
        .enumerate()
        .map(|(k, &v)| v * v + normal(stream, k as u64))
        .collect()
}

/// A lazyshare counter (`lazy_stats()`).
pub fn counter(name: &str) -> u64 {
    COUNTERS
        .snapshot()
        .into_iter()
        .find(|(k, _)| *k == name)
        .map_or(0, |(_, v)| v)
}

pub fn reducer(node: &NodeRef) -> &Arc<graph::Reducer> {
    match &node.expr {
        Expr::Reduced(r) => r,
        _ => panic!("not a reducer node"),
    }
}

/// Forces `nodes[0]` (timed) and checks that it computed all of `nodes`, in one fused pass (R-exact
/// vector sums take passes of their own, two for a mean).
pub fn force_fused(nodes: &[NodeRef]) -> f64 {
    for nd in nodes {
        graph::register_root(nd);
    }
    let passes = counter("passes");
    let t = Instant::now();
    plan::force(reducer(&nodes[0])).expect("forcing a reducer");
    let secs = t.elapsed().as_secs_f64();
    assert!(
        nodes.iter().all(|nd| reducer(nd).is_done()),
        "the pass left reducers pending"
    );
    let r_exact = config::get().exact_sums && !reducer(&nodes[0]).input.shape.matrix;
    if !r_exact {
        assert_eq!(counter("passes") - passes, 1, "expected one fused pass");
    }
    secs
}

/// dist(points), and rowMeans and mean of it: dcor's first pass for one sample.
pub fn pass1_nodes(src: &Arc<Source>, shape: Shape) -> (NodeRef, NodeRef, NodeRef) {
    let d = graph::dist(&graph::source(src.clone(), shape)).expect("dist of a source");
    let m = graph::reduce(ReduceOp::RowMeans, &d, false);
    let mm = graph::reduce(ReduceOp::Mean, &d, false);
    (d, m, mm)
}

/// a - m_i - m_j + M: the double-centred distances of dcor's second pass.
pub fn centred(d: &NodeRef, m: &NodeRef, mm: &NodeRef) -> NodeRef {
    let r = graph::sweep(d, Margin::Rows, m, BinaryOp::Sub).expect("sweep rows");
    let c = graph::sweep(&r, Margin::Cols, m, BinaryOp::Sub).expect("sweep cols");
    graph::binary(BinaryOp::Add, &c, mm).expect("add the mean")
}

/// mean(u * v).
pub fn mean_of(u: &NodeRef, v: &NodeRef) -> NodeRef {
    let p = graph::binary(BinaryOp::Mul, u, v).expect("product");
    graph::reduce(ReduceOp::Mean, &p, false)
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

/// A Markdown table; the columns in `left` are left-aligned, the rest right-aligned.
pub fn markdown_table(header: &[&str], cells: &[Vec<String>], left: &[usize]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            cells
                .iter()
                .map(|row| row[c].len())
                .chain([header[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |vals: Vec<&str>| -> String {
        let parts: Vec<String> = vals
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (v, w))| {
                if left.contains(&c) {
                    format!("{v:<w$}")
                } else {
                    format!("{v:>w$}")
                }
            })
            .collect();
        format!("| {} |\n", parts.join(" | "))
    };
    let mut s = line(header.to_vec());
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    s += &line(rule.iter().map(String::as_str).collect());
    for row in cells {
        s += &line(row.iter().map(String::as_str).collect());
    }
    s
}
