//! R's sequence builders, ported for bit parity with R 4.2: `pretty()` (src/appl/pretty.c and
//! `pretty.default`), `seq.int(from, to, length.out =)` and `seq(from, to, by =)`. PDE's kernels are the
//! midpoints of `pretty()` breaks, so a kernel one ulp off would move points between Pareto spheres.

/// `R_pretty` with `eps_correction = 0` and `return_bounds = TRUE`, as `pretty.default` calls it, with its
/// defaults `shrink.sml = 0.75`, `high.u.bias = 1.5`, `u5.bias = 0.5 + 1.5·1.5`, `f.min = 2^-20`. Updates
/// `lo`, `up` (the bounds) and `ndiv` (the number of intervals) as the C code does.
fn r_pretty(lo: &mut f64, up: &mut f64, ndiv: &mut i32, min_n: i32) {
    const ROUNDING_EPS: f64 = 1e-10;
    const SHRINK_SML: f64 = 0.75;
    const H: f64 = 1.5;
    const H5: f64 = 0.5 + 1.5 * H;
    const F_MIN: f64 = 1.0 / 1_048_576.0; // 2^-20
    const MAX_F: f64 = 1.25;

    let lo_ = *lo;
    let up_ = *up;
    let dx = up_ - lo_;
    let mut cell;
    let i_small;
    if dx == 0.0 && up_ == 0.0 {
        cell = 1.0;
        i_small = true;
    } else {
        let (a, b) = (lo_.abs(), up_.abs());
        cell = if a < b { b } else { a }; // fmax2
        let mut u = 1.0
            + if H5 >= 1.5 * H + 0.5 {
                1.0 / (1.0 + H)
            } else {
                1.5 / (1.0 + H5)
            };
        u *= f64::from((*ndiv).max(1)) * f64::EPSILON;
        i_small = dx < cell * u * 3.0;
    }

    if i_small {
        if cell > 10.0 {
            cell = 9.0 + cell / 10.0;
        }
        cell *= SHRINK_SML;
        if min_n > 1 {
            cell /= f64::from(min_n);
        }
    } else {
        cell = dx;
        if dx.is_finite() {
            if *ndiv > 1 {
                cell /= f64::from(*ndiv);
            }
        } else if *ndiv >= 2 {
            // up − lo overflowed although both are finite (R warns when ndiv < 2).
            cell = up_ / f64::from(*ndiv) - lo_ / f64::from(*ndiv);
        }
    }

    let mut subsmall = F_MIN * f64::MIN_POSITIVE;
    if subsmall == 0.0 {
        subsmall = f64::MIN_POSITIVE;
    }
    if cell < subsmall {
        cell = subsmall; // R warns "very small range 'cell'"
    } else if cell > f64::MAX / MAX_F {
        cell = f64::MAX / MAX_F; // R warns "very large range 'cell'"
    }

    let base = 10f64.powf(cell.log10().floor());
    let mut unit = base;
    let u2 = 2.0 * base;
    if u2 - cell < H * (cell - unit) {
        unit = u2;
        let u5 = 5.0 * base;
        if u5 - cell < H5 * (cell - unit) {
            unit = u5;
            let u10 = 10.0 * base;
            if u10 - cell < H * (cell - unit) {
                unit = u10;
            }
        }
    }

    let mut ns = (lo_ / unit + ROUNDING_EPS).floor();
    let mut nu = (up_ / unit - ROUNDING_EPS).ceil();
    while ns * unit > *lo + ROUNDING_EPS * unit {
        ns -= 1.0;
    }
    while !(ns * unit).is_finite() {
        ns += 1.0;
    }
    while nu * unit < *up - ROUNDING_EPS * unit {
        nu += 1.0;
    }
    while !(nu * unit).is_finite() {
        nu -= 1.0;
    }

    let mut k = (0.5 + nu - ns) as i32;
    if k < min_n {
        k = min_n - k;
        if lo_ == 0.0 && ns == 0.0 && up_ != 0.0 {
            nu += f64::from(k);
        } else if up_ == 0.0 && nu == 0.0 && lo_ != 0.0 {
            ns -= f64::from(k);
        } else if ns >= 0.0 {
            nu += f64::from(k / 2);
            ns -= f64::from(k / 2 + k % 2);
        } else {
            ns -= f64::from(k / 2);
            nu += f64::from(k / 2 + k % 2);
        }
        *ndiv = min_n;
    } else {
        *ndiv = k;
    }
    if ns * unit < *lo {
        *lo = ns * unit;
    }
    if nu * unit > *up {
        *up = nu * unit;
    }
}

/// R's `seq.int(from, to, length.out = len)` for finite `from` and `to` (src/main/seq.c). Its integer
/// result, when everything is integral, holds the same values as this double one.
fn seq_length_out(from: f64, to: f64, len: usize) -> Vec<f64> {
    let mut out = vec![0.0; len];
    if len == 0 {
        return out;
    }
    out[0] = from;
    if len > 1 {
        out[len - 1] = to;
    }
    if len > 2 {
        let nint = (len - 1) as f64;
        let del = to - from;
        if del.is_finite() {
            let by = del / nint;
            for (i, o) in out.iter_mut().enumerate().take(len - 1).skip(1) {
                *o = from + i as f64 * by;
            }
        } else {
            // to − from overflowed: work at a quarter of the scale.
            let by = (to / nint - from / nint) / 4.0;
            let from4 = from / 4.0;
            for (i, o) in out.iter_mut().enumerate().take(len - 1).skip(1) {
                *o = (from4 + i as f64 * by) * 4.0;
            }
        }
    }
    out
}

/// R's `pretty(c(lo, hi), n = n, min.n = min_n)` (R 4.2 `pretty.default` with all other arguments at their
/// defaults), bit for bit: about `n + 1` equally spaced round values covering `[min, max]` of the finite
/// ones among `lo` and `hi` (empty if neither is finite). `n` is capped at `i32::MAX` and `min_n` at `n`
/// (R stops with "invalid 'min.n' argument" when `min_n > n`).
pub fn pretty(lo: f64, hi: f64, n: usize, min_n: usize) -> Vec<f64> {
    // pretty.default keeps the finite values and takes min() and max() (the first of equal values wins).
    let (mut l, mut u) = match (lo.is_finite(), hi.is_finite()) {
        (true, true) => (if hi < lo { hi } else { lo }, if hi > lo { hi } else { lo }),
        (true, false) => (lo, lo),
        (false, true) => (hi, hi),
        (false, false) => return Vec::new(),
    };
    let n = i32::try_from(n).unwrap_or(i32::MAX);
    let min_n = i32::try_from(min_n).unwrap_or(i32::MAX).min(n);
    let mut ndiv = n;
    r_pretty(&mut l, &mut u, &mut ndiv, min_n);
    let mut s = seq_length_out(l, u, ndiv as usize + 1);
    if ndiv != 0 {
        // delta <- diff(range(z$l, z$u) / n)
        let nd = f64::from(ndiv);
        let (a, b) = if u < l { (u, l) } else { (l, u) };
        let delta = b / nd - a / nd;
        for v in &mut s {
            if v.abs() < 1e-14 * delta {
                *v = 0.0;
            }
        }
    }
    s
}

/// R's `seq(from, to, by = by)` for doubles (`seq.default`), or `None` where R stops.
pub fn seq_by(from: f64, to: f64, by: f64) -> Option<Vec<f64>> {
    if !from.is_finite() || !to.is_finite() {
        return None;
    }
    let del = to - from;
    if del == 0.0 && to == 0.0 {
        return Some(vec![to]);
    }
    let n = del / by;
    if !n.is_finite() {
        return (by == 0.0 && del == 0.0).then(|| vec![from]);
    }
    if n < 0.0 || n > f64::from(i32::MAX) {
        return None;
    }
    if del.abs() / from.abs().max(to.abs()) < 100.0 * f64::EPSILON {
        return Some(vec![from]);
    }
    let n = (n + 1e-10) as usize;
    Some(
        (0..=n)
            .map(|i| {
                let v = from + i as f64 * by;
                if by > 0.0 {
                    if v > to {
                        to
                    } else {
                        v
                    }
                } else if v < to {
                    to
                } else {
                    v
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_matches_r_bit_for_bit() {
        let mut cases = 0;
        let mut values = 0;
        for line in include_str!("testdata/pretty_cases.txt").lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            let lo: f64 = f[0].parse().unwrap();
            let hi: f64 = f[1].parse().unwrap();
            let n: usize = f[2].parse().unwrap();
            let len: usize = f[3].parse().unwrap();
            let b = pretty(lo, hi, n, 1);
            assert_eq!(b.len(), len, "pretty({lo:e}, {hi:e}, {n})");
            for t in &f[4..] {
                let (i, v) = t.split_once(':').unwrap();
                let (i, v): (usize, f64) = (i.parse().unwrap(), v.parse().unwrap());
                assert_eq!(
                    b[i].to_bits(),
                    v.to_bits(),
                    "pretty({lo:e}, {hi:e}, {n})[{i}]: {:e} vs {v:e}",
                    b[i]
                );
                values += 1;
            }
            cases += 1;
        }
        assert_eq!(cases, 387);
        assert!(values > 5000);
    }

    #[test]
    fn pretty_r1_grid_and_edge_cases() {
        // R1 (`set.seed(1); range(rnorm(1000))`): unit 0.05, ns = -61, nu = 77.
        let b = pretty(-3.008_048_598_920_481, 3.810_276_680_710_665, 100, 1);
        assert_eq!(b.len(), 139);
        assert_eq!(b[0], -61.0 * 0.05);
        assert_eq!(b[138], 77.0 * 0.05);
        assert_eq!(pretty(f64::NAN, f64::INFINITY, 5, 1), Vec::<f64>::new());
        assert_eq!(pretty(1.0, f64::NAN, 5, 1), pretty(1.0, 1.0, 5, 1));
        assert_eq!(pretty(5.0, 1.0, 4, 1), vec![1.0, 2.0, 3.0, 4.0, 5.0]);
        // R: pretty(c(0, 0), n = 1, min.n = 1) is c(-1, 0); pretty(c(0, 1), n = 2, min.n = 2).
        assert_eq!(pretty(0.0, 0.0, 1, 1), vec![-1.0, 0.0]);
        assert_eq!(pretty(0.0, 1.0, 2, 2), vec![0.0, 0.5, 1.0]);
        // min.n > n is capped at n.
        assert_eq!(pretty(0.0, 1.0, 2, 7), pretty(0.0, 1.0, 2, 2));
    }
}
