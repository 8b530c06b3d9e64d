//! Distance covariance of two univariate samples in O(n log n) time and O(n) memory, α = 1 (spec §1.4–1.5,
//! Huo & Székely 2016).
//!
//! The statistics come from the closed form `S1/n² − 2S2/n³ + S3/n⁴` (V) and its U analogue. When x and y
//! are nearly independent the three terms cancel to about 1/n of their size, so every ulp of error in S1 or
//! S2 becomes n ulps of error in dCov². Plain f64 loses log10(n) digits and more there (measured for
//! independent normal samples: 3e-10 relative at n = 2e4, 5e-8 at n = 1e6), and energy's `dcov2d`, which does
//! not centre the data, loses everything under a location offset of 1e8 (spec §1.5 "Hazard"). Three things
//! keep the result within a few ulps of the exact statistic of the data (measured: bit-identical to an
//! all-double-double version up to n = 1e6):
//! - x and y are centred at a median element first; distances do not change, and the products that the
//!   algorithm cancels against each other shrink from offset² to spread².
//! - every value that enters a running sum or the Fenwick tree is split on a power-of-two grid into a large
//!   part, whose sums are exact (they stay integer multiples of the grid below 2^53 grid steps), and a rest
//!   below half a grid step, whose sums are tiny (Rump's error-free splitting). Node updates stay plain
//!   additions: 0.3 s at n = 1e6 on one core, against 0.9 s with double-double nodes. With plain f64 nodes
//!   instead, the error at n = 2e4 is 1e-11 to 1e-10.
//! - S1, S2, S3 and the row sums are carried in double-double until the final division.

use rayon::prelude::*;

use super::dd::{two_prod, two_sum, Dd};
use crate::exec::Steps;
use crate::summary::Neumaier;

/// dCov², dVarX², dVarY² of one kind (V- or U-statistic).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub xy: f64,
    pub xx: f64,
    pub yy: f64,
}

/// Both kinds from one O(n log n) pass. `u` is None when n < 4 (U-statistics need n(n-3) > 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnivariateDcov {
    pub v: Moments,
    pub u: Option<Moments>,
}

/// x and y must have equal length n >= 1 and contain only finite values (the caller checks; debug builds
/// assert it). Uses α = 1.
///
/// V: `v.xy` is energy's `dcov(x, y)^2` = `dcov2d(x, y, "V")`, `v.xx`/`v.yy` are dVarX², dVarY²; all three
/// are squares, so rounding below zero is clamped to 0. U: `u.xy` is energy's `dcovU(x, y)` and may be
/// negative; `u.xx`/`u.yy` are `dcovU_stats`' dVarXU, dVarYU.
///
/// Accuracy holds while |x|·|y| products stay far from overflow (|x|, |y| below about 1e150), as for any
/// distance-covariance code. At most `u32::MAX` observations (indices are 32-bit to halve the memory
/// traffic of the sorts and the tree).
///
/// It reports [`univariate_steps`] steps and stops (`None`) soon after `steps` says cancel.
pub fn dcov_univariate(x: &[f64], y: &[f64], steps: &Steps) -> Option<UnivariateDcov> {
    assert_eq!(
        x.len(),
        y.len(),
        "dcov_univariate: x and y differ in length"
    );
    assert!(
        u32::try_from(x.len()).is_ok(),
        "dcov_univariate: more than u32::MAX observations"
    );
    debug_assert!(
        x.iter().chain(y).all(|v| v.is_finite()),
        "dcov_univariate: non-finite value"
    );
    let n = x.len();
    if n < 2 {
        // No pairs: every distance, hence every statistic, is 0 (energy agrees).
        let zero = Moments {
            xy: 0.0,
            xx: 0.0,
            yy: 0.0,
        };
        return Some(UnivariateDcov { v: zero, u: None });
    }
    crate::pool::install(|| moments(x, y, steps))
}

/// Steps of [`dcov_univariate`] for n observations: one per block of the Fenwick passes, and one for
/// each of the sorts, the row sums and the rest.
pub fn univariate_steps(n: usize) -> usize {
    n.div_ceil(STEP_ROWS) + 3
}

/// What every permutation replicate of one pair of univariate samples shares: both sorts, y's ranks and
/// both samples' row sums do not change when y's observations are permuted, so a replicate costs only the
/// Fenwick passes of S1 and the O(n) sum S2.
pub struct PermutedDcov {
    sx: Sorted,
    sy: Sorted,
    ry: Vec<u32>,
    y: Vec<f64>,
    rows_x: Vec<Dd>,
    rows_y: Vec<Dd>,
    s3: Dd,
}

impl PermutedDcov {
    /// Same conditions on x and y as [`dcov_univariate`], and n >= 2.
    pub fn new(x: &[f64], y: &[f64]) -> PermutedDcov {
        assert_eq!(x.len(), y.len(), "PermutedDcov: x and y differ in length");
        assert!(x.len() >= 2, "PermutedDcov: fewer than 2 observations");
        assert!(
            u32::try_from(x.len()).is_ok(),
            "PermutedDcov: more than u32::MAX observations"
        );
        let (sx, sy) = rayon::join(|| Sorted::new(x), || Sorted::new(y));
        let (ra, rb) = rayon::join(|| row_sums(&sx), || row_sums(&sy));
        PermutedDcov {
            ry: sy.ranks(),
            sx,
            sy,
            y: y.to_vec(),
            s3: ra.total.mul(rb.total),
            rows_x: ra.rows,
            rows_y: rb.rows,
        }
    }

    /// dCov² (the V-statistic, as `dcov_univariate(x, y[perm]).v.xy`) with x's element i paired with
    /// y's element `perm[i]`.
    pub fn v_xy(&self, perm: &[u32]) -> f64 {
        assert_eq!(
            perm.len(),
            self.y.len(),
            "PermutedDcov: permutation of the wrong length"
        );
        let s2 = self
            .rows_x
            .iter()
            .zip(perm)
            .fold(Dd::ZERO, |s, (a, &j)| s.add(a.mul(self.rows_y[j as usize])));
        let s1 = Steps::unpolled(|steps| {
            sum_abs_products(
                &self.sx,
                &self.sy,
                (&self.ry, &self.y),
                |i| perm[i] as usize,
                steps,
            )
        })
        .expect("an unpolled computation is never cancelled");
        v_statistic(self.y.len() as f64, s1, s2, self.s3)
    }
}

/// Rows of a Fenwick pass between two checks for cancellation (a few milliseconds of work).
const STEP_ROWS: usize = 1 << 16;

fn moments(x: &[f64], y: &[f64], steps: &Steps) -> Option<UnivariateDcov> {
    let n = x.len();
    let (sx, sy) = rayon::join(|| Sorted::new(x), || Sorted::new(y));
    steps.advance(1);
    if steps.cancelled() {
        return None;
    }

    // S2 and S3 for the three pairings, from the row sums a_i. and b_i.
    let (ra, rb) = rayon::join(|| row_sums(&sx), || row_sums(&sy));
    let s2 = ra
        .rows
        .iter()
        .zip(&rb.rows)
        .fold(Dd::ZERO, |s, (a, b)| s.add(a.mul(*b)));
    let (s2a, s2b) = (ra.squares, rb.squares);
    let (s3, s3a, s3b) = (
        ra.total.mul(rb.total),
        ra.total.mul(ra.total),
        rb.total.mul(rb.total),
    );
    drop((ra, rb));
    steps.advance(1);

    let s1 = sum_abs_products(&sx, &sy, (&sy.ranks(), y), |i| i, steps)?;
    let s1a = sum_squared_differences(&sx.vals);
    let s1b = sum_squared_differences(&sy.vals);

    let nf = n as f64;
    let v = Moments {
        xy: v_statistic(nf, s1, s2, s3),
        xx: v_statistic(nf, s1a, s2a, s3a),
        yy: v_statistic(nf, s1b, s2b, s3b),
    };
    let u = (n >= 4).then(|| Moments {
        xy: u_statistic(nf, s1, s2, s3),
        xx: u_statistic(nf, s1a, s2a, s3a),
        yy: u_statistic(nf, s1b, s2b, s3b),
    });
    steps.advance(1);
    Some(UnivariateDcov { v, u })
}

/// `S1/n² − 2S2/n³ + S3/n⁴`, as `(n(n·S1 − 2S2) + S3)/n⁴` so that only the last step rounds to f64.
fn v_statistic(n: f64, s1: Dd, s2: Dd, s3: Dd) -> f64 {
    let v = s1
        .mul_f64(n)
        .sub(s2.mul_f64(2.0))
        .mul_f64(n)
        .add(s3)
        .div_f64(n)
        .div_f64(n)
        .div_f64(n)
        .div_f64(n)
        .to_f64();
    // A sum of squares (a squared norm of the double-centred matrices); below 0 only by rounding.
    if v < 0.0 {
        0.0
    } else {
        v
    }
}

/// `S1/d1 − 2S2/d2 + S3/d3` with `d1 = n(n−3)`, `d2 = d1(n−2)`, `d3 = d2(n−1)`, over the common
/// denominator d3, in f64 and double-double (energy's int `n(n−3)` overflows beyond n = 46341).
fn u_statistic(n: f64, s1: Dd, s2: Dd, s3: Dd) -> f64 {
    s1.mul_f64(n - 2.0)
        .sub(s2.mul_f64(2.0))
        .mul_f64(n - 1.0)
        .add(s3)
        .div_f64(n)
        .div_f64(n - 3.0)
        .div_f64(n - 2.0)
        .div_f64(n - 1.0)
        .to_f64()
}

/// One sample, sorted and centred.
struct Sorted {
    /// Index of the k-th smallest value; ties in index order (R's `ties.method = "first"`), so the order is
    /// total and the same on every run, whatever the sort algorithm.
    order: Vec<u32>,
    /// The sorted values minus `centre`.
    vals: Vec<f64>,
    /// A median element of the data.
    centre: f64,
    /// The grid that splits these values (see `Grid`).
    grid: Grid,
    /// `log2` of a power of two bounding |vals|, for the grid of products.
    log2_bound: i32,
}

impl Sorted {
    fn new(v: &[f64]) -> Sorted {
        let n = v.len();
        // f64 bits mapped so that unsigned order is numeric order; the index makes each key unique, so the
        // unstable parallel sort has one possible result.
        let mut keys: Vec<(u64, u32)> = v
            .iter()
            .enumerate()
            .map(|(i, &x)| (order_key(x), i as u32))
            .collect();
        keys.par_sort_unstable();
        let order: Vec<u32> = keys.into_iter().map(|(_, i)| i).collect();
        // An element rather than the mean of the two middle ones: subtracting it is exact whenever the data
        // sit on a common grid, so shifted copies of such data give bit-identical results.
        let centre = v[order[n / 2] as usize];
        let vals: Vec<f64> = order.iter().map(|&i| v[i as usize] - centre).collect();
        let log2_bound = ceil_log2(vals[0].abs().max(vals[n - 1].abs()));
        Sorted {
            order,
            vals,
            centre,
            grid: Grid::new(log2_bound, n),
            log2_bound,
        }
    }

    /// Position of each index in `order`.
    fn ranks(&self) -> Vec<u32> {
        let mut rank = vec![0u32; self.order.len()];
        for (k, &i) in self.order.iter().enumerate() {
            rank[i as usize] = k as u32;
        }
        rank
    }
}

/// Maps f64 to u64 so that unsigned comparison is `f64::total_cmp`.
fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// Smallest k with |v| ≤ 2^k; −1022 for zero and subnormals.
fn ceil_log2(v: f64) -> i32 {
    let biased = (v.abs().to_bits() >> 52) as i32;
    if biased == 0 {
        -1022
    } else {
        biased - 1022
    }
}

/// 2^k for −1022 ≤ k ≤ 1023.
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// Splits values bounded by 2^log2_bound into a multiple of a grid step 2^e and a rest of at most half a
/// step. e is chosen so that sums of up to 16n grid parts stay below 2^53 steps and are therefore exact:
/// every Fenwick node, query, prefix sum and their small combinations are exact in the grid parts.
#[derive(Debug, Clone, Copy)]
struct Grid {
    /// 1.5·2^(e+52): adding and subtracting it rounds to a multiple of 2^e.
    shifter: f64,
}

impl Grid {
    fn new(log2_bound: i32, n: usize) -> Grid {
        let log2_n = (usize::BITS - (n.max(2) - 1).leading_zeros()) as i32;
        // Clamped to what f64 can represent; outside the clamp the products overflow anyway.
        let e = (log2_bound + log2_n + 4 - 53).clamp(-1074, 971);
        Grid {
            shifter: 1.5 * pow2(e + 52),
        }
    }

    /// `(big, rest)` with `big + rest == v` exactly.
    #[inline]
    fn split(self, v: f64) -> (f64, f64) {
        let big = (v + self.shifter) - self.shifter;
        (big, v - big)
    }
}

/// A running sum of values split on one grid: the big parts add exactly, the rests are compensated.
#[derive(Debug, Clone, Copy, Default)]
struct SplitSum {
    big: f64,
    rest: Neumaier,
}

impl SplitSum {
    #[inline]
    fn add(&mut self, (big, rest): (f64, f64)) {
        self.big += big;
        self.rest.add(rest);
    }
}

/// What one pass over a sample's row sums yields.
struct RowSums {
    /// `a_i.` in index order.
    rows: Vec<Dd>,
    /// `a.. = Σ a_i.`
    total: Dd,
    /// `Σ a_i.²`
    squares: Dd,
}

/// Row sums of the distance matrix, `a_i. = Σ_j |v_i − v_j| = (2k − n)·v_(k) + Σv − 2·Σ_{t<k} v_(t)` for
/// the element of rank k.
fn row_sums(s: &Sorted) -> RowSums {
    let n = s.vals.len();
    let mut sum = SplitSum::default();
    for &v in &s.vals {
        sum.add(s.grid.split(v));
    }
    let (sum_big, sum_rest) = (sum.big, sum.rest.value());
    let mut rows = vec![Dd::ZERO; n];
    let (mut total, mut squares) = (Dd::ZERO, Dd::ZERO);
    let mut prefix = SplitSum::default();
    for (k, (&v, &i)) in s.vals.iter().zip(&s.order).enumerate() {
        // Exact: a product by an integer below 2^32 in double-double, and a combination of grid parts.
        let linear = two_prod((2 * k) as f64 - n as f64, v);
        let big = sum_big - 2.0 * prefix.big;
        let rest = sum_rest - 2.0 * prefix.rest.value();
        let a = linear.add_f64(big).add_f64(rest);
        rows[i as usize] = a;
        total = total.add(a);
        squares = squares.add(a.mul(a));
        prefix.add(s.grid.split(v));
    }
    RowSums {
        rows,
        total,
        squares,
    }
}

/// `S1a = Σ_ij (v_i − v_j)² = 2n·Σv² − 2(Σv)²`, exact products in double-double (centred data, so the two
/// terms do not cancel).
fn sum_squared_differences(vals: &[f64]) -> Dd {
    let (mut sum, mut squares) = (Dd::ZERO, Dd::ZERO);
    for &v in vals {
        sum = sum.add_f64(v);
        squares = squares.add(two_prod(v, v));
    }
    let n = vals.len() as f64;
    squares.mul_f64(2.0 * n).sub(sum.mul(sum).mul_f64(2.0))
}

/// Fenwick node: four lanes of sums over a range of y-ranks. Half a cache line.
#[derive(Debug, Clone, Copy, Default)]
#[repr(align(32))]
struct Node([f64; 4]);

/// `S1 = Σ_ij |x_i − x_j||y_i − y_j|`.
///
/// Spec §1.5 step 3 writes the per-element sign sum as `γ_z = Σz − z_i − 2Px − 2Py + 4G` for
/// z ∈ {1, x, y, xy}, and `S1 = Σ_i [x_i y_i γ_1 + γ_xy − x_i γ_y − y_i γ_x]`. Summed over i, each of the
/// parts of γ is a sum over pairs of `(x_i − x_t)(y_i − y_t)`: the Σz part over all ordered pairs (2C), the
/// z_i part over none (0), the Px and the Py parts each over every unordered pair once (C), where
/// `C = Σ_{i<t} (x_i − x_t)(y_i − y_t) = nΣxy − ΣxΣy`. Only the Fenwick part G depends on the orders:
/// `S_G = Σ_i [x_i y_i G_1 + G_xy − x_i G_y − y_i G_x]` is the sum of `(x_i − x_t)(y_i − y_t)` over pairs
/// with t before i in both x-order and y-rank, the concordant pairs. So `S1 = 2C − 2C − 2C + 4S_G =
/// 2(2S_G − C)`: the same four Fenwick sums, without the two prefix-sum arrays. Ties need no care: a pair
/// tied in x or y contributes 0 whichever way its order is broken.
///
/// The four sums run as two trees on the two cores, {1, x} and {y, xy}; each tree's share of S_G is a
/// fixed sum in a fixed order, so the result does not depend on the thread count.
///
/// x's element i is paired with y's element `pair(i)`; `ry` holds y's ranks (`sy.ranks()`).
fn sum_abs_products(
    sx: &Sorted,
    sy: &Sorted,
    (ry, y): (&[u32], &[f64]),
    pair: impl Fn(usize) -> usize,
    steps: &Steps,
) -> Option<Dd> {
    let n = sx.vals.len();
    // y-rank and centred y of each element in x-order, gathered once so that both passes read in order.
    let (q, yv): (Vec<u32>, Vec<f64>) = sx
        .order
        .iter()
        .map(|&i| {
            let j = pair(i as usize);
            // The same subtraction as in `Sorted::new`, so the same centred value.
            (ry[j], y[j] - sy.centre)
        })
        .unzip();
    let xv = &sx.vals[..];
    let (gx, gy) = (sx.grid, sy.grid);
    let gxy = Grid::new(sx.log2_bound + sy.log2_bound, n);
    let (part_x, part_y) = rayon::join(
        || {
            concordant_pass(
                &q,
                (steps, false),
                |i| {
                    let (big, rest) = gx.split(xv[i]);
                    [1.0, big, rest, 0.0]
                },
                // x_i y_i G_1 − y_i G_x
                |i, g| {
                    two_prod(xv[i], yv[i])
                        .mul_f64(g[0])
                        .sub(prod_split(yv[i], g[1], g[2]))
                },
            )
        },
        || {
            concordant_pass(
                &q,
                (steps, true),
                |i| {
                    let (y_big, y_rest) = gy.split(yv[i]);
                    let xy = two_prod(xv[i], yv[i]);
                    let (xy_big, xy_rest) = gxy.split(xy.hi);
                    [y_big, y_rest, xy_big, xy_rest + xy.lo]
                },
                // G_xy − x_i G_y
                |i, g| two_sum(g[2], g[3]).sub(prod_split(xv[i], g[0], g[1])),
            )
        },
    );
    let (mut sum_x, mut sum_y, mut sum_xy) = (Dd::ZERO, Dd::ZERO, Dd::ZERO);
    for (&a, &b) in xv.iter().zip(&yv) {
        sum_x = sum_x.add_f64(a);
        sum_y = sum_y.add_f64(b);
        sum_xy = sum_xy.add(two_prod(a, b));
    }
    let c = sum_xy.mul_f64(n as f64).sub(sum_x.mul(sum_y));
    Some(part_x?.add(part_y?).mul_f64(2.0).sub(c).mul_f64(2.0))
}

/// `Σ_i term(i, G(i))`, where `G(i)` is the sum of `lanes(t)` over the t before i (in x-order) with
/// `q_t < q_i`, from a Fenwick tree over the y-ranks q. Both passes stop at the cancel; one of them
/// (`report` true) counts its blocks as steps.
fn concordant_pass(
    q: &[u32],
    (steps, report): (&Steps, bool),
    lanes: impl Fn(usize) -> [f64; 4],
    term: impl Fn(usize, &[f64; 4]) -> Dd,
) -> Option<Dd> {
    let n = q.len();
    let mut tree = vec![Node::default(); n + 1];
    let mut total = Dd::ZERO;
    for (i, &qi) in q.iter().enumerate() {
        if i % STEP_ROWS == 0 && i > 0 {
            if report {
                steps.advance(1);
            }
            if steps.cancelled() {
                return None;
            }
        }
        let qi = qi as usize;
        let mut g = [0.0; 4];
        let mut k = qi;
        while k > 0 {
            for (a, b) in g.iter_mut().zip(&tree[k].0) {
                *a += b;
            }
            k &= k - 1;
        }
        let z = lanes(i);
        let mut k = qi + 1;
        while k <= n {
            for (a, b) in tree[k].0.iter_mut().zip(&z) {
                *a += b;
            }
            k += k & k.wrapping_neg();
        }
        // Grid parts of G are exact and the rests tiny, and the products nearly cancel between the two
        // passes, so each term is exact or double-double.
        total = total.add(term(i, &g));
    }
    Some(total)
}

/// `v·(big + rest)` in double-double.
#[inline]
fn prod_split(v: f64, big: f64, rest: f64) -> Dd {
    let p = two_prod(v, big);
    two_sum(p.hi, p.lo + v * rest)
}

#[cfg(test)]
#[path = "univariate_tests.rs"]
mod tests;
