//! Pareto density estimation (PDE; Ultsch 2003) as DataVisualizations 1.4.0 computes it with its defaults
//! (`ParetoRadius`, `OptimalNoBins`, `ParetoDensityEstimation(Data)`), spec `algorithms.md` §2.1 and §2.3.
//!
//! Deviations from DataVisualizations, all decided by the spec:
//! - Non-finite values (NA, NaN, ±Inf) are dropped before anything else. `ParetoRadius` itself keeps them
//!   (with a warning) and returns a garbage radius.
//! - The radius is always the exact §2.1 order statistic of **all** pairwise distances. DataVisualizations
//!   samples 10,000 values with replacement (consuming R's RNG) when n > 10,000; inside
//!   `ParetoDensityEstimation` it uses the approximate `ParetoRadius_fast` (§2.2) for 5,000 ≤ n ≤ 1e5 and the
//!   mean of 100 sampled radii above. Those results depend on R's RNG state and are not reproduced here. The
//!   exact radius costs O(n log n) time and O(n) memory: no vector of the m = n(n−1)/2 distances is built.
//! - Where DataVisualizations stops with an error (fewer than 2 finite values, a radius that is not finite),
//!   a typed [`PdeError`] is returned.
//!
//! Everything else, including the quirks, follows DataVisualizations: R's `pretty()` is ported bit for bit,
//! the kernel vector is *not* sorted (the data minimum is prepended before the first midpoint, which can be
//! smaller, and the maximum appended), the mirrored points use strict inequalities, the spheres are closed
//! intervals and the area is a signed trapezoid sum in list order.
//!
//! All functions are sequential; callers that estimate many columns parallelise across columns.

use thiserror::Error;

use super::pairdist::{
    kth_pair_distance, pair_count, quantile_rank, shrink_for_size, smallest_positive_percentile,
};
use super::rseq::{pretty, seq_by};
use crate::summary::Neumaier;

/// Why a Pareto radius or density could not be computed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum PdeError {
    /// Fewer finite values than the computation needs (2 for a radius, 1 for a density).
    #[error("Pareto density estimation needs at least {needed} finite value(s), got {got}")]
    TooFewValues { needed: usize, got: usize },
    /// The radius is not finite: every distance is 0 (all values equal) or the range overflows.
    #[error("Pareto radius could not be calculated ({0} value)")]
    RadiusNotFinite(f64),
    /// A radius passed to [`pde_with_radius`] is negative or not finite.
    #[error("the Pareto radius must be finite and non-negative, got {0}")]
    InvalidRadius(f64),
}

/// A Pareto density estimate, as `ParetoDensityEstimation` returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pde {
    /// Kernel positions in DataVisualizations' order (not necessarily sorted).
    pub kernels: Vec<f64>,
    /// Density at each kernel (point counts divided by their signed trapezoid area).
    pub density: Vec<f64>,
    /// The Pareto radius (0 in the Dirac branch).
    pub radius: f64,
}

/// The finite values of `x`, sorted ascending.
fn finite_sorted(x: &[f64]) -> Vec<f64> {
    let mut v: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    v.sort_unstable_by(f64::total_cmp);
    v
}

/// The exact Pareto radius of `x` (spec §2.1): non-finite values are dropped, then the order statistic
/// number `floor(m·(0.18 − 1e-9))` (0-based) of the m = s(s−1)/2 pairwise distances of the s finite values;
/// if it is 0 (heavy ties), the smallest positive value among the order statistics `floor(m·(p − 1e-9))`
/// for p = 1 %, …, 100 %; for s > 1024 it is multiplied by `4 / s^0.2`.
///
/// DataVisualizations samples 10,000 values when n > 10,000 and `ParetoDensityEstimation` uses an
/// approximate radius for n ≥ 5000; this function never samples and is always exact (O(n log n), O(n)
/// memory, no m-vector).
///
/// Errors: fewer than 2 finite values, or a radius that is not finite (for example when all values are
/// equal, where DataVisualizations stops with "infinite value").
pub fn pareto_radius(x: &[f64]) -> Result<f64, PdeError> {
    pareto_radius_sorted(&finite_sorted(x))
}

/// [`pareto_radius`] of data that is already finite and sorted ascending (checked in debug builds only).
pub fn pareto_radius_sorted(sorted: &[f64]) -> Result<f64, PdeError> {
    let s = sorted.len();
    debug_assert!(sorted.iter().all(|v| v.is_finite()));
    debug_assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
    if s < 2 {
        return Err(PdeError::TooFewValues { needed: 2, got: s });
    }
    let mut r = kth_pair_distance(sorted, quantile_rank(pair_count(s), 0.18));
    if r == 0.0 {
        r = smallest_positive_percentile(sorted, 1..=100).unwrap_or(f64::INFINITY);
    }
    if !r.is_finite() {
        return Err(PdeError::RadiusNotFinite(r));
    }
    r = shrink_for_size(r, s);
    if !r.is_finite() {
        return Err(PdeError::RadiusNotFinite(r));
    }
    Ok(r)
}

/// `sd(x)` with divisor n − 1, two-pass like R's `cov.c` (NaN when n < 2).
pub(crate) fn sample_sd(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 2 {
        return f64::NAN;
    }
    let nf = n as f64;
    let mut s = Neumaier::default();
    x.iter().for_each(|&v| s.add(v));
    let mut mean = s.value() / nf;
    if mean.is_finite() {
        let mut t = Neumaier::default();
        x.iter().for_each(|&v| t.add(v - mean));
        mean += t.value() / nf;
    }
    let mut q = Neumaier::default();
    x.iter().for_each(|&v| {
        let d = v - mean;
        q.add(d * d);
    });
    (q.value() / (nf - 1.0)).sqrt()
}

/// `quantile(x, p, type = 8)` of ascending `xs` (n ≥ 1), as R's `quantile.default` computes it.
fn quantile_type8_sorted(xs: &[f64], p: f64) -> f64 {
    let n = xs.len();
    let a = 1.0 / 3.0;
    let fuzz = 4.0 * f64::EPSILON;
    let nppm = a + p * (n as f64 + 1.0 - a - a);
    let j = (nppm + fuzz).floor();
    let mut h = nppm - j;
    if h.abs() < fuzz {
        h = 0.0;
    }
    // R pads the sorted vector as c(x[1], x[1], x, x[n], x[n]) and reads positions j + 2 and j + 3.
    let at = |pos: f64| xs[(pos as usize).saturating_sub(1).min(n - 1)];
    let lo = at(j);
    let hi = at(j + 1.0);
    if h == 1.0 {
        hi
    } else if h > 0.0 && h < 1.0 && lo != hi {
        (1.0 - h) * lo + h * hi
    } else {
        lo
    }
}

/// Keating–Scott number of histogram bins of DataVisualizations' `OptimalNoBins` for the finite values of
/// `x`: σ* = min(sd(x), IQR/1.349) with sd's n − 1 divisor and the IQR of `quantile(type = 8)`,
/// w = 3.49σ*/n^(1/3), and max(ceil((max − min)/w), 10), or 10 when w ≤ 0. Returns 0 without finite values
/// and 10 for a single one (R stops there: sd is NA). Huge counts saturate at `usize::MAX`.
pub fn optimal_no_bins(x: &[f64]) -> usize {
    optimal_no_bins_sorted(&finite_sorted(x))
}

fn optimal_no_bins_sorted(xs: &[f64]) -> usize {
    let n = xs.len();
    if n == 0 {
        return 0;
    }
    let sigma = sample_sd(xs);
    let iqr = quantile_type8_sorted(xs, 0.75) - quantile_type8_sorted(xs, 0.25);
    let scaled = iqr / 1.349;
    // R's min() propagates NaN.
    let sigma_sir = if sigma.is_nan() || scaled.is_nan() {
        f64::NAN
    } else {
        sigma.min(scaled)
    };
    let width = 3.49 * sigma_sir / (n as f64).powf(1.0 / 3.0);
    if width > 0.0 {
        // `as` saturates (and maps NaN to 0).
        (((xs[n - 1] - xs[0]) / width).ceil() as usize).max(10)
    } else {
        10
    }
}

/// The kernels of `ParetoDensityEstimation` for ascending finite data and a radius (§2.3 step 3):
/// nB = `optimal_no_bins`, raised to at least 100; if above 100 it becomes 3·nB + 1, or 10,000 when
/// nB > 10,000; the midpoints of `pretty(min, max, nB, 1)`; then `min` is prepended unless
/// `first − radius == min` and `max` appended unless `last + radius == max`. The result is in
/// DataVisualizations' order and is **not** sorted in general (the first midpoint can lie below `min`, the
/// last above `max`). Empty for empty data.
pub fn pde_kernels(sorted: &[f64], radius: f64) -> Vec<f64> {
    debug_assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
    let Some((&min, &max)) = sorted.first().zip(sorted.last()) else {
        return Vec::new();
    };
    let mut nb = optimal_no_bins_sorted(sorted).max(100);
    if nb > 100 {
        nb = if nb > 10_000 { 10_000 } else { 3 * nb + 1 };
    }
    let breaks = pretty(min, max, nb, 1);
    let mut kernels = Vec::with_capacity(breaks.len() + 1);
    if breaks.len() < 2 {
        // Not reachable: pretty() with min.n = 1 always gives at least two breaks.
        return vec![min, max];
    }
    let first_mid = 0.5 * (breaks[1] + breaks[0]);
    if first_mid - radius != min {
        kernels.push(min);
    }
    kernels.extend(breaks.windows(2).map(|w| 0.5 * (w[1] + w[0])));
    if kernels[kernels.len() - 1] + radius != max {
        kernels.push(max);
    }
    kernels
}

/// DataVisualizations' `DataPlus` (§2.3 step 4): the values of `x`, then `2·min − v` for every
/// `v < min + radius`, then `2·max − v` for every `v > max − radius` (strict inequalities, each group in the
/// order of `x`). `min` and `max` are the bounds to mirror at (the data's own, or global ones).
pub fn mirror(x: &[f64], min: f64, max: f64, radius: f64) -> Vec<f64> {
    let low = x
        .iter()
        .filter(|&&v| v < min + radius)
        .map(|&v| 2.0 * min - v);
    let high = x
        .iter()
        .filter(|&&v| v > max - radius)
        .map(|&v| 2.0 * max - v);
    let mut out = Vec::with_capacity(x.len());
    out.extend_from_slice(x);
    out.extend(low);
    out.extend(high);
    out
}

/// The values of [`mirror`] sorted ascending, in O(n), for ascending `sorted` with
/// `min <= sorted[0]` and `sorted[last] <= max`: the low mirrors are ≤ `min` and the high ones ≥ `max`,
/// so the result is the low mirrors reversed, the data, and the high mirrors reversed.
pub fn mirror_sorted(sorted: &[f64], min: f64, max: f64, radius: f64) -> Vec<f64> {
    debug_assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
    let n_low = sorted.partition_point(|&v| v < min + radius);
    let n_high = sorted.len() - sorted.partition_point(|&v| v <= max - radius);
    let mut out = Vec::with_capacity(sorted.len() + n_low + n_high);
    out.extend(sorted[..n_low].iter().rev().map(|&v| 2.0 * min - v));
    out.extend_from_slice(sorted);
    out.extend(
        sorted[sorted.len() - n_high..]
            .iter()
            .rev()
            .map(|&v| 2.0 * max - v),
    );
    out
}

/// For each kernel k, the number of values v of ascending `sorted` with `k − radius <= v <= k + radius`
/// (closed Pareto spheres, §2.3 step 5), by two binary searches per kernel: O(K log n). Equals
/// DataVisualizations' `c_pde` count on the same (unsorted) values.
pub fn sphere_counts(sorted: &[f64], kernels: &[f64], radius: f64) -> Vec<usize> {
    debug_assert!(sorted.windows(2).all(|w| w[0] <= w[1]));
    kernels
        .iter()
        .map(|&k| {
            let (lb, ub) = (k - radius, k + radius);
            let below = sorted.partition_point(|&v| v < lb);
            let upto = sorted.partition_point(|&v| v <= ub);
            upto.saturating_sub(below)
        })
        .collect()
}

/// Signed trapezoid area `Σ (x[i+1] − x[i])·(y[i] + y[i+1])/2` in list order, as `pracma::trapz` (0 for
/// fewer than 2 points; `x` and `y` must have the same length).
pub fn trapz(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(x.len(), y.len(), "trapz: x and y differ in length");
    let mut s = Neumaier::default();
    for i in 1..x.len() {
        s.add((x[i] - x[i - 1]) * (y[i - 1] + y[i]));
    }
    0.5 * s.value()
}

/// The Dirac branch for 1 or 2 unique values, in order of first appearance: per value v, kernels
/// `seq(0.9v, 1.1v, by = 1e-4·v)` (or `seq(−0.1, 0.1, by = 1e-4)` for v = 0) with density 1 where a kernel
/// equals v and 0 elsewhere (not normalised), concatenated; radius 0. Where R's `seq` would stop (|v| so
/// large that 1.1v overflows, or so small that the step underflows), the kernels are just `[v]`.
fn dirac(values: &[f64]) -> Pde {
    let mut kernels = Vec::new();
    let mut density = Vec::new();
    for &v in values {
        let k = if v != 0.0 {
            seq_by(v * 0.9, v * 1.1, v * 0.0001)
        } else {
            seq_by(v - 0.1, v + 0.1, 0.0001)
        }
        .unwrap_or_else(|| vec![v]);
        density.extend(k.iter().map(|&kv| if kv == v { 1.0 } else { 0.0 }));
        kernels.extend(k);
    }
    Pde {
        kernels,
        density,
        radius: 0.0,
    }
}

/// The Dirac result when the finite values of `x` take fewer than 3 distinct values, `None` otherwise.
fn dirac_if_degenerate(x: &[f64]) -> Result<Option<Pde>, PdeError> {
    let mut values: Vec<f64> = Vec::with_capacity(3);
    for &v in x.iter().filter(|v| v.is_finite()) {
        if !values.contains(&v) {
            values.push(v);
            if values.len() == 3 {
                return Ok(None);
            }
        }
    }
    if values.is_empty() {
        return Err(PdeError::TooFewValues { needed: 1, got: 0 });
    }
    Ok(Some(dirac(&values)))
}

/// Steps 3–6 of §2.3 on ascending finite data with at least 3 distinct values.
fn pde_sorted(sorted: &[f64], radius: f64) -> Pde {
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let kernels = pde_kernels(sorted, radius);
    let plus = mirror_sorted(sorted, min, max, radius);
    let counts: Vec<f64> = sphere_counts(&plus, &kernels, radius)
        .into_iter()
        .map(|c| c as f64)
        .collect();
    let area = trapz(&kernels, &counts);
    let density = if area < 1e-10 || area.is_nan() {
        vec![0.0; counts.len()]
    } else {
        counts.iter().map(|&c| c / area).collect()
    };
    Pde {
        kernels,
        density,
        radius,
    }
}

/// `ParetoDensityEstimation(x)` with DataVisualizations' defaults and the exact radius (§2.3): drops
/// non-finite values; with fewer than 3 distinct values the Dirac branch (below); otherwise the radius of [`pareto_radius`] (exact for every n, where DataVisualizations uses a
/// sampled or approximate radius for n ≥ 5000), the kernels of [`pde_kernels`], the mirrored data of
/// [`mirror`], the closed sphere counts of [`sphere_counts`] divided by their [`trapz`] area (all zeros
/// when the area is below 1e-10 or NaN). O((n + K) log n) time.
///
/// Dirac branch: for each of the 1 or 2 distinct values v (first appearance first), kernels
/// `seq(0.9v, 1.1v, by = 1e-4·v)` (`seq(−0.1, 0.1, by = 1e-4)` for v = 0), density 1 where the kernel equals
/// v, radius 0, concatenated and not normalised. Errors: no finite value; a radius that is not finite.
pub fn pde(x: &[f64]) -> Result<Pde, PdeError> {
    if let Some(d) = dirac_if_degenerate(x)? {
        return Ok(d);
    }
    let sorted = finite_sorted(x);
    let radius = pareto_radius_sorted(&sorted)?;
    Ok(pde_sorted(&sorted, radius))
}

/// [`pde`] with a given Pareto radius (DataVisualizations' `paretoRadius` argument); a radius of 0 means
/// "compute it" as in [`pde`]. The Dirac branch ignores the radius, as DataVisualizations does. Errors:
/// no finite value; a negative or non-finite radius.
pub fn pde_with_radius(x: &[f64], radius: f64) -> Result<Pde, PdeError> {
    if !radius.is_finite() || radius < 0.0 {
        return Err(PdeError::InvalidRadius(radius));
    }
    if let Some(d) = dirac_if_degenerate(x)? {
        return Ok(d);
    }
    let sorted = finite_sorted(x);
    let radius = if radius == 0.0 {
        pareto_radius_sorted(&sorted)?
    } else {
        radius
    };
    Ok(pde_sorted(&sorted, radius))
}

#[cfg(test)]
#[path = "pde_tests.rs"]
mod tests;
