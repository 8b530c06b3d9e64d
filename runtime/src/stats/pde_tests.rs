#![allow(clippy::excessive_precision)] // R's %.17g output, kept verbatim
//! PDE against R. Inputs and expected values come from R 4.2.2 (`testdata/pde_generate.R`) and from
//! `pde-reference.txt` (DataVisualizations 1.4.0, printed with %.17g).

use super::*;
use crate::stats::pairdist::{count_pairs_within, kth_pair_distance};
use crate::testutil::{close, Rng};

fn numbers(text: &str) -> Vec<f64> {
    text.split_whitespace()
        .map(|t| t.parse().unwrap())
        .collect()
}

/// `set.seed(1); rnorm(20000)`; its prefixes are `rnorm(1000)` (R1) and `rnorm(2000)` (R2).
fn rnorm() -> Vec<f64> {
    numbers(include_str!("testdata/rnorm_seed1_20000.txt"))
}

/// `set.seed(1); rexp(1000)` (R3).
fn rexp() -> Vec<f64> {
    numbers(include_str!("testdata/rexp_seed1_1000.txt"))
}

/// `c(rep(0, 600), rnorm(400))` after `set.seed(1)`.
fn ties() -> Vec<f64> {
    let mut x = vec![0.0; 600];
    x.extend_from_slice(&rnorm()[..400]);
    x
}

/// A two-column "kernel density" table.
fn table(text: &str) -> (Vec<f64>, Vec<f64>) {
    let v = numbers(text);
    (
        v.iter().step_by(2).copied().collect(),
        v.iter().skip(1).step_by(2).copied().collect(),
    )
}

/// Checks a PDE against a full table: kernels bit for bit, densities to 1e-10; returns the largest
/// absolute density deviation.
fn check_table(p: &Pde, text: &str) -> f64 {
    let (k, d) = table(text);
    assert_eq!(p.kernels.len(), k.len());
    for (i, (a, b)) in p.kernels.iter().zip(&k).enumerate() {
        assert_eq!(a.to_bits(), b.to_bits(), "kernel {i}: {a:e} vs {b:e}");
    }
    let dev = p
        .density
        .iter()
        .zip(&d)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(dev <= 1e-10, "density deviation {dev:e}");
    dev
}

fn argmax(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b })
}

fn is_unsorted(v: &[f64]) -> bool {
    v.windows(2).any(|w| w[1] < w[0])
}

#[test]
fn radius_r1_is_the_exact_order_statistic() {
    let x = &rnorm()[..1000];
    let r = pareto_radius(x).unwrap();
    assert!(close(r, 0.33161803669617107, 1e-12));
    assert_eq!(r, 0.33161803669617107);
    // m = 499500, idx0 = floor(m (0.18 - 1e-9)) = 89909.
    let xs = finite_sorted(x);
    assert_eq!(kth_pair_distance(&xs, 89909), r);
    assert!(kth_pair_distance(&xs, 89908) <= r && kth_pair_distance(&xs, 89910) >= r);
}

#[test]
fn radius_r2_r3_r4_match_reference() {
    let norm = rnorm();
    // R2: raw 0.33318278375835297, times 4 / 2000^0.2.
    let xs = finite_sorted(&norm[..2000]);
    assert_eq!(
        kth_pair_distance(&xs, (1999000.0f64 * (0.18 - 1e-9)).floor() as u64),
        0.33318278375835297
    );
    assert_eq!(pareto_radius(&norm[..2000]).unwrap(), 0.29143153556178203);
    // R3.
    assert_eq!(pareto_radius(&rexp()).unwrap(), 0.21049039205536246);
}

/// R4 (n = 20000). The reference's "exact quantileDist1d (no sampling)" 0.32196162506103831
/// (× 4/n^0.2 = 0.17768800157958758) is ParetoRadius_fast's bisection bracket for rank
/// floor(0.18 m) = 35998200, one rank above §2.1's idx0 = floor(m (0.18 − 1e-9)) = 35998199, and is no
/// attained distance. Counting all pairs in R (`testdata/pde_generate.R`, `check_r4`) gives
/// #{d < v} = 35998199 and #{d ≤ v} = 35998200 for v = 0.32196161547649504, the exact §2.1 value.
#[test]
fn radius_r4_exact_order_statistic() {
    let norm = rnorm();
    let xs = finite_sorted(&norm);
    let m = 20000u64 * 19999 / 2;
    let idx0 = (m as f64 * (0.18 - 1e-9)).floor() as u64;
    let k_fast = (0.18 * m as f64).floor() as u64;
    assert_eq!((idx0, k_fast), (35998199, 35998200));
    let raw = kth_pair_distance(&xs, idx0);
    assert_eq!(raw, 0.32196161547649504);
    assert_eq!(count_pairs_within(&xs, raw), idx0 + 1);
    assert_eq!(
        count_pairs_within(&xs, f64::from_bits(raw.to_bits() - 1)),
        idx0
    );
    // The reference value brackets the next order statistic from above within the bisection tolerance.
    let next = kth_pair_distance(&xs, k_fast);
    let fast = 0.32196162506103831;
    assert!(
        next <= fast && fast - next <= 1e-9 * (1.0 + fast),
        "{next:e}"
    );
    let r4 = pareto_radius(&norm).unwrap();
    assert_eq!(r4, raw * 4.0 / 20000f64.powf(0.2));
    assert_eq!(r4, 0.17768799628995613);
    assert!(close(r4, 0.17768800157958758, 5e-8));
}

#[test]
fn radius_ties_uses_the_first_positive_percentile() {
    let x = ties();
    let xs = finite_sorted(&x);
    let m = 1000u64 * 999 / 2;
    let idx0 = (m as f64 * (0.18 - 1e-9)).floor() as u64;
    assert_eq!(kth_pair_distance(&xs, idx0), 0.0);
    let zeros = count_pairs_within(&xs, 0.0);
    assert_eq!(zeros, 600 * 599 / 2);
    // First positive percentile: p = 36 %.
    let idx = |p: u32| (m as f64 * (f64::from(p) / 100.0 - 1e-9)).floor() as u64;
    assert!(idx(35) < zeros && idx(36) >= zeros);
    assert_eq!(pareto_radius(&x).unwrap(), 0.0011053516316241311);
}

#[test]
fn radius_and_bins_match_r_on_many_inputs() {
    let norm = rnorm();
    let exp = rexp();
    let mut checked = 0;
    for line in include_str!("testdata/r_radius_bins.txt").lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let x: Vec<f64> = match f[0] {
            "ties600" => ties(),
            "ties5" => vec![1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0],
            "floor1" => norm[..1500]
                .iter()
                .map(|v| (v * 10.0).floor() / 10.0)
                .collect(),
            "floor2" => exp[..800].iter().map(|v| (v * 10.0).floor()).collect(),
            "int1to5" => (1..=5).map(f64::from).collect(),
            "int1to100" => (1..=100).map(f64::from).collect(),
            name => {
                let (kind, n) = name.split_once('_').unwrap();
                let n: usize = n.parse().unwrap();
                if kind == "norm" {
                    norm[..n].to_vec()
                } else {
                    exp[..n].to_vec()
                }
            }
        };
        let want: Vec<f64> = f[1..].iter().map(|t| t.parse().unwrap()).collect();
        assert_eq!(pareto_radius(&x).unwrap(), want[0], "radius of {}", f[0]);
        assert_eq!(
            optimal_no_bins(&x) as f64,
            want[1],
            "OptimalNoBins of {}",
            f[0]
        );
        let xs = finite_sorted(&x);
        assert!(close(sample_sd(&xs), want[2], 1e-15), "sd of {}", f[0]);
        assert_eq!(quantile_type8_sorted(&xs, 0.25), want[3], "q25 of {}", f[0]);
        assert_eq!(quantile_type8_sorted(&xs, 0.75), want[4], "q75 of {}", f[0]);
        checked += 1;
    }
    assert_eq!(checked, 25);
}

#[test]
fn radius_errors_and_non_finite_values() {
    assert_eq!(
        pareto_radius(&[]),
        Err(PdeError::TooFewValues { needed: 2, got: 0 })
    );
    assert_eq!(
        pareto_radius(&[1.0, f64::NAN, f64::INFINITY]),
        Err(PdeError::TooFewValues { needed: 2, got: 1 })
    );
    assert_eq!(
        pareto_radius(&[2.0; 5]),
        Err(PdeError::RadiusNotFinite(f64::INFINITY))
    );
    // The only distance overflows.
    assert_eq!(
        pareto_radius(&[-1e308, 1e308]),
        Err(PdeError::RadiusNotFinite(f64::INFINITY))
    );
    // Three values: the smallest distance (rank 0) is finite.
    assert_eq!(pareto_radius(&[-1e308, 1e308, 0.0]).unwrap(), 1e308);
    assert_eq!(pareto_radius(&[1.0, 2.0]).unwrap(), 1.0);
    let mut x = rnorm()[..1000].to_vec();
    x.insert(10, f64::NAN);
    x.insert(500, f64::INFINITY);
    x.push(f64::NEG_INFINITY);
    assert_eq!(pareto_radius(&x).unwrap(), 0.33161803669617107);
}

#[test]
fn optimal_no_bins_edge_cases() {
    assert_eq!(optimal_no_bins(&rnorm()[..1000]), 20);
    assert_eq!(optimal_no_bins(&rnorm()[..2000]), 25);
    assert_eq!(optimal_no_bins(&[]), 0);
    assert_eq!(optimal_no_bins(&[f64::NAN]), 0);
    assert_eq!(optimal_no_bins(&[3.0]), 10);
    assert_eq!(optimal_no_bins(&[3.0, 3.0, 3.0]), 10);
    // Outliers force many bins (R: 358, 34655 and 2.78825e+300, where the count saturates).
    let mut x: Vec<f64> = rnorm()[..2000].to_vec();
    x.push(100.0);
    assert_eq!(optimal_no_bins(&x), 358);
    *x.last_mut().unwrap() = 1e4;
    assert_eq!(optimal_no_bins(&x), 34655);
    let mut x: Vec<f64> = rnorm()[..1000].to_vec();
    x.push(1e300);
    assert_eq!(optimal_no_bins(&x), usize::MAX);
    assert_eq!(sample_sd(&finite_sorted(&x)), f64::INFINITY);
    // R: OptimalNoBins((0:4999)/4999) is 17.
    let u: Vec<f64> = (0..5000).map(|i| f64::from(i) / 4999.0).collect();
    assert_eq!(optimal_no_bins(&u), 17);
}

#[test]
fn pde_r1_full_table() {
    let p = pde(&rnorm()[..1000]).unwrap();
    assert!(close(p.radius, 0.33161803669617107, 1e-12));
    assert_eq!(p.kernels.len(), 140);
    let dev = check_table(&p, include_str!("testdata/pde_r1_table.txt"));
    eprintln!("R1 max |density - reference| = {dev:e}");
    assert!(is_unsorted(&p.kernels));
    assert_eq!(&p.kernels[..2], &[-3.0080485989204808, -3.0250000000000004]);
    let i = argmax(&p.density);
    assert!((p.density[i] - 0.4026026271544752).abs() <= 1e-12);
    assert_eq!(p.kernels[i], -0.125);
    assert!((p.density.iter().sum::<f64>() - 20.027595857175054).abs() <= 1e-10);
    assert!((trapz(&p.kernels, &p.density) - 1.0).abs() <= 1e-14);
}

#[test]
fn pde_r2_r3_match_reference() {
    // R2: reference header values, and the full table of the R re-computation.
    let p = pde(&rnorm()[..2000]).unwrap();
    assert_eq!(p.radius, 0.29143153556178203);
    assert_eq!(p.kernels.len(), 74);
    assert_eq!(
        &p.kernels[..4],
        &[
            -3.2532200729029319,
            -3.25,
            -3.1500000000000004,
            -3.0499999999999998
        ]
    );
    assert_eq!(
        &p.kernels[71..],
        &[3.7500000000000013, 3.8500000000000005, 3.8102766807106652]
    );
    for (a, b) in p.density[..4].iter().zip([
        0.0085779970566128624,
        0.0085779970566128624,
        0.0077201973509515758,
        0.0085779970566128624,
    ]) {
        assert!((a - b).abs() <= 1e-12);
    }
    let i = argmax(&p.density);
    assert!((p.density[i] - 0.40230806195514324).abs() <= 1e-12);
    assert_eq!(p.kernels[i], -0.14999999999999969);
    assert!((p.density.iter().sum::<f64>() - 10.019100562123823).abs() <= 1e-10);
    let dev2 = check_table(&p, include_str!("testdata/pde_r2_table.txt"));

    // R3: rexp, kernels sorted here.
    let p = pde(&rexp()).unwrap();
    assert_eq!(p.radius, 0.21049039205536246);
    assert_eq!(p.kernels.len(), 134);
    assert!(!is_unsorted(&p.kernels));
    assert_eq!(
        &p.kernels[..4],
        &[
            0.0017009745351970196,
            0.025000000000000001,
            0.075000000000000011,
            0.125
        ]
    );
    assert_eq!(
        &p.kernels[131..],
        &[6.5250000000000004, 6.5750000000000011, 6.5845329590086239]
    );
    assert!((p.density[0] - 0.80685210210439251).abs() <= 1e-12);
    assert!((p.density[133] - 0.0047461888359081918).abs() <= 1e-12);
    assert!((p.density.iter().sum::<f64>() - 20.84051517847287).abs() <= 1e-10);
    let dev3 = check_table(&p, include_str!("testdata/pde_r3_table.txt"));
    eprintln!("R2 / R3 max |density - R| = {dev2:e} / {dev3:e}");
}

#[test]
fn pde_r4_sampled_and_exact_radius() {
    let x = rnorm();
    // DataVisualizations' run used the sampled radius 0.17808332781713354 (seed 2): same pipeline here.
    let p = pde_with_radius(&x, 0.17808332781713354).unwrap();
    assert_eq!(p.kernels.len(), 85);
    assert_eq!(
        &p.kernels[..4],
        &[
            -4.3027814363769412,
            -4.3500000000000005,
            -4.25,
            -4.1500000000000004
        ]
    );
    assert_eq!(
        &p.kernels[82..],
        &[3.75, 3.8500000000000005, 3.8102766807106652]
    );
    let want_first = 0.00028040943985783019;
    let want_last = [
        0.00098143303950240556,
        0.00084122831957349046,
        0.0011216377594313208,
    ];
    assert!((p.density[0] - want_first).abs() <= 1e-14);
    for (a, b) in p.density[82..].iter().zip(want_last) {
        assert!((a - b).abs() <= 1e-14);
    }
    let i = argmax(&p.density);
    assert!((p.density[i] - 0.40182672731627062).abs() <= 1e-12);
    assert_eq!(p.kernels[i], -0.050000000000000266);
    assert!((p.density.iter().sum::<f64>() - 10.00248512916866).abs() <= 1e-10);
    // The spec's default: the exact radius (see radius_r4_exact_order_statistic).
    let p = pde(&x).unwrap();
    assert_eq!(p.radius, 0.17768799628995613);
    let dev = check_table(&p, include_str!("testdata/pde_r4_exact_table.txt"));
    eprintln!("R4 (exact radius) max |density - R| = {dev:e}");
}

#[test]
fn pde_ties_table() {
    let p = pde(&ties()).unwrap();
    assert_eq!(p.radius, 0.0011053516316241311);
    assert_eq!(p.kernels.len(), 113);
    check_table(&p, include_str!("testdata/pde_ties_table.txt"));
}

#[test]
fn pde_dirac_branch() {
    // Constant 2.
    let p = pde(&[2.0; 10]).unwrap();
    assert_eq!(p.radius, 0.0);
    assert_eq!(p.kernels.len(), 2001);
    assert_eq!((p.kernels[0], p.kernels[2000]), (1.8, 2.2000000000000002));
    assert_eq!(p.density.iter().filter(|&&d| d == 1.0).count(), 1);
    assert_eq!(p.density.iter().sum::<f64>(), 1.0);
    assert_eq!(p.kernels[1000], 2.0);
    assert_eq!(p.density[1000], 1.0);
    // Constant 0.
    let p = pde(&[0.0, -0.0, 0.0]).unwrap();
    assert_eq!(p.kernels.len(), 2001);
    assert_eq!((p.kernels[0], p.kernels[2000]), (-0.1, 0.1));
    assert_eq!(p.density.iter().filter(|&&d| d == 1.0).count(), 1);
    assert_eq!(p.kernels[1000], 0.0);
    // Two values in order of appearance, non-finite values ignored; a negative one.
    let p = pde(&[3.0, f64::NAN, -2.5, 3.0]).unwrap();
    assert_eq!(p.kernels.len(), 4002);
    assert_eq!(
        (p.kernels[0], p.kernels[2000]),
        (2.7000000000000002, 3.3000000000000003)
    );
    assert_eq!((p.kernels[2001], p.kernels[4001]), (-2.25, -2.75));
    assert_eq!((p.kernels[1000], p.kernels[3001]), (3.0, -2.5));
    assert_eq!(p.density.iter().sum::<f64>(), 2.0);
    assert_eq!((p.density[1000], p.density[3001]), (1.0, 1.0));
    let p = pde(&[1e-5]).unwrap();
    assert_eq!(p.kernels.len(), 2001);
    assert_eq!(p.kernels[0], 9.0000000000000002e-06);
    assert_eq!(p.kernels[2000], 1.1e-05);
    // Overflowing seq(): a single kernel.
    let p = pde(&[f64::MAX]).unwrap();
    assert_eq!((p.kernels, p.density), (vec![f64::MAX], vec![1.0]));
    // The radius is ignored in the Dirac branch.
    assert_eq!(
        pde_with_radius(&[2.0; 3], 0.5).unwrap(),
        pde(&[2.0; 3]).unwrap()
    );
}

#[test]
fn pde_drops_non_finite_values() {
    let x = rnorm()[..1000].to_vec();
    let mut y = x.clone();
    y.insert(0, f64::NAN);
    y.insert(300, f64::INFINITY);
    y.push(f64::NEG_INFINITY);
    assert_eq!(pde(&y).unwrap(), pde(&x).unwrap());
}

#[test]
fn pde_one_to_five() {
    let x: Vec<f64> = (1..=5).map(f64::from).collect();
    let p = pde(&x).unwrap();
    assert_eq!(p.radius, 1.0);
    assert_eq!(p.kernels.len(), 82);
    assert!(!is_unsorted(&p.kernels));
    assert_eq!(
        &p.kernels[..4],
        &[1.0, 1.0249999999999999, 1.0750000000000002, 1.125]
    );
    assert_eq!(
        &p.kernels[79..],
        &[4.9250000000000007, 4.9749999999999996, 5.0]
    );
    // R: table(density) is 0.2 (40 times) and 0.3 (42 times).
    let near = |v: f64| {
        p.density
            .iter()
            .filter(|&&d| (d - v).abs() <= 1e-15)
            .count()
    };
    assert_eq!((near(0.2), near(0.3)), (40, 42));
    assert!(p.density[..4]
        .iter()
        .chain(&p.density[79..])
        .all(|&d| (d - 0.3).abs() <= 1e-15));
    assert_eq!(argmax(&p.density), 0);
    assert!((p.density.iter().sum::<f64>() - 20.600000000000001).abs() <= 1e-12);
    assert!((trapz(&p.kernels, &p.density) - 1.0000000000000036).abs() <= 1e-14);
}

#[test]
fn pde_errors_and_given_radius() {
    assert_eq!(pde(&[]), Err(PdeError::TooFewValues { needed: 1, got: 0 }));
    assert_eq!(
        pde(&[f64::NAN]),
        Err(PdeError::TooFewValues { needed: 1, got: 0 })
    );
    assert_eq!(
        pde_with_radius(&[1.0, 2.0, 3.0], -1.0),
        Err(PdeError::InvalidRadius(-1.0))
    );
    assert!(matches!(
        pde_with_radius(&[1.0, 2.0, 3.0], f64::NAN),
        Err(PdeError::InvalidRadius(_))
    ));
    let x = &rnorm()[..1000];
    assert_eq!(pde_with_radius(x, 0.0).unwrap(), pde(x).unwrap());
    // A radius far below the kernel spacing: most spheres are empty but the area stays positive.
    let p = pde_with_radius(x, 1e-9).unwrap();
    assert!(p.density.iter().all(|&d| d >= 0.0));
    // Integer-valued data 1:3 (three unique values, radius 1).
    let p = pde(&[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(p.radius, 1.0);
    assert!((trapz(&p.kernels, &p.density) - 1.0).abs() < 1e-12);
}

#[test]
fn mirror_and_sphere_counts_match_brute_force() {
    let mut rng = Rng(42);
    let x: Vec<f64> = (0..500)
        .map(|_| (rng.normal() * 8.0).round() / 8.0)
        .collect();
    let xs = finite_sorted(&x);
    let (min, max) = (xs[0], xs[499]);
    let r = pareto_radius_sorted(&xs).unwrap();
    let plus = mirror(&x, min, max, r);
    // DataVisualizations' order: the data first, then low and high mirrors.
    assert_eq!(&plus[..500], &x[..]);
    let n_low = x.iter().filter(|&&v| v < min + r).count();
    let n_high = x.iter().filter(|&&v| v > max - r).count();
    assert_eq!(plus.len(), 500 + n_low + n_high);
    assert!(plus[500..500 + n_low].iter().all(|&v| v <= min));
    assert!(plus[500 + n_low..].iter().all(|&v| v >= max));
    let sorted_plus = mirror_sorted(&xs, min, max, r);
    assert_eq!(sorted_plus, finite_sorted(&plus));
    // Counts on every kernel, on the data values themselves and on sphere edges.
    let mut kernels = pde_kernels(&xs, r);
    kernels.extend(xs.iter().step_by(7));
    kernels.extend(xs.iter().step_by(11).map(|v| v + r));
    let counts = sphere_counts(&sorted_plus, &kernels, r);
    for (&k, &c) in kernels.iter().zip(&counts) {
        let (lb, ub) = (k - r, k + r);
        assert_eq!(
            c,
            plus.iter().filter(|&&v| v >= lb && v <= ub).count(),
            "kernel {k}"
        );
    }
    // Mirroring at global bounds (a subset of the data, as the MI code does per class).
    let class: Vec<f64> = xs.iter().copied().filter(|v| v.abs() < 1.0).collect();
    assert_eq!(
        mirror_sorted(&class, min, max, r),
        finite_sorted(&mirror(&class, min, max, r))
    );
}

#[test]
fn kernels_follow_the_nb_rules() {
    let xs = finite_sorted(&rnorm()[..1000]);
    let r = 0.33161803669617107;
    let k = pde_kernels(&xs, r);
    // nB = max(100, 20) = 100: 138 midpoints of pretty(), plus min and max.
    assert_eq!(k.len(), 140);
    assert_eq!((k[0], k[139]), (xs[0], xs[999]));
    // nB = 358 > 100 becomes 3 nB + 1 = 1075; nB = 34655 > 1e4 becomes 1e4.
    let mut x: Vec<f64> = rnorm()[..2000].to_vec();
    x.push(100.0);
    let xs = finite_sorted(&x);
    let breaks = pretty(xs[0], 100.0, 1075, 1);
    assert_eq!(pde_kernels(&xs, 0.3).len(), breaks.len() - 1 + 2);
    *x.last_mut().unwrap() = 1e4;
    let xs = finite_sorted(&x);
    let breaks = pretty(xs[0], 1e4, 10_000, 1);
    assert_eq!(pde_kernels(&xs, 0.3).len(), breaks.len() - 1 + 2);
    assert_ne!(pretty(xs[0], 1e4, 3 * 34655 + 1, 1).len(), breaks.len());
    assert_eq!(pde_kernels(&[], 1.0), Vec::<f64>::new());
    assert_eq!(trapz(&[0.0, 1.0, 0.5], &[1.0, 1.0, 1.0]), 0.5);
    assert_eq!(trapz(&[1.0], &[1.0]), 0.0);
}

/// 0 × 100 and 1 × 100: the 18 % distance is 0, the first positive percentile is p = 50 % (rank
/// 9949 ≥ 9900 zero distances), and its value 1 is shared by 10,000 pairs.
#[test]
fn radius_of_two_tied_values() {
    let x: Vec<f64> = (0..200).map(|i| f64::from(i / 100)).collect();
    assert_eq!(pareto_radius(&x).unwrap(), 1.0);
}
