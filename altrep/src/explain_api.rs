//! The plan made visible to R: `lazy_explain()`'s entries and the `LAZYSHARE_TRACE` output. An
//! explanation crosses into R twice over: as its text (what `print()` shows) and as a nested list of the
//! same facts (what code and tests inspect).

use std::os::raw::c_int;

use lazyshare_runtime::kernel::Kernel;
use lazyshare_runtime::plan::{self, Choice, Explanation, Plan, StagePlan};

use crate::guard::entry;
use crate::lazy::as_lazy;
use crate::rapi::*;

/// Sends traced plans to R's console. Called once at load.
pub fn install_trace() {
    plan::set_trace_sink(trace_to_r);
}

fn trace_to_r(text: &str) {
    let c = std::ffi::CString::new(text.replace('\0', "")).unwrap_or_default();
    // SAFETY: constant format, NUL-terminated argument; forces run on R's main thread.
    unsafe { REprintf(c"%s".as_ptr(), c.as_ptr()) };
}

/// The explanation of a lazy object, computing nothing; NULL for anything else.
#[no_mangle]
pub extern "C" fn lzs_explain(x: SEXP) -> SEXP {
    entry(|| match as_lazy(x) {
        Some(l) => Ok(explanation(&plan::explain_node(&l.node))),
        None => Ok(nil()),
    })
}

/// Turns explain-only mode on or off (see `plan::set_explain_only`); returns whether it was on.
#[no_mangle]
pub extern "C" fn lzs_explain_only(on: SEXP) -> SEXP {
    entry(|| {
        // SAFETY: reading a logical scalar; allocation on the main thread.
        unsafe {
            let was = plan::set_explain_only(Rf_asLogical(on) == 1);
            Ok(Rf_ScalarLogical(c_int::from(was)))
        }
    })
}

/// What the computation explain-only mode refused would have run, or NULL.
#[no_mangle]
pub extern "C" fn lzs_explained() -> SEXP {
    entry(|| Ok(plan::take_stopped().map_or_else(nil, |e| explanation(&e))))
}

fn real(x: f64) -> SEXP {
    // SAFETY: allocation on the main thread; callers protect it.
    unsafe { Rf_ScalarReal(x) }
}

fn logical(x: bool) -> SEXP {
    // SAFETY: as in `real`.
    unsafe { Rf_ScalarLogical(c_int::from(x)) }
}

fn lines(text: &str) -> SEXP {
    mk_strings(&text.lines().collect::<Vec<_>>())
}

fn explanation(e: &Explanation) -> SEXP {
    let mut p = Protect::new();
    let forces: Vec<SEXP> = e.forces.iter().map(|f| p.keep(plan_list(f))).collect();
    let items = [
        p.keep(mk_strings(&[e.to_string()])),
        p.keep(lines(&e.graph)),
        p.keep(mk_list(&forces, &[])),
        p.keep(
            e.elements
                .as_ref()
                .map_or_else(nil, |(k, c)| kernel_list(k, c, &[], &[])),
        ),
    ];
    mk_list(&items, &["text", "graph", "forces", "elements"])
}

fn plan_list(plan: &Plan) -> SEXP {
    let mut p = Protect::new();
    let stages: Vec<SEXP> = plan.stages.iter().map(|s| p.keep(stage_list(s))).collect();
    let items = [
        p.keep(mk_strings(&[plan.target.as_str()])),
        p.keep(mk_list(&stages, &[])),
    ];
    mk_list(&items, &["target", "stages"])
}

fn stage_list(s: &StagePlan) -> SEXP {
    let mut p = Protect::new();
    let rewrites: Vec<String> = s.rewrites.iter().map(ToString::to_string).collect();
    let kernel = match &s.fused {
        Some(f) => {
            let reducers: Vec<String> = f
                .reducers
                .iter()
                .map(|(r, _)| lazyshare_runtime::graph::describe_reducer(r))
                .collect();
            let rewrites: Vec<String> = f.rewrites.iter().map(ToString::to_string).collect();
            kernel_list(&f.kernel, &f.backend, &reducers, &rewrites)
        }
        None => nil(),
    };
    let items = [
        p.keep(real_pair(s.grid.0, s.grid.1)),
        p.keep(mk_strings(&rewrites)),
        p.keep(kernel),
    ];
    mk_list(&items, &["grid", "rewrites", "kernel"])
}

fn real_pair(a: u64, b: u64) -> SEXP {
    // SAFETY: allocation on the main thread; callers protect it.
    unsafe {
        let v = Rf_allocVector(SEXPTYPE::REALSXP, 2);
        SET_REAL_ELT(v, 0, a as f64);
        SET_REAL_ELT(v, 1, b as f64);
        v
    }
}

fn kernel_list(k: &Kernel, c: &Choice, reducers: &[String], rewrites: &[String]) -> SEXP {
    let mut p = Protect::new();
    let d = k.domain;
    let items = [
        p.keep(real_pair(d.rows, d.cols)),
        p.keep(logical(d.symmetric)),
        p.keep(real(d.visited() as f64)),
        p.keep(mk_strings(reducers)),
        p.keep(mk_strings(rewrites)),
        p.keep(real(k.work())),
        p.keep(mk_strings(&[if c.jit { "JIT" } else { "interpreter" }])),
        p.keep(mk_strings(&[c.reason.as_str()])),
        p.keep(logical(c.cached)),
        p.keep(lines(&k.to_string())),
    ];
    mk_list(
        &items,
        &[
            "domain",
            "symmetric",
            "elements",
            "reducers",
            "rewrites",
            "work",
            "backend",
            "reason",
            "cached",
            "ssa",
        ],
    )
}
