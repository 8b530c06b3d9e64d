//! Elementwise operations and their exact R semantics on doubles. Logical values travel as 1.0/0.0 with
//! R's NA_real_ for NA (so that they read as NA, not NaN, once used as numbers). Every backend (interpreter, JIT, constant folding) must agree with these functions, which
//! are the reference in tests.

use super::rtype::NA_REAL;

/// Unary operations: R's Math group members that are elementwise, plus `-x`, `!x`, `is.na`, `is.finite`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Neg,
    Not,
    Abs,
    Sqrt,
    Exp,
    Log,
    Log2,
    Log10,
    Log1p,
    Expm1,
    Sin,
    Cos,
    Tan,
    Floor,
    Ceiling,
    Trunc,
    Sign,
    IsNa,
    IsFinite,
}

/// Binary operations: R's arithmetic, comparison and logical operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl UnaryOp {
    pub const ALL: [UnaryOp; 19] = [
        UnaryOp::Neg,
        UnaryOp::Not,
        UnaryOp::Abs,
        UnaryOp::Sqrt,
        UnaryOp::Exp,
        UnaryOp::Log,
        UnaryOp::Log2,
        UnaryOp::Log10,
        UnaryOp::Log1p,
        UnaryOp::Expm1,
        UnaryOp::Sin,
        UnaryOp::Cos,
        UnaryOp::Tan,
        UnaryOp::Floor,
        UnaryOp::Ceiling,
        UnaryOp::Trunc,
        UnaryOp::Sign,
        UnaryOp::IsNa,
        UnaryOp::IsFinite,
    ];

    /// The R function name (what `.Generic` holds in a group method).
    pub fn r_name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "-",
            UnaryOp::Not => "!",
            UnaryOp::Abs => "abs",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Exp => "exp",
            UnaryOp::Log => "log",
            UnaryOp::Log2 => "log2",
            UnaryOp::Log10 => "log10",
            UnaryOp::Log1p => "log1p",
            UnaryOp::Expm1 => "expm1",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tan => "tan",
            UnaryOp::Floor => "floor",
            UnaryOp::Ceiling => "ceiling",
            UnaryOp::Trunc => "trunc",
            UnaryOp::Sign => "sign",
            UnaryOp::IsNa => "is.na",
            UnaryOp::IsFinite => "is.finite",
        }
    }

    pub fn from_r_name(name: &str) -> Option<UnaryOp> {
        UnaryOp::ALL.into_iter().find(|op| op.r_name() == name)
    }

    /// Whether R computes the function with math1, which gives a NaN argument back as it is (an NA
    /// stays NA, bit for bit), whatever the function makes of it.
    pub fn returns_nan_argument(self) -> bool {
        !matches!(
            self,
            UnaryOp::Neg | UnaryOp::Not | UnaryOp::Abs | UnaryOp::IsNa | UnaryOp::IsFinite
        )
    }

    #[inline]
    pub fn eval(self, x: f64) -> f64 {
        match self {
            UnaryOp::Neg => -x,
            UnaryOp::Not => {
                if x.is_nan() {
                    NA_REAL
                } else if x == 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            UnaryOp::Abs => x.abs(),
            UnaryOp::Sqrt => x.sqrt(),
            _ if x.is_nan() && self.returns_nan_argument() => x,
            UnaryOp::Exp => x.exp(),
            UnaryOp::Log => x.ln(),
            UnaryOp::Log2 => x.log2(),
            UnaryOp::Log10 => x.log10(),
            UnaryOp::Log1p => x.ln_1p(),
            UnaryOp::Expm1 => x.exp_m1(),
            UnaryOp::Sin => x.sin(),
            UnaryOp::Cos => x.cos(),
            UnaryOp::Tan => x.tan(),
            UnaryOp::Floor => x.floor(),
            UnaryOp::Ceiling => x.ceil(),
            UnaryOp::Trunc => x.trunc(),
            UnaryOp::Sign => {
                if x.is_nan() {
                    x
                } else if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            UnaryOp::IsNa => f64::from(u8::from(x.is_nan())),
            UnaryOp::IsFinite => f64::from(u8::from(x.is_finite())),
        }
    }
}

impl BinaryOp {
    pub const ALL: [BinaryOp; 13] = [
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Pow,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::And,
        BinaryOp::Or,
    ];

    pub fn r_name(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Pow => "^",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "&",
            BinaryOp::Or => "|",
        }
    }

    pub fn from_r_name(name: &str) -> Option<BinaryOp> {
        BinaryOp::ALL.into_iter().find(|op| op.r_name() == name)
    }

    /// Whether `a op b == b op a` for all values, which keeps sweeps and products symmetric.
    pub fn is_commutative(self) -> bool {
        matches!(
            self,
            BinaryOp::Add
                | BinaryOp::Mul
                | BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::And
                | BinaryOp::Or
        )
    }

    #[inline]
    pub fn eval(self, a: f64, b: f64) -> f64 {
        let cmp = |r: bool| {
            if a.is_nan() || b.is_nan() {
                NA_REAL
            } else {
                f64::from(u8::from(r))
            }
        };
        match self {
            BinaryOp::Add => nan_first(a, a + b),
            BinaryOp::Sub => nan_first(a, a - b),
            BinaryOp::Mul => nan_first(a, a * b),
            BinaryOp::Div => nan_first(a, a / b),
            BinaryOp::Pow => r_pow(a, b),
            BinaryOp::Eq => cmp(a == b),
            BinaryOp::Ne => cmp(a != b),
            BinaryOp::Lt => cmp(a < b),
            BinaryOp::Le => cmp(a <= b),
            BinaryOp::Gt => cmp(a > b),
            BinaryOp::Ge => cmp(a >= b),
            BinaryOp::And => {
                if a == 0.0 || b == 0.0 {
                    0.0
                } else if a.is_nan() || b.is_nan() {
                    NA_REAL
                } else {
                    1.0
                }
            }
            BinaryOp::Or => {
                if (!a.is_nan() && a != 0.0) || (!b.is_nan() && b != 0.0) {
                    1.0
                } else if a.is_nan() || b.is_nan() {
                    NA_REAL
                } else {
                    0.0
                }
            }
        }
    }
}

/// `r`, the IEEE result of arithmetic with first operand `a`, with R's NaN: where both operands are
/// NaN, R (as compiled for x86-64) returns the first one (`NaN + NA` is NaN, `NA + NaN` is NA), made
/// quiet as arithmetic makes it. The hardware does the same, but a compiler may swap the operands of a
/// commutative operation.
#[inline]
pub fn nan_first(a: f64, r: f64) -> f64 {
    if a.is_nan() {
        quiet(a)
    } else {
        r
    }
}

/// A NaN as arithmetic leaves it: with its quiet bit set (R's NA as stored is a signalling NaN; the sum
/// of two NaNs in R's long double arithmetic depends on which is which).
#[inline]
pub fn quiet(x: f64) -> f64 {
    f64::from_bits(x.to_bits() | (1 << 51))
}

/// R's `x ^ y` (R_POW in arithmetic.c): `x*x` for `y == 2`, and R's answers where IEEE pow differs
/// (`(-Inf)^0.5` is NaN in R).
#[inline]
pub fn r_pow(x: f64, y: f64) -> f64 {
    if y == 2.0 {
        return x * x;
    }
    if x == 1.0 || y == 0.0 {
        return 1.0;
    }
    if x == 0.0 {
        return if y > 0.0 {
            0.0
        } else if y < 0.0 {
            f64::INFINITY
        } else {
            y
        };
    }
    if x.is_finite() && y.is_finite() {
        return x.powf(y);
    }
    // R returns x + y here; as compiled for x86-64 that gives y's NaN when both are (NaN^NA is NA).
    if y.is_nan() {
        return quiet(y);
    }
    if x.is_nan() {
        return quiet(x);
    }
    if !x.is_finite() {
        if x > 0.0 {
            return if y < 0.0 { 0.0 } else { f64::INFINITY };
        }
        if y.is_finite() && y == y.floor() {
            return if y < 0.0 {
                0.0
            } else if (y % 2.0) != 0.0 {
                x
            } else {
                -x
            };
        }
    }
    if !y.is_finite() && x >= 0.0 {
        return if y > 0.0 {
            if x >= 1.0 {
                f64::INFINITY
            } else {
                0.0
            }
        } else if x < 1.0 {
            f64::INFINITY
        } else {
            0.0
        };
    }
    f64::NAN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logic_follows_r_three_valued_rules() {
        let na = f64::NAN;
        assert_eq!(BinaryOp::And.eval(0.0, na), 0.0);
        assert!(BinaryOp::And.eval(1.0, na).is_nan());
        assert_eq!(BinaryOp::Or.eval(1.0, na), 1.0);
        assert!(BinaryOp::Or.eval(0.0, na).is_nan());
        assert!(BinaryOp::Lt.eval(na, 1.0).is_nan());
        assert_eq!(BinaryOp::Ge.eval(2.0, 1.0), 1.0);
        assert!(UnaryOp::Not.eval(na).is_nan());
        assert_eq!(UnaryOp::IsNa.eval(na), 1.0);
        assert_eq!(UnaryOp::IsFinite.eval(f64::INFINITY), 0.0);
    }

    #[test]
    fn nans_propagate_as_in_r() {
        use crate::graph::is_na;
        assert!(!is_na(BinaryOp::Add.eval(f64::NAN, NA_REAL)));
        assert!(is_na(BinaryOp::Mul.eval(NA_REAL, f64::NAN)));
        assert!(is_na(UnaryOp::Sin.eval(NA_REAL)));
        assert!(is_na(UnaryOp::Not.eval(f64::NAN)));
        assert!(is_na(BinaryOp::Lt.eval(f64::NAN, 1.0)));
    }

    #[test]
    fn power_follows_r() {
        assert_eq!(r_pow(3.0, 2.0), 9.0);
        assert_eq!(r_pow(f64::NAN, 0.0), 1.0);
        assert_eq!(r_pow(1.0, f64::NAN), 1.0);
        assert!(r_pow(f64::NEG_INFINITY, 0.5).is_nan());
        assert_eq!(r_pow(f64::NEG_INFINITY, 3.0), f64::NEG_INFINITY);
        assert_eq!(r_pow(f64::NEG_INFINITY, 2.0), f64::INFINITY);
        assert_eq!(r_pow(0.0, -1.0), f64::INFINITY);
        assert_eq!(r_pow(0.5, f64::INFINITY), 0.0);
        assert_eq!(r_pow(2.0, f64::NEG_INFINITY), 0.0);
        assert!(r_pow(-8.0, 1.0 / 3.0).is_nan());
        assert_eq!(r_pow(2.0, 0.5), 2f64.powf(0.5));
        assert!(crate::graph::is_na(r_pow(f64::NAN, NA_REAL)));
        assert!(!crate::graph::is_na(r_pow(NA_REAL, f64::NAN)));
    }

    #[test]
    fn names_round_trip() {
        for op in UnaryOp::ALL {
            assert_eq!(UnaryOp::from_r_name(op.r_name()), Some(op));
        }
        for op in BinaryOp::ALL {
            assert_eq!(BinaryOp::from_r_name(op.r_name()), Some(op));
        }
    }
}
