//! `.Call` entry points of Pareto density estimation and mutual information. Scores are computed a
//! column at a time on the worker threads: a double matrix, shared view or lazy matrix through the plan's
//! column map (read in place, or evaluated one column at a time), and an R integer or logical matrix by
//! converting one column at a time, so the matrix is never copied whole.

use lazyshare_runtime::graph::NodeRef;
use lazyshare_runtime::plan;
use lazyshare_runtime::stats::mi::{self, Estimator, Score, MISSING_CLASS};
use lazyshare_runtime::stats::pde;

use crate::convert::operand;
use crate::error::{RError, RResult};
use crate::guard::entry;
use crate::lazy::as_lazy;
use crate::rapi::*;

/// `f` of the values of a numeric vector: read in place when they are in memory, else computed.
fn with_values<T>(x: SEXP, arg: &str, f: impl FnOnce(&[f64]) -> T) -> RResult<T> {
    let (node, _) = operand(x, arg)?;
    match node.as_source() {
        Some(s) => Ok(f(s.values())),
        None => Ok(f(&plan::materialize(&node)?)),
    }
}

fn real_vector(values: &[f64]) -> SEXP {
    // SAFETY: allocation on the main thread; the caller protects the result.
    unsafe {
        let v = Rf_allocVector(SEXPTYPE::REALSXP, values.len() as R_xlen_t);
        if !values.is_empty() {
            std::ptr::copy_nonoverlapping(values.as_ptr(), REAL(v), values.len());
        }
        v
    }
}

/// The exact Pareto radius of the finite values of `x`.
#[no_mangle]
pub extern "C" fn lzs_pareto_radius(x: SEXP) -> SEXP {
    entry(|| {
        let r = with_values(x, "x", pde::pareto_radius)??;
        // SAFETY: allocation on the main thread.
        Ok(unsafe { Rf_ScalarReal(r) })
    })
}

/// `ParetoDensityEstimation(x)`'s `list(kernels, paretoDensity, paretoRadius)`.
#[no_mangle]
pub extern "C" fn lzs_pde(x: SEXP) -> SEXP {
    entry(|| {
        let p = with_values(x, "x", pde::pde)??;
        let mut keep = Protect::new();
        let items = [
            keep.keep(real_vector(&p.kernels)),
            keep.keep(real_vector(&p.density)),
            // SAFETY: allocation on the main thread.
            keep.keep(unsafe { Rf_ScalarReal(p.radius) }),
        ];
        Ok(mk_list(
            &items,
            &["kernels", "paretoDensity", "paretoRadius"],
        ))
    })
}

/// Plug-in MI of two discrete variables given as 0-based codes (NA drops the pair).
#[no_mangle]
pub extern "C" fn lzs_mi_discrete(x: SEXP, kx: SEXP, y: SEXP, ky: SEXP) -> SEXP {
    entry(|| {
        let (x, y) = (codes(x, "x")?, codes(y, "y")?);
        // SAFETY: reading integer scalars.
        let (kx, ky) = unsafe { (Rf_asInteger(kx).max(0), Rf_asInteger(ky).max(0)) };
        let mi = mi::mi_discrete(&x, kx as usize, &y, ky as usize);
        // SAFETY: allocation on the main thread.
        Ok(unsafe { Rf_ScalarReal(mi) })
    })
}

/// Class codes from an R integer vector of 0-based codes; NA is [`MISSING_CLASS`].
fn codes(y: SEXP, arg: &str) -> RResult<Vec<u32>> {
    // SAFETY: type-checked read of an integer vector on the main thread.
    unsafe {
        if TYPEOF(y) != SEXPTYPE::INTSXP {
            return Err(RError::new(format!("`{arg}` must be integer class codes")));
        }
        let n = XLENGTH(y);
        let mut v = vec![0i32; n as usize];
        INTEGER_GET_REGION(y, 0, n, v.as_mut_ptr());
        Ok(v.into_iter()
            .map(|c| {
                if c == R_NA_INTEGER {
                    MISSING_CLASS
                } else {
                    c as u32
                }
            })
            .collect())
    }
}

/// The columns of `X` as the scorer reads them.
enum Columns {
    /// A double matrix or vector, a shared view, or a lazy matrix.
    Node(NodeRef),
    /// An R integer or logical matrix in memory, converted a column at a time.
    Ints(IntMatrix),
}

struct IntMatrix {
    ptr: *const i32,
    rows: usize,
    cols: usize,
}

// SAFETY: the pointer is into an R vector that is an argument of the running .Call, so R keeps it alive,
// and R code cannot modify it while the call runs; the workers only read it.
unsafe impl Sync for IntMatrix {}

impl IntMatrix {
    fn column(&self, j: usize) -> Vec<f64> {
        // SAFETY: j < cols, so the column lies within the rows · cols elements of the vector.
        let col = unsafe { std::slice::from_raw_parts(self.ptr.add(j * self.rows), self.rows) };
        col.iter()
            .map(|&v| {
                if v == R_NA_INTEGER {
                    f64::NAN
                } else {
                    f64::from(v)
                }
            })
            .collect()
    }
}

fn columns_of(x: SEXP) -> RResult<Columns> {
    // SAFETY: type, attribute and data-pointer queries on the main thread.
    unsafe {
        let plain_ints =
            matches!(TYPEOF(x), SEXPTYPE::INTSXP | SEXPTYPE::LGLSXP) && as_lazy(x).is_none();
        if plain_ints {
            let ptr = DATAPTR_OR_NULL(x) as *const i32;
            if !ptr.is_null() {
                let n = XLENGTH(x) as usize;
                let dim = Rf_getAttrib(x, R_DimSymbol);
                let (rows, cols) = if TYPEOF(dim) == SEXPTYPE::INTSXP && XLENGTH(dim) == 2 {
                    (INTEGER_ELT(dim, 0) as usize, INTEGER_ELT(dim, 1) as usize)
                } else {
                    (n, 1)
                };
                return Ok(Columns::Ints(IntMatrix { ptr, rows, cols }));
            }
        }
    }
    Ok(Columns::Node(operand(x, "X")?.0))
}

impl Columns {
    fn rows(&self) -> usize {
        match self {
            Columns::Node(n) => n.shape.rows as usize,
            Columns::Ints(m) => m.rows,
        }
    }

    fn count(&self) -> usize {
        match self {
            Columns::Node(n) => n.shape.cols as usize,
            Columns::Ints(m) => m.cols,
        }
    }

    /// `f(j, column j)` for the columns in `cols`, in parallel.
    fn map<T: Send>(
        &self,
        cols: std::ops::Range<usize>,
        f: impl Fn(usize, &[f64]) -> T + Sync,
    ) -> RResult<Vec<T>> {
        Ok(match self {
            Columns::Node(n) => plan::map_columns(n, cols, f)?,
            Columns::Ints(m) => {
                let first = cols.start;
                plan::map_indices(cols.len(), |k| f(first + k, &m.column(first + k)))?
            }
        })
    }
}

/// A column range `first` (0-based) and `count` of `X`, checked.
fn column_range(x: &Columns, first: SEXP, count: SEXP) -> RResult<std::ops::Range<usize>> {
    // SAFETY: reading numeric scalars.
    let (first, count) = unsafe { (Rf_asReal(first), Rf_asReal(count)) };
    let total = x.count() as f64;
    if !(first >= 0.0 && count >= 0.0 && first + count <= total) {
        return Err(RError::new("column range out of bounds"));
    }
    Ok(first as usize..(first + count) as usize)
}

/// Per column of `X[, first + 1:count]`, the number of pairs with a finite value and a class: memshare
/// draws its radius sample from those when there are more than 10,000.
#[no_mangle]
pub extern "C" fn lzs_mi_usable_pairs(x: SEXP, y: SEXP, first: SEXP, count: SEXP) -> SEXP {
    entry(|| {
        let (columns, codes) = (columns_of(x)?, codes(y, "y")?);
        let cols = column_range(&columns, first, count)?;
        let counts = columns.map(cols, |_, v| mi::usable_pairs(v, &codes) as f64)?;
        Ok(real_vector(&counts))
    })
}

/// The MI of each column of `X[, first + 1:count]` with the classes `y` (0-based codes, NA missing) by
/// `method` ("pde" or "memshare" with `eps`). `samples` is NULL or an integer matrix with one column of
/// memshare's 1-based radius sample per scored column (NA in its first row: no sample). Returns
/// `list(mi, non_finite, dropped_classes)`.
#[no_mangle]
pub extern "C" fn lzs_mi_scores(
    x: SEXP,
    y: SEXP,
    n_classes: SEXP,
    method: SEXP,
    eps: SEXP,
    samples: SEXP,
    first: SEXP,
    count: SEXP,
) -> SEXP {
    entry(|| {
        let columns = columns_of(x)?;
        let codes = codes(y, "y")?;
        if codes.len() != columns.rows() {
            return Err(RError::new(format!(
                "`y` has {} values but `X` has {} rows",
                codes.len(),
                columns.rows()
            )));
        }
        let cols = column_range(&columns, first, count)?;
        // SAFETY: reading scalars.
        let (n_classes, eps) = unsafe { (Rf_asInteger(n_classes).max(0) as usize, Rf_asReal(eps)) };
        let estimator = match arg_string(method, "method")?.as_str() {
            "pde" => Estimator::Pde,
            "memshare" => Estimator::Memshare { eps },
            other => return Err(RError::new(format!("unknown method \"{other}\""))),
        };
        let samples = radius_samples(samples, cols.len())?;
        let first = cols.start;
        let scores = columns.map(cols, |j, v| {
            let sample = samples.as_ref().and_then(|s| s.column(j - first));
            mi::score(v, &codes, n_classes, estimator, sample.as_deref())
        })?;
        let scores: Vec<Score> = scores.into_iter().collect::<Result<_, _>>()?;
        let mut keep = Protect::new();
        let pick = |f: fn(&Score) -> f64| -> Vec<f64> { scores.iter().map(f).collect() };
        let items = [
            keep.keep(real_vector(&pick(|s| s.mi))),
            keep.keep(real_vector(&pick(|s| s.non_finite as f64))),
            keep.keep(real_vector(&pick(|s| s.dropped_classes as f64))),
        ];
        Ok(mk_list(&items, &["mi", "non_finite", "dropped_classes"]))
    })
}

/// memshare's radius samples for a block of columns, copied out of R on the main thread.
struct RadiusSamples {
    values: Vec<i32>,
    rows: usize,
}

impl RadiusSamples {
    /// Column `k`'s 0-based indices, or `None` when the column is not sampled.
    fn column(&self, k: usize) -> Option<Vec<usize>> {
        let col = &self.values[k * self.rows..(k + 1) * self.rows];
        if col.first().is_none_or(|&v| v == R_NA_INTEGER) {
            return None;
        }
        Some(col.iter().map(|&i| (i.max(1) - 1) as usize).collect())
    }
}

fn radius_samples(samples: SEXP, cols: usize) -> RResult<Option<RadiusSamples>> {
    // SAFETY: type-checked read of an integer matrix on the main thread.
    unsafe {
        match TYPEOF(samples) {
            SEXPTYPE::NILSXP => Ok(None),
            SEXPTYPE::INTSXP if cols > 0 && (XLENGTH(samples) as usize).is_multiple_of(cols) => {
                let n = XLENGTH(samples);
                let mut values = vec![0i32; n as usize];
                INTEGER_GET_REGION(samples, 0, n, values.as_mut_ptr());
                Ok(Some(RadiusSamples {
                    rows: n as usize / cols,
                    values,
                }))
            }
            _ => Err(RError::new(
                "`samples` must be NULL or an integer matrix with one column per scored column",
            )),
        }
    }
}
