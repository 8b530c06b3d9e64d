//! Permutation replicates of distance covariance for energy's `dcov.test` / `dcor.test`: the statistic of x
//! against y with y's observations permuted, for many permutations.
//!
//! The permutations themselves come from the caller, which owns the random number generator (R's, drawn on
//! R's main thread). What this module owns is energy's recipe for turning uniforms into permutations, so
//! that the same seed gives the same permutations, and computing the replicates in parallel.

use super::dcor::Sample;
use super::replicates::Blocks;
use super::univariate::PermutedDcov;
use crate::plan::{self, PlanError};

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

/// What the replicates of one test share, prepared once for all its blocks of permutations. Univariate
/// samples with exponent 1 take the O(n log n) path (sorts, ranks and row sums shared), the replicates
/// spread over the pool. Other samples take fused passes of [`super::replicates::BLOCK`] replicates each
/// (A computed once per pair, its row means once per test).
pub enum Replicates {
    /// Fewer than two observations: no pairs, every statistic 0.
    Empty,
    Univariate(PermutedDcov),
    Fused(Blocks, f64),
}

impl Replicates {
    pub fn new(x: &Sample, y: &Sample, index: f64) -> Result<Replicates, PlanError> {
        let n = x.n();
        assert_eq!(y.n(), n, "replicates: x and y differ in n");
        if n < 2 {
            return Ok(Replicates::Empty);
        }
        if index == 1.0 {
            if let (Some(a), Some(b)) = (column(x)?, column(y)?) {
                let shared = crate::pool::install(|| PermutedDcov::new(&a, &b));
                return Ok(Replicates::Univariate(shared));
            }
        }
        Ok(Replicates::Fused(
            Blocks::new(x, y, index)?,
            (n as f64).powi(2),
        ))
    }

    /// dCov² (the V-statistic, energy's mean of A∘B) of x against y permuted by each of `perms`: y's
    /// observation `perms[r][i]` is paired with x's observation i. Every permutation must have x's length.
    pub fn products(&self, perms: &[Vec<u32>]) -> Result<Vec<f64>, PlanError> {
        match self {
            Replicates::Empty => Ok(vec![0.0; perms.len()]),
            // Each replicate is short (milliseconds): the map over replicates polls, not the replicate.
            Replicates::Univariate(shared) => {
                plan::map_indices(perms.len(), |r| shared.v_xy(&perms[r]))
            }
            Replicates::Fused(blocks, nn) => Ok(blocks
                .products(perms)?
                .into_iter()
                .map(|s| s / nn)
                .collect()),
        }
    }
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

#[cfg(test)]
#[path = "permutation_tests.rs"]
mod tests;
