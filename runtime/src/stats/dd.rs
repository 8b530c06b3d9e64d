//! Double-double arithmetic: numbers carried as an unevaluated sum `hi + lo` of two f64s (about 106 bits),
//! with the error-free transformations (Knuth's two-sum, Dekker's two-product) they are built from. The
//! univariate dcov's closed form cancels up to log10(n) digits; in double-double that costs nothing visible
//! in its f64 result.

/// A double-double number `hi + lo` with |lo| ≤ ulp(hi)/2: about 106 bits, enough that the closed form's
/// cancellation of up to log10(n) digits costs nothing visible in the f64 result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Dd {
    pub(super) hi: f64,
    pub(super) lo: f64,
}

/// `a + b` exactly (Knuth), for any magnitudes.
#[inline]
pub(super) fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let bb = s - a;
    Dd {
        hi: s,
        lo: (a - (s - bb)) + (b - bb),
    }
}

/// `a + b` exactly when |a| ≥ |b| or a = 0 (Dekker).
#[inline]
pub(super) fn fast_two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    Dd {
        hi: s,
        lo: b - (s - a),
    }
}

/// Veltkamp's split of a into two halves of 26 bits each.
#[inline]
pub(super) fn split26(a: f64) -> (f64, f64) {
    let t = 134_217_729.0 * a; // 2^27 + 1
    let hi = t - (t - a);
    (hi, a - hi)
}

/// `a·b` exactly (Dekker), without FMA: the baseline x86-64 target has none, and `mul_add` would call libm.
#[inline]
pub(super) fn two_prod(a: f64, b: f64) -> Dd {
    let p = a * b;
    let (ah, al) = split26(a);
    let (bh, bl) = split26(b);
    Dd {
        hi: p,
        lo: ((ah * bh - p) + ah * bl + al * bh) + al * bl,
    }
}

impl Dd {
    pub(super) const ZERO: Dd = Dd { hi: 0.0, lo: 0.0 };

    #[inline]
    pub(super) fn add(self, o: Dd) -> Dd {
        let s = two_sum(self.hi, o.hi);
        fast_two_sum(s.hi, s.lo + (self.lo + o.lo))
    }

    #[inline]
    pub(super) fn sub(self, o: Dd) -> Dd {
        self.add(Dd {
            hi: -o.hi,
            lo: -o.lo,
        })
    }

    #[inline]
    pub(super) fn add_f64(self, b: f64) -> Dd {
        let s = two_sum(self.hi, b);
        fast_two_sum(s.hi, s.lo + self.lo)
    }

    #[inline]
    pub(super) fn mul_f64(self, b: f64) -> Dd {
        let p = two_prod(self.hi, b);
        fast_two_sum(p.hi, p.lo + self.lo * b)
    }

    #[inline]
    pub(super) fn mul(self, o: Dd) -> Dd {
        let p = two_prod(self.hi, o.hi);
        fast_two_sum(p.hi, p.lo + (self.hi * o.lo + self.lo * o.hi))
    }

    pub(super) fn div_f64(self, d: f64) -> Dd {
        let q = self.hi / d;
        let r = self.sub(two_prod(q, d));
        fast_two_sum(q, (r.hi + r.lo) / d)
    }

    pub(super) fn to_f64(self) -> f64 {
        self.hi + self.lo
    }
}
