//! How an output folds its elements into one value (or one per row or column).

use super::OutKind;

/// How an output folds its elements: the one definition of each kind's neutral value and combine, which
/// the interpreter, the JIT and the final combine of lanes all use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Sums and counts (compensated where the kind keeps a compensation).
    Add,
    Mul,
    /// min and max: a NaN wins, as in R without na.rm.
    Min,
    Max,
    /// Values written out, not folded.
    Store,
}

impl OutKind {
    pub fn fold(self) -> Fold {
        match self {
            OutKind::Sum
            | OutKind::Count
            | OutKind::RowSum
            | OutKind::ColSum
            | OutKind::RowCount
            | OutKind::ColCount => Fold::Add,
            OutKind::Prod => Fold::Mul,
            OutKind::Min | OutKind::RowMin | OutKind::ColMin => Fold::Min,
            OutKind::Max | OutKind::RowMax | OutKind::ColMax => Fold::Max,
            OutKind::Store => Fold::Store,
        }
    }
}

impl Fold {
    /// The value an accumulator starts from: folding it in changes nothing.
    pub fn neutral(self) -> f64 {
        match self {
            Fold::Add | Fold::Store => 0.0,
            Fold::Mul => 1.0,
            Fold::Min => f64::INFINITY,
            Fold::Max => f64::NEG_INFINITY,
        }
    }

    /// `a` and `b` folded into one (for a compensated sum, only its plain part).
    #[inline]
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Fold::Add => a + b,
            Fold::Mul => a * b,
            Fold::Min | Fold::Max if a.is_nan() || b.is_nan() => f64::NAN,
            Fold::Min => a.min(b),
            Fold::Max => a.max(b),
            Fold::Store => unreachable!("stored values are not folded"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fold_starts_from_a_neutral_value() {
        for kind in [
            OutKind::Sum,
            OutKind::Prod,
            OutKind::Min,
            OutKind::Max,
            OutKind::Count,
            OutKind::RowSum,
            OutKind::ColSum,
            OutKind::RowCount,
            OutKind::ColCount,
            OutKind::RowMin,
            OutKind::RowMax,
            OutKind::ColMin,
            OutKind::ColMax,
        ] {
            let f = kind.fold();
            for x in [-2.5, 0.0, 7.0, f64::INFINITY] {
                assert_eq!(f.apply(f.neutral(), x), x, "{kind:?}");
            }
        }
        assert!(Fold::Min.apply(1.0, f64::NAN).is_nan());
    }
}
