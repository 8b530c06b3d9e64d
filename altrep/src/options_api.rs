//! `.Call` entry points of what a developer tunes and watches: the thresholds (`lazy_options`) and the
//! runtime's counters (`lazy_stats`), plus the one counter R code bumps itself, memApply's choice of path.
//! Each threshold's R value is read here, where an error can name the option; the runtime checks the
//! ranges (`Thresholds::validate`).

use std::os::raw::c_int;
use std::sync::atomic::Ordering;

use lazyshare_runtime::config::{self, Thresholds};
use lazyshare_runtime::exec::COUNTERS;

use crate::error::{RError, RResult};
use crate::guard::entry;
use crate::rapi::*;

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
