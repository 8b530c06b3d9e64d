//! Whole-vector summaries (sum, min, max) of plain slices, in parallel. Chunks are fixed in size, so the
//! partials and their in-order combination, and hence every bit of the result, do not depend on how many
//! threads ran. Sums are compensated (Neumaier): 1e10 terms keep about 1e-12 relative accuracy.

use rayon::prelude::*;

/// Elements per chunk: large enough to amortise scheduling, small enough to balance two cores.
pub const CHUNK: usize = 1 << 16;

/// A compensated running sum.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Neumaier {
    sum: f64,
    comp: f64,
}

impl Neumaier {
    #[inline]
    pub fn add(&mut self, x: f64) {
        neumaier(&mut self.sum, &mut self.comp, x);
    }

    /// A partial kept as (sum, compensation) in an accumulator buffer.
    pub fn from_parts(sum: f64, comp: f64) -> Neumaier {
        Neumaier { sum, comp }
    }

    /// (sum, compensation), to keep in an accumulator buffer.
    pub fn parts(&self) -> (f64, f64) {
        (self.sum, self.comp)
    }

    pub fn merge(&mut self, other: Neumaier) {
        self.add(other.sum);
        self.add(other.comp);
    }

    /// `(sum + comp) / n` rounded once: the compensated sum is a double-double, and dividing it with an
    /// exact remainder gives the mean R's long-double mean gives (R refines its mean the same way).
    pub fn div(&self, n: f64) -> f64 {
        let q = self.sum / n;
        if !q.is_finite() || !self.comp.is_finite() {
            return self.value() / n;
        }
        let rem = (-q).mul_add(n, self.sum) + self.comp;
        q + rem / n
    }

    /// The sum; non-finite when any term was (the compensation would only turn Inf into NaN).
    pub fn value(&self) -> f64 {
        if self.sum.is_finite() {
            self.sum + self.comp
        } else {
            self.sum
        }
    }
}

/// One compensated addition of `x` to (`sum`, `comp`). Once the sum is not finite the compensation
/// stays as it was: Inf - Inf would turn it into NaN and spoil `sum + comp`.
#[inline]
pub fn neumaier(sum: &mut f64, comp: &mut f64, x: f64) {
    let t = *sum + x;
    if t.is_finite() {
        if sum.abs() >= x.abs() {
            *comp += (*sum - t) + x;
        } else {
            *comp += (x - t) + *sum;
        }
    }
    *sum = t;
}

/// Sum of `x`; NaN values are skipped when `skip_nan` (R's `na.rm = TRUE`).
pub fn sum_f64(x: &[f64], skip_nan: bool) -> f64 {
    let partials: Vec<Neumaier> = crate::pool::install(|| {
        x.par_chunks(CHUNK)
            .map(|c| {
                let mut acc = Neumaier::default();
                for &v in c {
                    if !(skip_nan && v.is_nan()) {
                        acc.add(v);
                    }
                }
                acc
            })
            .collect()
    });
    let mut total = Neumaier::default();
    for p in partials {
        total.merge(p);
    }
    total.value()
}

/// What a min/max scan found: an extreme, a missing value that decides the answer, or nothing at all.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Extreme<T> {
    Value(T),
    /// A NaN/NA was present and not skipped; R decides which missing value to report.
    Missing,
    /// No values (empty, or all skipped).
    Empty,
}

fn combine<T: Copy>(a: Extreme<T>, b: Extreme<T>, pick: impl Fn(T, T) -> T) -> Extreme<T> {
    match (a, b) {
        (Extreme::Missing, _) | (_, Extreme::Missing) => Extreme::Missing,
        (Extreme::Empty, e) | (e, Extreme::Empty) => e,
        (Extreme::Value(x), Extreme::Value(y)) => Extreme::Value(pick(x, y)),
    }
}

fn extreme<T: Copy + Send + Sync + PartialEq>(
    x: &[T],
    is_missing: impl Fn(T) -> bool + Sync,
    skip_missing: bool,
    pick: impl Fn(T, T) -> T + Sync + Copy,
) -> Extreme<T> {
    crate::pool::install(|| {
        x.par_chunks(CHUNK)
            .map(|c| {
                let mut acc = Extreme::Empty;
                for &v in c {
                    let e = if is_missing(v) {
                        if skip_missing {
                            continue;
                        }
                        Extreme::Missing
                    } else {
                        Extreme::Value(v)
                    };
                    acc = combine(acc, e, pick);
                    if matches!(acc, Extreme::Missing) {
                        break;
                    }
                }
                acc
            })
            .reduce(|| Extreme::Empty, |a, b| combine(a, b, pick))
    })
}

pub fn min_f64(x: &[f64], skip_nan: bool) -> Extreme<f64> {
    extreme(x, f64::is_nan, skip_nan, f64::min)
}

pub fn max_f64(x: &[f64], skip_nan: bool) -> Extreme<f64> {
    extreme(x, f64::is_nan, skip_nan, f64::max)
}

/// R's integer NA.
pub const NA_INTEGER: i32 = i32::MIN;

pub fn min_i32(x: &[i32], skip_na: bool) -> Extreme<i32> {
    extreme(x, |v| v == NA_INTEGER, skip_na, i32::min)
}

pub fn max_i32(x: &[i32], skip_na: bool) -> Extreme<i32> {
    extreme(x, |v| v == NA_INTEGER, skip_na, i32::max)
}

/// Exact sum of integers (or logicals), `None` when an NA is present and not skipped.
pub fn sum_i32(x: &[i32], skip_na: bool) -> Option<i64> {
    crate::pool::install(|| {
        x.par_chunks(CHUNK)
            .map(|c| {
                let mut s = 0i64;
                for &v in c {
                    if v == NA_INTEGER {
                        if !skip_na {
                            return None;
                        }
                    } else {
                        s += i64::from(v);
                    }
                }
                Some(s)
            })
            .try_reduce(|| 0, |a, b| Some(a + b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compensated_sum_is_exact_where_naive_is_not() {
        let mut x = vec![1e16, 1.0, -1e16];
        x.extend(std::iter::repeat_n(0.1, 10));
        assert!((sum_f64(&x, false) - 2.0).abs() < 1e-15);
        let naive: f64 = x.iter().sum();
        assert!((naive - 2.0).abs() > 0.5);
    }

    #[test]
    fn sums_do_not_depend_on_the_thread_count() {
        let x: Vec<f64> = (0..1_000_003)
            .map(|i| ((i as f64) * 0.37).sin() * 1e3)
            .collect();
        let _serial = crate::pool::TEST_THREADS
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        crate::pool::set_threads(1);
        let one = sum_f64(&x, false);
        crate::pool::set_threads(2);
        let two = sum_f64(&x, false);
        crate::pool::set_threads(0);
        assert_eq!(one.to_bits(), two.to_bits());
    }

    #[test]
    fn missing_values_follow_r() {
        let x = [1.0, f64::NAN, 3.0];
        assert!(sum_f64(&x, false).is_nan());
        assert_eq!(sum_f64(&x, true), 4.0);
        assert_eq!(min_f64(&x, false), Extreme::Missing);
        assert_eq!(max_f64(&x, true), Extreme::Value(3.0));
        assert_eq!(min_f64(&[], true), Extreme::Empty);
        assert_eq!(min_f64(&[f64::NAN], true), Extreme::Empty);
        let i = [5, NA_INTEGER, -2];
        assert_eq!(sum_i32(&i, false), None);
        assert_eq!(sum_i32(&i, true), Some(3));
        assert_eq!(min_i32(&i, true), Extreme::Value(-2));
        assert_eq!(max_i32(&i, false), Extreme::Missing);
        let big = vec![i32::MAX; 3 * CHUNK + 5];
        assert_eq!(
            sum_i32(&big, false),
            Some(i64::from(i32::MAX) * big.len() as i64)
        );
    }
}
