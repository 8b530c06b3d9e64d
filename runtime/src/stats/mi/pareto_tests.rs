//! PDE-mode MI: its invariants (spec §2.5) and a brute-force transcription of the definition.

use super::*;
use crate::stats::pde::{mirror, pareto_radius};
use crate::testutil::{close, Rng};

/// `n` draws of class `c`'s distribution: normal with mean `shift·c`, for codes drawn uniformly from `k`.
fn shifted_classes(n: usize, k: usize, shift: f64, seed: u64) -> (Vec<f64>, Vec<u32>) {
    let mut rng = Rng(seed);
    let y: Vec<u32> = (0..n).map(|_| rng.below(k) as u32).collect();
    let x = y
        .iter()
        .map(|&c| rng.normal() + shift * f64::from(c))
        .collect();
    (x, y)
}

fn class_sizes(y: &[u32], k: usize) -> Vec<usize> {
    let mut sizes = vec![0; k];
    y.iter().for_each(|&c| sizes[c as usize] += 1);
    sizes
}

fn mi(x: &[f64], y: &[u32], k: usize) -> f64 {
    let r = mi_pde(x, y, k).unwrap();
    assert_eq!(r.dropped_classes, 0);
    r.mi
}

/// §2.5 written out with O(n·M) loops and no shared code past the radius and kernels: mirror each class
/// with [`mirror`] (unsorted, DataVisualizations' order), count every point against every sphere, build
/// the joint table q(c, i) = π_c·w_i·h_c(i)/A_c and take its plug-in MI.
fn brute_force(x: &[f64], y: &[u32], k: usize) -> f64 {
    let r = pareto_radius(x).unwrap();
    let mut sorted = x.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut kernels = pde_kernels(&sorted, r);
    kernels.sort_by(f64::total_cmp);
    kernels.dedup();
    let m = kernels.len();
    let w: Vec<f64> = (0..m)
        .map(|i| (kernels[(i + 1).min(m - 1)] - kernels[i.saturating_sub(1)]) / 2.0)
        .collect();
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let n = x.len() as f64;
    let mut q = vec![vec![0.0; m]; k];
    for (c, row) in q.iter_mut().enumerate() {
        let xc: Vec<f64> = (0..x.len())
            .filter(|&j| y[j] as usize == c)
            .map(|j| x[j])
            .collect();
        if xc.is_empty() {
            continue;
        }
        let plus = mirror(&xc, min, max, r);
        let h: Vec<f64> = kernels
            .iter()
            .map(|&kk| plus.iter().filter(|&&v| kk - r <= v && v <= kk + r).count() as f64)
            .collect();
        let area: f64 = h.iter().zip(&w).map(|(a, b)| a * b).sum();
        for i in 0..m {
            row[i] = xc.len() as f64 / n * w[i] * h[i] / area;
        }
    }
    let col: Vec<f64> = (0..m).map(|i| q.iter().map(|row| row[i]).sum()).collect();
    let mut total = 0.0;
    for row in &q {
        let pc: f64 = row.iter().sum();
        for i in 0..m {
            if row[i] > 0.0 {
                total += row[i] * (row[i] / (pc * col[i])).ln();
            }
        }
    }
    total
}

#[test]
fn equals_the_definition_written_out() {
    for (n, k, shift, seed) in [
        (60, 2, 1.0, 1),
        (500, 3, 0.5, 2),
        (1500, 5, 0.3, 3),
        (3000, 4, 2.0, 4),
    ] {
        let (x, y) = shifted_classes(n, k, shift, seed);
        let got = mi(&x, &y, k);
        let want = brute_force(&x, &y, k);
        assert!(close(got, want, 1e-12), "n {n}, K {k}: {got} vs {want}");
    }
    // Ties and a class much smaller than the others.
    let (x, mut y) = shifted_classes(800, 2, 1.0, 5);
    let x: Vec<f64> = x.iter().map(|v| (v * 4.0).round() / 4.0).collect();
    y[..7].iter_mut().for_each(|c| *c = 2);
    assert!(close(mi(&x, &y, 3), brute_force(&x, &y, 3), 1e-12));
}

#[test]
fn lies_between_zero_and_the_class_entropy() {
    for (k, shift) in [
        (2, 0.0),
        (2, 10.0),
        (3, 1.0),
        (8, 3.0),
        (32, 0.1),
        (32, 10.0),
    ] {
        let (x, y) = shifted_classes(4000, k, shift, k as u64);
        let h = entropy_of_counts(&class_sizes(&y, k));
        let got = mi(&x, &y, k);
        assert!(
            (0.0..=h).contains(&got),
            "K {k}, shift {shift}: {got} vs H {h}"
        );
    }
    // Two classes 10 sd apart barely overlap: nearly all of H(Y) is explained.
    let (x, y) = shifted_classes(4000, 2, 10.0, 2);
    assert!(mi(&x, &y, 2) > 0.98 * entropy_of_counts(&class_sizes(&y, 2)));
}

/// What feature selection relies on: the further apart the classes, the higher the score.
#[test]
fn grows_with_the_separation_of_the_classes() {
    let scores: Vec<f64> = [0.0, 0.1, 0.3, 1.0, 3.0]
        .iter()
        .map(|&shift| {
            let (x, y) = shifted_classes(3000, 3, shift, 21);
            mi(&x, &y, 3)
        })
        .collect();
    assert!(scores.windows(2).all(|w| w[0] < w[1]), "{scores:?}");
    assert!(scores[0] < 0.01, "{scores:?}");
}

/// Two classes whose Pareto spheres never meet: every kernel sees one class only, so I = H(π) exactly up
/// to rounding (here ln 2 and the entropy of 1:3).
#[test]
fn separated_classes_reach_the_class_entropy() {
    let a: Vec<f64> = (0..200).map(|i| f64::from(i) / 200.0).collect();
    let b: Vec<f64> = a.iter().map(|v| v + 100.0).collect();
    let x: Vec<f64> = a.iter().chain(&b).copied().collect();
    let y: Vec<u32> = (0..400).map(|i| u32::from(i >= 200)).collect();
    assert!(close(mi(&x, &y, 2), std::f64::consts::LN_2, 1e-14));
    let x: Vec<f64> = a.iter().chain(&b).chain(&b).chain(&b).copied().collect();
    let y: Vec<u32> = (0..800).map(|i| u32::from(i >= 200)).collect();
    let h = -(0.25f64 * 0.25f64.ln() + 0.75 * 0.75f64.ln());
    assert!(close(mi(&x, &y, 2), h, 1e-14));
}

/// Every class holding the same multiset of values (in different multiplicities) gives proportional
/// sphere counts, the same density, and I = 0 up to the rounding of the mixture (≤ 1e-15).
#[test]
fn identical_class_distributions_score_zero() {
    let (base, _) = shifted_classes(700, 1, 0.0, 9);
    for copies in [[1, 1, 1], [1, 2, 3], [4, 1, 7]] {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for (c, &times) in copies.iter().enumerate() {
            for _ in 0..times {
                x.extend_from_slice(&base);
                y.extend(std::iter::repeat_n(c as u32, base.len()));
            }
        }
        let got = mi(&x, &y, 3);
        assert!((0.0..=1e-15).contains(&got), "{copies:?}: {got:e}");
    }
}

#[test]
fn does_not_depend_on_order_labels_or_non_finite_pairs() {
    let (x, y) = shifted_classes(3000, 6, 0.4, 11);
    let want = mi(&x, &y, 6);
    // Shuffled observations: bit for bit.
    let mut rng = Rng(12);
    let mut idx: Vec<usize> = (0..x.len()).collect();
    for i in (1..idx.len()).rev() {
        idx.swap(i, rng.below(i + 1));
    }
    let xs: Vec<f64> = idx.iter().map(|&i| x[i]).collect();
    let ys: Vec<u32> = idx.iter().map(|&i| y[i]).collect();
    assert_eq!(mi(&xs, &ys, 6).to_bits(), want.to_bits());
    // Relabelled classes and unused codes: only the summation order changes.
    let relabelled: Vec<u32> = y.iter().map(|&c| 2 * (5 - c)).collect();
    assert!(close(mi(&x, &relabelled, 11), want, 1e-14));
    // Non-finite x drops its pair.
    let mut xn = x.clone();
    let mut yn = y.clone();
    for (v, c) in [(f64::NAN, 0), (f64::INFINITY, 3), (f64::NEG_INFINITY, 5)] {
        xn.push(v);
        yn.push(c);
    }
    assert_eq!(mi(&xn, &yn, 6).to_bits(), want.to_bits());
}

#[test]
fn degenerate_features_score_zero() {
    let zero = PdeMi {
        mi: 0.0,
        dropped_classes: 0,
    };
    let score = |x: &[f64], y: &[u32]| mi_pde(x, y, 4).unwrap();
    assert_eq!(score(&[1.0, 2.0], &[0, 1]), zero);
    assert_eq!(
        score(&[1.0, 2.0, f64::NAN, 3.0], &[0, 1, 2, 0][..]),
        mi_pde(&[1.0, 2.0, 3.0], &[0, 1, 0], 4).unwrap()
    );
    assert_eq!(score(&[5.0; 50], &[0, 1].repeat(25)), zero);
    assert_eq!(score(&[1.0, 2.0].repeat(25), &[0, 1].repeat(25)), zero);
    assert_eq!(score(&[1.0, 2.0, 3.0].repeat(20), &[2; 60]), zero);
    assert_eq!(score(&[f64::NAN; 10], &[0, 1].repeat(5)), zero);
    assert_eq!(score(&[], &[]), zero);
    // Three distinct values are enough.
    assert!(score(&[1.0, 2.0, 3.0].repeat(20), &[0, 0, 1].repeat(20)).mi > 0.0);
}

#[test]
fn rejects_malformed_input() {
    assert_eq!(
        mi_pde(&[1.0, 2.0, 3.0], &[0, 1], 2),
        Err(MiError::LengthMismatch { x: 3, y: 2 })
    );
    assert_eq!(
        mi_pde(&[1.0, 2.0, 3.0], &[0, 1, 2], 2),
        Err(MiError::ClassCodeOutOfRange {
            code: 2,
            n_classes: 2
        })
    );
}

/// A class of 2 points between two big clusters far apart: the radius (from the clusters) is far smaller
/// than the kernel spacing, both points fall between spheres, and the class is dropped.
#[test]
fn a_class_outside_every_sphere_is_dropped() {
    let mut x: Vec<f64> = (0..500).map(|i| f64::from(i) * 1e-6).collect();
    x.extend((0..500).map(|i| 1000.0 + f64::from(i) * 1e-6));
    let mut y: Vec<u32> = (0..1000).map(|i| u32::from(i >= 500)).collect();
    x.extend([431.2345, 431.2346]);
    y.extend([2, 2]);
    let r = mi_pde(&x, &y, 3).unwrap();
    assert_eq!(r.dropped_classes, 1);
    let kept = mi_pde(&x[..1000], &y[..1000], 3).unwrap();
    assert!(close(r.mi, kept.mi, 1e-15), "{} vs {}", r.mi, kept.mi);
}
