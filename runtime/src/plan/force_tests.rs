#![allow(clippy::excessive_precision)] // reference values are quoted digit for digit
//! Planner tests: fused passes give the values a naive evaluation gives, independently of threads.

use super::testgraphs::{dcor_graph, reducer, src};
use super::*;
use crate::config;
use crate::graph::{self, BinaryOp, Margin, NodeRef, ReduceOp, Shape, UnaryOp};
use crate::testutil::{close, noise};

fn value(n: &NodeRef) -> Vec<f64> {
    let r = reducer(n);
    force(&r).unwrap();
    r.value().unwrap().to_vec()
}

/// dCov², dVarX², dVarY² by the textbook O(n²)-memory formula.
fn naive_dcov(x: &[f64], px: usize, y: &[f64], py: usize, alpha: f64) -> [f64; 3] {
    let n = x.len() / px;
    let dist = |v: &[f64], p: usize| {
        let mut d = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                let s: f64 = (0..p).map(|k| (v[i + k * n] - v[j + k * n]).powi(2)).sum();
                d[i + j * n] = s.sqrt().powf(alpha);
            }
        }
        d
    };
    let centre = |d: Vec<f64>| {
        let m: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|j| d[i + j * n]).sum::<f64>() / n as f64)
            .collect();
        let mm: f64 = m.iter().sum::<f64>() / n as f64;
        let mut a = d;
        for i in 0..n {
            for j in 0..n {
                a[i + j * n] += mm - m[i] - m[j];
            }
        }
        a
    };
    let a = centre(dist(x, px));
    let b = centre(dist(y, py));
    let nn = (n * n) as f64;
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(p, q)| p * q).sum::<f64>() / nn;
    [dot(&a, &b), dot(&a, &a), dot(&b, &b)]
}

#[test]
fn dcor_example_matches_energy() {
    let x = src(vec![0.0, 1.0, 3.0, 7.0], Shape::vector(4));
    let y = src(vec![2.0, 0.0, 1.0, 5.0], Shape::vector(4));
    let [ab, aa, bb] = dcor_graph(x, y, 1.0);
    let (ab, aa, bb) = (value(&ab)[0], value(&aa)[0], value(&bb)[0]);
    assert!(close(ab.sqrt(), 1.6201851746019651, 1e-14), "{}", ab.sqrt());
    assert!(close(aa.sqrt(), 2.1830311495716224, 1e-14));
    assert!(close(bb.sqrt(), 1.5, 1e-14));
    assert!(close(
        ab.sqrt() / (aa.sqrt() * bb.sqrt()).sqrt(),
        0.89534220722549185,
        1e-14
    ));
}

#[test]
fn fused_dcor_passes_match_the_naive_formula() {
    for (n, px, py, alpha) in [
        (37, 3, 1, 1.0),
        (200, 2, 2, 0.5),
        (64, 1, 1, 1.5),
        (5, 1, 4, 1.0),
    ] {
        let xv = noise(n * px, n as u64);
        let yv: Vec<f64> = noise(n * py, 7 + n as u64)
            .iter()
            .map(|v| v * v * 3.0)
            .collect();
        let x = src(
            xv.clone(),
            if px == 1 {
                Shape::vector(n as u64)
            } else {
                Shape::matrix(n as u64, px as u64)
            },
        );
        let y = src(yv.clone(), Shape::matrix(n as u64, py as u64));
        let got: Vec<f64> = dcor_graph(x, y, alpha)
            .iter()
            .map(|r| value(r)[0])
            .collect();
        let want = naive_dcov(&xv, px, &yv, py, alpha);
        for k in 0..3 {
            assert!(
                close(got[k], want[k], 1e-12),
                "n={n} k={k}: {} vs {}",
                got[k],
                want[k]
            );
        }
    }
}

#[test]
fn every_reducer_matches_a_naive_fold() {
    let (rows, cols) = (300u64, 7u64);
    let mut v = noise((rows * cols) as usize, 3);
    v[17] = f64::NAN;
    let m = src(v.clone(), Shape::matrix(rows, cols));
    let e = graph::binary(
        BinaryOp::Mul,
        &graph::unary(UnaryOp::Exp, &m),
        &graph::constant(2.0),
    )
    .unwrap();
    let ev: Vec<f64> = v.iter().map(|x| x.exp() * 2.0).collect();
    let fin: Vec<f64> = ev.iter().copied().filter(|x| !x.is_nan()).collect();
    let r = |op, na_rm| value(&graph::reduce(op, &e, na_rm));
    assert!(r(ReduceOp::Sum, false)[0].is_nan());
    assert!(close(r(ReduceOp::Sum, true)[0], fin.iter().sum(), 1e-14));
    assert!(close(
        r(ReduceOp::Mean, true)[0],
        fin.iter().sum::<f64>() / fin.len() as f64,
        1e-14
    ));
    assert!(r(ReduceOp::Max, false)[0].is_nan());
    assert_eq!(
        r(ReduceOp::Max, true)[0],
        fin.iter().cloned().fold(f64::MIN, f64::max)
    );
    assert_eq!(
        r(ReduceOp::Min, true)[0],
        fin.iter().cloned().fold(f64::MAX, f64::min)
    );
    let rs = r(ReduceOp::RowSums, true);
    let cm = r(ReduceOp::ColMeans, false);
    for i in 0..rows as usize {
        let want: f64 = (0..cols as usize)
            .map(|j| ev[i + j * rows as usize])
            .filter(|x| !x.is_nan())
            .sum();
        assert!(close(rs[i], want, 1e-14));
    }
    assert!(cm[0].is_nan());
    let want: f64 = (0..rows as usize)
        .map(|i| ev[i + rows as usize])
        .sum::<f64>()
        / rows as f64;
    assert!(close(cm[1], want, 1e-14));
    let pos = graph::binary(BinaryOp::Gt, &e, &graph::constant(0.0)).unwrap();
    assert!(value(&graph::reduce(ReduceOp::All, &pos, false))[0].is_nan());
    assert_eq!(value(&graph::reduce(ReduceOp::All, &pos, true))[0], 1.0);
    assert_eq!(value(&graph::reduce(ReduceOp::Any, &pos, false))[0], 1.0);
}

#[test]
fn symmetric_row_sums_equal_the_full_square() {
    let x = src(noise(150, 11), Shape::matrix(50, 3));
    let d = graph::dist(&x).unwrap();
    let sym = value(&graph::reduce(ReduceOp::RowSums, &d, false));
    // The transpose of an offdiag'd copy is not known symmetric, so this runs over the full square.
    let zeros = src(vec![0.0; 50], Shape::vector(50));
    let full_node = graph::sweep(&d, Margin::Rows, &zeros, BinaryOp::Add).unwrap();
    assert!(!full_node.symmetric);
    let full = value(&graph::reduce(ReduceOp::ColSums, &full_node, false));
    for i in 0..50 {
        assert!(close(sym[i], full[i], 1e-13), "{i}");
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let _serial = crate::pool::TEST_THREADS
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let xv = noise(3000, 5);
    let yv = noise(3000, 6);
    let run = |threads| {
        crate::pool::set_threads(threads);
        let x = src(xv.clone(), Shape::vector(3000));
        let y = src(yv.clone(), Shape::vector(3000));
        dcor_graph(x, y, 1.0)
            .iter()
            .map(|r| value(r)[0].to_bits())
            .collect::<Vec<_>>()
    };
    let one = run(1);
    let two = run(2);
    crate::pool::set_threads(0);
    assert_eq!(one, two);
}

#[test]
fn ranges_and_materialisation_match_elementwise_evaluation() {
    let (rows, cols) = (13u64, 11u64);
    let v = noise((rows * cols) as usize, 9);
    let m = src(v.clone(), Shape::matrix(rows, cols));
    let cm = graph::reduce(ReduceOp::ColMeans, &m, false);
    let e = graph::transpose(&graph::sweep(&m, Margin::Cols, &cm, BinaryOp::Sub).unwrap());
    let colmeans: Vec<f64> = (0..cols as usize)
        .map(|j| {
            (0..rows as usize)
                .map(|i| v[i + j * rows as usize])
                .sum::<f64>()
                / rows as f64
        })
        .collect();
    // e is cols x rows: e[a, b] = m[b, a] - colmeans[a]
    let want: Vec<f64> = (0..rows as usize)
        .flat_map(|b| (0..cols as usize).map(move |a| (a, b)))
        .map(|(a, b)| v[b + a * rows as usize] - colmeans[a])
        .collect();
    let all = materialize(&e).unwrap();
    for (g, w) in all.iter().zip(&want) {
        assert!(close(*g, *w, 1e-14));
    }
    let ev = StoreEval::new(&e).unwrap();
    for (start, len) in [(0usize, 1usize), (5, 30), (11, 11), (140, 3)] {
        let mut out = vec![0.0; len];
        ev.eval(start as u64, &mut out);
        assert_eq!(out, all[start..start + len].to_vec());
    }
}

#[test]
fn the_depth_cap_keeps_renjins_loop_finite_and_exact() {
    let n = 10_000;
    let start = noise(n, 21);
    let mut x = src(start.clone(), Shape::vector(n as u64));
    let mut eager = start;
    for it in 0..60 {
        let m = graph::reduce(ReduceOp::Mean, &x, false);
        let d = admit(graph::binary(BinaryOp::Sub, &x, &m).unwrap()).unwrap();
        x = admit(graph::unary(
            UnaryOp::Sqrt,
            &admit(graph::unary(UnaryOp::Abs, &d)).unwrap(),
        ))
        .unwrap();
        assert!(x.depth <= config::get().max_depth + 1);
        let mean = crate::rsum::mean(&mut |f: &mut dyn FnMut(&[f64])| f(&eager), false);
        eager = eager.iter().map(|v| (v - mean).abs().sqrt()).collect();
        let got = materialize(&x).unwrap();
        assert!(
            close(got[0], eager[0], 1e-12),
            "iteration {it}: {} vs {}",
            got[0],
            eager[0]
        );
    }
    let got = materialize(&x).unwrap();
    for (g, w) in got.iter().zip(&eager) {
        assert!(close(*g, *w, 1e-12), "{g} vs {w}");
    }
}

#[test]
fn finiteness_of_distances_needs_no_pass() {
    let x = src(noise(500, 2), Shape::vector(500));
    let d = graph::dist(&x).unwrap();
    let fin = graph::reduce(ReduceOp::All, &graph::unary(UnaryOp::IsFinite, &d), false);
    let r = reducer(&fin);
    assert_eq!(
        bounds::shortcut(&r),
        Some(1.0),
        "proved from the source, without a pass"
    );
    force(&r).unwrap();
    assert_eq!(r.value().unwrap()[0], 1.0);
    let huge = src(vec![0.0, 1e300], Shape::vector(2));
    let fin_huge = graph::reduce(
        ReduceOp::All,
        &graph::unary(UnaryOp::IsFinite, &graph::dist(&huge).unwrap()),
        false,
    );
    assert_eq!(
        bounds::shortcut(&reducer(&fin_huge)),
        None,
        "squares of 1e300 overflow: no proof"
    );
    let bad = src(vec![1.0, f64::INFINITY, 3.0], Shape::vector(3));
    let fin = graph::reduce(
        ReduceOp::All,
        &graph::unary(UnaryOp::IsFinite, &graph::dist(&bad).unwrap()),
        false,
    );
    assert_eq!(value(&fin)[0], 0.0);
}

#[test]
fn oversized_materialisation_is_refused_with_the_size() {
    let x = src(noise(100, 1), Shape::vector(100));
    let d = graph::dist(&x).unwrap();
    let big = graph::dist(&src(vec![0.0; 50_000], Shape::vector(50_000))).unwrap();
    assert_eq!(materialize(&d).unwrap().len(), 10_000);
    let e = materialize(&big).unwrap_err().to_string();
    assert!(
        e.contains("50000 x 50000 lazy matrix needs 18.63 GiB (limit 4.00 GiB"),
        "{e}"
    );
}

#[test]
fn lower_triangle_order_is_that_of_r_dist_objects() {
    let n = 9u64;
    let x = src(noise(n as usize, 4), Shape::vector(n));
    let d = graph::dist(&x).unwrap();
    let all = materialize(&d).unwrap();
    let want: Vec<f64> = (0..n)
        .flat_map(|j| (j + 1..n).map(move |i| (i, j)))
        .map(|(i, j)| all[(i + j * n) as usize])
        .collect();
    let ev = StoreEval::new(&d).unwrap();
    for (start, len) in [(0usize, 36usize), (7, 1), (8, 5), (30, 6), (35, 1)] {
        let mut out = vec![0.0; len];
        ev.eval_lower(start as u64, &mut out);
        assert_eq!(out, want[start..start + len].to_vec(), "{start}+{len}");
    }
}
