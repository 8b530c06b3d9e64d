//! The results of a pass: the lanes' accumulators folded, in lane order, into one value per output.
//! Sums stay compensated (`Neumaier`) to the end so that a mean divides them with one rounding.

use rayon::prelude::*;

use crate::kernel::{Kernel, Layout, OutKind};
use crate::summary::Neumaier;

/// Rows (or columns) of a vector output from which its lanes are folded on the pool: folding 16 lanes
/// into 10^4 row sums is a few milliseconds, which on the calling thread alone was 10% of a pass.
const PARALLEL_ROWS: usize = 1 << 12;

/// `f(0), ..., f(m - 1)`: each element is one row's fold over the lanes in lane order, so computing
/// rows in parallel changes no bit.
fn per_row<T: Send>(m: usize, f: impl Fn(usize) -> T + Sync + Send) -> Vec<T> {
    if m < PARALLEL_ROWS {
        (0..m).map(f).collect()
    } else {
        crate::pool::install(|| {
            (0..m)
                .into_par_iter()
                .with_min_len(PARALLEL_ROWS / 4)
                .map(f)
                .collect()
        })
    }
}

/// The result of each output of a kernel (nothing for `Store`).
#[derive(Debug, Clone, PartialEq)]
pub enum OutValue {
    Scalar(f64),
    /// A compensated sum, kept whole so that a mean can divide it with one rounding.
    Sum(Neumaier),
    Vector(Vec<f64>),
    Sums(Vec<Neumaier>),
    Stored,
}

impl OutValue {
    pub fn scalar(&self) -> f64 {
        match self {
            OutValue::Scalar(v) => *v,
            OutValue::Sum(s) => s.value(),
            other => panic!("expected a scalar output, got {other:?}"),
        }
    }

    /// The value divided by `n` (a mean), with one rounding for compensated sums.
    pub fn scalar_div(&self, n: f64) -> f64 {
        match self {
            OutValue::Sum(s) => s.div(n),
            other => other.scalar() / n,
        }
    }

    pub fn vector(&self) -> Vec<f64> {
        match self {
            OutValue::Vector(v) => v.clone(),
            OutValue::Sums(v) => v.iter().map(Neumaier::value).collect(),
            other => panic!("expected a vector output, got {other:?}"),
        }
    }

    /// Element k divided by `n[k]`, with one rounding for compensated sums.
    pub fn vector_div(&self, n: impl Fn(usize) -> f64) -> Vec<f64> {
        match self {
            OutValue::Sums(v) => v.iter().enumerate().map(|(k, s)| s.div(n(k))).collect(),
            other => other
                .vector()
                .iter()
                .enumerate()
                .map(|(k, x)| x / n(k))
                .collect(),
        }
    }
}

/// Folds the lanes, in lane order, into each output's value.
pub(super) fn combine(kernel: &Kernel, layout: &Layout, lanes: &[Vec<f64>]) -> Vec<OutValue> {
    let d = kernel.domain;
    kernel
        .outputs
        .iter()
        .zip(&layout.offsets)
        .map(|(o, &off)| match o.kind {
            OutKind::Sum => {
                let mut s = Neumaier::default();
                for acc in lanes {
                    s.merge(Neumaier::from_parts(acc[off], acc[off + 1]));
                }
                OutValue::Sum(s)
            }
            OutKind::Prod | OutKind::Min | OutKind::Max | OutKind::Count => {
                let fold = o.kind.fold();
                OutValue::Scalar(
                    lanes
                        .iter()
                        .map(|a| a[off])
                        .fold(fold.neutral(), |a, b| fold.apply(a, b)),
                )
            }
            OutKind::RowSum | OutKind::ColSum => {
                let m = if o.kind == OutKind::RowSum {
                    d.rows
                } else {
                    d.cols
                } as usize;
                OutValue::Sums(per_row(m, |i| {
                    let mut s = Neumaier::default();
                    for acc in lanes {
                        s.merge(Neumaier::from_parts(acc[off + i], acc[off + m + i]));
                    }
                    s
                }))
            }
            OutKind::RowCount
            | OutKind::ColCount
            | OutKind::RowMin
            | OutKind::RowMax
            | OutKind::ColMin
            | OutKind::ColMax => {
                let rows = matches!(
                    o.kind,
                    OutKind::RowCount | OutKind::RowMin | OutKind::RowMax
                );
                let m = if rows { d.rows } else { d.cols } as usize;
                let fold = o.kind.fold();
                OutValue::Vector(per_row(m, |i| {
                    lanes
                        .iter()
                        .map(|a| a[off + i])
                        .fold(fold.neutral(), |a, b| fold.apply(a, b))
                }))
            }
            OutKind::Store => OutValue::Stored,
        })
        .collect()
}
