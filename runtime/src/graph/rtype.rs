//! R's value types and how operations combine them. Every type travels through kernels as f64 (logicals as
//! 1/0, integers exactly, NA as a NaN); the type decides what R sees when the values are materialised, and
//! which results a kernel may compute at all: integer arithmetic is deferred only where bounds prove it
//! cannot overflow, since R's overflow gives NA with a warning that a kernel would have to detect.

use super::{BinaryOp, ReduceOp, UnaryOp};

/// R's atomic numeric types, in R's order of promotion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RType {
    Logical,
    Integer,
    Double,
}

/// The largest magnitude of an R integer (`.Machine$integer.max`; the most negative int is NA).
pub const INT_MAX: f64 = 2147483647.0;

/// R's `NA_real_`: a NaN whose low word is 1954. Other NaNs are R's `NaN`.
pub const NA_REAL: f64 = f64::from_bits(0x7FF0_0000_0000_07A2);

/// Whether `x` is R's NA (not merely NaN), as R's `ISNA`.
pub fn is_na(x: f64) -> bool {
    x.is_nan() && x.to_bits() as u32 == 1954
}

impl RType {
    /// What R's `typeof()` says.
    pub fn r_name(self) -> &'static str {
        match self {
            RType::Logical => "logical",
            RType::Integer => "integer",
            RType::Double => "double",
        }
    }

    /// Whether the values are whole numbers with integer semantics (logical or integer).
    pub fn is_integral(self) -> bool {
        self != RType::Double
    }

    /// The type of `op x` for `x` of this type.
    pub fn unary(self, op: UnaryOp) -> RType {
        match op {
            UnaryOp::Not | UnaryOp::IsNa | UnaryOp::IsFinite => RType::Logical,
            // -TRUE and abs(TRUE) are integers; floor(1L) and sign(1L) are doubles in R.
            UnaryOp::Neg | UnaryOp::Abs if self.is_integral() => RType::Integer,
            _ => RType::Double,
        }
    }

    /// The type of `a op b`.
    pub fn binary(a: RType, op: BinaryOp, b: RType) -> RType {
        match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => a.max(b).max(RType::Integer),
            BinaryOp::Div | BinaryOp::Pow => RType::Double,
            _ => RType::Logical,
        }
    }

    /// The type of a reducer's value over values of this type: R's sum, min and max of integers (and
    /// logicals) are integers, any and all logicals, everything else doubles.
    pub fn reduced(self, op: ReduceOp) -> RType {
        match op {
            ReduceOp::Sum if self.is_integral() => RType::Integer,
            _ if op.is_extreme() && self.is_integral() => RType::Integer,
            ReduceOp::All | ReduceOp::Any => RType::Logical,
            _ => RType::Double,
        }
    }
}

/// Whether R decides the type of `op`'s value over `len` values of type `input` (bounded by `bound`) only
/// by looking at the value, so that the value must be computed before R code may see its type: an integer
/// `sum` beyond R's integer range is a double, and `min`/`max` of no values (none at all, or all NA with
/// na.rm) are the double `Inf`/`-Inf`, even for integers.
pub fn value_decides_type(op: ReduceOp, input: RType, len: u64, bound: f64, na_rm: bool) -> bool {
    match op {
        ReduceOp::Sum => {
            let most = bound * len as f64;
            input.is_integral() && (most.is_nan() || most > INT_MAX)
        }
        _ if op.is_extreme() => len == 0 || (na_rm && input.is_integral()),
        _ => false,
    }
}

/// A bound on |value| over the non-NA values of an integral result, from its operands' bounds, where one
/// exists for `op`; integer `+`, `-` and `*` are exact in f64 while the bound stays within `INT_MAX`.
pub fn binary_bound(op: BinaryOp, a: f64, b: f64) -> f64 {
    match op {
        BinaryOp::Add | BinaryOp::Sub => a + b,
        BinaryOp::Mul => a * b,
        _ => 1.0,
    }
}

/// The bound of a reducer's integral value over `len` values bounded by `input`. R's integer sum is NA
/// beyond `INT_MAX`, so its bound never exceeds it.
pub fn reduced_bound(op: ReduceOp, input: f64, len: u64) -> f64 {
    match op {
        ReduceOp::Sum => (input * len as f64).min(INT_MAX),
        _ if op.is_extreme() => input,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_r() {
        use RType::*;
        assert_eq!(RType::binary(Logical, BinaryOp::Add, Logical), Integer);
        assert_eq!(RType::binary(Integer, BinaryOp::Mul, Double), Double);
        assert_eq!(RType::binary(Integer, BinaryOp::Div, Integer), Double);
        assert_eq!(RType::binary(Integer, BinaryOp::Pow, Integer), Double);
        assert_eq!(RType::binary(Double, BinaryOp::Lt, Double), Logical);
        assert_eq!(Logical.unary(UnaryOp::Neg), Integer);
        assert_eq!(Integer.unary(UnaryOp::Abs), Integer);
        assert_eq!(Integer.unary(UnaryOp::Floor), Double);
        assert_eq!(Double.unary(UnaryOp::IsNa), Logical);
        assert_eq!(Logical.reduced(ReduceOp::Sum), Integer);
        assert_eq!(Logical.reduced(ReduceOp::Max), Integer);
        assert_eq!(Integer.reduced(ReduceOp::Mean), Double);
        assert_eq!(Integer.reduced(ReduceOp::RowSums), Double);
        assert_eq!(Double.reduced(ReduceOp::Any), Logical);
    }

    #[test]
    fn some_types_wait_for_values() {
        assert!(!value_decides_type(
            ReduceOp::Sum,
            RType::Integer,
            4,
            3.0,
            false
        ));
        assert!(value_decides_type(
            ReduceOp::Sum,
            RType::Integer,
            2,
            INT_MAX,
            false
        ));
        assert!(!value_decides_type(
            ReduceOp::Sum,
            RType::Double,
            2,
            f64::INFINITY,
            false
        ));
        assert!(value_decides_type(
            ReduceOp::Max,
            RType::Double,
            0,
            0.0,
            false
        ));
        assert!(value_decides_type(
            ReduceOp::Min,
            RType::Logical,
            5,
            1.0,
            true
        ));
        assert!(!value_decides_type(
            ReduceOp::Min,
            RType::Double,
            5,
            1.0,
            true
        ));
    }

    #[test]
    fn sum_bounds_stop_at_r_integer_range() {
        assert_eq!(reduced_bound(ReduceOp::Sum, 3.0, 4), 12.0);
        assert_eq!(reduced_bound(ReduceOp::Sum, INT_MAX, 4), INT_MAX);
        assert_eq!(binary_bound(BinaryOp::Mul, 46341.0, 46341.0), 2147488281.0);
    }
}
