//! R values as graph nodes: what every lazy, distance and MI entry does first with its arguments. Numeric
//! vectors are borrowed in place where R's layout allows it (doubles) and converted otherwise, so that a
//! source always holds doubles with R's NA; a lazy object gives its node back, reshaped if R code changed
//! its `dim` since.

use std::sync::Arc;

use lazyshare_runtime::graph::{self, NodeRef, RType, Shape, Source, NA_REAL};
use lazyshare_runtime::plan;

use crate::error::{RError, RResult};
use crate::lazy::{as_lazy, ViewMode};
use crate::preserve::Preserved;
use crate::rapi::*;

/// An R value as a node: a lazy object's node (reshaped if R code changed its `dim`), or a source over a
/// numeric vector or matrix (doubles are borrowed and marked immutable; integers and logicals are
/// converted).
pub fn operand(x: SEXP, arg: &str) -> RResult<(NodeRef, ViewMode)> {
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

/// Like `operand`, but a plain length-one number becomes a constant: a kernel parameter, so that loops
/// differing only in such a number share one compiled kernel.
pub fn value_operand(x: SEXP, arg: &str) -> RResult<(NodeRef, ViewMode)> {
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

/// Whether `x` can be an operand of a deferred operation: a lazy object, or a plain (unclassed) double,
/// integer or logical vector or matrix. Anything else is left to R, whose dispatch on the class decides.
pub fn deferrable(x: SEXP) -> bool {
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

/// A source over `x`, which must be a double, integer or logical vector or matrix.
pub fn source_of(x: SEXP, arg: &str) -> RResult<NodeRef> {
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

/// `node` with the shape R's attributes now give it (same length): a source is only re-read; anything
/// else is materialised first, within the size limit.
pub fn reshaped(node: &NodeRef, shape: Shape) -> RResult<NodeRef> {
    let src = match node.as_source() {
        Some(s) => s.clone(),
        None => Arc::new(Source::owned(plan::materialize(node)?)),
    };
    Ok(graph::typed_source(src, shape, node.rtype, node.int_bound))
}

/// Observations as the rows of a source, because distances are computed from memory: a lazy expression
/// is materialised first, within the size limit.
pub fn points_of(node: NodeRef) -> RResult<NodeRef> {
    if node.as_source().is_some() {
        return Ok(node);
    }
    let v = plan::materialize(&node)?;
    Ok(graph::source(Arc::new(Source::owned(v)), node.shape))
}

/// The shape R's `dim` gives `x`; a vector when there is none (or it does not fit the length).
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
