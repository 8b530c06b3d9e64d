//! Proofs of finiteness without a pass. R code checks `all(is.finite(x))` before heavy work (energy's
//! DCOR does it on two n × n distance matrices); for expressions built from finite sources with bounded
//! magnitudes the answer follows from one O(n·p) scan of the sources, not an O(n²) pass.

use crate::graph::{BinaryOp, Expr, Margin, Node, ReduceOp, Reducer, UnaryOp};

/// An upper bound on |value| over every element, if one can be proved (and is finite).
pub fn abs_bound(n: &Node) -> Option<f64> {
    let b = match &n.expr {
        Expr::Source(s) => {
            let e = s.extent();
            e.all_finite.then_some(e.max_abs)?
        }
        Expr::Const(c) => c.abs(),
        Expr::Dist(points) => {
            let b = abs_bound(points)?;
            // Each squared coordinate difference is at most (2b)^2; p of them are summed.
            let sq = (2.0 * b) * (2.0 * b) * points.shape.cols as f64;
            if !sq.is_finite() {
                return None;
            }
            sq.sqrt()
        }
        Expr::Unary(UnaryOp::Abs | UnaryOp::Neg, x) | Expr::Transpose(x) | Expr::OffDiag(x) => {
            abs_bound(x)?
        }
        Expr::Unary(UnaryOp::Sqrt, x) if non_negative(x) => abs_bound(x)?.sqrt(),
        Expr::Binary(op, a, b) => {
            let (x, y) = (abs_bound(a)?, abs_bound(b)?);
            match op {
                BinaryOp::Add | BinaryOp::Sub => x + y,
                BinaryOp::Mul => x * y,
                BinaryOp::Pow if non_negative(a) && b.as_const().is_some_and(|e| e >= 0.0) => {
                    x.max(1.0).powf(b.as_const()?)
                }
                _ => return None,
            }
        }
        Expr::Sweep {
            x,
            stats,
            op,
            margin: Margin::Rows | Margin::Cols,
        } => {
            let (a, s) = (abs_bound(x)?, abs_bound(stats)?);
            match op {
                BinaryOp::Add | BinaryOp::Sub => a + s,
                BinaryOp::Mul => a * s,
                _ => return None,
            }
        }
        Expr::Reduced(r) => {
            let v = r.value()?;
            v.iter()
                .try_fold(0.0f64, |m, x| x.is_finite().then_some(m.max(x.abs())))?
        }
        Expr::Unary(..) => return None,
    };
    b.is_finite().then_some(b)
}

/// Whether no value of `n` can be negative (NaN can be).
fn non_negative(n: &Node) -> bool {
    match &n.expr {
        Expr::Source(s) => {
            let e = s.extent();
            e.all_finite && e.min >= 0.0
        }
        Expr::Const(c) => *c >= 0.0,
        Expr::Dist(_) | Expr::Unary(UnaryOp::Abs | UnaryOp::Sqrt | UnaryOp::Exp, _) => true,
        Expr::Binary(BinaryOp::Add | BinaryOp::Mul, a, b) => non_negative(a) && non_negative(b),
        Expr::Transpose(x) | Expr::OffDiag(x) => non_negative(x),
        _ => false,
    }
}

/// Whether `op` applied to `a` can never turn a number into NaN, so R's "NaNs produced" cannot arise
/// and kernels need not look for it.
pub fn never_produces_nan(op: UnaryOp, a: &Node) -> bool {
    match op {
        UnaryOp::Sqrt | UnaryOp::Log | UnaryOp::Log2 | UnaryOp::Log10 | UnaryOp::Log1p => {
            non_negative(a)
        }
        UnaryOp::Sin | UnaryOp::Cos | UnaryOp::Tan => abs_bound(a).is_some(),
        _ => true,
    }
}

/// The value of `r` when it follows from bounds alone: `all(is.finite(e))` is TRUE and
/// `any(is.na(e))` is FALSE for a provably finite `e`.
pub fn shortcut(r: &Reducer) -> Option<f64> {
    match (&r.op, &r.input.expr) {
        (ReduceOp::All, Expr::Unary(UnaryOp::IsFinite, e)) => abs_bound(e).map(|_| 1.0),
        (ReduceOp::Any, Expr::Unary(UnaryOp::IsNa, e)) => abs_bound(e).map(|_| 0.0),
        _ => None,
    }
}
