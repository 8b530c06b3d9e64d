//! The algebraic simplifications the builders apply before making a node, each named, so that what the
//! graph holds is already simplified: constant folding, `x^1 → x`, `t(t(x)) → x`, `t(x) → x` for a
//! symmetric `x`, and `offdiag(x) → x` for an `x` with a zero diagonal. Each returns the simpler node
//! when it applies; every one keeps R's values, types and attributes (the R layer keeps attributes).

use super::{typed_constant, BinaryOp, Expr, NodeRef, RType, Shape, UnaryOp};

/// Constant folding: an operation on a constant is the constant R would compute.
pub fn fold_unary(op: UnaryOp, a: &NodeRef, rtype: RType) -> Option<NodeRef> {
    a.as_const().map(|v| typed_constant(op.eval(v), rtype))
}

/// Constant folding of a binary operation on two constants.
pub fn fold_binary(op: BinaryOp, a: &NodeRef, b: &NodeRef, rtype: RType) -> Option<NodeRef> {
    let (x, y) = (a.as_const()?, b.as_const()?);
    Some(typed_constant(op.eval(x, y), rtype))
}

/// `x^1` is `x` (R's `R_pow(x, 1)` returns x), when the result has x's shape and type.
pub fn power_of_one(
    op: BinaryOp,
    a: &NodeRef,
    b: &NodeRef,
    shape: Shape,
    rtype: RType,
) -> Option<NodeRef> {
    (op == BinaryOp::Pow && b.as_const() == Some(1.0) && a.shape == shape && a.rtype == rtype)
        .then(|| a.clone())
}

/// `t(x)` is `x` for a symmetric `x`, and `t(t(x))` is `x`.
pub fn transpose_identity(x: &NodeRef) -> Option<NodeRef> {
    if x.symmetric {
        return Some(x.clone());
    }
    match &x.expr {
        Expr::Transpose(inner) => Some(inner.clone()),
        _ => None,
    }
}

/// `offdiag(x)` (x with its diagonal set to 0) is `x` when the diagonal is 0 by construction.
pub fn off_diag_identity(x: &NodeRef) -> Option<NodeRef> {
    x.zero_diag.then(|| x.clone())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::graph::{self, constant, Source};

    fn vector(v: Vec<f64>) -> NodeRef {
        let n = v.len() as u64;
        graph::source(Arc::new(Source::owned(v)), Shape::vector(n))
    }

    #[test]
    fn constants_fold_with_r_types() {
        assert_eq!(
            graph::unary(UnaryOp::Sqrt, &constant(4.0)).as_const(),
            Some(2.0)
        );
        let three = graph::typed_constant(3.0, RType::Integer);
        let n = graph::unary(UnaryOp::Neg, &three);
        assert_eq!((n.as_const(), n.rtype), (Some(-3.0), RType::Integer));
        let p = graph::binary(BinaryOp::Mul, &constant(2.0), &constant(0.5)).unwrap();
        assert_eq!(p.as_const(), Some(1.0));
        assert!(fold_binary(
            BinaryOp::Add,
            &vector(vec![1.0]),
            &constant(1.0),
            RType::Double
        )
        .is_none());
    }

    #[test]
    fn power_of_one_is_the_base_unless_the_type_changes() {
        let x = vector(vec![1.0, 2.0, 3.0]);
        assert!(Arc::ptr_eq(
            &graph::binary(BinaryOp::Pow, &x, &constant(1.0)).unwrap(),
            &x
        ));
        // An integer to the power 1 is double in R: not the base.
        let i = graph::typed_source(
            Arc::new(Source::owned(vec![1.0, 2.0])),
            Shape::vector(2),
            RType::Integer,
            2.0,
        );
        let p = graph::binary(BinaryOp::Pow, &i, &constant(1.0)).unwrap();
        assert!(!Arc::ptr_eq(&p, &i));
        assert_eq!(p.rtype, RType::Double);
    }

    #[test]
    fn transposes_cancel_and_symmetric_matrices_are_their_transpose() {
        let m = graph::source(
            Arc::new(Source::owned(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])),
            Shape::matrix(2, 3),
        );
        let t = graph::transpose(&m);
        assert_eq!(t.shape, Shape::matrix(3, 2));
        assert!(Arc::ptr_eq(&graph::transpose(&t), &m));
        let d = graph::dist(&vector(vec![0.0, 1.0, 3.0])).unwrap();
        assert!(Arc::ptr_eq(&graph::transpose(&d), &d));
    }

    #[test]
    fn off_diagonal_of_a_zero_diagonal_is_the_matrix() {
        let d = graph::dist(&vector(vec![0.0, 1.0, 3.0])).unwrap();
        assert!(Arc::ptr_eq(&graph::off_diag(&d), &d));
        let sq = graph::binary(BinaryOp::Add, &d, &constant(1.0)).unwrap();
        assert!(!Arc::ptr_eq(&graph::off_diag(&sq), &sq));
    }
}
