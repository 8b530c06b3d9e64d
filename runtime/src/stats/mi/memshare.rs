//! memshare's mutual information of a continuous feature and discrete classes (spec §2.4), in nats, and
//! the approximate Pareto radius it depends on (§2.2).
//!
//! `mi_memshare` exists for parity with `memshare::mutualinfo(x, y, isYDiscrete = TRUE)`, so every step copies
//! the R code's arithmetic, including its quirks: the radius is a bisection approximation, the normalising
//! integral leaves out the last grid cell while the KL sums include it, and R's sums accumulate in long double
//! (done here with `crate::rsum::Ld`). Where this module has to differ, it says so:
//! - The classes arrive as codes, so R's `sd(y) < eps` test becomes "fewer than two classes present"
//!   (distinct y values closer than about 1e-13 cannot be told apart from codes anyway).
//! - Pairs with a non-finite x are dropped, which is R's `na.rm = TRUE`; with `na.rm = FALSE` R fails on them,
//!   and the R layer can raise that error itself.
//! - The Eilers smoother is solved as the banded system it is (O(512) per class) instead of Armadillo's
//!   general solve, so the density grid differs from R's in the last bits.

use super::{finite_pairs, Classes, MiError};
use crate::rsum::{self, Ld};
use crate::stats::pairdist::{
    kth_pair_distance, pair_count, shrink_for_size, smallest_positive_percentile,
};
use crate::stats::pde::sample_sd;

/// memshare's default `eps = 1000 * .Machine$double.eps`: both the degeneracy threshold for sd(x) and the
/// density below which a grid cell is left out of the KL sum.
pub const MEMSHARE_EPS: f64 = 1000.0 * f64::EPSILON;

/// memshare's density grid: `seq(min − r, max + r, length.out = 512)`.
const GRID: usize = 512;

/// The Pareto radius is this quantile of the pairwise distances.
const PARETO_QUANTILE: f64 = 0.18;

/// quantileDist1d stops bisecting when the bracket is this small relative to `1 + hi`.
const BISECTION_TOLERANCE: f64 = 1e-9;

/// ParetoRadius_fast treats a radius below this as zero and falls back to a higher percentile. The bisection
/// cannot return an exact 0 (it stops near 1e-9 instead), hence a threshold and not `== 0`.
const TINY_RADIUS: f64 = 1e-9;

/// SmoothedDensitiesXY uses at most this many bins to set the smoothing strength...
const MAX_SMOOTHING_BINS: usize = 250;

/// ...divided by memshare's `lambda = 4`.
const MEMSHARE_LAMBDA: f64 = 4.0;

/// DataVisualizations' `ParetoRadius_fast(x)`, the radius memshare sizes its grid with.
///
/// `sample` replaces R's `ceiling(runif(10000, 0, n))` draw, which needs R's RNG: pass those indices minus 1.
/// They index the finite values of `x` in order (R drops the others before drawing), and the `4 / n^0.2`
/// shrinkage still uses the number n of finite values, not the sample size.
pub fn pareto_radius_fast(x: &[f64], sample: Option<&[usize]>) -> Result<f64, MiError> {
    let finite: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    let n = finite.len();
    let mut values = match sample {
        None => finite,
        Some(idx) => pick(&finite, idx)?,
    };
    values.sort_unstable_by(f64::total_cmp);
    radius_of_sorted(&values, n)
}

fn pick(values: &[f64], idx: &[usize]) -> Result<Vec<f64>, MiError> {
    idx.iter()
        .map(|&index| {
            values
                .get(index)
                .copied()
                .ok_or(MiError::SampleIndexOutOfRange {
                    index,
                    len: values.len(),
                })
        })
        .collect()
}

/// The radius from the sorted (sampled) finite values; `n` is the full number of finite values.
fn radius_of_sorted(sorted: &[f64], n: usize) -> Result<f64, MiError> {
    if sorted.len() < 2 {
        return Err(MiError::TooFewValues(sorted.len()));
    }
    let mut r = quantile_dist_1d(sorted, PARETO_QUANTILE);
    if r < TINY_RADIUS {
        r = smallest_positive_percentile(sorted, 18..=100).ok_or(MiError::UndefinedRadius)?;
    }
    if !r.is_finite() {
        return Err(MiError::UndefinedRadius);
    }
    Ok(shrink_for_size(r, n))
}

/// DataVisualizations' quantileDist1d: bisection on the distance value with target rank `floor(p·m)` (no
/// −1e-9, unlike the exact ParetoRadius), returning the upper bracket. It is approximate on purpose: R users
/// get exactly this number. R counts the pairs within every midpoint, but `count(mid) > rank` holds exactly
/// when mid reaches the rank-th distance, so knowing that distance replays R's brackets without the ~35
/// O(n) counts.
fn quantile_dist_1d(sorted: &[f64], p: f64) -> f64 {
    let rank = (p * pair_count(sorted.len()) as f64).floor() as u64;
    let mut lo = 0.0;
    let mut hi = sorted[sorted.len() - 1] - sorted[0];
    let mut target = None;
    while hi - lo > BISECTION_TOLERANCE * (1.0 + hi) {
        let mid = 0.5 * (lo + hi);
        let distance = *target.get_or_insert_with(|| kth_pair_distance(sorted, rank));
        if mid >= distance {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// memshare's `mutualinfo(x, y, isXDiscrete = FALSE, isYDiscrete = TRUE, eps)` in nats.
///
/// `y_codes` are the 0-based ranks of y among its sorted unique values (`as.integer(factor(y)) − 1`), all
/// below `n_classes`; classes without observations are ignored, as R never sees them. `sample` is passed to
/// [`pareto_radius_fast`] and indexes the observations with a finite x; R draws one only when there are more
/// than 10,000 of them, so `None` reproduces R exactly below that. Degenerate inputs give 0, as in R: fewer
/// than 3 finite pairs, sd(x) < `eps`, fewer than two classes, or an undefined radius.
pub fn mi_memshare(
    x: &[f64],
    y_codes: &[u32],
    n_classes: usize,
    eps: f64,
    sample: Option<&[usize]>,
) -> Result<f64, MiError> {
    let (xs, ys) = finite_pairs(x, y_codes, n_classes)?;
    let n = xs.len();
    if n < 3 || sample_sd(&xs) < eps {
        return Ok(0.0);
    }
    let classes = Classes::new(&ys);
    if classes.codes.len() < 2 {
        return Ok(0.0);
    }
    let mut sorted = xs.clone();
    sorted.sort_unstable_by(f64::total_cmp);
    let radius = match sample {
        None => radius_of_sorted(&sorted, n),
        Some(idx) => pareto_radius_fast(&xs, Some(idx)),
    };
    let r = match radius {
        Ok(r) => r,
        Err(MiError::UndefinedRadius) => return Ok(0.0),
        Err(e) => return Err(e),
    };
    let grid = memshare_grid(sorted[0] - r, sorted[n - 1] + r)?;
    let smoothing_bins = distinct_count(&sorted).min(MAX_SMOOTHING_BINS);
    let smoother = EilersSmoother::new(GRID, smoothing_bins as f64 / MEMSHARE_LAMBDA);

    let mut density = class_histograms(&xs, &ys, &grid, &classes);
    for column in density.chunks_exact_mut(GRID) {
        smoother.solve_in_place(column);
    }
    normalise_left_riemann(&mut density, &grid);
    Ok(class_weighted_kl(&density, &grid, &classes.counts, n, eps))
}

/// R's `length(unique(x))` of sorted finite values (−0 and 0 count once, as in R).
fn distinct_count(sorted: &[f64]) -> usize {
    1 + sorted.windows(2).filter(|w| w[0] != w[1]).count()
}

/// R's `seq(from, to, length.out = 512)`: `from + i·((to − from)/511)` with both ends exact, computed on a
/// quarter scale when `to − from` overflows.
fn memshare_grid(from: f64, to: f64) -> Result<[f64; GRID], MiError> {
    if !from.is_finite() || !to.is_finite() {
        return Err(MiError::GridNotFinite);
    }
    let (from, to, scale) = if (to - from).is_finite() {
        (from, to, 1.0)
    } else {
        (from / 4.0, to / 4.0, 4.0)
    };
    let step = (to - from) / (GRID - 1) as f64;
    let mut grid = [0.0; GRID];
    for (i, g) in grid.iter_mut().enumerate() {
        *g = from + i as f64 * step;
    }
    grid[0] = from;
    grid[GRID - 1] = to;
    grid.iter_mut().for_each(|g| *g *= scale);
    Ok(grid)
}

/// SmoothedDensitiesXY's H = counts/n on the grid (column-major, one column of `GRID` cells per class).
/// The bin edges are the midpoints `g_j + (g_{j+1} − g_j)/2` with open outer bins, and a value on an edge
/// belongs to the bin to its right (`findInterval`).
fn class_histograms(x: &[f64], y_codes: &[u32], grid: &[f64; GRID], classes: &Classes) -> Vec<f64> {
    let edges: Vec<f64> = grid
        .windows(2)
        .map(|w| w[0] + 0.5 * (w[1] - w[0]))
        .collect();
    let mut counts = vec![0u64; GRID * classes.codes.len()];
    for (&v, &code) in x.iter().zip(y_codes) {
        let bin = edges.partition_point(|&e| e <= v);
        counts[classes.column_of(code) * GRID + bin] += 1;
    }
    let n = x.len() as f64;
    counts.into_iter().map(|c| c as f64 / n).collect()
}

/// Eilers' smoother `Z = (I + λ²D₂ᵀD₂ + 2λD₁ᵀD₁)⁻¹ H` for one histogram column at a time. The matrix is
/// symmetric positive definite and pentadiagonal, so an LDLᵀ factorisation without pivoting is stable and
/// each solve is O(m) instead of the O(m³) dense solve in ScatterDensity. Because the penalty annihilates
/// constants, the smoother preserves each column's sum.
struct EilersSmoother {
    d: Vec<f64>,
    /// L[i+1, i] and L[i+2, i] of the unit lower-triangular factor.
    l1: Vec<f64>,
    l2: Vec<f64>,
}

impl EilersSmoother {
    fn new(m: usize, lambda: f64) -> EilersSmoother {
        let [a0, a1, a2] = eilers_bands(m, lambda);
        let mut d = vec![0.0; m];
        let mut l1 = vec![0.0; m];
        let mut l2 = vec![0.0; m];
        for i in 0..m {
            let mut di = a0[i];
            if i >= 1 {
                di -= l1[i - 1] * l1[i - 1] * d[i - 1];
            }
            if i >= 2 {
                di -= l2[i - 2] * l2[i - 2] * d[i - 2];
            }
            d[i] = di;
            let mut below = a1[i];
            if i >= 1 {
                below -= l2[i - 1] * l1[i - 1] * d[i - 1];
            }
            l1[i] = below / di;
            l2[i] = a2[i] / di;
        }
        EilersSmoother { d, l1, l2 }
    }

    fn solve_in_place(&self, b: &mut [f64]) {
        let m = b.len();
        for i in 1..m {
            b[i] -= self.l1[i - 1] * b[i - 1];
            if i >= 2 {
                b[i] -= self.l2[i - 2] * b[i - 2];
            }
        }
        for (bi, di) in b.iter_mut().zip(&self.d) {
            *bi /= di;
        }
        for i in (0..m.saturating_sub(1)).rev() {
            b[i] -= self.l1[i] * b[i + 1];
            if i + 2 < m {
                b[i] -= self.l2[i] * b[i + 2];
            }
        }
    }
}

/// Diagonal, first and second super-diagonal of `I + λ²D₂ᵀD₂ + 2λD₁ᵀD₁` (m × m, D_k the k-th difference
/// matrices), entries past the matrix end left 0. Built from the difference rows, so small m is right too,
/// and combined in Armadillo's order `1 + (λ²·a + 2λ·b)`.
fn eilers_bands(m: usize, lambda: f64) -> [Vec<f64>; 3] {
    let mut second = [vec![0.0; m], vec![0.0; m], vec![0.0; m]];
    for row in 0..m.saturating_sub(2) {
        accumulate_gram(&mut second, row, &[1.0, -2.0, 1.0]);
    }
    let mut first = [vec![0.0; m], vec![0.0; m], vec![0.0; m]];
    for row in 0..m.saturating_sub(1) {
        accumulate_gram(&mut first, row, &[-1.0, 1.0]);
    }
    let lambda2 = lambda * lambda;
    let two_lambda = 2.0 * lambda;
    let mut bands = [vec![0.0; m], vec![0.0; m], vec![0.0; m]];
    for (k, band) in bands.iter_mut().enumerate() {
        for (i, entry) in band.iter_mut().enumerate() {
            let penalty = lambda2 * second[k][i] + two_lambda * first[k][i];
            *entry = if k == 0 { 1.0 + penalty } else { penalty };
        }
    }
    bands
}

/// Adds the outer product of one difference row (coefficients starting at column `row`) to DᵀD's bands.
fn accumulate_gram(bands: &mut [Vec<f64>; 3], row: usize, coefficients: &[f64]) {
    for (a, ca) in coefficients.iter().enumerate() {
        for (b, cb) in coefficients.iter().enumerate().skip(a) {
            bands[b - a][row + a] += ca * cb;
        }
    }
}

/// SmoothedDensitiesXY divides by `Σ_c Σ_{i<512} Z[i,c]·(g_{i+1} − g_i)`: the left Riemann sum skips the last
/// cell (R's `1:nrow − 1` indexing), column sums in long double, then their long double sum.
fn normalise_left_riemann(density: &mut [f64], grid: &[f64; GRID]) {
    let widths: Vec<f64> = grid.windows(2).map(|w| w[1] - w[0]).collect();
    let mut total = Ld::new(0.0);
    let mut products = vec![0.0; GRID - 1];
    for column in density.chunks_exact(GRID) {
        for ((p, z), w) in products.iter_mut().zip(column).zip(&widths) {
            *p = z * w;
        }
        let mut column_sum = Ld::new(0.0);
        column_sum.add(&products, false);
        total.add(&[column_sum.get()], false);
    }
    let integral = total.get();
    density.iter_mut().for_each(|v| *v /= integral);
}

/// memshare's last step: with `dx = mean(diff(grid))`, `p = rowSums(G)`, `q_c = G_c / (Σ_i G[i,c]·dx)`
/// over all 512 cells, `KL_c = dx·Σ_{q_c > eps} q_c·log(q_c/p)`, and MI = Σ_c (n_c/n)·KL_c.
fn class_weighted_kl(
    density: &[f64],
    grid: &[f64; GRID],
    class_sizes: &[usize],
    n: usize,
    eps: f64,
) -> f64 {
    let widths: Vec<f64> = grid.windows(2).map(|w| w[1] - w[0]).collect();
    let dx = rsum::mean(&mut |feed: &mut dyn FnMut(&[f64])| feed(&widths), false);
    let marginal = row_sums(density);
    let mut terms = Vec::with_capacity(GRID);
    let mut weighted = Vec::with_capacity(class_sizes.len());
    for (column, &size) in density.chunks_exact(GRID).zip(class_sizes) {
        let mut column_sum = Ld::new(0.0);
        column_sum.add(column, false);
        let scale = column_sum.get() * dx;
        terms.clear();
        for (&g, &p) in column.iter().zip(&marginal) {
            let q = g / scale;
            if q > eps {
                terms.push(q * (q / p).ln());
            }
        }
        let mut kl = Ld::new(0.0);
        kl.add(&terms, false);
        weighted.push(kl.get() * dx * (size as f64 / n as f64));
    }
    let mut mi = Ld::new(0.0);
    mi.add(&weighted, false);
    mi.get()
}

/// R's `rowSums`: one long double accumulator per row, fed column after column.
fn row_sums(density: &[f64]) -> Vec<f64> {
    let mut sums = vec![Ld::new(0.0); GRID];
    for column in density.chunks_exact(GRID) {
        for (s, v) in sums.iter_mut().zip(column) {
            s.add(std::slice::from_ref(v), false);
        }
    }
    sums.iter().map(Ld::get).collect()
}

#[cfg(test)]
#[path = "memshare_tests.rs"]
mod tests;
