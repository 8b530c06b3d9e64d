//! Permutation replicates of distance covariance for energy's `dcov.test` / `dcor.test`: the statistic of x
//! against y with y's observations permuted, for many permutations.
//!
//! The permutations themselves come from the caller, which owns the random number generator (R's, drawn on
//! R's main thread). What this module owns is energy's recipe for turning uniforms into permutations, so
//! that the same seed gives the same permutations, and computing the replicates in parallel.

use super::dcor::{v_moments, Method, Sample};
use super::univariate::PermutedDcov;
use crate::graph::{self, Shape, Source};
use crate::plan::{self, PlanError};
use std::sync::Arc;

/// Advances `perm` to the next permutation of energy's sequence. energy keeps one index vector for the
/// whole test and shuffles it again for each replicate (a Fisher-Yates pass from the end, drawing
/// `floor(m * u)` for m = n, n - 1, ..., 2), so each permutation depends on the one before: the caller keeps
/// `perm` between replicates, starting from the identity. `uniform` must return R's `unif_rand()` draws,
/// in (0, 1).
pub fn energy_shuffle(perm: &mut [u32], mut uniform: impl FnMut() -> f64) {
    for m in (2..=perm.len()).rev() {
        // runif(0, m) is 0 + (m - 0) * u: the product is the same double as m * u.
        let j = (m as f64 * uniform()).floor() as usize;
        perm.swap(j, m - 1);
    }
}

/// dCov² (the V-statistic, energy's mean of A∘B) of x against y permuted by each of `perms`: y's
/// observation `perms[r][i]` is paired with x's observation i. Every permutation must have x's length.
///
/// Univariate samples with exponent 1 take the O(n log n) path, the replicates spread over the pool. Other
/// samples stream each replicate through the two fused passes of [`v_moments`], one after the other (each
/// pass is parallel itself); a replicate block that fuses many permutations into one pass can replace
/// `streamed_products` without changing this interface.
pub fn replicate_products(
    x: &Sample,
    y: &Sample,
    index: f64,
    perms: &[Vec<u32>],
) -> Result<Vec<f64>, PlanError> {
    let n = x.n() as usize;
    assert_eq!(y.n() as usize, n, "replicate_products: x and y differ in n");
    assert!(
        perms.iter().all(|p| p.len() == n),
        "replicate_products: a permutation of the wrong length"
    );
    if index == 1.0 {
        if let (Some(a), Some(b)) = (column(x)?, column(y)?) {
            return univariate_replicates(&a, &b, perms);
        }
    }
    streamed_products(x, y, index, perms)
}

/// The general case, one replicate after another through [`v_moments`]' two fused passes: the place for a
/// replicate block that fuses many permutations into one pass.
fn streamed_products(
    x: &Sample,
    y: &Sample,
    index: f64,
    perms: &[Vec<u32>],
) -> Result<Vec<f64>, PlanError> {
    let y = Permutable::new(y)?;
    perms
        .iter()
        .map(|p| Ok(v_moments(x, &y.permuted(p), index, Method::Streaming)?.xy))
        .collect()
}

/// The values of a one-column sample of observations.
fn column(s: &Sample) -> Result<Option<Vec<f64>>, PlanError> {
    match s {
        Sample::Points(p) if p.shape.cols == 1 => match p.as_source() {
            Some(src) => Ok(Some(src.values().to_vec())),
            None => Ok(Some(plan::materialize(p)?)),
        },
        _ => Ok(None),
    }
}

fn univariate_replicates(x: &[f64], y: &[f64], perms: &[Vec<u32>]) -> Result<Vec<f64>, PlanError> {
    if x.len() < 2 {
        // No pairs: every statistic is 0.
        return Ok(vec![0.0; perms.len()]);
    }
    let shared = crate::pool::install(|| PermutedDcov::new(x, y));
    // Each replicate is short (milliseconds): the map over replicates polls, not the replicate.
    plan::map_indices(perms.len(), |r| shared.v_xy(&perms[r]))
}

/// y's values, read once, from which each permuted copy is made: observations (n × d, column-major) or a
/// distance matrix (n × n), whose rows and columns are permuted together.
struct Permutable {
    values: Vec<f64>,
    n: usize,
    cols: usize,
    distances: bool,
}

impl Permutable {
    fn new(s: &Sample) -> Result<Permutable, PlanError> {
        let (node, distances) = match s {
            Sample::Points(p) => (p, false),
            Sample::Distances(d) => (d, true),
        };
        let values = match node.as_source() {
            Some(src) => src.values().to_vec(),
            None => plan::materialize(node)?,
        };
        Ok(Permutable {
            values,
            n: node.shape.rows as usize,
            cols: node.shape.cols as usize,
            distances,
        })
    }

    fn permuted(&self, perm: &[u32]) -> Sample {
        let (n, cols) = (self.n, self.cols);
        let mut out = Vec::with_capacity(n * cols);
        for c in 0..cols {
            // Column c of the permuted matrix is column perm[c] of the original for distances.
            let from = if self.distances { perm[c] as usize } else { c };
            let col = &self.values[from * n..(from + 1) * n];
            out.extend(perm.iter().map(|&i| col[i as usize]));
        }
        let node = graph::source(
            Arc::new(Source::owned(out)),
            Shape::matrix(n as u64, cols as u64),
        );
        if self.distances {
            Sample::Distances(node)
        } else {
            Sample::Points(node)
        }
    }
}

#[cfg(test)]
#[path = "permutation_tests.rs"]
mod tests;
