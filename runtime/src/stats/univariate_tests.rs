//! The univariate O(n log n) dcor against its O(n²) definition.

use super::*;
use crate::summary::Neumaier;
use crate::testutil::Rng;

/// The statistics of a computation nobody polls or cancels.
fn dcov_univariate(x: &[f64], y: &[f64]) -> UnivariateDcov {
    Steps::unpolled(|steps| super::dcov_univariate(x, y, steps)).expect("never cancelled")
}

#[test]
fn polling_sees_every_step_and_a_cancel_stops_the_computation() {
    let x = crate::testutil::noise(300_000, 3);
    let y: Vec<f64> = x
        .iter()
        .zip(crate::testutil::noise(300_000, 4))
        .map(|(a, b)| a + b)
        .collect();
    let total = univariate_steps(x.len());
    let mut seen = (0, 0);
    let mut watch = |done: usize, of: usize, _secs: f64| {
        seen = (seen.0.max(done), of);
        true
    };
    let polled = crate::exec::run_steps(
        total,
        |s| super::dcov_univariate(&x, &y, s),
        Some(&mut watch),
    );
    assert_eq!(polled.unwrap().v, dcov_univariate(&x, &y).v);
    assert!(seen.1 == total && seen.0 <= total);
    let mut stop = |_: usize, _: usize, _: f64| false;
    let stopped = crate::exec::run_steps(
        total,
        |s| super::dcov_univariate(&x, &y, s),
        Some(&mut stop),
    );
    assert_eq!(stopped.err(), Some(crate::exec::ExecError::Interrupted));
}

/// The definitions of §1.2–1.3, O(n²) time and O(n) memory: double-centred (V, diagonal included) and
/// U-centred (diagonal 0) distance matrices, entry by entry.
fn brute(x: &[f64], y: &[f64]) -> (Moments, Option<Moments>) {
    let n = x.len();
    let nf = n as f64;
    let rows = |v: &[f64]| -> (Vec<f64>, f64) {
        let r: Vec<f64> = v
            .iter()
            .map(|&a| {
                let mut s = Neumaier::default();
                v.iter().for_each(|&b| s.add((a - b).abs()));
                s.value()
            })
            .collect();
        let mut g = Neumaier::default();
        r.iter().for_each(|&a| g.add(a));
        (r, g.value())
    };
    let (ra, ga) = rows(x);
    let (rb, gb) = rows(y);
    // V centring: row means and grand mean; U centring: divisors n − 2 and (n − 1)(n − 2).
    let (va, vb) = (ga / (nf * nf), gb / (nf * nf));
    let (ua, ub) = (
        ga / ((nf - 1.0) * (nf - 2.0)),
        gb / ((nf - 1.0) * (nf - 2.0)),
    );
    let mean = |r: &[f64], d: f64| -> Vec<f64> { r.iter().map(|a| a / d).collect() };
    let (ma, mb) = (mean(&ra, nf), mean(&rb, nf));
    let (pa, pb) = (mean(&ra, nf - 2.0), mean(&rb, nf - 2.0));
    // Plain sums within a row (each is well below the 1e-11 tolerance in error), compensated across rows.
    let row_terms: Vec<[f64; 6]> = crate::pool::install(|| {
        (0..n)
            .into_par_iter()
            .map(|i| {
                let mut s = [0.0; 6];
                for j in 0..n {
                    let (a, b) = ((x[i] - x[j]).abs(), (y[i] - y[j]).abs());
                    let av = a - ma[i] - ma[j] + va;
                    let bv = b - mb[i] - mb[j] + vb;
                    let au = a - pa[i] - pa[j] + ua;
                    let bu = b - pb[i] - pb[j] + ub;
                    s[0] += av * bv;
                    s[1] += av * av;
                    s[2] += bv * bv;
                    s[3] += au * bu;
                    s[4] += au * au;
                    s[5] += bu * bu;
                }
                // The U-statistic has no diagonal: take back its term j = i.
                let (au, bu) = (ua - 2.0 * pa[i], ub - 2.0 * pb[i]);
                s[3] -= au * bu;
                s[4] -= au * au;
                s[5] -= bu * bu;
                s
            })
            .collect()
    });
    let mut s = [Neumaier::default(); 6];
    for r in row_terms {
        for (a, b) in s.iter_mut().zip(r) {
            a.add(b);
        }
    }
    let v = Moments {
        xy: s[0].value() / (nf * nf),
        xx: s[1].value() / (nf * nf),
        yy: s[2].value() / (nf * nf),
    };
    let d = nf * (nf - 3.0);
    let u = (n >= 4).then(|| Moments {
        xy: s[3].value() / d,
        xx: s[4].value() / d,
        yy: s[5].value() / d,
    });
    (v, u)
}

/// Relative tolerance `tol`, against `|want|` or, where that is smaller, an absolute `scale` per moment:
/// the covariance can be ~0 (nearly independent samples, or U below 0), and a small sample's U-centred
/// variances can be ~0 by cancellation, so below those scales the error is measured against them; the
/// O(n²) reference itself is only accurate to a few ulps of that scale.
fn assert_moments(got: Moments, want: Moments, tol: f64, scale: [f64; 3], what: &str) {
    for (g, w, s, name) in [
        (got.xy, want.xy, scale[0], "xy"),
        (got.xx, want.xx, scale[1], "xx"),
        (got.yy, want.yy, scale[2], "yy"),
    ] {
        assert!(
            (g - w).abs() <= tol * w.abs().max(s),
            "{what} {name}: got {g:e}, want {w:e}, rel err {:e}",
            (g - w).abs() / w.abs()
        );
    }
}

/// Checks both statistics against the definition; `floor` scales the V-statistics' magnitudes into the
/// scales below which errors are absolute (the covariance's Cauchy–Schwarz bound, and for U the
/// V-variances).
fn assert_matches_brute(x: &[f64], y: &[f64], tol: f64, floor: f64, what: &str) {
    let got = dcov_univariate(x, y);
    let (v, u) = brute(x, y);
    let cs = floor * (v.xx * v.yy).sqrt();
    assert_moments(got.v, v, tol, [cs, 0.0, 0.0], &format!("{what} V"));
    assert_eq!(got.u.is_some(), u.is_some(), "{what}: U presence");
    if let (Some(g), Some(w)) = (got.u, u) {
        let scale = [cs, floor * v.xx, floor * v.yy];
        assert_moments(g, w, tol, scale, &format!("{what} U"));
    }
}

/// Small samples of several shapes: continuous, dependent, heavily tied, signed zeros, offset and scaled.
fn small_case(rng: &mut Rng, n: usize, shape: u64) -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> = match shape {
        0 | 1 => (0..n).map(|_| rng.normal()).collect(),
        2 => (0..n).map(|_| rng.below(4) as f64).collect(),
        3 => (0..n).map(|_| [0.0, -0.0, 1.0][rng.below(3)]).collect(),
        4 => (0..n).map(|_| 1e6 + rng.normal()).collect(),
        5 => (0..n).map(|_| -1e8 + rng.below(7) as f64 * 0.25).collect(),
        _ => (0..n).map(|_| 1e-3 * rng.normal()).collect(),
    };
    let y: Vec<f64> = match shape {
        1 | 5 => x
            .iter()
            .map(|&a| (a - x[0]).powi(2) + rng.normal())
            .collect(),
        2 => x.iter().map(|&a| a + rng.below(3) as f64).collect(),
        3 => (0..n).map(|_| rng.below(2) as f64).collect(),
        4 => (0..n).map(|_| -1e6 + 1e3 * rng.normal()).collect(),
        _ => (0..n).map(|_| rng.normal()).collect(),
    };
    (x, y)
}

#[test]
fn small_samples_match_the_definition() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for n in (2..=50).chain([7, 9, 13]) {
        for shape in 0..7 {
            let (x, y) = small_case(&mut rng, n, shape);
            assert_matches_brute(&x, &y, 1e-12, 1e-3, &format!("n={n} shape={shape}"));
        }
    }
}

/// The constants are dcor-reference.txt's %.17g output, verbatim.
#[test]
#[allow(clippy::excessive_precision, clippy::approx_constant)]
fn energy_reference_values() {
    let rel = |got: f64, want: f64| (got - want).abs() / want.abs();
    // C x=1:5, y=x^2: dcov2d V, U and bcdcor.
    let x: Vec<f64> = (1..=5).map(f64::from).collect();
    let y: Vec<f64> = x.iter().map(|v| v * v).collect();
    let r = dcov_univariate(&x, &y);
    let u = r.u.unwrap();
    assert!(rel(r.v.xy, 7.2959999999999994) < 1e-12, "{r:?}");
    assert!(rel(u.xy, 6.4000000000000057) < 1e-12, "{r:?}");
    assert!(rel(u.xy / (u.xx * u.yy).sqrt(), 0.99312706632284153) < 1e-12);
    // .dcov = [dCov, dCor, dVarX, dVarY]
    assert!(rel(r.v.xy.sqrt(), 2.7011108825814611) < 1e-12);
    assert!(rel(r.v.xx.sqrt(), 1.1027239001672178) < 1e-12);
    assert!(rel(r.v.yy.sqrt(), 6.7929375089132096) < 1e-12);

    // C x=c(0,1,3,7), y=c(2,0,1,5)
    let r = dcov_univariate(&[0.0, 1.0, 3.0, 7.0], &[2.0, 0.0, 1.0, 5.0]);
    assert!(rel(r.v.xy.sqrt(), 1.6201851746019651) < 1e-12, "{r:?}");
    assert!(rel(r.v.xx.sqrt(), 2.1830311495716224) < 1e-12, "{r:?}");
    assert!(rel(r.v.yy.sqrt(), 1.5) < 1e-12, "{r:?}");
    let dcor = r.v.xy.sqrt() / (r.v.xx.sqrt() * r.v.yy.sqrt()).sqrt();
    assert!(rel(dcor, 0.89534220722549185) < 1e-12);
    let u = r.u.unwrap();
    assert!(rel(u.xy / (u.xx * u.yy).sqrt(), -0.5) < 1e-12, "{u:?}");

    // C n=2: .dcov(c(1,2), c(3,5)) = 0.70710678118654757 1 0.5 1; no U-statistics.
    let r = dcov_univariate(&[1.0, 2.0], &[3.0, 5.0]);
    assert!(rel(r.v.xy.sqrt(), 0.70710678118654757) < 1e-12, "{r:?}");
    assert!(rel(r.v.xx.sqrt(), 0.5) < 1e-12 && rel(r.v.yy.sqrt(), 1.0) < 1e-12);
    assert!(r.u.is_none());

    // C n=1: all zeros; n=3: U undefined.
    let zero = Moments {
        xy: 0.0,
        xx: 0.0,
        yy: 0.0,
    };
    assert_eq!(
        dcov_univariate(&[1.0], &[2.0]),
        UnivariateDcov { v: zero, u: None }
    );
    assert!(dcov_univariate(&[1.0, 5.0, 2.0], &[0.0, 1.0, 3.0])
        .u
        .is_none());

    // D constant x: .dcov(rep(3,10), 1:10) = 0 0 0 2.134010309253449; U of the constant is 0 too.
    let y: Vec<f64> = (1..=10).map(f64::from).collect();
    let r = dcov_univariate(&[3.0; 10], &y);
    assert_eq!((r.v.xy, r.v.xx), (0.0, 0.0));
    assert!(rel(r.v.yy.sqrt(), 2.134010309253449) < 1e-12, "{r:?}");
    let u = r.u.unwrap();
    assert_eq!((u.xy, u.xx), (0.0, 0.0));
}

/// Data on a grid of 2^-20 survive +1e8 and −1e6 exactly, so the true statistics are unchanged;
/// energy's dcov2d returns 1.0763 for 0.1087 under such a shift (dcor-reference "D offset").
#[test]
fn location_offsets_do_not_change_the_result() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let n = 5000;
    let x: Vec<f64> = (0..n)
        .map(|_| (rng.normal() * (1 << 20) as f64).round() / (1 << 20) as f64)
        .collect();
    let y: Vec<f64> = x
        .iter()
        .map(|&a| ((a * a + rng.normal()) * (1 << 20) as f64).round() / (1 << 20) as f64)
        .collect();
    let xs: Vec<f64> = x.iter().map(|a| a + 1e8).collect();
    let ys: Vec<f64> = y.iter().map(|a| a - 1e6).collect();
    assert!(xs.iter().zip(&x).all(|(s, a)| s - 1e8 == *a));
    let plain = dcov_univariate(&x, &y);
    let shifted = dcov_univariate(&xs, &ys);
    assert_moments(shifted.v, plain.v, 1e-10, [0.0; 3], "V");
    assert_moments(shifted.u.unwrap(), plain.u.unwrap(), 1e-10, [0.0; 3], "U");
    // Centring at a data element is exact on such data, so the results are even bit-identical.
    assert_eq!(shifted, plain);
}

/// Against the O(n²) definition at a size where the closed form cancels about log10(n) digits: plain
/// f64 accumulation is off by about 3e-10 here for independent data.
#[test]
fn large_samples_match_the_definition() {
    let n = if cfg!(debug_assertions) {
        2_000
    } else {
        20_000
    };
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let x: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let dependent: Vec<f64> = x.iter().map(|a| a * a + rng.normal()).collect();
    let independent: Vec<f64> = (0..n).map(|_| 3.0 + rng.normal()).collect();
    // Two decimals: thousands of ties in every variable.
    let tied_x: Vec<f64> = x.iter().map(|a| (a * 100.0).round() / 100.0).collect();
    let tied_y: Vec<f64> = dependent
        .iter()
        .map(|a| (a * 100.0).round() / 100.0)
        .collect();
    // The floor 1e-6 makes every comparison here relative: dCov² of the independent pair is ~1e-4 of
    // its scale.
    assert_matches_brute(&x, &dependent, 1e-11, 1e-6, "dependent");
    assert_matches_brute(&x, &independent, 1e-11, 1e-6, "independent");
    assert_matches_brute(&tied_x, &tied_y, 1e-11, 1e-6, "tied");
}

#[test]
fn results_are_deterministic_and_thread_count_free() {
    let mut rng = Rng(7);
    let n = 300_000;
    let x: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let y: Vec<f64> = x.iter().map(|a| a.sin() + rng.normal()).collect();
    let _serial = crate::pool::TEST_THREADS
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    crate::pool::set_threads(2);
    let first = dcov_univariate(&x, &y);
    let again = dcov_univariate(&x, &y);
    crate::pool::set_threads(1);
    let serial = dcov_univariate(&x, &y);
    crate::pool::set_threads(0);
    assert_eq!(first, again);
    assert_eq!(first, serial);
}

/// Scaling by a power of two is exact everywhere, including the grids, so the moments scale exactly.
#[test]
fn power_of_two_scaling_and_swapping_are_exact() {
    let mut rng = Rng(11);
    let x: Vec<f64> = (0..1000).map(|_| rng.normal()).collect();
    let y: Vec<f64> = x.iter().map(|a| a.abs() + rng.normal()).collect();
    let r = dcov_univariate(&x, &y);
    let x4: Vec<f64> = x.iter().map(|a| a * 4.0).collect();
    let y8: Vec<f64> = y.iter().map(|a| a / 8.0).collect();
    let s = dcov_univariate(&x4, &y8);
    assert_eq!(s.v.xy, r.v.xy / 2.0);
    assert_eq!(s.v.xx, r.v.xx * 16.0);
    assert_eq!(s.v.yy, r.v.yy / 64.0);
    let (ru, su) = (r.u.unwrap(), s.u.unwrap());
    assert_eq!(
        (su.xy, su.xx, su.yy),
        (ru.xy / 2.0, ru.xx * 16.0, ru.yy / 64.0)
    );
    // Swapping x and y swaps the variances; the covariance agrees to rounding.
    let w = dcov_univariate(&y, &x);
    assert_eq!((w.v.xx, w.v.yy), (r.v.yy, r.v.xx));
    assert!((w.v.xy - r.v.xy).abs() <= 1e-15 * r.v.xy);
    assert!((w.u.unwrap().xy - ru.xy).abs() <= 1e-15 * ru.xy.abs());
}
