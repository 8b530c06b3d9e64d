//! Order statistics of the m = n(n−1)/2 pairwise distances |x_i − x_j| of one variable, without the
//! m-vector: the Pareto radius (exact, §2.1) and DataVisualizations' approximate `quantileDist1d` (§2.2)
//! both ask for one such order statistic, and for n = 10^5 the vector alone would take 40 GB.
//!
//! Everything works on the values sorted ascending, where `xs[j] − xs[i]` (i < j) is the same double as
//! |x_i − x_j| and the pairs within a distance form runs that a two-pointer sweep counts in O(n).

/// The number of pairs of `n` values.
pub fn pair_count(n: usize) -> u64 {
    let n = n as u64;
    n * n.saturating_sub(1) / 2
}

/// DataVisualizations' `quantile4LargeVectors` position (0-based) of probability `p` among `m` sorted
/// values: `floor(m·(p − 1e-9))`, clamped to `0..m`.
pub fn quantile_rank(m: u64, p: f64) -> u64 {
    let rank = (m as f64 * (p - 1e-9)).floor();
    if rank > 0.0 {
        (rank as u64).min(m.saturating_sub(1))
    } else {
        0
    }
}

/// Number of pairs i < j with `xs[j] - xs[i] <= t` for ascending `xs` and `t >= 0`: one two-pointer sweep.
///
/// For a fixed j the difference does not increase with i, and for a fixed i it does not decrease with j
/// (rounding is monotone), so the left pointer only moves forward.
pub fn count_pairs_within(xs: &[f64], t: f64) -> u64 {
    let mut i = 0usize;
    let mut count = 0u64;
    for (j, &xj) in xs.iter().enumerate().skip(1) {
        // Stops at i == j at the latest, because xj - xj = 0 <= t.
        while xj - xs[i] > t {
            i += 1;
        }
        count += (j - i) as u64;
    }
    count
}

/// The distances `xs[j] - xs[i]` (i < j) with `lo < d <= hi`, for ascending `xs` and `0 <= lo <= hi`:
/// one sweep with two left pointers, one per bound.
fn pair_distances_between(xs: &[f64], lo: f64, hi: f64, capacity: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(capacity);
    let (mut a, mut b) = (0usize, 0usize);
    for &xj in xs.iter().skip(1) {
        // a: first i with xj - xs[i] <= hi; b: first i with xj - xs[i] <= lo (a <= b <= j).
        while xj - xs[a] > hi {
            a += 1;
        }
        while xj - xs[b] > lo {
            b += 1;
        }
        out.extend(xs[a..b].iter().map(|&xi| xj - xi));
    }
    out
}

/// The `k`-th smallest (0-based) of the m = n(n−1)/2 pairwise distances of ascending finite `xs`, with
/// `k < m`: the smallest t with `count_pairs_within(xs, t) >= k + 1`.
///
/// A bracket lo < t ≤ hi with known counts is narrowed until it holds at most 2n distances, which are
/// then collected in one sweep and the answer selected among them. The first probes are order
/// statistics of the distances of a strided subsample of 64 values, three standard errors either side
/// of the target's rank; after that each round places two probes around the linear interpolation of the
/// target rank, a window that would hold about n distances if the counts were locally linear. Smooth data
/// take about six sweeps in all. A round that fails to halve the number of distances in the bracket is
/// followed by a bisection over the bit patterns of doubles (their order is the order of the values),
/// starting above the smallest positive gap, which bounds the work by 64 such steps whatever the data.
/// The count only steps at attained differences and `xs[j] - xs[i]` is the same double as
/// `|x_i - x_j|`, so the result is exactly the order statistic of DataVisualizations' distance vector.
pub fn kth_pair_distance(xs: &[f64], k: u64) -> f64 {
    let n = xs.len() as u64;
    let target = k + 1;
    let zeros = tied_pairs(xs);
    if zeros >= target {
        return 0.0;
    }
    // No positive distance is smaller than the smallest positive gap between neighbours.
    let smallest_gap = xs
        .windows(2)
        .map(|w| w[1] - w[0])
        .filter(|&d| d > 0.0)
        .fold(f64::INFINITY, f64::min);
    let mut lo = Probe {
        bits: smallest_gap.to_bits() - 1,
        count: zeros,
    };
    let mut hi = Probe {
        bits: (xs[xs.len() - 1] - xs[0]).to_bits(),
        count: pair_count(xs.len()),
    };
    let budget = 2 * n;
    let mut probes = subsample_bracket(xs, target as f64 / hi.count as f64);
    loop {
        let span = hi.count - lo.count;
        if span <= budget || hi.bits - lo.bits <= 1 {
            break;
        }
        for &bits in &probes {
            if bits <= lo.bits || bits >= hi.bits {
                continue;
            }
            let probe = Probe {
                bits,
                count: count_pairs_within(xs, f64::from_bits(bits)),
            };
            if probe.count >= target {
                hi = probe;
            } else {
                lo = probe;
            }
        }
        probes = if hi.count - lo.count > span / 2 {
            vec![lo.bits + (hi.bits - lo.bits) / 2]
        } else {
            interpolated_window(lo, hi, target, n)
        };
    }
    if hi.bits - lo.bits <= 1 {
        return hi.value();
    }
    let span = hi.count - lo.count;
    let mut d = pair_distances_between(xs, lo.value(), hi.value(), span as usize);
    debug_assert_eq!(d.len() as u64, span);
    let (_, kth, _) = d.select_nth_unstable_by((target - lo.count - 1) as usize, f64::total_cmp);
    *kth
}

/// `count_pairs_within(xs, 0.0)` from the runs of equal values, without the unpredictable inner loop.
pub fn tied_pairs(xs: &[f64]) -> u64 {
    xs.chunk_by(|a, b| a == b)
        .map(|run| pair_count(run.len()))
        .sum()
}

/// A candidate distance (as the bit pattern of a non-negative double) and the number of pairs within it.
#[derive(Clone, Copy)]
struct Probe {
    bits: u64,
    count: u64,
}

impl Probe {
    fn value(self) -> f64 {
        f64::from_bits(self.bits)
    }
}

/// Values of a strided subsample's distances likely to bracket the distance at quantile `q`: its order
/// statistics three binomial standard errors below and above rank `q·ms` among its ms distances. No
/// probes for fewer than 128 values, where the bracket's own interpolation is as quick.
fn subsample_bracket(xs: &[f64], q: f64) -> Vec<u64> {
    const SUBSAMPLE: usize = 64;
    if xs.len() < 2 * SUBSAMPLE {
        return Vec::new();
    }
    let stride = xs.len() / SUBSAMPLE;
    let sub: Vec<f64> = xs.iter().step_by(stride).copied().collect();
    let sub = &sub;
    let mut d: Vec<f64> = (0..sub.len())
        .flat_map(|i| sub[i + 1..].iter().map(move |&v| v - sub[i]))
        .collect();
    let ms = d.len() as f64;
    let spread = 3.0 * (ms * q * (1.0 - q)).sqrt();
    let last = d.len() - 1;
    let rank = |r: f64| (r.max(0.0) as usize).min(last);
    let (below, above) = (rank(q * ms - spread), rank(q * ms + spread));
    let (_, &mut b, _) = d.select_nth_unstable_by(below, f64::total_cmp);
    let (_, &mut a, _) = d.select_nth_unstable_by(above, f64::total_cmp);
    vec![b.to_bits(), a.to_bits()]
}

/// Two probes around the distance where the target rank falls if the counts grew linearly between the
/// bracket's ends, half a window of about `n` distances to either side.
fn interpolated_window(lo: Probe, hi: Probe, target: u64, n: u64) -> Vec<u64> {
    let (a, b) = (lo.value(), hi.value());
    let span = (hi.count - lo.count) as f64;
    let guess = a + (b - a) * ((target - lo.count) as f64 / span);
    let half = (b - a) * (n as f64 / 2.0 / span);
    [guess - half, guess + half]
        .iter()
        .map(|&t| t.clamp(a, b).to_bits())
        .collect()
}

/// The heavy-ties fallback of both Pareto radii: the smallest positive value among the order statistics
/// at `quantile_rank(m, p/100)` for p in `percents`. Those grow with p and are positive exactly from the
/// rank of the first non-zero distance on, so only that one order statistic is computed. `None` when
/// every one of them is 0.
pub fn smallest_positive_percentile(
    sorted: &[f64],
    percents: std::ops::RangeInclusive<u32>,
) -> Option<f64> {
    let m = pair_count(sorted.len());
    let zeros = tied_pairs(sorted);
    percents
        .map(|p| quantile_rank(m, f64::from(p) / 100.0))
        .find(|&rank| rank >= zeros)
        .map(|rank| kth_pair_distance(sorted, rank))
}

/// Both Pareto radii shrink by `4 / n^0.2` for more than 1024 values (the factor is 1 at n = 1024), with
/// n the number of finite values even when the distances came from a sample.
pub fn shrink_for_size(r: f64, n: usize) -> f64 {
    if n > 1024 {
        r * 4.0 / (n as f64).powf(0.2)
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::noise;

    /// All |x_i − x_j|, i < j, sorted: the vector DataVisualizations materialises.
    fn brute_force(x: &[f64]) -> Vec<f64> {
        let mut d: Vec<f64> = (0..x.len())
            .flat_map(|i| (i + 1..x.len()).map(move |j| (x[i] - x[j]).abs()))
            .collect();
        d.sort_unstable_by(f64::total_cmp);
        d
    }

    fn sorted(x: &[f64]) -> Vec<f64> {
        let mut v = x.to_vec();
        v.sort_unstable_by(f64::total_cmp);
        v
    }

    #[test]
    fn kth_pair_distance_matches_brute_force() {
        for case in 0..40u64 {
            let n = 2 + (case % 37) as usize;
            // Coarse values give ties; some cases mix magnitudes and signs.
            let x: Vec<f64> = noise(n, case)
                .into_iter()
                .map(|v| {
                    if case % 3 == 0 {
                        (v * 8.0).round() / 4.0
                    } else {
                        v * 10f64.powi((case % 5) as i32 - 2)
                    }
                })
                .collect();
            let xs = sorted(&x);
            for (k, &dk) in brute_force(&x).iter().enumerate() {
                assert_eq!(kth_pair_distance(&xs, k as u64), dk, "case {case}, k {k}");
            }
        }
    }

    /// Many equal distances at the answer keep the bracket above 4n candidates, so the bisection runs to
    /// its end (adjacent bit patterns) instead of collecting candidates; an overflowing range gives Inf.
    #[test]
    fn kth_pair_distance_with_heavy_ties_and_overflow() {
        let two: Vec<f64> = (0..200).map(|i| f64::from(i / 100)).collect();
        let three: Vec<f64> = noise(150, 3)
            .into_iter()
            .map(|v| ((v + 1.0) * 1.5).floor() * 0.1)
            .collect();
        let overflowing = vec![-f64::MAX, 0.0, f64::MAX, f64::MAX];
        for x in [two, three, overflowing] {
            let xs = sorted(&x);
            let d = brute_force(&x);
            for k in (0..d.len()).step_by(37).chain([d.len() - 1]) {
                assert_eq!(kth_pair_distance(&xs, k as u64), d[k], "k {k}");
            }
        }
    }

    #[test]
    fn counts_and_ranks() {
        let xs = [0.0, 1.0, 1.0, 3.0];
        assert_eq!(count_pairs_within(&xs, 0.0), 1);
        assert_eq!(tied_pairs(&xs), 1);
        assert_eq!(tied_pairs(&[-0.0, 0.0, 0.0, 2.0, 2.0]), 4);
        assert_eq!(count_pairs_within(&xs, 1.0), 3);
        assert_eq!(count_pairs_within(&xs, 3.0), 6);
        assert_eq!(pair_count(4), 6);
        assert_eq!(pair_count(0), 0);
        // m = 499500: floor(m (0.18 − 1e-9)) = 89909, where floor(0.18 m) would be 89910.
        assert_eq!(quantile_rank(499_500, 0.18), 89909);
        assert_eq!(quantile_rank(10, 1.0), 9);
        assert_eq!(quantile_rank(10, 0.0), 0);
    }
}
