//! Structural equality, the one notion of "the same node" the graph, the planner (reducers computed once)
//! and the lowerer (nodes lowered once) share: the same expression over the same sources (same memory,
//! shape and R type). Keys make unequal nodes cheap to tell apart; equal keys are confirmed by walking
//! both expressions.

use super::{Expr, Node, Reducer};

/// Whether `a` and `b` are the same expression over the same sources.
pub fn same(a: &Node, b: &Node) -> bool {
    if std::ptr::eq(a, b) {
        return true;
    }
    if a.key != b.key || a.shape != b.shape || a.rtype != b.rtype {
        return false;
    }
    match (&a.expr, &b.expr) {
        (Expr::Source(x), Expr::Source(y)) => x.address() == y.address(),
        (Expr::Const(x), Expr::Const(y)) => x.to_bits() == y.to_bits(),
        (Expr::Dist(x), Expr::Dist(y))
        | (Expr::Transpose(x), Expr::Transpose(y))
        | (Expr::OffDiag(x), Expr::OffDiag(y)) => same(x, y),
        (Expr::Unary(o1, x), Expr::Unary(o2, y)) => o1 == o2 && same(x, y),
        (Expr::Binary(o1, a1, b1), Expr::Binary(o2, a2, b2)) => {
            o1 == o2 && same(a1, a2) && same(b1, b2)
        }
        (
            Expr::Sweep {
                x: x1,
                margin: m1,
                stats: s1,
                op: o1,
            },
            Expr::Sweep {
                x: x2,
                margin: m2,
                stats: s2,
                op: o2,
            },
        ) => m1 == m2 && o1 == o2 && same(x1, x2) && same(s1, s2),
        (Expr::Reduced(r1), Expr::Reduced(r2)) => same_reducer(r1, r2),
        _ => false,
    }
}

/// Whether `a` and `b` compute the same value: the same summary, with the same `na.rm`, of the same node.
pub fn same_reducer(a: &Reducer, b: &Reducer) -> bool {
    std::ptr::eq(a, b)
        || (a.key == b.key && a.op == b.op && a.na_rm == b.na_rm && same(&a.input, &b.input))
}

/// The structural key of a node, for hash maps that then confirm with [`same`].
pub fn structural_key(n: &Node) -> u64 {
    n.key
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::graph::{self, ReduceOp, Shape, Source, UnaryOp};

    #[test]
    fn separate_builds_over_the_same_memory_are_the_same() {
        let data = Arc::new(Source::owned(vec![1.0, 2.0, 3.0]));
        let a = graph::source(data.clone(), Shape::vector(3));
        let b = graph::source(data, Shape::vector(3));
        let ea = graph::unary(UnaryOp::Sqrt, &a);
        let eb = graph::unary(UnaryOp::Sqrt, &b);
        assert!(same(&ea, &eb));
        assert!(!same(&ea, &graph::unary(UnaryOp::Exp, &a)));
        let ra = graph::reduce(ReduceOp::Sum, &ea, false);
        let rb = graph::reduce(ReduceOp::Sum, &eb, false);
        assert!(same(&ra, &rb));
        assert!(!same(&ra, &graph::reduce(ReduceOp::Sum, &ea, true)));
    }

    #[test]
    fn equal_values_in_other_memory_are_not_the_same() {
        let a = graph::source(Arc::new(Source::owned(vec![1.0, 2.0])), Shape::vector(2));
        let b = graph::source(Arc::new(Source::owned(vec![1.0, 2.0])), Shape::vector(2));
        assert!(!same(&a, &b));
        let data = Arc::new(Source::owned(vec![1.0, 2.0]));
        let v = graph::source(data.clone(), Shape::vector(2));
        let m = graph::source(data, Shape::matrix(2, 1));
        assert!(!same(&v, &m), "the same memory read with another shape");
    }
}
