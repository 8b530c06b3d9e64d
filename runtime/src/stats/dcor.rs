//! Distance covariance and correlation with energy's semantics (V-statistics of `dcor`/`dcov`/`DCOR`,
//! U-statistics of `dcovU`/`bcdcor`), in O(n) memory. Multivariate data, exponents other than 1 and given
//! distance matrices use the two-pass streaming form built as a lazy graph (pass 1: row sums of both
//! distance matrices; pass 2: the three sums of products of the centred matrices, diagonal included);
//! univariate data with exponent 1 uses the O(n log n) algorithm.

use std::sync::Arc;

use super::univariate::{dcov_univariate, univariate_steps, Moments, UnivariateDcov};
use crate::graph::{self, BinaryOp, Expr, Margin, NodeRef, ReduceOp, Reducer};
use crate::plan::{self, PlanError, StoreEval};

/// One side of a distance covariance.
#[derive(Clone)]
pub enum Sample {
    /// Observations as the rows of a source (a vector is n × 1).
    Points(NodeRef),
    /// An n × n distance matrix (a source, or any lazy n × n node such as `dist(x)`).
    Distances(NodeRef),
}

impl Sample {
    pub fn n(&self) -> u64 {
        match self {
            Sample::Points(p) | Sample::Distances(p) => p.shape.rows,
        }
    }

    fn univariate(&self) -> Option<&[f64]> {
        match self {
            Sample::Points(p) if p.shape.cols == 1 => p.as_source().map(|s| s.values()),
            _ => None,
        }
    }

    /// The distance matrix raised to `index`.
    pub(crate) fn distances(&self, index: f64) -> Result<NodeRef, PlanError> {
        let d = match self {
            Sample::Points(p) => graph::dist(p)?,
            Sample::Distances(d) => d.clone(),
        };
        Ok(graph::binary(BinaryOp::Pow, &d, &graph::constant(index))?)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// O(n log n) when both samples are univariate and the exponent is 1, else streaming.
    Auto,
    Streaming,
}

/// energy's `[dCov, dCor, dVarX, dVarY]`: square roots of the V-statistics (0 when not positive) and
/// dCor = dCov / sqrt(dVarX dVarY) when dVarX dVarY > DBL_EPSILON (an absolute threshold, as in energy).
pub fn finish_v(m: Moments) -> [f64; 4] {
    let root = |v: f64| if v > 0.0 { v.sqrt() } else { 0.0 };
    let (c, x, y) = (root(m.xy), root(m.xx), root(m.yy));
    let r = if x * y > f64::EPSILON {
        c / (x * y).sqrt()
    } else {
        0.0
    };
    [c, r, x, y]
}

/// energy's `dcovU_stats`: `[dCovU, bcdcor, dVarXU, dVarYU]`, with bcdcor = 0 unless the product of the
/// variances exceeds DBL_EPSILON.
pub fn finish_u(m: Moments) -> [f64; 4] {
    let p = m.xx * m.yy;
    let r = if p > f64::EPSILON {
        m.xy / p.sqrt()
    } else {
        0.0
    };
    [m.xy, r, m.xx, m.yy]
}

/// The O(n log n) univariate statistics, polled like a pass (progress, Ctrl-C).
fn univariate(a: &[f64], b: &[f64]) -> Result<UnivariateDcov, PlanError> {
    plan::run_steps(univariate_steps(a.len()), |steps| {
        dcov_univariate(a, b, steps)
    })
}

/// dCov², dVarX², dVarY² (V-statistics) of `x` and `y` with distances raised to `index`.
pub fn v_moments(x: &Sample, y: &Sample, index: f64, method: Method) -> Result<Moments, PlanError> {
    if method == Method::Auto && index == 1.0 {
        if let (Some(a), Some(b)) = (x.univariate(), y.univariate()) {
            return Ok(univariate(a, b)?.v);
        }
    }
    let n = x.n() as f64;
    let (a, b) = (
        centred(&x.distances(index)?)?,
        centred(&y.distances(index)?)?,
    );
    let [xy, xx, yy] = products(&a, &b)?;
    let nn = n * n;
    Ok(Moments {
        xy: xy / nn,
        xx: xx / nn,
        yy: yy / nn,
    })
}

/// dCovU, dVarXU, dVarYU (U-statistics, exponent 1) of `x` and `y`; needs n >= 4.
pub fn u_moments(x: &Sample, y: &Sample, method: Method) -> Result<Moments, PlanError> {
    let n = x.n() as f64;
    assert!(n >= 4.0, "U-statistics need n >= 4");
    if method == Method::Auto {
        if let (Some(a), Some(b)) = (x.univariate(), y.univariate()) {
            return Ok(univariate(a, b)?.u.expect("n >= 4"));
        }
    }
    // Ã_ij = a_ij - a_i./(n-2) - a_.j/(n-2) + a../((n-1)(n-2)) off the diagonal, 0 on it. The passes use
    // the formula everywhere; the diagonal terms, known after pass 1, are subtracted afterwards.
    let centred = |s: &Sample| -> Result<(NodeRef, NodeRef, NodeRef, NodeRef), PlanError> {
        let d = s.distances(1.0)?;
        let r = graph::reduce(ReduceOp::RowSums, &d, false);
        let t = graph::reduce(ReduceOp::Sum, &d, false);
        let rs = graph::binary(BinaryOp::Div, &r, &graph::constant(n - 2.0))?;
        let c = graph::binary(BinaryOp::Div, &t, &graph::constant((n - 1.0) * (n - 2.0)))?;
        let a = graph::sweep(&d, Margin::Rows, &rs, BinaryOp::Sub)?;
        let b = graph::sweep(&a, Margin::Cols, &rs, BinaryOp::Sub)?;
        Ok((graph::binary(BinaryOp::Add, &b, &c)?, d, rs, c))
    };
    let (a, da, ra, ca) = centred(x)?;
    let (b, db, rb, cb) = centred(y)?;
    let [xy, xx, yy] = products(&a, &b)?;
    // Diagonal of the formula: d_ii - 2 r_i/(n-2) + c.
    let diag = |d: &NodeRef, rs: &NodeRef, c: &NodeRef| -> Result<Vec<f64>, PlanError> {
        let rs = value(rs)?;
        let c = value(c)?[0];
        let dd = diagonal(d)?;
        Ok((0..rs.len()).map(|i| dd[i] - 2.0 * rs[i] + c).collect())
    };
    let (ga, gb) = (diag(&da, &ra, &ca)?, diag(&db, &rb, &cb)?);
    let dot = |u: &[f64], v: &[f64]| {
        let mut s = crate::summary::Neumaier::default();
        u.iter().zip(v).for_each(|(p, q)| s.add(p * q));
        s.value()
    };
    let d1 = n * (n - 3.0);
    Ok(Moments {
        xy: (xy - dot(&ga, &gb)) / d1,
        xx: (xx - dot(&ga, &ga)) / d1,
        yy: (yy - dot(&gb, &gb)) / d1,
    })
}

/// Σ A∘B, Σ A∘A, Σ B∘B over the full square, in one fused pass (after the pass their centring needs).
fn products(a: &NodeRef, b: &NodeRef) -> Result<[f64; 3], PlanError> {
    let sum = |u: &NodeRef, v: &NodeRef| -> Result<NodeRef, PlanError> {
        Ok(graph::reduce(
            ReduceOp::Sum,
            &graph::binary(BinaryOp::Mul, u, v)?,
            false,
        ))
    };
    let nodes = [sum(a, b)?, sum(a, a)?, sum(b, b)?];
    // Held as roots while forcing, so the planner fuses all three into the pass that computes one.
    for n in &nodes {
        graph::register_root(n);
    }
    let mut out = [0.0; 3];
    for (o, n) in out.iter_mut().zip(&nodes) {
        *o = value(n)?[0];
    }
    Ok(out)
}

fn reducer(n: &NodeRef) -> Option<&Arc<Reducer>> {
    match &n.expr {
        Expr::Reduced(r) => Some(r),
        _ => None,
    }
}

/// `d - m_i - m_j + mean`: the double-centred matrix, rows and columns summing to zero.
pub(super) fn centred(d: &NodeRef) -> Result<NodeRef, PlanError> {
    let m = graph::reduce(ReduceOp::RowMeans, d, false);
    let mm = graph::reduce(ReduceOp::Mean, d, false);
    let a = graph::sweep(d, Margin::Rows, &m, BinaryOp::Sub)?;
    let b = graph::sweep(&a, Margin::Cols, &m, BinaryOp::Sub)?;
    Ok(graph::binary(BinaryOp::Add, &b, &mm)?)
}

/// The values of a node: a reducer's result, or the node materialised.
pub(super) fn value(n: &NodeRef) -> Result<Vec<f64>, PlanError> {
    match reducer(n) {
        Some(r) => {
            plan::force(r)?;
            Ok(r.value().expect("forced").to_vec())
        }
        None => plan::materialize(n),
    }
}

/// The diagonal of a square node.
fn diagonal(d: &NodeRef) -> Result<Vec<f64>, PlanError> {
    let n = d.shape.rows;
    if d.zero_diag {
        return Ok(vec![0.0; n as usize]);
    }
    let eval = StoreEval::new(d)?;
    Ok((0..n)
        .map(|i| {
            let mut v = [0.0];
            eval.eval(i + i * n, &mut v);
            v[0]
        })
        .collect())
}

#[cfg(test)]
#[path = "dcor_tests.rs"]
mod tests;
