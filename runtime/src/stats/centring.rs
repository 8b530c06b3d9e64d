//! Centred n × n distance matrices with energy's arithmetic, operation for operation: `U_center`,
//! `D_center`, the U-product `(U·V)`, the projection of one U-centred matrix off another, and the
//! U-products of a matrix whose rows and columns are permuted. The partial distance covariance test of
//! energy permutes its n × n projections, and its replicates can only be reproduced bit for bit by
//! summing the same products in the same order; so these are O(n²) in memory by nature, and each
//! replicate is summed serially while replicates run in parallel.
//!
//! Matrices are column-major slices of length n², as R stores them.

use rayon::prelude::*;

use crate::plan::{self, PlanError};
use crate::pool;

/// Which centring: energy's `U_center` (for U-statistics, zero diagonal) or `D_center` (double centring).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Centring {
    U,
    Double,
}

/// The centred matrix of the n × n distance matrix `d`. Row sums are accumulated left to right and the
/// grand sum over the unscaled row sums, then each pair (r ≤ c) gets `d[r,c] − ā_r − ā_c + ā` and its
/// mirror the same value, as energy computes them.
pub fn centre(d: &[f64], n: usize, how: Centring) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    centre_into(d, n, how, &mut out);
    out
}

/// [`centre`] written into `out` (n²), such as a matrix R has allocated for the result.
pub fn centre_into(d: &[f64], n: usize, how: Centring, out: &mut [f64]) {
    assert_eq!(d.len(), n * n, "a square matrix");
    assert_eq!(out.len(), n * n, "a square result");
    let at = |r: usize, c: usize| d[r + c * n];
    let sums: Vec<f64> = pool::install(|| {
        (0..n)
            .into_par_iter()
            .map(|r| (0..n).fold(0.0, |s, c| s + at(r, c)))
            .collect()
    });
    let grand = sums.iter().fold(0.0, |s, v| s + v);
    let (nf, n1, n2) = (n as f64, n as f64 - 1.0, n as f64 - 2.0);
    let (row_div, grand_div) = match how {
        Centring::U => (n2, n1 * n2),
        Centring::Double => (nf, nf * nf),
    };
    let means: Vec<f64> = sums.iter().map(|s| s / row_div).collect();
    let mean = grand / grand_div;
    pool::install(|| {
        out.par_chunks_mut(n.max(1))
            .enumerate()
            .for_each(|(c, col)| {
                for (r, v) in col.iter_mut().enumerate() {
                    let (lo, hi) = if r <= c { (r, c) } else { (c, r) };
                    *v = if how == Centring::U && r == c {
                        0.0
                    } else {
                        at(lo, hi) - means[lo] - means[hi] + mean
                    };
                }
            })
    });
}

/// energy's U-product `(U·V) = 2/(n(n−3)) Σ_{i>j} U_ij V_ij` of two U-centred matrices, the lower
/// triangle summed row by row.
pub fn u_product(u: &[f64], v: &[f64], n: usize) -> f64 {
    let mut s = 0.0;
    for i in 0..n {
        for j in 0..i {
            s += u[i + j * n] * v[i + j * n];
        }
    }
    2.0 * s / (n as f64 * (n as f64 - 3.0))
}

/// One permuted U-product per permutation (each n 0-based indices), four at a time in parallel, polled
/// like a pass (progress, Ctrl-C).
pub fn permuted_u_products(
    u: &[f64],
    v: &[f64],
    n: usize,
    perms: &[Vec<usize>],
) -> Result<Vec<f64>, PlanError> {
    let blocks: Vec<&[Vec<usize>]> = perms.chunks(4).collect();
    let sums = plan::map_indices(blocks.len(), |b| match blocks[b] {
        [a, b, c, d] => permuted_block::<4>(u, v, n, [a, b, c, d]).to_vec(),
        block => block
            .iter()
            .map(|p| permuted_block::<1>(u, v, n, [p])[0])
            .collect(),
    })?;
    Ok(sums.into_iter().flatten().collect())
}

/// K permuted U-products `(U_π·V)` with `U_π[i,j] = U[π_i, π_j]` (energy's `U_product(Pxz[i, i], Pyz)`),
/// in one sweep of V and without forming the permuted matrices. Each replicate's sum is a serial chain in
/// energy's order, so that it is the same number; K independent chains keep the core busy while each
/// waits on its additions. Both matrices must be symmetric (centred distance matrices and their
/// projections are, exactly): row i's terms are then read down columns π_i and i, contiguous in memory.
fn permuted_block<const K: usize>(
    u: &[f64],
    v: &[f64],
    n: usize,
    perms: [&[usize]; K],
) -> [f64; K] {
    let mut s = [0.0; K];
    for i in 0..n {
        let vcol = &v[i * n..i * n + i];
        let ucols: [&[f64]; K] = std::array::from_fn(|k| &u[perms[k][i] * n..perms[k][i] * n + n]);
        for (j, &vij) in vcol.iter().enumerate() {
            for k in 0..K {
                s[k] += ucols[k][perms[k][j]] * vij;
            }
        }
    }
    s.map(|x| 2.0 * x / (n as f64 * (n as f64 - 3.0)))
}

/// energy's `projection(Dx, Dz)`, written into `out` (n², such as a matrix R has allocated): the
/// U-centred Dx minus its component along the U-centred Dz, `Ã − ((Ã·C̃)/(C̃·C̃)) C̃`, the coefficient 0
/// when `|C̃·C̃|` is at most machine epsilon. Ã is formed in `out` and reduced in place.
pub fn projection_into(dx: &[f64], dz: &[f64], n: usize, out: &mut [f64]) {
    centre_into(dx, n, Centring::U, out);
    let c = centre(dz, n, Centring::U);
    let (ac, cc) = (u_product(out, &c, n), u_product(&c, &c, n));
    let k = if cc.abs() > f64::EPSILON {
        ac / cc
    } else {
        0.0
    };
    for (p, c) in out.iter_mut().zip(&c) {
        *p -= k * c;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distances(x: &[f64]) -> Vec<f64> {
        let n = x.len();
        let mut d = vec![0.0; n * n];
        for c in 0..n {
            for r in 0..n {
                d[r + c * n] = (x[r] - x[c]).abs();
            }
        }
        d
    }

    #[test]
    fn u_centred_rows_sum_to_zero_and_diagonal_is_zero() {
        let x = [0.0, 1.0, 3.0, 7.0, 2.5, -1.0];
        let n = x.len();
        let a = centre(&distances(&x), n, Centring::U);
        for r in 0..n {
            assert_eq!(a[r + r * n], 0.0);
            let s: f64 = (0..n).map(|c| a[r + c * n]).sum();
            assert!(s.abs() < 1e-12, "row {r} sums to {s}");
        }
        let b = centre(&distances(&x), n, Centring::Double);
        let s: f64 = b.iter().sum();
        assert!(s.abs() < 1e-12);
        assert!(b[0] != 0.0);
    }

    #[test]
    fn u_product_of_x_with_itself_matches_the_closed_form() {
        // For x = c(0, 1, 3, 7) energy's U_product(U_center(D), U_center(D)) is 8/3.
        let x = [0.0, 1.0, 3.0, 7.0];
        let a = centre(&distances(&x), 4, Centring::U);
        let manual: f64 = (0..4)
            .flat_map(|i| (0..i).map(move |j| (i, j)))
            .map(|(i, j)| a[i + j * 4] * a[i + j * 4])
            .sum::<f64>()
            * 2.0
            / 4.0;
        assert_eq!(u_product(&a, &a, 4), manual);
        assert!((manual - 8.0 / 3.0).abs() < 1e-12, "{manual}");
    }

    #[test]
    fn identity_permutation_gives_the_plain_product_and_others_differ() {
        let x = [0.3, 1.0, 3.0, 7.0, 2.5, -1.0, 4.2];
        let y = [1.0, 0.5, 2.0, 9.0, 3.5, -2.0, 4.0];
        let n = x.len();
        let a = centre(&distances(&x), n, Centring::U);
        let b = centre(&distances(&y), n, Centring::U);
        let id: Vec<usize> = (0..n).collect();
        let rev: Vec<usize> = (0..n).rev().collect();
        let r = permuted_u_products(&a, &b, n, &[id, rev.clone()]).unwrap();
        assert_eq!(r[0], u_product(&a, &b, n));
        let xr: Vec<f64> = rev.iter().map(|&i| x[i]).collect();
        let ar = centre(&distances(&xr), n, Centring::U);
        assert!((r[1] - u_product(&ar, &b, n)).abs() < 1e-12);
        assert!((r[1] - r[0]).abs() > 1e-6);
    }

    #[test]
    fn blocks_of_replicates_give_each_replicate_exactly() {
        let x: Vec<f64> = (0..23)
            .map(|i| ((i * 37 % 23) as f64).sin() * 3.0)
            .collect();
        let y: Vec<f64> = (0..23).map(|i| (i as f64 * 0.7).cos() + x[i]).collect();
        let n = x.len();
        let a = centre(&distances(&x), n, Centring::U);
        let b = centre(&distances(&y), n, Centring::U);
        let perms: Vec<Vec<usize>> = (1..=6)
            .map(|k| (0..n).map(|i| (i * (2 * k + 1) + k) % n).collect())
            .collect();
        let all = permuted_u_products(&a, &b, n, &perms).unwrap();
        for (p, r) in perms.iter().zip(&all) {
            // The permuted matrix formed and summed the plain way, in energy's order.
            let mut s = 0.0;
            for i in 0..n {
                for j in 0..i {
                    s += a[p[i] + p[j] * n] * b[i + j * n];
                }
            }
            assert_eq!(*r, 2.0 * s / (n as f64 * (n as f64 - 3.0)));
        }
    }

    #[test]
    fn projection_is_orthogonal_to_what_it_removes() {
        let x = [0.3, 1.0, 3.0, 7.0, 2.5, -1.0, 4.2];
        let z = [1.0, 0.5, 2.0, 9.0, 3.5, -2.0, 4.0];
        let n = x.len();
        let mut p = vec![0.0; n * n];
        projection_into(&distances(&x), &distances(&z), n, &mut p);
        let c = centre(&distances(&z), n, Centring::U);
        assert!(u_product(&p, &c, n).abs() < 1e-12);
        let mut same = vec![0.0; n * n];
        projection_into(&distances(&x), &distances(&x), n, &mut same);
        assert!(same.iter().all(|v| v.abs() < 1e-12));
    }
}
