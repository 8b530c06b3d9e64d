//! The deferred computation graph. A `Node` is an immutable expression over sources; a `Reducer` is a
//! memoised summary (sum, rowMeans, ...) of a node, whose value is itself usable as a node. Builders check
//! shapes, fold constants and track the structural facts the planner exploits: depth (for the depth cap),
//! symmetry (a symmetric square expression needs only its upper triangle) and a zero diagonal.

mod live;
mod ops;
mod rtype;
mod source;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

pub use live::{live_roots, register_root};
pub use ops::{nan_first, quiet, r_pow, BinaryOp, UnaryOp};
pub use rtype::{is_na, value_decides_type, RType, INT_MAX, NA_REAL};
pub use source::{Extent, Keepalive, Source};

pub type NodeRef = Arc<Node>;

/// Rows × cols; a plain R vector is `rows = n, cols = 1, matrix = false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    pub rows: u64,
    pub cols: u64,
    pub matrix: bool,
}

impl Shape {
    pub fn vector(n: u64) -> Shape {
        Shape {
            rows: n,
            cols: 1,
            matrix: false,
        }
    }

    pub fn matrix(rows: u64, cols: u64) -> Shape {
        Shape {
            rows,
            cols,
            matrix: true,
        }
    }

    pub fn scalar() -> Shape {
        Shape::vector(1)
    }

    pub fn len(&self) -> u64 {
        self.rows * self.cols
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_scalar(&self) -> bool {
        self.len() == 1 && !self.matrix
    }

    pub fn is_square(&self) -> bool {
        self.matrix && self.rows == self.cols
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Margin {
    Rows,
    Cols,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    Sum,
    Prod,
    Mean,
    Min,
    Max,
    All,
    Any,
    RowSums,
    RowMeans,
    ColSums,
    ColMeans,
    /// min and max of each row or column (matrixStats' names).
    RowMins,
    RowMaxs,
    ColMins,
    ColMaxs,
}

impl ReduceOp {
    pub fn r_name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Mean => "mean",
            ReduceOp::Min => "min",
            ReduceOp::Max => "max",
            ReduceOp::All => "all",
            ReduceOp::Any => "any",
            ReduceOp::RowSums => "rowSums",
            ReduceOp::RowMeans => "rowMeans",
            ReduceOp::ColSums => "colSums",
            ReduceOp::ColMeans => "colMeans",
            ReduceOp::RowMins => "rowMins",
            ReduceOp::RowMaxs => "rowMaxs",
            ReduceOp::ColMins => "colMins",
            ReduceOp::ColMaxs => "colMaxs",
        }
    }

    pub fn from_r_name(name: &str) -> Option<ReduceOp> {
        use ReduceOp::*;
        [
            Sum, Prod, Mean, Min, Max, All, Any, RowSums, RowMeans, ColSums, ColMeans, RowMins,
            RowMaxs, ColMins, ColMaxs,
        ]
        .into_iter()
        .find(|op| op.r_name() == name)
    }

    /// min or max, of everything or of each row or column.
    pub fn is_extreme(self) -> bool {
        matches!(
            self,
            ReduceOp::Min
                | ReduceOp::Max
                | ReduceOp::RowMins
                | ReduceOp::RowMaxs
                | ReduceOp::ColMins
                | ReduceOp::ColMaxs
        )
    }

    /// The margin a row or column reducer gives one value per.
    pub fn margin(self) -> Option<Margin> {
        match self {
            ReduceOp::RowSums | ReduceOp::RowMeans | ReduceOp::RowMins | ReduceOp::RowMaxs => {
                Some(Margin::Rows)
            }
            ReduceOp::ColSums | ReduceOp::ColMeans | ReduceOp::ColMins | ReduceOp::ColMaxs => {
                Some(Margin::Cols)
            }
            _ => None,
        }
    }

    /// The shape of the result for an input of shape `s`.
    pub fn result_shape(self, s: Shape) -> Shape {
        match self.margin() {
            Some(Margin::Rows) => Shape::vector(s.rows),
            Some(Margin::Cols) => Shape::vector(s.cols),
            None => Shape::scalar(),
        }
    }
}

pub enum Expr {
    Source(Arc<Source>),
    Const(f64),
    /// Euclidean distances between the rows of a source (n × p, or a vector): an n × n matrix.
    Dist(NodeRef),
    Unary(UnaryOp, NodeRef),
    Binary(BinaryOp, NodeRef, NodeRef),
    /// `sweep(x, margin, stats, op)`: x[i, j] op stats[i] (rows) or stats[j] (cols).
    Sweep {
        x: NodeRef,
        margin: Margin,
        stats: NodeRef,
        op: BinaryOp,
    },
    Transpose(NodeRef),
    /// x with its diagonal replaced by 0, as `as.matrix()` of a `dist` gives.
    OffDiag(NodeRef),
    /// The value of a reducer.
    Reduced(Arc<Reducer>),
}

pub struct Node {
    pub expr: Expr,
    pub shape: Shape,
    /// The R type of the values (all travel as f64; see `rtype`).
    pub rtype: RType,
    /// For logical and integer nodes, a bound on |value| over the non-NA values (infinite when unknown).
    pub int_bound: f64,
    /// Longest chain of elementwise operations to evaluate per element.
    pub depth: u32,
    /// Square, and x[i, j] == x[j, i] by construction.
    pub symmetric: bool,
    /// Square with an all-zero diagonal by construction.
    pub zero_diag: bool,
    /// R's "NaNs produced" was raised for this node's values (R warns once, when it computes them).
    nan_warned: AtomicBool,
    key: u64,
    id: u64,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", crate::plan::describe(self))
    }
}

pub struct Reducer {
    pub op: ReduceOp,
    pub input: NodeRef,
    pub na_rm: bool,
    memo: OnceLock<Arc<[f64]>>,
    key: u64,
    id: u64,
}

impl std::fmt::Debug for Reducer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({:?})", self.op.r_name(), self.input)
    }
}

impl Reducer {
    pub fn value(&self) -> Option<&Arc<[f64]>> {
        self.memo.get()
    }

    pub fn is_done(&self) -> bool {
        self.memo.get().is_some()
    }

    /// Records the result; a second computation of the same reducer is ignored.
    pub fn set(&self, v: Arc<[f64]>) {
        let _ = self.memo.set(v);
    }

    pub fn id(&self) -> u64 {
        self.id
    }
}

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

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn key_of(parts: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

struct Facts {
    shape: Shape,
    rtype: RType,
    int_bound: f64,
    depth: u32,
    symmetric: bool,
    zero_diag: bool,
    key: u64,
}

fn make(expr: Expr, f: Facts) -> NodeRef {
    Arc::new(Node {
        expr,
        shape: f.shape,
        rtype: f.rtype,
        int_bound: f.int_bound,
        depth: f.depth,
        symmetric: f.symmetric,
        zero_diag: f.zero_diag,
        nan_warned: AtomicBool::new(false),
        key: f.key,
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
    })
}

impl Node {
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Raises R's "NaNs produced" for this node, the first time only.
    pub fn warn_nan_produced(&self) {
        if !self.nan_warned.swap(true, Ordering::Relaxed) {
            crate::warn::warn("NaNs produced");
        }
    }

    pub fn as_const(&self) -> Option<f64> {
        match self.expr {
            Expr::Const(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_source(&self) -> Option<&Arc<Source>> {
        match &self.expr {
            Expr::Source(s) => Some(s),
            _ => None,
        }
    }

    /// The direct inputs of this node (reducer inputs are not: they are computed separately).
    pub fn children(&self) -> Vec<&NodeRef> {
        match &self.expr {
            Expr::Source(_) | Expr::Const(_) | Expr::Reduced(_) => vec![],
            Expr::Dist(x) | Expr::Unary(_, x) | Expr::Transpose(x) | Expr::OffDiag(x) => vec![x],
            Expr::Binary(_, a, b) => vec![a, b],
            Expr::Sweep { x, stats, .. } => vec![x, stats],
        }
    }

    /// Structural equality: the same expression over the same sources.
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
            | (Expr::OffDiag(x), Expr::OffDiag(y)) => Node::same(x, y),
            (Expr::Unary(o1, x), Expr::Unary(o2, y)) => o1 == o2 && Node::same(x, y),
            (Expr::Binary(o1, a1, b1), Expr::Binary(o2, a2, b2)) => {
                o1 == o2 && Node::same(a1, a2) && Node::same(b1, b2)
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
            ) => m1 == m2 && o1 == o2 && Node::same(x1, x2) && Node::same(s1, s2),
            (Expr::Reduced(r1), Expr::Reduced(r2)) => Reducer::same(r1, r2),
            _ => false,
        }
    }
}

impl Reducer {
    pub fn same(a: &Reducer, b: &Reducer) -> bool {
        std::ptr::eq(a, b)
            || (a.key == b.key
                && a.op == b.op
                && a.na_rm == b.na_rm
                && Node::same(&a.input, &b.input))
    }
}

/// The integer bound a node of `rtype` carries: 1 for logicals, `int` for integers, none for doubles.
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
    if let Some(v) = a.as_const() {
        return typed_constant(op.eval(v), rtype);
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
    if let (Some(x), Some(y)) = (a.as_const(), b.as_const()) {
        return Ok(typed_constant(op.eval(x, y), rtype));
    }
    if op == BinaryOp::Pow && b.as_const() == Some(1.0) && a.shape == shape && a.rtype == rtype {
        return Ok(a.clone());
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
        } => *m != margin && *o == op && inner.symmetric && Node::same(s, stats),
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
    if x.symmetric {
        return x.clone();
    }
    if let Expr::Transpose(inner) = &x.expr {
        return inner.clone();
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
    if x.zero_diag {
        return x.clone();
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
    let r = Arc::new(Reducer {
        op,
        input: input.clone(),
        na_rm,
        memo: OnceLock::new(),
        key,
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
    });
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
        assert!(Arc::ptr_eq(
            &binary(BinaryOp::Pow, &d, &constant(1.0)).unwrap(),
            &d
        ));
    }

    #[test]
    fn structural_equality_sees_through_separate_builds() {
        let data = Arc::new(Source::owned(vec![1.0, 2.0, 3.0]));
        let a = source(data.clone(), Shape::vector(3));
        let b = source(data, Shape::vector(3));
        let ea = unary(UnaryOp::Sqrt, &a);
        let eb = unary(UnaryOp::Sqrt, &b);
        assert!(Node::same(&ea, &eb));
        assert!(!Node::same(&ea, &unary(UnaryOp::Exp, &a)));
        assert_eq!(unary(UnaryOp::Sqrt, &constant(4.0)).as_const(), Some(2.0));
    }
}
