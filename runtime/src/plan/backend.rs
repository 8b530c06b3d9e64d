//! Which backend runs a kernel, and how a run reports progress and checks for interrupts. The R layer
//! registers the JIT (the runtime knows no Cranelift) and the poll function (the runtime knows no R).

use std::sync::atomic::Ordering;
use std::sync::OnceLock;

use crate::config;
use crate::exec::{self, Backend, ExecError, COUNTERS};
use crate::interp::Interp;
use crate::kernel::Kernel;

static JIT: OnceLock<Box<dyn Backend>> = OnceLock::new();

/// How passes report progress and check for interrupts.
static POLL: OnceLock<fn(usize, usize, f64) -> bool> = OnceLock::new();

pub fn set_jit(backend: Box<dyn Backend>) {
    let _ = JIT.set(backend);
}

pub fn set_poll(f: fn(usize, usize, f64) -> bool) {
    let _ = POLL.set(f);
}

/// The poll function, if one is registered.
pub(super) fn poll() -> Option<fn(usize, usize, f64) -> bool> {
    POLL.get().copied()
}

/// The backend a kernel runs on, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub jit: bool,
    pub reason: String,
    /// The JIT holds a compiled form of this kernel's shape already (no compile on the first run).
    pub cached: bool,
}

/// The JIT from `jit_min_work` estimated element-operations on, where it compiles the kernel; the block
/// interpreter otherwise (compiling costs more than it saves on small passes).
pub fn choose(kernel: &Kernel) -> Choice {
    let min = config::get().jit_min_work;
    let work = kernel.work();
    let (jit, reason) = match JIT.get() {
        None => (false, "no JIT registered".to_string()),
        Some(_) if work < min => (false, format!("work {work:.3e} < jit_min_work {min:.3e}")),
        Some(j) if !j.runs(kernel) => (false, "the JIT does not compile this kernel".into()),
        Some(_) => (true, format!("work {work:.3e} >= jit_min_work {min:.3e}")),
    };
    let cached = jit && JIT.get().is_some_and(|j| j.has_prepared(kernel));
    Choice {
        jit,
        reason,
        cached,
    }
}

/// The backend [`choose`] picks for `kernel`, counted as one run of it.
fn pick(kernel: &Kernel) -> &'static dyn Backend {
    static INTERP: Interp = Interp;
    match JIT.get() {
        Some(jit) if choose(kernel).jit => {
            COUNTERS.jit_runs.fetch_add(1, Ordering::Relaxed);
            jit.as_ref()
        }
        _ => {
            COUNTERS.interp_runs.fetch_add(1, Ordering::Relaxed);
            &INTERP
        }
    }
}

/// Runs `kernel` over `walk` on the backend [`choose`] picks, polled when a poll is registered.
pub fn run(
    kernel: &Kernel,
    walk: exec::Walk<'_>,
    store: Option<&exec::StoreTarget>,
) -> Result<Vec<exec::OutValue>, ExecError> {
    let backend = pick(kernel);
    match poll() {
        Some(mut p) => exec::run(kernel, backend, walk, store, Some(&mut p)),
        None => exec::run(kernel, backend, walk, store, None),
    }
}

/// A full pass over `d`: its fold units, walked in tiles of `chunk_rows` rows.
pub fn full_pass<R>(d: crate::kernel::Domain, f: impl FnOnce(exec::Walk<'_>) -> R) -> R {
    let units = exec::units(d);
    f(exec::Walk {
        units: &units,
        tile_rows: crate::config::get().chunk_rows,
    })
}

/// `kernel` prepared (for the JIT, compiled or found in its cache) once by the backend [`choose`] picks,
/// for callers that run it over many ranges themselves.
pub fn prepare(kernel: &Kernel) -> Box<dyn exec::Program> {
    pick(kernel).prepare(kernel)
}
