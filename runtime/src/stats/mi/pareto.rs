//! PDE-native mutual information of a continuous feature and class labels (spec §2.5), the default
//! estimator of feature selection.
//!
//! Every class is estimated with Pareto density estimation on one shared grid: the exact Pareto radius
//! and the kernels of the whole feature, and each class's values mirrored at the feature's own bounds.
//! The class densities are normalised with the trapezoid weights of the sorted kernels, so the MI is the
//! exact discrete MI of the joint table q(c, i) = π_c·w_i·p_c(k_i). That makes it lie in [0, H(π)] by
//! construction, be 0 when every class has the same empirical distribution (the counts are then
//! proportional), and not depend on the order of the observations.

use super::{entropy_of_counts, finite_pairs, Classes, MiError};
use crate::stats::pde::{mirror_sorted, pareto_radius_sorted, pde_kernels, sphere_counts};
use crate::summary::Neumaier;

/// A PDE-mode mutual information and how many classes it had to leave out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PdeMi {
    /// I(X; Y) in nats, between 0 and the entropy of the classes kept.
    pub mi: f64,
    /// Classes none of whose points lies in any Pareto sphere, which happens only when the radius is
    /// much smaller than the kernel spacing. They have no density and are left out, and the class
    /// proportions of the others renormalised; the caller should warn.
    pub dropped_classes: usize,
}

/// The PDE-native MI of `x` and the classes `y_codes` (0-based, below `n_classes`), in nats.
///
/// Pairs with a non-finite x are dropped. Degenerate features score 0 without a density: fewer than 3
/// pairs, fewer than 3 distinct x values, fewer than 2 classes present, or a radius that cannot be
/// computed. Errors only for malformed input (lengths, codes).
///
/// O(n log n + K·M·log n) for n pairs, K classes and M kernels; sequential, so the result does not
/// depend on how many threads score the columns of a matrix.
pub fn mi_pde(x: &[f64], y_codes: &[u32], n_classes: usize) -> Result<PdeMi, MiError> {
    let (xs, ys) = finite_pairs(x, y_codes, n_classes)?;
    let zero = PdeMi {
        mi: 0.0,
        dropped_classes: 0,
    };
    let classes = Classes::new(&ys);
    if xs.len() < 3 || classes.codes.len() < 2 {
        return Ok(zero);
    }
    let (sorted, by_class) = sorted_by_class(&xs, &ys, &classes);
    if !has_3_distinct(&sorted) {
        return Ok(zero);
    }
    let Ok(radius) = pareto_radius_sorted(&sorted) else {
        return Ok(zero);
    };
    let mut kernels = pde_kernels(&sorted, radius);
    kernels.sort_unstable_by(f64::total_cmp);
    kernels.dedup();
    let weights = trapezoid_weights(&kernels);
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);

    let mut densities = Vec::with_capacity(by_class.len());
    let mut kept_sizes = Vec::with_capacity(by_class.len());
    for values in &by_class {
        let plus = mirror_sorted(values, min, max, radius);
        let counts = sphere_counts(&plus, &kernels, radius);
        let mut area = Neumaier::default();
        for (&c, &w) in counts.iter().zip(&weights) {
            area.add(c as f64 * w);
        }
        let area = area.value();
        if area > 0.0 {
            densities.push(counts.iter().map(|&c| c as f64 / area).collect::<Vec<_>>());
            kept_sizes.push(values.len());
        }
    }
    let dropped_classes = by_class.len() - densities.len();
    if densities.len() < 2 {
        return Ok(PdeMi {
            mi: 0.0,
            dropped_classes,
        });
    }
    Ok(PdeMi {
        mi: mixture_mi(&densities, &kept_sizes, &weights),
        dropped_classes,
    })
}

/// All values ascending, and the values of each class ascending, in class order: one sort of the pairs
/// by value, then a stable split.
fn sorted_by_class(xs: &[f64], ys: &[u32], classes: &Classes) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut pairs: Vec<(f64, u32)> = xs.iter().copied().zip(ys.iter().copied()).collect();
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut by_class: Vec<Vec<f64>> = classes
        .counts
        .iter()
        .map(|&n| Vec::with_capacity(n))
        .collect();
    for &(v, code) in &pairs {
        by_class[classes.column_of(code)].push(v);
    }
    (pairs.into_iter().map(|(v, _)| v).collect(), by_class)
}

/// Whether ascending `sorted` holds at least 3 distinct values (PDE takes its Dirac branch otherwise).
fn has_3_distinct(sorted: &[f64]) -> bool {
    let (first, last) = (sorted[0], sorted[sorted.len() - 1]);
    sorted.iter().any(|&v| v != first && v != last)
}

/// Trapezoid weights of ascending kernels: half the distance between each kernel's neighbours (one-sided
/// at the ends), so Σ w_i f(k_i) is the trapezoid integral of f.
fn trapezoid_weights(k: &[f64]) -> Vec<f64> {
    let m = k.len();
    (0..m)
        .map(|i| {
            let left = if i > 0 { k[i - 1] } else { k[i] };
            let right = if i + 1 < m { k[i + 1] } else { k[i] };
            0.5 * (right - left)
        })
        .collect()
}

/// `Σ_c π_c Σ_i w_i p_c(k_i) log(p_c(k_i) / p(k_i))` with `π_c = n_c / n` and the mixture
/// `p = Σ_c π_c p_c`; 0·log 0 = 0. It is a KL divergence, so rounding can only take it below 0 or above
/// H(π) by a few ulps: it is clamped to that range.
fn mixture_mi(densities: &[Vec<f64>], sizes: &[usize], weights: &[f64]) -> f64 {
    let n: usize = sizes.iter().sum();
    let pi: Vec<f64> = sizes.iter().map(|&s| s as f64 / n as f64).collect();
    let mixture: Vec<f64> = (0..weights.len())
        .map(|i| {
            let mut p = Neumaier::default();
            for (d, &w) in densities.iter().zip(&pi) {
                p.add(w * d[i]);
            }
            p.value()
        })
        .collect();
    let mut mi = Neumaier::default();
    for (d, &w_c) in densities.iter().zip(&pi) {
        for ((&p_c, &p), &w) in d.iter().zip(&mixture).zip(weights) {
            if p_c > 0.0 {
                mi.add(w_c * w * p_c * (p_c / p).ln());
            }
        }
    }
    mi.value().clamp(0.0, entropy_of_counts(sizes))
}

#[cfg(test)]
#[path = "pareto_tests.rs"]
mod tests;
