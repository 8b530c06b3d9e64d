//! `.Call` entry points that build lazy objects: elementwise operations, sweeps, transposes, distances
//! and reducers over lazy objects and plain numeric values, and the two ways back to ordinary R values
//! (materialising, and the description `lazy_info` shows). An entry returns R's NULL where an operation
//! has no lazy form or where the graph could not do exactly what R does; the R wrapper then computes it
//! eagerly.

use std::os::raw::c_int;

use lazyshare_runtime::config;
use lazyshare_runtime::graph::{
    self, BinaryOp, Expr, GraphError, Margin, NodeRef, RType, ReduceOp, Shape, UnaryOp,
};
use lazyshare_runtime::plan;

use crate::convert::{deferrable, operand, points_of, reshaped, source_of, value_operand};
use crate::error::{RError, RResult};
use crate::guard::entry;
use crate::lazy::{as_lazy, new_lazy, plain, ViewMode};
use crate::rapi::*;

/// The R object for a new node: an ordinary R value when the node is small and already computed (tiny
/// results are plain values, as R would have made them), else a lazy object.
fn finish(node: NodeRef, view: ViewMode) -> RResult<SEXP> {
    let node = plan::admit(node)?;
    if view == ViewMode::Full
        && plan::is_known(&node)
        && node.shape.len() < config::get().defer_min_len
    {
        return plain(&node, view);
    }
    Ok(new_lazy(node, view))
}

fn op_name(x: SEXP) -> RResult<String> {
    arg_string(x, "op")
}

#[no_mangle]
pub extern "C" fn lzs_lazy(x: SEXP) -> SEXP {
    entry(|| {
        if as_lazy(x).is_some() {
            return Ok(x);
        }
        let node = source_of(x, "x")?;
        Ok(new_lazy(node, ViewMode::Full))
    })
}

#[no_mangle]
pub extern "C" fn lzs_is_lazy(x: SEXP) -> SEXP {
    // SAFETY: allocation on the main thread.
    entry(|| Ok(unsafe { Rf_ScalarLogical(c_int::from(as_lazy(x).is_some())) }))
}

#[no_mangle]
pub extern "C" fn lzs_unary(op: SEXP, x: SEXP) -> SEXP {
    entry(|| {
        let Some(op) = UnaryOp::from_r_name(&op_name(op)?) else {
            return Ok(nil());
        };
        let (a, view) = operand(x, "x")?;
        finish(graph::unary(op, &a), view)
    })
}

#[no_mangle]
pub extern "C" fn lzs_binary(op: SEXP, e1: SEXP, e2: SEXP) -> SEXP {
    entry(|| {
        let Some(op) = BinaryOp::from_r_name(&op_name(op)?) else {
            return Ok(nil());
        };
        if !deferrable(e1) || !deferrable(e2) {
            return Ok(nil());
        }
        let (a, va) = value_operand(e1, "e1")?;
        let (b, vb) = value_operand(e2, "e2")?;
        let view = match (va, vb) {
            (ViewMode::Full, ViewMode::Full) => ViewMode::Full,
            (ViewMode::LowerTri, ViewMode::LowerTri) if a.shape == b.shape => ViewMode::LowerTri,
            (ViewMode::LowerTri, ViewMode::Full) if b.shape.is_scalar() => ViewMode::LowerTri,
            (ViewMode::Full, ViewMode::LowerTri) if a.shape.is_scalar() => ViewMode::LowerTri,
            _ => return Ok(nil()),
        };
        // What the graph cannot do exactly as R does (recycle unequal lengths, overflow integers) R does.
        match graph::binary(op, &a, &b) {
            Ok(node) => finish(node, view),
            Err(GraphError::NonConformable { .. } | GraphError::MayOverflow { .. }) => Ok(nil()),
            Err(e) => Err(e.into()),
        }
    })
}

#[no_mangle]
pub extern "C" fn lzs_sweep(x: SEXP, margin: SEXP, stats: SEXP, op: SEXP) -> SEXP {
    entry(|| {
        let Some(op) = BinaryOp::from_r_name(&op_name(op)?) else {
            return Ok(nil());
        };
        // SAFETY: reading a numeric scalar argument.
        let margin = match unsafe { Rf_asInteger(margin) } {
            1 => Margin::Rows,
            2 => Margin::Cols,
            _ => return Ok(nil()),
        };
        if !deferrable(stats) {
            return Ok(nil());
        }
        let (a, va) = operand(x, "x")?;
        let (s, vs) = value_operand(stats, "STATS")?;
        if va != ViewMode::Full || vs != ViewMode::Full || !a.shape.matrix {
            return Ok(nil());
        }
        // R's sweep recycles STATS of another length (with a warning): left to R.
        match graph::sweep(&a, margin, &s, op) {
            Ok(node) => finish(node, ViewMode::Full),
            Err(GraphError::SweepLength { .. } | GraphError::MayOverflow { .. }) => Ok(nil()),
            Err(e) => Err(e.into()),
        }
    })
}

#[no_mangle]
pub extern "C" fn lzs_transpose(x: SEXP) -> SEXP {
    entry(|| {
        let (a, view) = operand(x, "x")?;
        if view != ViewMode::Full {
            return Ok(nil());
        }
        finish(graph::transpose(&a), ViewMode::Full)
    })
}

/// `dist(x)` of the rows of `x`, seen as a `dist` object.
#[no_mangle]
pub extern "C" fn lzs_dist(x: SEXP) -> SEXP {
    entry(|| {
        let (a, view) = operand(x, "x")?;
        if view != ViewMode::Full {
            return Ok(nil());
        }
        let points = points_of(a)?;
        // stats::dist leaves out coordinates that are NA (or Inf - Inf) and rescales, and gives NA where
        // there are none: left to R.
        if points.shape.cols == 0 || !points.as_source().is_some_and(|s| s.extent().all_finite) {
            return Ok(nil());
        }
        finish(graph::dist(&points)?, ViewMode::LowerTri)
    })
}

/// `as.matrix` of a lazy object: a dist becomes its square matrix, a vector a one-column matrix.
#[no_mangle]
pub extern "C" fn lzs_as_matrix(x: SEXP) -> SEXP {
    entry(|| {
        let (a, view) = operand(x, "x")?;
        match view {
            ViewMode::LowerTri => finish(graph::off_diag(&a), ViewMode::Full),
            ViewMode::Full if a.shape.matrix => Ok(x),
            ViewMode::Full if a.as_source().is_some() => Ok(new_lazy(
                reshaped(&a, Shape::matrix(a.shape.rows, 1))?,
                ViewMode::Full,
            )),
            ViewMode::Full => Ok(nil()),
        }
    })
}

#[no_mangle]
pub extern "C" fn lzs_reduce(op: SEXP, x: SEXP, na_rm: SEXP) -> SEXP {
    entry(|| {
        let Some(op) = ReduceOp::from_r_name(&op_name(op)?) else {
            return Ok(nil());
        };
        // SAFETY: reading a logical scalar argument.
        let na_rm = unsafe { Rf_asLogical(na_rm) } == 1;
        let (a, view) = operand(x, "x")?;
        // Only a whole-vector reducer gives one value whose type its value decides; a margin reducer gives
        // one per row or column, also when there are none.
        if op.margin().is_none()
            && graph::value_decides_type(op, a.rtype, a.shape.len(), a.int_bound, na_rm)
        {
            return if view == ViewMode::Full {
                scalar_typed_by_value(&graph::reduce(op, &a, na_rm))
            } else {
                Ok(nil())
            };
        }
        // R's min and max of an empty or all-NA integer row or column are Inf or -Inf, doubles: left to R.
        if let Some(margin) = op.margin() {
            let along = match margin {
                Margin::Rows => a.shape.cols,
                Margin::Cols => a.shape.rows,
            };
            if op.is_extreme() && a.rtype.is_integral() && (along == 0 || na_rm) {
                return Ok(nil());
            }
        }
        if view == ViewMode::LowerTri {
            // The lower triangle of a symmetric matrix with a zero diagonal holds half its sum.
            let n = a.shape.rows as f64;
            let half = match op {
                ReduceOp::Sum => 2.0,
                ReduceOp::Mean => n * (n - 1.0) / (n * n),
                _ => return Ok(nil()),
            };
            if !(a.symmetric && a.zero_diag) || na_rm {
                return Ok(nil());
            }
            let s = graph::reduce(op, &a, false);
            return finish(
                graph::binary(BinaryOp::Div, &s, &graph::constant(half))?,
                ViewMode::Full,
            );
        }
        if op.margin().is_some() && !a.shape.matrix {
            return Err(RError::new(
                "'x' must be an array of at least two dimensions",
            ));
        }
        finish(graph::reduce(op, &a, na_rm), ViewMode::Full)
    })
}

/// The value of a scalar reducer, computed now, as R types it by looking at it: an integer beyond R's
/// range (or an infinite min of nothing) is a double.
fn scalar_typed_by_value(node: &NodeRef) -> RResult<SEXP> {
    plan::force_node(node)?;
    let Expr::Reduced(r) = &node.expr else {
        unreachable!("a reducer's node")
    };
    let v = r.value().expect("just computed")[0];
    // SAFETY: allocation on the main thread.
    unsafe {
        Ok(match node.rtype {
            RType::Integer if v.is_nan() => Rf_ScalarInteger(R_NA_INTEGER),
            RType::Integer if v.abs() <= graph::INT_MAX => Rf_ScalarInteger(v as c_int),
            RType::Logical => Rf_ScalarLogical(if v.is_nan() {
                R_NA_INTEGER
            } else {
                c_int::from(v != 0.0)
            }),
            _ => Rf_ScalarReal(v),
        })
    }
}

/// The values of a lazy object as an ordinary R vector (with dim, or as a `dist`'s vector); the R side
/// adds the other attributes.
#[no_mangle]
pub extern "C" fn lzs_materialize(x: SEXP) -> SEXP {
    entry(|| match as_lazy(x) {
        Some(l) => plain(&l.node, l.view),
        None => Ok(x),
    })
}

/// `list(description, rows, cols, dist, depth, symmetric, pending)` of a lazy object; NULL otherwise.
#[no_mangle]
pub extern "C" fn lzs_info(x: SEXP) -> SEXP {
    entry(|| {
        let Some(l) = as_lazy(x) else {
            return Ok(nil());
        };
        let n = &l.node;
        let pending = match &n.expr {
            Expr::Reduced(r) => !r.is_done(),
            _ => false,
        };
        let mut p = Protect::new();
        // SAFETY: allocations on the main thread, protected until the list is built.
        unsafe {
            let items = [
                p.keep(mk_strings(&[graph::describe(n)])),
                p.keep(Rf_ScalarReal(n.shape.rows as f64)),
                p.keep(Rf_ScalarReal(n.shape.cols as f64)),
                p.keep(Rf_ScalarLogical(c_int::from(l.view == ViewMode::LowerTri))),
                p.keep(Rf_ScalarReal(f64::from(n.depth))),
                p.keep(Rf_ScalarLogical(c_int::from(n.symmetric))),
                p.keep(Rf_ScalarLogical(c_int::from(pending))),
            ];
            Ok(mk_list(
                &items,
                &[
                    "description",
                    "rows",
                    "cols",
                    "dist",
                    "depth",
                    "symmetric",
                    "pending",
                ],
            ))
        }
    })
}
