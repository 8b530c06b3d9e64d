//! `LazyVector`: an R double, integer or logical vector whose values are a node of the lazy graph, computed only
//! where R looks. Elt and Get_region evaluate just the elements asked for (after forcing the reducers
//! the node needs); Dataptr materialises into an R vector kept in data2, refused beyond the
//! `max_materialize` limit, and so does Dataptr_or_null of a double of at most 2^20 elements (R's print
//! needs it). An object shown as a `dist` views the lower triangle of its square node.

use std::cell::{Cell, OnceCell};
use std::os::raw::{c_int, c_void};
use std::sync::OnceLock;

use lazyshare_runtime::graph::{self, NodeRef, RType};
use lazyshare_runtime::plan::{self, StoreEval};

use crate::altclass::{inspect_line, new_object, of_class, state, use_r_defaults, Class};
use crate::error::RResult;
use crate::guard::method;
use crate::rapi::*;

/// How an object presents its node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewMode {
    /// All elements, column-major.
    Full,
    /// The lower triangle below the diagonal, column by column: what a `dist` object holds.
    LowerTri,
}

/// How many elements R sees of `node` seen as `view`.
fn view_len(node: &NodeRef, view: ViewMode) -> u64 {
    let n = node.shape.rows;
    match view {
        ViewMode::Full => node.shape.len(),
        ViewMode::LowerTri => n * n.saturating_sub(1) / 2,
    }
}

/// The Rust state of a lazy object.
pub struct Lazy {
    pub node: NodeRef,
    pub view: ViewMode,
    /// Made at the first element R asks for and kept, since R asks element by element.
    eval: OnceCell<StoreEval>,
    /// A writable pointer to the materialised data was handed out: data2 may now differ from the node.
    written: Cell<bool>,
}

impl Lazy {
    fn len(&self) -> u64 {
        view_len(&self.node, self.view)
    }

    fn evaluator(&self) -> RResult<&StoreEval> {
        if self.eval.get().is_none() {
            let _ = self.eval.set(StoreEval::new(&self.node)?);
        }
        Ok(self.eval.get().expect("just set"))
    }

    /// Values at `start..start + out.len()` of this view.
    fn eval(&self, start: u64, out: &mut [f64]) -> RResult<()> {
        let e = self.evaluator()?;
        match self.view {
            ViewMode::Full => e.eval(start, out),
            ViewMode::LowerTri => e.eval_lower(start, out),
        }
        Ok(())
    }

    /// Whether R may have changed the materialised copy, so the node no longer describes the object.
    pub fn is_written(&self) -> bool {
        self.written.get()
    }
}

struct Classes {
    real: Class,
    integer: Class,
    logical: Class,
}

static CLASSES: OnceLock<Classes> = OnceLock::new();

/// Creates the three classes once per process, at package load, before R can hold any of their objects.
pub fn register_classes(dll: *mut DllInfo) {
    CLASSES.get_or_init(|| {
        // SAFETY: called from R_init on the main thread.
        unsafe {
            let real = R_make_altreal_class(c"lzs_lazy_real".as_ptr(), c"lazyshare".as_ptr(), dll);
            let integer =
                R_make_altinteger_class(c"lzs_lazy_int".as_ptr(), c"lazyshare".as_ptr(), dll);
            let logical =
                R_make_altlogical_class(c"lzs_lazy_lgl".as_ptr(), c"lazyshare".as_ptr(), dll);
            for cls in [real, integer, logical] {
                R_set_altrep_Length_method(cls, Some(length));
                R_set_altrep_Duplicate_method(cls, Some(duplicate));
                R_set_altrep_Inspect_method(cls, Some(inspect));
                R_set_altvec_Dataptr_method(cls, Some(dataptr));
                R_set_altvec_Dataptr_or_null_method(cls, Some(dataptr_or_null));
                use_r_defaults(Class(cls));
            }
            R_set_altvec_Dataptr_or_null_method(real, Some(real_dataptr_or_null));
            R_set_altreal_Elt_method(real, Some(real_elt));
            R_set_altreal_Get_region_method(real, Some(real_get_region));
            R_set_altinteger_Elt_method(integer, Some(int_elt));
            R_set_altinteger_Get_region_method(integer, Some(int_get_region));
            R_set_altlogical_Elt_method(logical, Some(int_elt));
            R_set_altlogical_Get_region_method(logical, Some(int_get_region));
            Classes {
                real: Class(real),
                integer: Class(integer),
                logical: Class(logical),
            }
        }
    });
}

/// A new R object for `node` seen as `view`, with its class, dim or dist attributes.
pub fn new_lazy(node: NodeRef, view: ViewMode) -> SEXP {
    graph::register_root(&node);
    let shape = node.shape;
    let mut p = Protect::new();
    let x = p.keep(object(node, view));
    // SAFETY: attribute setting on the fresh, protected object; allocations on the main thread.
    unsafe {
        match view {
            ViewMode::Full => {
                Rf_setAttrib(x, R_ClassSymbol, mk_strings(&["lazyshare"]));
                if shape.matrix {
                    Rf_setAttrib(x, R_DimSymbol, mk_dims(shape.rows, shape.cols));
                }
            }
            ViewMode::LowerTri => {
                Rf_setAttrib(x, R_ClassSymbol, mk_strings(&["lazyshare", "dist"]));
                let n = shape.rows as f64;
                Rf_setAttrib(x, Rf_install(c"Size".as_ptr()), Rf_ScalarReal(n));
                Rf_setAttrib(x, Rf_install(c"Diag".as_ptr()), Rf_ScalarLogical(0));
                Rf_setAttrib(x, Rf_install(c"Upper".as_ptr()), Rf_ScalarLogical(0));
                Rf_setAttrib(
                    x,
                    Rf_install(c"method".as_ptr()),
                    mk_strings(&["euclidean"]),
                );
            }
        }
    }
    x
}

/// A bare object (no attributes) for `node` seen as `view`.
fn object(node: NodeRef, view: ViewMode) -> SEXP {
    let classes = CLASSES.get().expect("classes are registered at load");
    let class = match node.rtype {
        RType::Logical => classes.logical,
        RType::Integer => classes.integer,
        RType::Double => classes.real,
    };
    new_object(
        class,
        Lazy {
            node,
            view,
            eval: OnceCell::new(),
            written: Cell::new(false),
        },
    )
}

/// A `dim` attribute: integers when they fit, doubles otherwise (R accepts both).
fn mk_dims(rows: u64, cols: u64) -> SEXP {
    // SAFETY: allocation on the main thread.
    unsafe {
        if rows <= i32::MAX as u64 && cols <= i32::MAX as u64 {
            let d = Rf_allocVector(SEXPTYPE::INTSXP, 2);
            SET_INTEGER_ELT(d, 0, rows as c_int);
            SET_INTEGER_ELT(d, 1, cols as c_int);
            d
        } else {
            let d = Rf_allocVector(SEXPTYPE::REALSXP, 2);
            SET_REAL_ELT(d, 0, rows as f64);
            SET_REAL_ELT(d, 1, cols as f64);
            d
        }
    }
}

fn lazy<'a>(x: SEXP) -> &'a Lazy {
    state(x)
}

/// The lazy state of `x` if it is one of our objects (possibly inside R's attribute wrapper).
pub fn as_lazy<'a>(x: SEXP) -> Option<&'a Lazy> {
    let c = CLASSES.get()?;
    of_class(x, &[c.real, c.integer, c.logical]).map(lazy)
}

/// The materialised R vector of `x`, if any.
fn materialised(x: SEXP) -> Option<SEXP> {
    // SAFETY: data2 is R_NilValue or the vector this module stored.
    let d = unsafe { R_altrep_data2(x) };
    // SAFETY: reading a global.
    (d != unsafe { R_NilValue }).then_some(d)
}

/// Materialises `x` into data2 (once).
fn materialise(x: SEXP) -> RResult<SEXP> {
    if let Some(d) = materialised(x) {
        return Ok(d);
    }
    let l = lazy(x);
    let v = r_vector(&l.node, l.view)?;
    // SAFETY: storing the fresh vector as this object's data2 (which keeps it alive from now on).
    unsafe { R_set_altrep_data2(x, v) };
    Ok(v)
}

/// Every value of `node` seen as `view` in a new R vector of its R type (no attributes), within the size
/// limit. Doubles are computed straight into R's memory; logicals and integers go through one buffer of
/// doubles.
pub fn r_vector(node: &NodeRef, view: ViewMode) -> RResult<SEXP> {
    let n = view_len(node, view);
    match view {
        ViewMode::Full => plan::check_size(node.shape),
        ViewMode::LowerTri => plan::check_size_of(n),
    }?;
    let fill = |out: &mut [f64]| -> RResult<()> {
        match view {
            ViewMode::Full => Ok(plan::materialize_into(node, out)?),
            ViewMode::LowerTri => {
                StoreEval::new(node)?.eval_lower(0, out);
                Ok(())
            }
        }
    };
    let rtype = node.rtype;
    let mut p = Protect::new();
    // SAFETY: the vector is protected while it is filled (polling for interrupts may run R code); its
    // payload has exactly n elements.
    let v = unsafe {
        if rtype == RType::Double {
            let v = p.keep(Rf_allocVector(SEXPTYPE::REALSXP, n as R_xlen_t));
            let dst: &mut [f64] = if n == 0 {
                &mut []
            } else {
                std::slice::from_raw_parts_mut(REAL(v), n as usize)
            };
            fill(dst)?;
            v
        } else {
            let sexptype = if rtype == RType::Integer {
                SEXPTYPE::INTSXP
            } else {
                SEXPTYPE::LGLSXP
            };
            let v = p.keep(Rf_allocVector(sexptype, n as R_xlen_t));
            let mut values = vec![0.0; n as usize];
            fill(&mut values)?;
            if n > 0 {
                let dst = std::slice::from_raw_parts_mut(DATAPTR(v) as *mut c_int, n as usize);
                for (d, s) in dst.iter_mut().zip(&values) {
                    *d = to_r_int(rtype, *s);
                }
            }
            v
        }
    };
    Ok(v)
}

/// The ordinary R value of `node` seen as `view`: its vector, with `dim` for a matrix.
pub fn plain(node: &NodeRef, view: ViewMode) -> RResult<SEXP> {
    let mut p = Protect::new();
    let v = p.keep(r_vector(node, view)?);
    if view == ViewMode::Full && node.shape.matrix {
        // SAFETY: attribute setting on the protected fresh vector; main thread.
        unsafe { Rf_setAttrib(v, R_DimSymbol, mk_dims(node.shape.rows, node.shape.cols)) };
    }
    Ok(v)
}

/// An integral value as R stores it: NA for NaN, 0/1 for a logical.
fn to_r_int(rtype: RType, v: f64) -> c_int {
    if v.is_nan() {
        R_NA_INTEGER
    } else if rtype == RType::Logical {
        c_int::from(v != 0.0)
    } else {
        v as c_int
    }
}

unsafe extern "C" fn length(x: SEXP) -> R_xlen_t {
    method(|| Ok(lazy(x).len() as R_xlen_t))
}

unsafe extern "C" fn dataptr(x: SEXP, writeable: Rboolean) -> *mut c_void {
    method(|| {
        let v = materialise(x)?;
        if writeable != Rboolean::FALSE {
            lazy(x).written.set(true);
        }
        // SAFETY: v is the REALSXP/LGLSXP in data2.
        Ok(unsafe { DATAPTR(v) })
    })
}

unsafe extern "C" fn dataptr_or_null(x: SEXP) -> *const c_void {
    method(|| {
        // SAFETY: v is the vector in data2.
        Ok(materialised(x).map_or(std::ptr::null(), |v| unsafe { DATAPTR(v) } as *const c_void))
    })
}

/// R formats a double vector it cannot point into one 512-value region at a time and merges the
/// regions' formats wrongly (R 4.2's `formatRealS`: the widest width, the digits of the first region
/// that has any, the widest exponent), so `print()` of a long double vector R reads by region shows
/// digits and widths no eager vector has. Doubles of at most `POINTED_MAX` elements therefore hand R
/// their materialised values (cheap at that size); longer ones stay lazy, read by region, as the
/// promise of never materialising in between asks. Integers and logicals merge correctly, and stay lazy.
unsafe extern "C" fn real_dataptr_or_null(x: SEXP) -> *const c_void {
    /// 8 MiB of doubles.
    const POINTED_MAX: u64 = 1 << 20;
    method(|| {
        let len = lazy(x).len();
        if materialised(x).is_none() && (len > POINTED_MAX || plan::check_size_of(len).is_err()) {
            return Ok(std::ptr::null());
        }
        let v = materialise(x)?;
        // SAFETY: v is the REALSXP in data2.
        Ok(unsafe { DATAPTR(v) } as *const c_void)
    })
}

fn region(x: SEXP, i: R_xlen_t, n: R_xlen_t) -> RResult<Vec<f64>> {
    let l = lazy(x);
    let len = l.len() as R_xlen_t;
    let start = i.clamp(0, len);
    let count = n.clamp(0, len - start);
    let mut out = vec![0.0; count as usize];
    if let Some(m) = materialised(x) {
        // SAFETY: m is the materialised vector of length len; the range is inside it.
        unsafe {
            if l.node.rtype != RType::Double {
                let src = std::slice::from_raw_parts(
                    (DATAPTR(m) as *const c_int).add(start as usize),
                    count as usize,
                );
                for (o, &s) in out.iter_mut().zip(src) {
                    *o = if s == R_NA_INTEGER {
                        f64::NAN
                    } else {
                        f64::from(s)
                    };
                }
            } else {
                let src = std::slice::from_raw_parts(REAL(m).add(start as usize), count as usize);
                out.copy_from_slice(src);
            }
        }
        return Ok(out);
    }
    l.eval(start as u64, &mut out)?;
    Ok(out)
}

unsafe extern "C" fn real_elt(x: SEXP, i: R_xlen_t) -> f64 {
    method(|| Ok(region(x, i, 1)?[0]))
}

unsafe extern "C" fn int_elt(x: SEXP, i: R_xlen_t) -> c_int {
    method(|| Ok(to_r_int(lazy(x).node.rtype, region(x, i, 1)?[0])))
}

unsafe extern "C" fn real_get_region(x: SEXP, i: R_xlen_t, n: R_xlen_t, buf: *mut f64) -> R_xlen_t {
    method(|| {
        let v = region(x, i, n)?;
        // SAFETY: R's buffer holds n >= v.len() elements.
        unsafe { std::ptr::copy_nonoverlapping(v.as_ptr(), buf, v.len()) };
        Ok(v.len() as R_xlen_t)
    })
}

unsafe extern "C" fn int_get_region(
    x: SEXP,
    i: R_xlen_t,
    n: R_xlen_t,
    buf: *mut c_int,
) -> R_xlen_t {
    method(|| {
        let v = region(x, i, n)?;
        let rtype = lazy(x).node.rtype;
        for (k, s) in v.iter().enumerate() {
            // SAFETY: R's buffer holds n >= v.len() elements.
            unsafe { *buf.add(k) = to_r_int(rtype, *s) };
        }
        Ok(v.len() as R_xlen_t)
    })
}

/// A duplicate is another view of the same node; once R may have written the materialised copy, R
/// duplicates that copy the ordinary way.
unsafe extern "C" fn duplicate(x: SEXP, _deep: Rboolean) -> SEXP {
    method(|| {
        let l = lazy(x);
        if l.written.get() {
            return Ok(std::ptr::null_mut());
        }
        // R copies the attributes onto the duplicate itself.
        Ok(object(l.node.clone(), l.view))
    })
}

unsafe extern "C" fn inspect(
    x: SEXP,
    _pre: c_int,
    _deep: c_int,
    _pvec: c_int,
    _subtree: Option<unsafe extern "C" fn(SEXP, c_int, c_int, c_int)>,
) -> Rboolean {
    method(|| {
        let l = lazy(x);
        inspect_line(&format!(
            " lazyshare {} {}{}\n",
            if l.view == ViewMode::LowerTri {
                "dist of"
            } else {
                "node"
            },
            graph::describe(&l.node),
            if materialised(x).is_some() {
                " (materialised)"
            } else {
                ""
            }
        ));
        Ok(Rboolean::TRUE)
    })
}
