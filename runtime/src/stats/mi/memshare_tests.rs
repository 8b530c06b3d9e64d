//! memshare-mode MI and ParetoRadius_fast against R.

use super::*;
use crate::stats::mi::entropy_of_counts;
use crate::stats::pairdist::count_pairs_within;
use crate::testutil::{close, Rng};

const MAN_EXAMPLE_X: &str = include_str!("../testdata/mi/man_example_x.txt");
/// `set.seed(1); rnorm(20000)`: R1 and R2 are its first 1000 and 2000 values, R4 all of it.
const RNORM: &str = include_str!("../testdata/rnorm_seed1_20000.txt");
const R4_SAMPLE: &str = include_str!("../testdata/mi/r4_sample.txt");

// pde-reference.txt (R 4.2.2, DataVisualizations 1.4.0, memshare 1.0.3.1), in shortest round-trip form.
/// memshare's mutualinfo() man example, isYDiscrete = TRUE ("M1").
const M1: f64 = 1.0170223711627575;
/// ParetoRadius_fast of the man example's x ("M1 ParetoRadius_fast(xm)", 0.79026412237956833).
const M1_RADIUS: f64 = 0.7902641223795683;
/// ParetoRadius_fast(rnorm(1000)) after set.seed(1) ("R1", 0.33162834311225642).
const R1_RADIUS: f64 = 0.3316283431122564;
/// ParetoRadius_fast(rnorm(2000)) after set.seed(1) ("R2").
const R2_RADIUS: f64 = 0.29143243678881653;
/// ParetoRadius_fast(x4) for x4 = rnorm(20000) after set.seed(1), sampled after set.seed(2) ("R4").
const R4_RADIUS: f64 = 0.17808332781713354;

fn parse(text: &str) -> Vec<f64> {
    text.lines()
        .map(|l| l.trim().parse().expect("test data is numeric"))
        .collect()
}

/// `x = c(rnorm(1000), rnorm(2000) + 8, rnorm(1000) * 2 - 8)` after `set.seed(1)`, and the codes of
/// `y = c(rep(1, 1000), rep(2, 2000), rep(3, 1000))`.
fn man_example() -> (Vec<f64>, Vec<u32>) {
    let x = parse(MAN_EXAMPLE_X);
    let y = [(0u32, 1000), (1, 2000), (2, 1000)]
        .iter()
        .flat_map(|&(c, k)| std::iter::repeat_n(c, k))
        .collect();
    (x, y)
}

#[test]
fn radius_matches_r_for_rnorm_1000_and_2000() {
    let x = parse(RNORM)[..2000].to_vec();
    let r1 = pareto_radius_fast(&x[..1000], None).unwrap();
    let r2 = pareto_radius_fast(&x, None).unwrap();
    assert!(close(r1, R1_RADIUS, 1e-12));
    // n = 2000 > 1024: shrunk by 4/n^0.2.
    assert!(close(r2, R2_RADIUS, 1e-12));
}

#[test]
fn radius_matches_r_for_the_man_example() {
    let (x, _) = man_example();
    let r = pareto_radius_fast(&x, None).unwrap();
    assert!(close(r, M1_RADIUS, 1e-12));
}

#[test]
fn radius_with_r_sample_matches_r() {
    // R: set.seed(1); x4 <- rnorm(20000); set.seed(2); ParetoRadius_fast(x4). The file holds each draw
    // of ceiling(runif(10000, 0, 20000)) minus 1.
    let x = parse(RNORM);
    let sample: Vec<usize> = R4_SAMPLE.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(sample.len(), 10_000);
    let r = pareto_radius_fast(&x, Some(&sample)).unwrap();
    assert!(close(r, R4_RADIUS, 1e-12));
}

#[test]
fn radius_sample_indexes_finite_values_and_scales_by_full_n() {
    let x = parse(RNORM)[..2000].to_vec();
    let all: Vec<usize> = (0..x.len()).collect();
    assert_eq!(
        pareto_radius_fast(&x, Some(&all)),
        pareto_radius_fast(&x, None)
    );
    let mut with_gaps = x.clone();
    with_gaps.insert(0, f64::NAN);
    with_gaps.insert(500, f64::INFINITY);
    assert_eq!(
        pareto_radius_fast(&with_gaps, Some(&all)),
        pareto_radius_fast(&x, None)
    );
    let first: Vec<usize> = (0..1000).collect();
    let raw = pareto_radius_fast(&x[..1000], None).unwrap();
    let sampled = pareto_radius_fast(&x, Some(&first)).unwrap();
    assert_eq!(sampled, raw * 4.0 / 2000f64.powf(0.2));
}

#[test]
fn radius_drops_non_finite_values() {
    let x = parse(RNORM)[..2000].to_vec();
    let mut dirty = x[..1000].to_vec();
    dirty.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
    dirty.swap(0, 1001);
    assert_eq!(
        pareto_radius_fast(&dirty, None),
        pareto_radius_fast(&x[..1000], None)
    );
}

#[test]
fn radius_falls_back_to_the_first_positive_percentile_under_ties() {
    // c(rep(0, 600), rnorm(400)) after set.seed(1): 18 % .. 35 % of the distances are 0, the 36th
    // percentile is the reference (pde-reference.txt, "E ties").
    let x = parse(RNORM)[..2000].to_vec();
    let mut tied = vec![0.0; 600];
    tied.extend_from_slice(&x[..400]);
    assert_eq!(pareto_radius_fast(&tied, None), Ok(0.0011053516316241311));
}

#[test]
fn radius_errors_where_r_fails_or_returns_nan() {
    assert_eq!(pareto_radius_fast(&[], None), Err(MiError::TooFewValues(0)));
    assert_eq!(
        pareto_radius_fast(&[f64::NAN, 1.0], None),
        Err(MiError::TooFewValues(1))
    );
    assert_eq!(
        pareto_radius_fast(&[2.0; 50], None),
        Err(MiError::UndefinedRadius)
    );
    assert_eq!(
        pareto_radius_fast(&[f64::MAX, -f64::MAX, 0.0], None),
        Err(MiError::UndefinedRadius)
    );
    assert_eq!(
        pareto_radius_fast(&[1.0, 2.0, f64::NAN], Some(&[0, 2])),
        Err(MiError::SampleIndexOutOfRange { index: 2, len: 2 })
    );
    assert_eq!(
        pareto_radius_fast(&[1.0, 2.0], Some(&[])),
        Err(MiError::TooFewValues(0))
    );
}

#[test]
fn replayed_bisection_equals_counting_bisection() {
    // quantileDist1d as written in C++: count the pairs at every midpoint.
    fn counting(sorted: &[f64], p: f64) -> f64 {
        let k = (p * pair_count(sorted.len()) as f64).floor() as u64;
        let (mut lo, mut hi) = (0.0, sorted[sorted.len() - 1] - sorted[0]);
        while hi - lo > BISECTION_TOLERANCE * (1.0 + hi) {
            let mid = 0.5 * (lo + hi);
            if count_pairs_within(sorted, mid) > k {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }
    let mut rng = Rng(17);
    for n in [2, 3, 10, 257, 3000] {
        let mut x: Vec<f64> = (0..n)
            .map(|_| (rng.uniform() * 40.0).round() * rng.uniform())
            .collect();
        x.sort_unstable_by(f64::total_cmp);
        for p in [0.0, 0.18, 0.5, 0.999] {
            assert_eq!(quantile_dist_1d(&x, p), counting(&x, p), "n = {n}, p = {p}");
        }
    }
}

/// Dense Gaussian elimination with partial pivoting, on a matrix built from explicit difference matrices.
fn dense_eilers_solve(h: &[f64], lambda: f64) -> Vec<f64> {
    let m = h.len();
    let identity: Vec<Vec<f64>> = (0..m)
        .map(|i| (0..m).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    let diff = |rows: &[Vec<f64>]| -> Vec<Vec<f64>> {
        rows.windows(2)
            .map(|w| w[1].iter().zip(&w[0]).map(|(b, a)| b - a).collect())
            .collect()
    };
    let d1 = diff(&identity);
    let d2 = diff(&d1);
    let gram =
        |d: &[Vec<f64>], i: usize, j: usize| d.iter().map(|row| row[i] * row[j]).sum::<f64>();
    let mut a: Vec<Vec<f64>> = (0..m)
        .map(|i| {
            (0..m)
                .map(|j| {
                    identity[i][j]
                        + lambda * lambda * gram(&d2, i, j)
                        + 2.0 * lambda * gram(&d1, i, j)
                })
                .collect()
        })
        .collect();
    let mut b = h.to_vec();
    for col in 0..m {
        let pivot = (col..m)
            .max_by(|&p, &q| a[p][col].abs().total_cmp(&a[q][col].abs()))
            .unwrap();
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..m {
            let f = a[row][col] / pivot_row[col];
            for (target, source) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *target -= f * source;
            }
            b[row] -= f * b[col];
        }
    }
    for row in (0..m).rev() {
        let s: f64 = (row + 1..m).map(|k| a[row][k] * b[k]).sum();
        b[row] = (b[row] - s) / a[row][row];
    }
    b
}

#[test]
fn banded_smoother_matches_a_dense_solve() {
    let mut rng = Rng(7);
    for (m, lambda) in [
        (512, 62.5),
        (512, 0.75),
        (9, 2.0),
        (3, 1.5),
        (2, 5.0),
        (1, 5.0),
    ] {
        let h: Vec<f64> = (0..m).map(|_| rng.uniform()).collect();
        let want = dense_eilers_solve(&h, lambda);
        let mut got = h.clone();
        EilersSmoother::new(m, lambda).solve_in_place(&mut got);
        let scale = want.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        let worst = got
            .iter()
            .zip(&want)
            .fold(0.0f64, |s, (g, w)| s.max((g - w).abs()));
        assert!(
            worst <= 1e-12 * scale,
            "m = {m}, λ = {lambda}: off by {worst:e}"
        );
        let (sum_h, sum_z) = (h.iter().sum::<f64>(), got.iter().sum::<f64>());
        assert!(
            (sum_h - sum_z).abs() <= 1e-12 * sum_h,
            "the smoother must preserve sums"
        );
    }
}

#[test]
fn grid_is_rs_seq() {
    let grid = memshare_grid(-1.0, 2.0).unwrap();
    assert_eq!((grid[0], grid[511]), (-1.0, 2.0));
    assert_eq!(grid[1], -1.0 + 3.0 / 511.0);
    assert_eq!(grid[510], -1.0 + 510.0 * (3.0 / 511.0));
    let wide = memshare_grid(-f64::MAX, f64::MAX).unwrap();
    assert_eq!((wide[0], wide[511]), (-f64::MAX, f64::MAX));
    assert!(wide.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        memshare_grid(f64::NEG_INFINITY, 0.0),
        Err(MiError::GridNotFinite)
    );
}

#[test]
fn memshare_mi_matches_r_for_the_man_example() {
    let (x, y) = man_example();
    let mi = mi_memshare(&x, &y, 3, MEMSHARE_EPS, None).unwrap();
    let deviation = (mi - M1).abs();
    eprintln!(
        "M1 {mi:.17}, deviation {deviation:.3e} (relative {:.3e})",
        deviation / M1
    );
    // The issue asks for 1e-6; the long double sums leave only the smoother's rounding (measured 7e-15).
    assert!(deviation < 1e-10);
    assert!(mi < entropy_of_counts(&[1000, 2000, 1000]));
}

/// Cases beyond M1, with radius and MI from the base-R transcription of memshare generate.R uses (which
/// reproduces M1 to the last digit): a) n = 60, three classes coded 5/7/9, λ = 15; b) n = 200 on a
/// 0.5-grid (few unique values), four classes; c) n = 1500, so the radius is shrunk by 4/n^0.2;
/// d) 150 zeros among 250 values, so the radius takes the tie fallback.
#[test]
fn memshare_mi_matches_a_base_r_transcription() {
    let cases = [
        (
            include_str!("../testdata/mi/case_a.txt"),
            0.5451780933382303,
            0.5547625085420829,
        ),
        (
            include_str!("../testdata/mi/case_b.txt"),
            0.5000000004656613,
            0.700963265511686,
        ),
        (
            include_str!("../testdata/mi/case_c.txt"),
            0.17626385068328476,
            0.2865009399059907,
        ),
        (
            include_str!("../testdata/mi/case_d.txt"),
            0.011870682488685724,
            0.020886917912648045,
        ),
    ];
    for (text, radius, want) in cases {
        let (x, y): (Vec<f64>, Vec<u32>) = text
            .lines()
            .map(|line| {
                let (x, code) = line.split_once(' ').expect("lines are \"x code\"");
                (x.parse::<f64>().unwrap(), code.parse::<u32>().unwrap())
            })
            .unzip();
        let n_classes = y.iter().max().map_or(0, |&c| c as usize + 1);
        assert_eq!(pareto_radius_fast(&x, None), Ok(radius));
        let mi = mi_memshare(&x, &y, n_classes, MEMSHARE_EPS, None).unwrap();
        assert!(close(mi, want, 1e-12), "{mi} against {want}");
    }
}

#[test]
fn memshare_mi_ignores_order_non_finite_x_and_absent_classes() {
    let (x, y) = man_example();
    let reference = mi_memshare(&x, &y, 3, MEMSHARE_EPS, None).unwrap();

    let mut rng = Rng(11);
    let mut order: Vec<usize> = (0..x.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let xs: Vec<f64> = order.iter().map(|&i| x[i]).collect();
    let ys: Vec<u32> = order.iter().map(|&i| y[i]).collect();
    assert_eq!(mi_memshare(&xs, &ys, 3, MEMSHARE_EPS, None), Ok(reference));

    let (mut xd, mut yd) = (x.clone(), y.clone());
    for (at, v) in [
        (0, f64::NAN),
        (2500, f64::INFINITY),
        (4002, f64::NEG_INFINITY),
    ] {
        xd.insert(at, v);
        yd.insert(at, 1);
    }
    assert_eq!(mi_memshare(&xd, &yd, 3, MEMSHARE_EPS, None), Ok(reference));

    let spread: Vec<u32> = y.iter().map(|&c| 2 * c + 1).collect();
    assert_eq!(
        mi_memshare(&x, &spread, 7, MEMSHARE_EPS, None),
        Ok(reference)
    );

    let reversed: Vec<u32> = y.iter().map(|&c| 2 - c).collect();
    let relabelled = mi_memshare(&x, &reversed, 3, MEMSHARE_EPS, None).unwrap();
    assert!((relabelled - reference).abs() < 1e-14);
}

#[test]
fn memshare_mi_with_full_sample_equals_no_sample() {
    let (x, y) = man_example();
    let all: Vec<usize> = (0..x.len()).collect();
    assert_eq!(
        mi_memshare(&x, &y, 3, MEMSHARE_EPS, Some(&all)),
        mi_memshare(&x, &y, 3, MEMSHARE_EPS, None)
    );
}

#[test]
fn memshare_mi_is_zero_on_degenerate_input() {
    let eps = MEMSHARE_EPS;
    assert_eq!(mi_memshare(&[], &[], 0, eps, None), Ok(0.0));
    assert_eq!(mi_memshare(&[1.0, 2.0], &[0, 1], 2, eps, None), Ok(0.0));
    assert_eq!(
        mi_memshare(&[f64::NAN; 10], &[0; 10], 1, eps, None),
        Ok(0.0)
    );
    assert_eq!(
        mi_memshare(&[3.0; 10], &[0, 1, 0, 1, 0, 1, 0, 1, 0, 1], 2, eps, None),
        Ok(0.0)
    );
    let x: Vec<f64> = (0..10).map(f64::from).collect();
    assert_eq!(mi_memshare(&x, &[1; 10], 2, eps, None), Ok(0.0));
    assert_eq!(
        mi_memshare(&[0.0, 1e-15, 2e-15], &[0, 1, 0], 2, eps, None),
        Ok(0.0)
    );
}

#[test]
fn memshare_mi_rejects_malformed_input() {
    let eps = MEMSHARE_EPS;
    assert_eq!(
        mi_memshare(&[1.0, 2.0, 3.0], &[0, 1], 2, eps, None),
        Err(MiError::LengthMismatch { x: 3, y: 2 })
    );
    assert_eq!(
        mi_memshare(&[1.0, 2.0, 3.0], &[0, 1, 2], 2, eps, None),
        Err(MiError::ClassCodeOutOfRange {
            code: 2,
            n_classes: 2
        })
    );
    assert_eq!(
        mi_memshare(&[1.0, 2.0, 3.0, 4.0], &[0, 1, 0, 1], 2, eps, Some(&[0, 9])),
        Err(MiError::SampleIndexOutOfRange { index: 9, len: 4 })
    );
}

#[test]
fn memshare_mi_on_small_and_tied_inputs_is_finite() {
    let mi = mi_memshare(&[1.0, 2.0, 3.0], &[0, 1, 1], 2, MEMSHARE_EPS, None).unwrap();
    assert!(mi.is_finite());
    let tied: Vec<f64> = (0..300).map(|i| f64::from(i % 3)).collect();
    let codes: Vec<u32> = (0..300).map(|i| u32::from(i % 3 == 0)).collect();
    let mi = mi_memshare(&tied, &codes, 2, MEMSHARE_EPS, None).unwrap();
    assert!(mi.is_finite() && mi > 0.0);
}
