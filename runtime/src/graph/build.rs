//! The graph's builders. Each checks shapes (R's recycling where it is cheap), derives the R type and
//! refuses integer arithmetic that might overflow (R would give NA and warn), proves the structural facts
//! the planner exploits (symmetry, a zero diagonal, depth), and applies the named simplifications of
//! `rewrite` before making a node.

use std::sync::Arc;

use super::node::{key_of, make, new_reducer, Facts};
use super::rtype;
use super::{
    rewrite, same, BinaryOp, Expr, Margin, Node, NodeRef, RType, ReduceOp, Shape, Source, UnaryOp,
    INT_MAX,
};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GraphError {
    #[error("non-conformable operands: {a} and {b}")]
    NonConformable { a: String, b: String },
    #[error("`STATS` has length {got}; sweeping over {what} needs {want}")]
    SweepLength {
        got: u64,
        want: u64,
        what: &'static str,
    },
    #[error("distances need the rows of a numeric vector or matrix held in memory")]
    DistInput,
    #[error("distances between points with no coordinates are NA in R; they are not deferred")]
    DistNoCoordinates,
    #[error("integer {op} may overflow (R gives NA with a warning), so it is not deferred")]
    MayOverflow { op: &'static str },
}

fn shape_str(s: Shape) -> String {
    if s.matrix {
        format!("a {} x {} matrix", s.rows, s.cols)
    } else {
        format!("a vector of length {}", s.rows)
    }
}

fn int_bound_of(rtype: RType, int: f64) -> f64 {
    match rtype {
        RType::Logical => 1.0,
        RType::Integer => int,
        RType::Double => f64::INFINITY,
    }
}

/// A node over `src` with the given shape (`rows * cols` must be the source's length), of R type double.
pub fn source(src: Arc<Source>, shape: Shape) -> NodeRef {
    typed_source(src, shape, RType::Double, f64::INFINITY)
}

/// A node over `src` whose values R sees as `rtype`; for logical and integer data, `int_bound` bounds
/// |value| over the non-NA values.
pub fn typed_source(src: Arc<Source>, shape: Shape, rtype: RType, int_bound: f64) -> NodeRef {
    assert_eq!(
        src.len() as u64,
        shape.len(),
        "source length must match its shape"
    );
    let key = key_of(("src", src.address(), shape, rtype));
    make(
        Expr::Source(src),
        Facts {
            shape,
            rtype,
            int_bound: int_bound_of(rtype, int_bound),
            depth: 0,
            symmetric: false,
            zero_diag: false,
            key,
        },
    )
}

/// A double constant.
pub fn constant(v: f64) -> NodeRef {
    typed_constant(v, RType::Double)
}

/// A constant R sees as `rtype` (NaN is NA for logicals and integers, which have no negative zero).
pub fn typed_constant(v: f64, rtype: RType) -> NodeRef {
    let v = if rtype.is_integral() { v + 0.0 } else { v };
    make(
        Expr::Const(v),
        Facts {
            shape: Shape::scalar(),
            rtype,
            int_bound: int_bound_of(rtype, if v.is_nan() { 0.0 } else { v.abs() }),
            depth: 0,
            symmetric: false,
            zero_diag: false,
            key: key_of(("const", v.to_bits(), rtype)),
        },
    )
}

/// Distances between the rows of `points`, which must be a source (vector or matrix).
pub fn dist(points: &NodeRef) -> Result<NodeRef, GraphError> {
    if points.as_source().is_none() {
        return Err(GraphError::DistInput);
    }
    // R's distance over zero coordinates is NA; the pairwise kernels need at least one.
    if points.shape.cols == 0 {
        return Err(GraphError::DistNoCoordinates);
    }
    let n = points.shape.rows;
    Ok(make(
        Expr::Dist(points.clone()),
        Facts {
            shape: Shape::matrix(n, n),
            rtype: RType::Double,
            int_bound: f64::INFINITY,
            depth: 1,
            symmetric: true,
            zero_diag: true,
            key: key_of(("dist", points.key)),
        },
    ))
}

pub fn unary(op: UnaryOp, a: &NodeRef) -> NodeRef {
    let rtype = a.rtype.unary(op);
    if let Some(folded) = rewrite::fold_unary(op, a, rtype) {
        return folded;
    }
    let keeps_zero = op.eval(0.0) == 0.0;
    make(
        Expr::Unary(op, a.clone()),
        Facts {
            shape: a.shape,
            rtype,
            int_bound: int_bound_of(rtype, a.int_bound),
            depth: a.depth + 1,
            symmetric: a.symmetric,
            zero_diag: a.zero_diag && keeps_zero,
            key: key_of(("un", op, a.key)),
        },
    )
}

/// The shape of `a op b` under the recycling this graph supports: equal shapes, a scalar on either side,
/// or a vector as long as the other side's rows (recycled down each column).
pub fn binary_shape(a: Shape, b: Shape) -> Result<Shape, GraphError> {
    let err = || {
        Err(GraphError::NonConformable {
            a: shape_str(a),
            b: shape_str(b),
        })
    };
    if a.matrix && b.matrix {
        return if a == b { Ok(a) } else { err() };
    }
    if a.is_scalar() {
        return Ok(b);
    }
    if b.is_scalar() {
        return Ok(a);
    }
    if a.len() == b.len() {
        return Ok(if a.matrix { a } else { b });
    }
    if a.matrix && !b.matrix && b.rows == a.rows {
        return Ok(a);
    }
    if b.matrix && !a.matrix && a.rows == b.rows {
        return Ok(b);
    }
    err()
}

/// The R type and integer bound of `a op b`; integer arithmetic that might leave R's integer range is
/// refused (R would give NA and warn).
fn binary_type(op: BinaryOp, a: &Node, b: &Node) -> Result<(RType, f64), GraphError> {
    let rtype = RType::binary(a.rtype, op, b.rtype);
    let bound = int_bound_of(rtype, rtype::binary_bound(op, a.int_bound, b.int_bound));
    if rtype == RType::Integer && (bound.is_nan() || bound > INT_MAX) {
        return Err(GraphError::MayOverflow { op: op.r_name() });
    }
    Ok((rtype, bound))
}

pub fn binary(op: BinaryOp, a: &NodeRef, b: &NodeRef) -> Result<NodeRef, GraphError> {
    let shape = binary_shape(a.shape, b.shape)?;
    let (rtype, int_bound) = binary_type(op, a, b)?;
    if let Some(simpler) = rewrite::fold_binary(op, a, b, rtype)
        .or_else(|| rewrite::power_of_one(op, a, b, shape, rtype))
    {
        return Ok(simpler);
    }
    let full = |n: &NodeRef| n.shape == shape;
    let sym_side = |n: &NodeRef| n.shape.is_scalar() || (full(n) && n.symmetric);
    let symmetric = shape.is_square() && sym_side(a) && sym_side(b);
    // A zero diagonal survives only where 0 op y is 0 for every y the other side can hold: 0 * Inf and
    // 0 / 0 are NaN, so products and quotients need a finite (non-zero) constant on the other side.
    let zero = |n: &NodeRef| full(n) && n.zero_diag;
    let finite_const = |n: &NodeRef| n.as_const().is_some_and(f64::is_finite);
    let positive_const = |n: &NodeRef| n.as_const().is_some_and(|c| c > 0.0);
    let zero_diag = shape.is_square()
        && match op {
            BinaryOp::Mul => {
                (zero(a) && (zero(b) || finite_const(b))) || (zero(b) && finite_const(a))
            }
            BinaryOp::Add | BinaryOp::Sub => zero(a) && zero(b),
            BinaryOp::Div => zero(a) && finite_const(b) && b.as_const() != Some(0.0),
            BinaryOp::Pow => zero(a) && positive_const(b),
            _ => false,
        };
    Ok(make(
        Expr::Binary(op, a.clone(), b.clone()),
        Facts {
            shape,
            rtype,
            int_bound,
            depth: a.depth.max(b.depth) + 1,
            symmetric,
            zero_diag,
            key: key_of(("bin", op, a.key, b.key)),
        },
    ))
}

pub fn sweep(
    x: &NodeRef,
    margin: Margin,
    stats: &NodeRef,
    op: BinaryOp,
) -> Result<NodeRef, GraphError> {
    let (want, what) = match margin {
        Margin::Rows => (x.shape.rows, "rows (MARGIN = 1)"),
        Margin::Cols => (x.shape.cols, "columns (MARGIN = 2)"),
    };
    if stats.shape.len() != want {
        return Err(GraphError::SweepLength {
            got: stats.shape.len(),
            want,
            what,
        });
    }
    // sweep(sweep(s, 1, v, op), 2, v, op) with symmetric s is symmetric: both sides get the same vector.
    let symmetric = match &x.expr {
        Expr::Sweep {
            x: inner,
            margin: m,
            stats: s,
            op: o,
        } => *m != margin && *o == op && inner.symmetric && same(s, stats),
        _ => false,
    };
    let (rtype, int_bound) = binary_type(op, x, stats)?;
    Ok(make(
        Expr::Sweep {
            x: x.clone(),
            margin,
            stats: stats.clone(),
            op,
        },
        Facts {
            shape: x.shape,
            rtype,
            int_bound,
            depth: x.depth.max(stats.depth) + 1,
            symmetric,
            zero_diag: false,
            key: key_of(("sweep", margin, op, x.key, stats.key)),
        },
    ))
}

pub fn transpose(x: &NodeRef) -> NodeRef {
    if let Some(simpler) = rewrite::transpose_identity(x) {
        return simpler;
    }
    let shape = if x.shape.matrix {
        Shape::matrix(x.shape.cols, x.shape.rows)
    } else {
        Shape::matrix(1, x.shape.rows)
    };
    make(
        Expr::Transpose(x.clone()),
        Facts {
            shape,
            rtype: x.rtype,
            int_bound: x.int_bound,
            depth: x.depth + 1,
            symmetric: false,
            zero_diag: x.zero_diag,
            key: key_of(("t", x.key)),
        },
    )
}

/// `x` with a zero diagonal (x must be square).
pub fn off_diag(x: &NodeRef) -> NodeRef {
    if let Some(simpler) = rewrite::off_diag_identity(x) {
        return simpler;
    }
    make(
        Expr::OffDiag(x.clone()),
        Facts {
            shape: x.shape,
            rtype: x.rtype,
            int_bound: x.int_bound,
            depth: x.depth + 1,
            symmetric: x.symmetric,
            zero_diag: true,
            key: key_of(("offdiag", x.key)),
        },
    )
}

/// `node` rebuilt over new children (same order as `Node::children`), e.g. after materialising them.
pub fn rebuild(node: &NodeRef, children: Vec<NodeRef>) -> Result<NodeRef, GraphError> {
    let c = |k: usize| &children[k];
    Ok(match &node.expr {
        Expr::Source(_) | Expr::Const(_) | Expr::Reduced(_) => node.clone(),
        Expr::Dist(_) => dist(c(0))?,
        Expr::Unary(op, _) => unary(*op, c(0)),
        Expr::Binary(op, _, _) => binary(*op, c(0), c(1))?,
        Expr::Sweep { margin, op, .. } => sweep(c(0), *margin, c(1), *op)?,
        Expr::Transpose(_) => transpose(c(0)),
        Expr::OffDiag(_) => off_diag(c(0)),
    })
}

/// A memoised reducer of `input` and the node holding its value.
pub fn reduce(op: ReduceOp, input: &NodeRef, na_rm: bool) -> NodeRef {
    let key = key_of(("reduce", op, na_rm, input.key));
    let r = new_reducer(op, input, na_rm, key);
    make(
        Expr::Reduced(r),
        Facts {
            shape: op.result_shape(input.shape),
            rtype: input.rtype.reduced(op),
            int_bound: int_bound_of(
                input.rtype.reduced(op),
                rtype::reduced_bound(op, input.int_bound, input.shape.len()),
            ),
            depth: 0,
            symmetric: false,
            zero_diag: false,
            key: key_of(("value", key)),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(v: Vec<f64>, shape: Shape) -> NodeRef {
        source(Arc::new(Source::owned(v)), shape)
    }

    #[test]
    fn shapes_follow_r_recycling_where_cheap() {
        let m = Shape::matrix(3, 4);
        assert_eq!(binary_shape(m, Shape::scalar()), Ok(m));
        assert_eq!(binary_shape(Shape::vector(3), m), Ok(m));
        assert_eq!(binary_shape(Shape::vector(12), m), Ok(m));
        assert!(binary_shape(Shape::vector(5), m).is_err());
        assert!(binary_shape(m, Shape::matrix(4, 3)).is_err());
        assert_eq!(
            binary_shape(Shape::vector(7), Shape::vector(7)),
            Ok(Shape::vector(7))
        );
    }

    #[test]
    fn distances_need_a_coordinate() {
        let none = src(vec![], Shape::matrix(3, 0));
        assert_eq!(dist(&none).unwrap_err(), GraphError::DistNoCoordinates);
        let empty = src(vec![], Shape::matrix(0, 2));
        assert_eq!(dist(&empty).unwrap().shape, Shape::matrix(0, 0));
    }

    #[test]
    fn double_centring_of_a_distance_matrix_is_symmetric() {
        let x = src(vec![0.0, 1.0, 3.0, 7.0], Shape::vector(4));
        let d = dist(&x).unwrap();
        assert!(d.symmetric && d.zero_diag);
        let m = reduce(ReduceOp::RowMeans, &d, false);
        let a = sweep(&d, Margin::Rows, &m, BinaryOp::Sub).unwrap();
        assert!(!a.symmetric);
        let b = sweep(&a, Margin::Cols, &m, BinaryOp::Sub).unwrap();
        assert!(b.symmetric);
        let mm = reduce(ReduceOp::Mean, &d, false);
        let c = binary(BinaryOp::Add, &b, &mm).unwrap();
        assert!(c.symmetric);
        let other = reduce(ReduceOp::ColMeans, &d, false);
        let not = sweep(&a, Margin::Cols, &other, BinaryOp::Sub).unwrap();
        assert!(!not.symmetric, "different vectors on the two margins");
        let p = binary(BinaryOp::Pow, &d, &constant(1.5)).unwrap();
        assert!(p.symmetric && p.zero_diag);
    }
}
