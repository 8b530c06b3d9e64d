//! Nodes and reducers: immutable expressions over sources, and memoised summaries of them whose values
//! are nodes in turn. Each carries the facts its builder proved (shape, R type, depth, symmetry) and a
//! structural key (see `same`); identity (`id`) is for bookkeeping only.

use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use super::{BinaryOp, Margin, RType, ReduceOp, Shape, Source, UnaryOp};

pub type NodeRef = Arc<Node>;

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
    pub(super) key: u64,
    id: u64,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", super::describe(self))
    }
}

pub struct Reducer {
    pub op: ReduceOp,
    pub input: NodeRef,
    pub na_rm: bool,
    memo: OnceLock<Arc<[f64]>>,
    pub(super) key: u64,
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

    /// The grid (rows × columns) its pass iterates.
    pub fn grid(&self) -> (u64, u64) {
        (self.input.shape.rows, self.input.shape.cols)
    }
}

/// What a builder proved about a new node.
pub(super) struct Facts {
    pub(super) shape: Shape,
    pub(super) rtype: RType,
    pub(super) int_bound: f64,
    pub(super) depth: u32,
    pub(super) symmetric: bool,
    pub(super) zero_diag: bool,
    pub(super) key: u64,
}

pub(super) fn make(expr: Expr, f: Facts) -> NodeRef {
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
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A structural key: equal for structurally equal nodes (and, rarely, for others; `same` decides).
pub(super) fn key_of(parts: impl Hash) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// A new reducer of `input`, not yet computed.
pub(super) fn new_reducer(op: ReduceOp, input: &NodeRef, na_rm: bool, key: u64) -> Arc<Reducer> {
    Arc::new(Reducer {
        op,
        input: input.clone(),
        na_rm,
        memo: OnceLock::new(),
        key,
        id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
    })
}
