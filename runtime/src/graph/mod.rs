//! The deferred computation graph. A `Node` is an immutable expression over sources; a `Reducer` is a
//! memoised summary (sum, rowMeans, ...) of a node, whose value is itself usable as a node. Builders check
//! shapes, apply the named simplifications of `rewrite` and track the structural facts the planner
//! exploits: depth (for the depth cap), symmetry (a symmetric square expression needs only its upper
//! triangle) and a zero diagonal.
//!
//! Modules, lowest first: `shape`, `ops`, `rtype`, `reduce_op`, `source` (the vocabulary); `node` (the
//! types); `same` (structural equality); `rewrite` and `build` (making nodes); `describe` (reading
//! them); `live` (the roots R holds).

mod build;
mod describe;
mod live;
mod node;
mod ops;
mod reduce_op;
mod rewrite;
mod rtype;
mod same;
mod shape;
mod source;

pub use build::{
    binary, binary_shape, constant, dist, off_diag, rebuild, reduce, source, sweep, transpose,
    typed_constant, typed_source, unary, GraphError,
};
pub use describe::{describe, describe_reducer};
pub use live::{live_roots, register_root};
pub use node::{Expr, Node, NodeRef, Reducer};
pub use ops::{nan_first, quiet, r_pow, BinaryOp, UnaryOp};
pub use reduce_op::ReduceOp;
pub use rtype::{is_na, value_decides_type, RType, INT_MAX, NA_REAL};
pub use same::{same, same_reducer, structural_key};
pub use shape::{Margin, Shape};
pub use source::{Extent, Keepalive, Source};
