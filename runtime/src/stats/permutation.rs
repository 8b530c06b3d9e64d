//! Permutation replicates of distance covariance for energy's `dcov.test` / `dcor.test`: the statistic of x
//! against y with y's observations permuted, for many permutations.
//!
//! The permutations themselves come from the caller, which owns the random number generator (R's, drawn on
//! R's main thread). What this module owns is energy's recipe for turning uniforms into permutations, so
//! that the same seed gives the same permutations, and computing the replicates in parallel.

use super::dcor::Sample;
use super::replicates::permuted_products;
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

/// dCov² (the V-statistic, energy's mean of A∘B) of x against y permuted by each of `perms`: y's
/// observation `perms[r][i]` is paired with x's observation i. Every permutation must have x's length.
///
/// Univariate samples with exponent 1 take the O(n log n) path, the replicates spread over the pool. Other
/// samples take fused passes of [`super::replicates::BLOCK`] replicates each (A computed once per pair).
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

/// The general case: blocks of replicates fused into one pass each over the pairs
/// ([`super::replicates`]), as n²·dCov² sums.
fn streamed_products(
    x: &Sample,
    y: &Sample,
    index: f64,
    perms: &[Vec<u32>],
) -> Result<Vec<f64>, PlanError> {
    let nn = (x.n() as f64).powi(2);
    Ok(permuted_products(x, y, index, perms)?
        .into_iter()
        .map(|s| s / nn)
        .collect())
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

#[cfg(test)]
#[path = "permutation_tests.rs"]
mod tests;
