//! `.Call` entry point of distance covariance and correlation: energy's `.dcov` and `dcovU_stats`,
//! computed by `lazyshare_runtime::stats::dcor` in O(n) memory. What is left to this side of R is telling
//! the two kinds of sample apart, observations or distances, each given as R values or lazy objects.

use lazyshare_runtime::graph;
use lazyshare_runtime::stats::dcor::{self, Method, Sample};

use crate::convert::{operand, points_of};
use crate::error::RResult;
use crate::guard::entry;
use crate::lazy::ViewMode;
use crate::rapi::*;

/// One side of a distance covariance: observations (the rows of a numeric matrix or vector) or an n × n
/// distance matrix (numeric, or lazy such as `as.matrix(dist(lazy(z)))`).
pub(crate) fn sample(x: SEXP, is_dist: SEXP, arg: &str) -> RResult<Sample> {
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
