//! Plug-in mutual information of two discrete variables, and entropy.

use crate::summary::Neumaier;

/// Plug-in mutual information `Σ p(x,y)·log(p(x,y) / (p(x)·p(y)))` of two discrete variables, in nats.
///
/// Codes at or above `kx` (`ky`) mark a missing value and drop the pair, as do pairs past the shorter
/// slice. The contingency table is kept sparse (sorted cell keys), so memory is O(n) whatever kx·ky is.
/// Each term compares the exact integers `n_xy·n` and `n_x·n_y`, so an exact product table gives exactly 0.
pub fn mi_discrete(x_codes: &[u32], kx: usize, y_codes: &[u32], ky: usize) -> f64 {
    let mut cells: Vec<u64> = x_codes
        .iter()
        .zip(y_codes)
        .filter(|&(&a, &b)| (a as usize) < kx && (b as usize) < ky)
        .map(|(&a, &b)| (u64::from(a) << 32) | u64::from(b))
        .collect();
    if cells.is_empty() {
        return 0.0;
    }
    cells.sort_unstable();
    let y_margin = y_margin(&cells);
    let n = cells.len() as u128;
    let mut mi = Neumaier::default();
    for x_run in cells.chunk_by(|a, b| a >> 32 == b >> 32) {
        let nx = x_run.len() as u128;
        for cell in x_run.chunk_by(|a, b| a == b) {
            let y = cell[0] as u32;
            let ny = y_margin[y_margin.partition_point(|&(v, _)| v < y)].1 as u128;
            let nxy = cell.len() as u128;
            let ratio = (nxy * n) as f64 / (nx * ny) as f64;
            mi.add(nxy as f64 / n as f64 * ratio.ln());
        }
    }
    // A KL divergence is never negative; rounding can only take a near-independent table a hair below 0.
    mi.value().max(0.0)
}

/// (y code, count) for every y present in the cell keys, by code.
fn y_margin(cells: &[u64]) -> Vec<(u32, usize)> {
    let mut ys: Vec<u32> = cells.iter().map(|&c| c as u32).collect();
    ys.sort_unstable();
    ys.chunk_by(|a, b| a == b)
        .map(|run| (run[0], run.len()))
        .collect()
}

/// Shannon entropy of a frequency table in nats; the upper bound of any MI with that variable. Zero cells
/// contribute nothing and an empty table has entropy 0.
pub fn entropy_of_counts(counts: &[usize]) -> f64 {
    let n: f64 = counts.iter().map(|&c| c as f64).sum();
    let mut h = Neumaier::default();
    for &c in counts.iter().filter(|&&c| c > 0) {
        let p = c as f64 / n;
        h.add(-p * p.ln());
    }
    h.value()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{close, Rng};

    #[test]
    fn discrete_mi_of_hand_computed_tables() {
        // [[2, 1, 1], [0, 1, 3]]: MI = ¼·ln 2 + ⅛·ln ½ + ⅜·ln(3/2) (the other cells have ratio 1 or are empty).
        let x = [0, 0, 0, 0, 1, 1, 1, 1];
        let y = [0, 0, 1, 2, 1, 2, 2, 2];
        let want = 0.125 * std::f64::consts::LN_2 + 0.375 * 1.5f64.ln();
        assert!((mi_discrete(&x, 2, &y, 3) - want).abs() < 1e-15);
        assert!((mi_discrete(&y, 3, &x, 2) - want).abs() < 1e-15);

        // Perfect dependence: MI = H.
        let codes: Vec<u32> = [(0, 3), (1, 5), (2, 2), (3, 7)]
            .iter()
            .flat_map(|&(c, k)| std::iter::repeat_n(c, k))
            .collect();
        let relabelled: Vec<u32> = codes.iter().map(|&c| 3 - c).collect();
        let h = entropy_of_counts(&[3, 5, 2, 7]);
        assert!((mi_discrete(&codes, 4, &relabelled, 4) - h).abs() < 1e-15);

        // An exact product table (row shares 1:2, column shares 1:3:4): MI is exactly 0.
        let mut xi = Vec::new();
        let mut yi = Vec::new();
        for (a, ra) in [(0u32, 1), (1, 2)] {
            for (b, rb) in [(0u32, 1), (1, 3), (2, 4)] {
                for _ in 0..ra * rb {
                    xi.push(a);
                    yi.push(b);
                }
            }
        }
        assert_eq!(mi_discrete(&xi, 2, &yi, 3), 0.0);
    }

    #[test]
    fn discrete_mi_is_symmetric_bounded_and_drops_missing_codes() {
        let mut rng = Rng(3);
        let x: Vec<u32> = (0..5000).map(|_| rng.below(6) as u32).collect();
        let y: Vec<u32> = x
            .iter()
            .map(|&a| {
                if rng.uniform() < 0.6 {
                    a % 4
                } else {
                    rng.below(4) as u32
                }
            })
            .collect();
        let mi = mi_discrete(&x, 6, &y, 4);
        assert!((mi - mi_discrete(&y, 4, &x, 6)).abs() < 1e-14);
        let count = |v: &[u32], k: usize| {
            (0..k)
                .map(|c| v.iter().filter(|&&a| a as usize == c).count())
                .collect::<Vec<_>>()
        };
        assert!(mi > 0.0 && mi <= entropy_of_counts(&count(&y, 4)));

        let mut xm = x.clone();
        let mut ym = y.clone();
        xm.push(6);
        ym.push(0);
        xm.push(0);
        ym.push(u32::MAX);
        assert_eq!(mi_discrete(&xm, 6, &ym, 4), mi);
        assert_eq!(mi_discrete(&[], 3, &[], 3), 0.0);
        assert_eq!(mi_discrete(&[1, 1, 1], 3, &[0, 2, 1], 3), 0.0);
        assert_eq!(mi_discrete(&[0, 1], 0, &[0, 1], 2), 0.0);
    }

    #[test]
    fn entropy_of_reference_tables() {
        assert!(close(
            entropy_of_counts(&[1000, 2000, 1000]),
            1.0397207708399179,
            1e-15
        ));
        assert!((entropy_of_counts(&[5, 0, 5, 5, 5]) - 4f64.ln()).abs() < 1e-15);
        assert_eq!(entropy_of_counts(&[]), 0.0);
        assert_eq!(entropy_of_counts(&[0, 0]), 0.0);
        assert_eq!(entropy_of_counts(&[7]), 0.0);
    }
}
