//! `.Call` entry points of the lazy layer: building nodes from R values and lazy objects, reducers,
//! materialisation, options and counters, and distance covariance. An entry returns R's NULL where an
//! operation has no lazy form; the R wrapper then computes it eagerly.

use std::os::raw::c_int;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use lazyshare_runtime::config::{self, Thresholds};
use lazyshare_runtime::exec::COUNTERS;
use lazyshare_runtime::graph::{
    self, BinaryOp, Expr, GraphError, Margin, NodeRef, RType, ReduceOp, Shape, Source, UnaryOp,
    NA_REAL,
};
use lazyshare_runtime::plan;
use lazyshare_runtime::stats::dcor::{self, Method, Sample};

use crate::error::{RError, RResult};
use crate::guard::entry;
use crate::lazy::{as_lazy, new_lazy, plain, ViewMode};
use crate::preserve::{drain_releases, Preserved};
use crate::progress;
use crate::rapi::*;

/// An R value as a node: a lazy object's node (reshaped if R code changed its `dim`), or a source over a
/// numeric vector or matrix (doubles are borrowed and marked immutable; integers and logicals are
/// converted).
pub(crate) fn operand(x: SEXP, arg: &str) -> RResult<(NodeRef, ViewMode)> {
    if let Some(l) = as_lazy(x) {
        if !l.is_written() {
            let shape = shape_of(x);
            if l.view == ViewMode::LowerTri || shape == l.node.shape {
                return Ok((l.node.clone(), l.view));
            }
            return Ok((reshaped(&l.node, shape)?, ViewMode::Full));
        }
    }
    Ok((source_of(x, arg)?, ViewMode::Full))
}

/// `node` with the shape R's attributes now give it (same length): a source is only re-read; anything
/// else is materialised first, within the size limit.
fn reshaped(node: &NodeRef, shape: Shape) -> RResult<NodeRef> {
    let src = match node.as_source() {
        Some(s) => s.clone(),
        None => Arc::new(Source::owned(plan::materialize(node)?)),
    };
    Ok(graph::typed_source(src, shape, node.rtype, node.int_bound))
}

/// Whether `x` can be an operand of a deferred operation: a lazy object, or a plain (unclassed) double,
/// integer or logical vector or matrix. Anything else is left to R.
fn deferrable(x: SEXP) -> bool {
    if as_lazy(x).is_some() {
        return true;
    }
    // SAFETY: type and attribute queries.
    unsafe {
        matches!(
            TYPEOF(x),
            SEXPTYPE::REALSXP | SEXPTYPE::INTSXP | SEXPTYPE::LGLSXP
        ) && TYPEOF(Rf_getAttrib(x, R_ClassSymbol)) == SEXPTYPE::NILSXP
    }
}

fn shape_of(x: SEXP) -> Shape {
    // SAFETY: attribute and length queries.
    unsafe {
        let n = XLENGTH(x) as u64;
        let dim = Rf_getAttrib(x, R_DimSymbol);
        if matches!(TYPEOF(dim), SEXPTYPE::INTSXP | SEXPTYPE::REALSXP) && XLENGTH(dim) == 2 {
            let d = |k| match TYPEOF(dim) {
                SEXPTYPE::INTSXP => INTEGER_ELT(dim, k).max(0) as u64,
                _ => REAL_ELT(dim, k).max(0.0) as u64,
            };
            if d(0) * d(1) == n {
                return Shape::matrix(d(0), d(1));
            }
        }
        Shape::vector(n)
    }
}

fn source_of(x: SEXP, arg: &str) -> RResult<NodeRef> {
    let shape = shape_of(x);
    // SAFETY: type-checked access to R vectors on the main thread; the borrowed memory is kept alive and
    // unchanged by Preserved + MARK_NOT_MUTABLE.
    unsafe {
        match TYPEOF(x) {
            SEXPTYPE::REALSXP => {
                let n = XLENGTH(x) as usize;
                let ptr = if n == 0 {
                    std::ptr::NonNull::<f64>::dangling().as_ptr() as *const f64
                } else {
                    let p = DATAPTR_OR_NULL(x) as *const f64;
                    if p.is_null() {
                        REAL(x) as *const f64
                    } else {
                        p
                    }
                };
                MARK_NOT_MUTABLE(x);
                let src = Source::borrowed(ptr, n, Box::new(Preserved::new(x)));
                Ok(graph::source(Arc::new(src), shape))
            }
            SEXPTYPE::INTSXP | SEXPTYPE::LGLSXP => {
                let n = XLENGTH(x);
                let mut v = vec![0i32; n as usize];
                let (got, rtype) = if TYPEOF(x) == SEXPTYPE::INTSXP {
                    (INTEGER_GET_REGION(x, 0, n, v.as_mut_ptr()), RType::Integer)
                } else {
                    (LOGICAL_GET_REGION(x, 0, n, v.as_mut_ptr()), RType::Logical)
                };
                debug_assert_eq!(got, n);
                let mut bound = 0.0f64;
                let vals: Vec<f64> = v
                    .iter()
                    .map(|&i| {
                        if i == R_NA_INTEGER {
                            NA_REAL
                        } else {
                            let f = f64::from(i);
                            bound = bound.max(f.abs());
                            f
                        }
                    })
                    .collect();
                let src = Arc::new(Source::owned(vals));
                Ok(graph::typed_source(src, shape, rtype, bound))
            }
            _ => Err(RError::new(format!(
                "`{arg}` must be a numeric or logical vector or matrix; got {}",
                type_name(x)
            ))),
        }
    }
}

/// A plain length-one value becomes a constant (a kernel parameter), not a source.
fn value_operand(x: SEXP, arg: &str) -> RResult<(NodeRef, ViewMode)> {
    if as_lazy(x).is_none() {
        // SAFETY: type and length queries.
        let (scalar, rtype) = unsafe {
            let rtype = match TYPEOF(x) {
                SEXPTYPE::INTSXP => Some(RType::Integer),
                SEXPTYPE::LGLSXP => Some(RType::Logical),
                SEXPTYPE::REALSXP => Some(RType::Double),
                _ => None,
            };
            (
                XLENGTH(x) == 1 && TYPEOF(Rf_getAttrib(x, R_DimSymbol)) == SEXPTYPE::NILSXP,
                rtype,
            )
        };
        if let (true, Some(rtype)) = (scalar, rtype) {
            // SAFETY: a length-one numeric vector; NA stays NA.
            let v = unsafe { Rf_asReal(x) };
            return Ok((graph::typed_constant(v, rtype), ViewMode::Full));
        }
    }
    operand(x, arg)
}

/// The R object for a new node: an ordinary R value when the node is small and already computed (tiny
/// results are plain values, as R would have made them), else a lazy object.
fn finish(node: NodeRef, view: ViewMode) -> RResult<SEXP> {
    let node = plan::admit(node)?;
    progress::end_line();
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
        drain_releases();
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
        drain_releases();
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
        drain_releases();
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
        drain_releases();
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
        drain_releases();
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
        drain_releases();
        let (a, view) = operand(x, "x")?;
        if view != ViewMode::Full {
            return Ok(nil());
        }
        let points = points_of(a)?;
        // stats::dist leaves out coordinates that are NA (or Inf - Inf) and rescales: left to R.
        if !points.as_source().is_some_and(|s| s.extent().all_finite) {
            return Ok(nil());
        }
        finish(graph::dist(&points)?, ViewMode::LowerTri)
    })
}

/// `as.matrix` of a lazy object: a dist becomes its square matrix, a vector a one-column matrix.
#[no_mangle]
pub extern "C" fn lzs_as_matrix(x: SEXP) -> SEXP {
    entry(|| {
        drain_releases();
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
        drain_releases();
        let Some(op) = ReduceOp::from_r_name(&op_name(op)?) else {
            return Ok(nil());
        };
        // SAFETY: reading a logical scalar argument.
        let na_rm = unsafe { Rf_asLogical(na_rm) } == 1;
        let (a, view) = operand(x, "x")?;
        if graph::value_decides_type(op, a.rtype, a.shape.len(), a.int_bound, na_rm) {
            return if view == ViewMode::Full {
                scalar_typed_by_value(&graph::reduce(op, &a, na_rm))
            } else {
                Ok(nil())
            };
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
    progress::end_line();
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
    entry(|| {
        drain_releases();
        match as_lazy(x) {
            Some(l) => plain(&l.node, l.view),
            None => Ok(x),
        }
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
                p.keep(mk_strings(&[plan::describe(n)])),
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

const OPTION_NAMES: [&str; 8] = [
    "threads",
    "defer_min_len",
    "jit_min_work",
    "max_depth",
    "chunk_rows",
    "max_materialize",
    "progress",
    "exact_sums",
];

fn options_list(t: &Thresholds) -> SEXP {
    let mut p = Protect::new();
    // SAFETY: allocations on the main thread, protected until the list is built.
    unsafe {
        let items = [
            p.keep(Rf_ScalarReal(t.threads as f64)),
            p.keep(Rf_ScalarReal(t.defer_min_len as f64)),
            p.keep(Rf_ScalarReal(t.jit_min_work)),
            p.keep(Rf_ScalarReal(f64::from(t.max_depth))),
            p.keep(Rf_ScalarReal(t.chunk_rows as f64)),
            p.keep(Rf_ScalarReal(t.max_materialize_bytes as f64)),
            p.keep(Rf_ScalarLogical(c_int::from(t.progress))),
            p.keep(Rf_ScalarLogical(c_int::from(t.exact_sums))),
        ];
        mk_list(&items, &OPTION_NAMES)
    }
}

/// Reads a whole number >= 0 (Inf allowed only where `inf_ok`).
fn whole(v: SEXP, name: &str, inf_ok: bool) -> RResult<f64> {
    // SAFETY: type and length checks before reading.
    let x = unsafe {
        if !matches!(TYPEOF(v), SEXPTYPE::REALSXP | SEXPTYPE::INTSXP) || XLENGTH(v) != 1 {
            return Err(RError::new(format!(
                "`{name}` must be a single number; got {}",
                type_name(v)
            )));
        }
        Rf_asReal(v)
    };
    if x.is_nan()
        || x < 0.0
        || (x.is_infinite() && !inf_ok)
        || (x.is_finite() && x.fract() != 0.0 && name != "jit_min_work")
    {
        return Err(RError::new(format!(
            "`{name}` must be a whole number >= 0{}; got {x}",
            if inf_ok { " or Inf" } else { "" }
        )));
    }
    Ok(x)
}

fn flag(v: SEXP, name: &str) -> RResult<bool> {
    // SAFETY: type and length checks before reading.
    unsafe {
        if TYPEOF(v) != SEXPTYPE::LGLSXP || XLENGTH(v) != 1 || LOGICAL_ELT(v, 0) == R_NA_INTEGER {
            return Err(RError::new(format!("`{name}` must be TRUE or FALSE")));
        }
        Ok(LOGICAL_ELT(v, 0) == 1)
    }
}

/// Gets (`new = NULL`) or sets the thresholds; returns the values in force afterwards.
#[no_mangle]
pub extern "C" fn lzs_options(new: SEXP) -> SEXP {
    entry(|| {
        let mut t = config::get();
        // SAFETY: type checks before reading list elements and names.
        unsafe {
            if TYPEOF(new) == SEXPTYPE::VECSXP {
                let names = Rf_getAttrib(new, R_NamesSymbol);
                for k in 0..XLENGTH(new) {
                    let name = if TYPEOF(names) == SEXPTYPE::STRSXP {
                        char_str(STRING_ELT(names, k))
                    } else {
                        String::new()
                    };
                    let v = VECTOR_ELT(new, k);
                    match name.as_str() {
                        "threads" => t.threads = whole(v, &name, false)? as usize,
                        "defer_min_len" => {
                            t.defer_min_len = whole(v, &name, true)?.min(u64::MAX as f64) as u64
                        }
                        "jit_min_work" => t.jit_min_work = whole(v, &name, true)?,
                        "max_depth" => {
                            t.max_depth = whole(v, &name, false)?.min(u32::MAX as f64) as u32
                        }
                        "chunk_rows" => t.chunk_rows = whole(v, &name, false)? as u64,
                        "max_materialize" => {
                            t.max_materialize_bytes =
                                whole(v, &name, true)?.min(u64::MAX as f64) as u64
                        }
                        "progress" => t.progress = flag(v, &name)?,
                        "exact_sums" => t.exact_sums = flag(v, &name)?,
                        other => {
                            return Err(RError::new(format!(
                                "unknown lazy option '{other}'; the options are {}",
                                OPTION_NAMES.join(", ")
                            )))
                        }
                    }
                }
                config::set(t.clone())?;
            }
        }
        Ok(options_list(&config::get()))
    })
}

#[no_mangle]
pub extern "C" fn lzs_stats(reset: SEXP) -> SEXP {
    entry(|| {
        let snap = COUNTERS.snapshot();
        // SAFETY: reading a logical scalar.
        if unsafe { Rf_asLogical(reset) } == 1 {
            COUNTERS.reset();
        }
        let mut p = Protect::new();
        let names: Vec<&str> = snap.iter().map(|(n, _)| *n).collect();
        // SAFETY: allocations on the main thread.
        unsafe {
            let items: Vec<SEXP> = snap
                .iter()
                .map(|(_, v)| p.keep(Rf_ScalarReal(*v as f64)))
                .collect();
            Ok(mk_list(&items, &names))
        }
    })
}

/// One side of a distance covariance: observations (the rows of a numeric matrix or vector) or an n × n
/// distance matrix (numeric, or lazy such as `as.matrix(dist(lazy(z)))`).
fn sample(x: SEXP, is_dist: SEXP, arg: &str) -> RResult<Sample> {
    // SAFETY: reading a logical scalar.
    let is_dist = unsafe { Rf_asLogical(is_dist) } == 1;
    let (node, view) = operand(x, arg)?;
    let node = if view == ViewMode::LowerTri {
        graph::off_diag(&node)
    } else {
        node
    };
    if is_dist {
        return Ok(Sample::Distances(node));
    }
    Ok(Sample::Points(points_of(node)?))
}

/// Observations as the rows of a source (distances are computed from memory): a lazy expression is
/// materialised first, within the size limit.
fn points_of(node: NodeRef) -> RResult<NodeRef> {
    if node.as_source().is_some() {
        return Ok(node);
    }
    let v = plan::materialize(&node)?;
    Ok(graph::source(Arc::new(Source::owned(v)), node.shape))
}

/// energy's `.dcov` (`unbiased` FALSE: `[dCov, dCor, dVarX, dVarY]`) or `dcovU_stats` (TRUE).
#[no_mangle]
pub extern "C" fn lzs_dcov(
    x: SEXP,
    x_dist: SEXP,
    y: SEXP,
    y_dist: SEXP,
    index: SEXP,
    unbiased: SEXP,
    streaming: SEXP,
) -> SEXP {
    entry(|| {
        drain_releases();
        let (xs, ys) = (sample(x, x_dist, "x")?, sample(y, y_dist, "y")?);
        // SAFETY: reading scalar arguments.
        let (index, unbiased, streaming) = unsafe {
            (
                Rf_asReal(index),
                Rf_asLogical(unbiased) == 1,
                Rf_asLogical(streaming) == 1,
            )
        };
        let method = if streaming {
            Method::Streaming
        } else {
            Method::Auto
        };
        let stats = if unbiased {
            dcor::finish_u(dcor::u_moments(&xs, &ys, method)?)
        } else {
            dcor::finish_v(dcor::v_moments(&xs, &ys, index, method)?)
        };
        progress::end_line();
        // SAFETY: allocation on the main thread.
        unsafe {
            let v = Rf_allocVector(SEXPTYPE::REALSXP, 4);
            for (k, s) in stats.iter().enumerate() {
                SET_REAL_ELT(v, k as R_xlen_t, *s);
            }
            Ok(v)
        }
    })
}

/// Counts one memApply/memLapply call by the path it took (`fused`: in-process, else on workers).
#[no_mangle]
pub extern "C" fn lzs_note_apply(fused: SEXP) -> SEXP {
    entry(|| {
        // SAFETY: reading a logical scalar.
        let counter = if unsafe { Rf_asLogical(fused) } == 1 {
            &COUNTERS.fused_applies
        } else {
            &COUNTERS.worker_applies
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Ok(nil())
    })
}
