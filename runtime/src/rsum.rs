//! Sums, means and products that equal R's to the last bit. R accumulates `sum`, `mean` and `prod` of
//! doubles in long double, in element order, and `mean` refines its first estimate with a second pass;
//! results that differ from R's in the last place can snowball (Renjin's loop `x <- sqrt(abs(x - mean(x)))`
//! diverges completely after 50 iterations from a one-ulp difference). The accumulation is done by C
//! (csrc/ldsum.c), fed block by block in element order.

/// A long double accumulator, opaque to Rust (32 bytes covers every platform's long double).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Ld {
    bytes: [u8; 32],
}

extern "C" {
    fn lzs_ld_set(a: *mut Ld, v: f64);
    fn lzs_ld_add(a: *mut Ld, x: *const f64, n: usize, skip_nan: i32) -> usize;
    fn lzs_ld_mul(a: *mut Ld, x: *const f64, n: usize, skip_nan: i32);
    fn lzs_ld_add_scaled(a: *mut Ld, x: *const f64, n: usize, d: f64, skip_nan: i32);
    fn lzs_ld_add_diff(a: *mut Ld, x: *const f64, n: usize, m: *const Ld, skip_nan: i32);
    fn lzs_ld_div(a: *mut Ld, d: f64);
    fn lzs_ld_add_quotient(a: *mut Ld, b: *const Ld, d: f64);
    fn lzs_ld_get(a: *const Ld) -> f64;
}

impl Ld {
    pub fn new(v: f64) -> Ld {
        let mut a = Ld { bytes: [0; 32] };
        // SAFETY: `a` is a valid, writable 32-byte accumulator.
        unsafe { lzs_ld_set(&mut a, v) };
        a
    }

    /// Adds the values (leaving out NaN when `skip_nan`); returns how many were added.
    pub fn add(&mut self, x: &[f64], skip_nan: bool) -> usize {
        // SAFETY: pointer and length describe `x`; `self` is a valid accumulator.
        unsafe { lzs_ld_add(self, x.as_ptr(), x.len(), i32::from(skip_nan)) }
    }

    pub fn mul(&mut self, x: &[f64], skip_nan: bool) {
        // SAFETY: as in `add`.
        unsafe { lzs_ld_mul(self, x.as_ptr(), x.len(), i32::from(skip_nan)) }
    }

    pub fn add_scaled(&mut self, x: &[f64], d: f64, skip_nan: bool) {
        // SAFETY: as in `add`.
        unsafe { lzs_ld_add_scaled(self, x.as_ptr(), x.len(), d, i32::from(skip_nan)) }
    }

    pub fn add_diff(&mut self, x: &[f64], m: &Ld, skip_nan: bool) {
        // SAFETY: as in `add`; `m` is a valid accumulator.
        unsafe { lzs_ld_add_diff(self, x.as_ptr(), x.len(), m, i32::from(skip_nan)) }
    }

    pub fn div(&mut self, d: f64) {
        // SAFETY: `self` is a valid accumulator.
        unsafe { lzs_ld_div(self, d) }
    }

    pub fn add_quotient(&mut self, b: &Ld, d: f64) {
        // SAFETY: both are valid accumulators.
        unsafe { lzs_ld_add_quotient(self, b, d) }
    }

    pub fn get(&self) -> f64 {
        // SAFETY: `self` is a valid accumulator.
        unsafe { lzs_ld_get(self) }
    }
}

/// A source of values: calls its argument with consecutive blocks of them, in element order (once per
/// pass; a mean reads its values twice).
pub type Feed<'a> = dyn FnMut(&mut dyn FnMut(&[f64])) + 'a;

/// R's `sum(x, na.rm)` of doubles.
pub fn sum(blocks: &mut Feed, na_rm: bool) -> f64 {
    let mut s = Ld::new(0.0);
    blocks(&mut |b| {
        s.add(b, na_rm);
    });
    s.get()
}

/// R's `prod(x, na.rm)` of doubles.
pub fn prod(blocks: &mut Feed, na_rm: bool) -> f64 {
    let mut s = Ld::new(1.0);
    blocks(&mut |b| s.mul(b, na_rm));
    s.get()
}

/// R's `mean(x, na.rm = na_rm)` of doubles (real_mean, on the non-NaN values when `na_rm`): two passes.
pub fn mean(blocks: &mut Feed, na_rm: bool) -> f64 {
    let mut s = Ld::new(0.0);
    let mut n = 0usize;
    blocks(&mut |b| n += s.add(b, na_rm));
    let nf = n as f64;
    if s.get().is_finite() {
        s.div(nf);
    } else {
        s = Ld::new(0.0);
        blocks(&mut |b| s.add_scaled(b, nf, na_rm));
    }
    if s.get().is_finite() {
        let mut t = Ld::new(0.0);
        blocks(&mut |b| t.add_diff(b, &s, na_rm));
        s.add_quotient(&t, nf);
    }
    s.get()
}

/// R's `mean(x, na.rm = na_rm)` of integers or logicals: one long double sum, divided once.
pub fn mean_of_integers(blocks: &mut Feed, na_rm: bool) -> f64 {
    let mut s = Ld::new(0.0);
    let mut n = 0usize;
    blocks(&mut |b| n += s.add(b, na_rm));
    s.div(n as f64);
    s.get()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(x: &[f64], block: usize) -> Box<Feed<'_>> {
        Box::new(move |f: &mut dyn FnMut(&[f64])| x.chunks(block.max(1)).for_each(&mut *f))
    }

    #[test]
    fn long_double_sums_keep_what_doubles_lose() {
        let x = [1e16, 1.0, -1e16];
        assert_eq!(sum(&mut feed(&x, 2), false), 1.0);
        assert_eq!(sum(&mut feed(&[1.0, f64::NAN, 2.0], 1), true), 3.0);
        assert!(sum(&mut feed(&[1.0, f64::NAN], 1), false).is_nan());
        assert_eq!(prod(&mut feed(&[2.0, 3.0, f64::NAN], 2), true), 6.0);
        assert_eq!(mean(&mut feed(&[1.0, 2.0, 4.0], 1), false), 7.0 / 3.0);
        assert_eq!(mean(&mut feed(&[f64::MAX, f64::MAX], 1), false), f64::MAX);
        assert!(mean(&mut feed(&[], 1), false).is_nan());
        assert_eq!(
            mean_of_integers(&mut feed(&[1.0, 2.0, 4.0], 2), false),
            7.0 / 3.0
        );
        assert_eq!(
            mean_of_integers(&mut feed(&[1.0, f64::NAN, 4.0], 2), true),
            2.5
        );
    }

    #[test]
    fn block_boundaries_do_not_change_results() {
        let x: Vec<f64> = (0..10_001)
            .map(|i| ((i as f64) * 0.7).sin() * 1e3)
            .collect();
        let whole = mean(&mut feed(&x, x.len()), false);
        for b in [1, 7, 4096] {
            assert_eq!(mean(&mut feed(&x, b), false).to_bits(), whole.to_bits());
            assert_eq!(
                sum(&mut feed(&x, b), false).to_bits(),
                sum(&mut feed(&x, x.len()), false).to_bits()
            );
        }
    }
}
