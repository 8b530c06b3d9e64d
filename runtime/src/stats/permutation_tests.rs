//! Permutation replicates against a brute-force double loop over energy's centred matrices.

use super::*;
use std::sync::Arc;

use crate::graph::{self, Shape, Source};
use crate::testutil::{close, noise, Rng};

fn replicate_products(
    x: &Sample,
    y: &Sample,
    index: f64,
    perms: &[Vec<u32>],
) -> Result<Vec<f64>, PlanError> {
    Replicates::new(x, y, index)?.products(perms)
}

/// energy's dCov² of x (n × p, column-major) against y (n × q) permuted by `perm`, from full n × n
/// matrices, with distances raised to `index`.
fn brute(x: &[f64], p: usize, y: &[f64], q: usize, perm: &[u32], index: f64) -> f64 {
    let n = x.len() / p;
    let centred = |v: &[f64], d: usize, order: &dyn Fn(usize) -> usize| -> Vec<f64> {
        let mut m = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                let (a, b) = (order(i), order(j));
                let s: f64 = (0..d).map(|c| (v[c * n + a] - v[c * n + b]).powi(2)).sum();
                m[i * n + j] = s.sqrt().powf(index);
            }
        }
        let rows: Vec<f64> = (0..n)
            .map(|i| m[i * n..(i + 1) * n].iter().sum::<f64>() / n as f64)
            .collect();
        let all = rows.iter().sum::<f64>() / n as f64;
        for i in 0..n {
            for j in 0..n {
                m[i * n + j] += all - rows[i] - rows[j];
            }
        }
        m
    };
    let a = centred(x, p, &|i| i);
    let b = centred(y, q, &|i| perm[i] as usize);
    a.iter().zip(&b).map(|(u, v)| u * v).sum::<f64>() / (n * n) as f64
}

fn points(v: &[f64], p: usize) -> Sample {
    let n = (v.len() / p) as u64;
    let shape = if p == 1 {
        Shape::vector(n)
    } else {
        Shape::matrix(n, p as u64)
    };
    Sample::Points(graph::source(Arc::new(Source::owned(v.to_vec())), shape))
}

fn shuffles(n: usize, count: usize, seed: u64) -> Vec<Vec<u32>> {
    let mut rng = Rng(seed);
    let mut perm: Vec<u32> = (0..n as u32).collect();
    (0..count)
        .map(|_| {
            energy_shuffle(&mut perm, || rng.uniform());
            perm.clone()
        })
        .collect()
}

#[test]
fn shuffle_follows_energys_draws() {
    // m = 4: floor(0.4) = 0 swaps 0 and 3; m = 3: floor(1.5) = 1 swaps 1 and 2; m = 2: floor(1.98) = 1.
    let mut perm = vec![0, 1, 2, 3];
    let mut u = [0.1, 0.5, 0.99].into_iter();
    energy_shuffle(&mut perm, || u.next().unwrap());
    assert_eq!(perm, vec![3, 2, 1, 0]);
    assert!(u.next().is_none(), "n - 1 draws");
    // The next replicate shuffles the previous permutation, not the identity.
    let mut u = [0.99, 0.99, 0.99].into_iter();
    energy_shuffle(&mut perm, || u.next().unwrap());
    assert_eq!(perm, vec![3, 2, 1, 0]);
    let mut one = vec![0];
    energy_shuffle(&mut one, || panic!("no draw for n = 1"));
}

#[test]
fn univariate_replicates_match_brute_force() {
    let n = 40;
    let x = noise(n, 1);
    let y: Vec<f64> = x
        .iter()
        .zip(noise(n, 2))
        .map(|(a, e)| a * a + 0.3 * e)
        .collect();
    let perms = shuffles(n, 7, 3);
    let got = replicate_products(&points(&x, 1), &points(&y, 1), 1.0, &perms).unwrap();
    assert_eq!(got.len(), 7);
    for (g, p) in got.iter().zip(&perms) {
        let want = brute(&x, 1, &y, 1, p, 1.0);
        assert!(close(*g, want, 1e-11), "{g} vs {want}");
    }
}

#[test]
fn multivariate_and_index_replicates_match_brute_force() {
    let n = 30;
    let x = noise(2 * n, 4);
    let y = noise(3 * n, 5);
    let perms = shuffles(n, 4, 6);
    for index in [1.0, 0.5] {
        let got = replicate_products(&points(&x, 2), &points(&y, 3), index, &perms).unwrap();
        for (g, p) in got.iter().zip(&perms) {
            let want = brute(&x, 2, &y, 3, p, index);
            assert!(close(*g, want, 1e-11), "index {index}: {g} vs {want}");
        }
    }
    // Univariate data with another exponent streams too.
    let got = replicate_products(&points(&x[..n], 1), &points(&y[..n], 1), 1.5, &perms).unwrap();
    for (g, p) in got.iter().zip(&perms) {
        assert!(close(*g, brute(&x[..n], 1, &y[..n], 1, p, 1.5), 1e-11));
    }
}

#[test]
fn distance_matrices_permute_rows_and_columns_together() {
    let n = 25;
    let x = noise(n, 7);
    let y = noise(2 * n, 8);
    let dy: Vec<f64> = (0..n * n)
        .map(|k| {
            let (i, j) = (k % n, k / n);
            ((y[i] - y[j]).powi(2) + (y[n + i] - y[n + j]).powi(2)).sqrt()
        })
        .collect();
    let d = Sample::Distances(graph::source(
        Arc::new(Source::owned(dy)),
        Shape::matrix(n as u64, n as u64),
    ));
    let perms = shuffles(n, 3, 9);
    let got = replicate_products(&points(&x, 1), &d, 1.0, &perms).unwrap();
    for (g, p) in got.iter().zip(&perms) {
        assert!(close(*g, brute(&x, 1, &y, 2, p, 1.0), 1e-11));
    }
}

#[test]
fn shared_sorts_give_the_statistic_of_the_permuted_sample() {
    // Without ties, reusing x's and y's sorts and row sums changes no rounding: bit for bit the statistic
    // of the explicitly permuted sample.
    let n = 3000;
    let x = noise(n, 10);
    let y: Vec<f64> = x
        .iter()
        .zip(noise(n, 11))
        .map(|(a, e)| a.abs() + e)
        .collect();
    let perms = shuffles(n, 5, 12);
    let got = replicate_products(&points(&x, 1), &points(&y, 1), 1.0, &perms).unwrap();
    for (g, p) in got.iter().zip(&perms) {
        let yp: Vec<f64> = p.iter().map(|&i| y[i as usize]).collect();
        let want =
            crate::exec::Steps::unpolled(|s| super::super::univariate::dcov_univariate(&x, &yp, s))
                .unwrap()
                .v
                .xy;
        assert_eq!(g.to_bits(), want.to_bits(), "{g} vs {want}");
    }
}
