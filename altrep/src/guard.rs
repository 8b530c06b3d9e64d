//! The boundary between Rust and R's error handling, and the one place that does what every call from R
//! needs. R reports errors and warnings by longjmp, which would skip Rust destructors, and a Rust panic
//! must not unwind into R's C frames. So every `.Call` entry and every ALTREP method runs its body inside
//! `catch_unwind`; an `Err` or a panic becomes an R condition raised only after every Rust value of the
//! body has been dropped: a classed `lazyshare_error` (by the package's R function `signal_error`, so that
//! its call is the user's), or, for a pass the user stopped with Ctrl-C, R's own `interrupt`. Warnings the
//! runtime recorded while computing (`lazyshare_runtime::warn`) are raised after a successful body, as
//! classed R warnings: a handler may jump out of them just as out of an error.
//!
//! Around the body: an entry first releases the R objects graph sources no longer borrow (`preserve`);
//! entries and methods alike end the progress line a pass may have left (`progress`) before R prints
//! anything else, an error included.

use std::any::Any;
use std::cell::Cell;
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Kind, RResult};
use crate::preserve::drain_releases;
use crate::progress;
use crate::rapi::{
    call_package, mk_char, mk_strings, R_xlen_t, Rboolean, Rf_ScalarString, Rf_error, Rf_onintr,
    Rf_protect, Rf_unprotect, R_CHAR, SEXP,
};

/// Runs a `.Call` body. Entries are where sources' releases are done: R calls them on its main thread,
/// between its own operations, and a session that computes keeps calling them.
pub fn entry(body: impl FnOnce() -> RResult<SEXP>) -> SEXP {
    run(|| {
        drain_releases();
        body()
    })
}

/// Runs an ALTREP method body. Releases are left to the next entry (or finalizer): R calls methods such as
/// Length and Elt once per element inside its own loops, where taking the queue's lock each time would be
/// pure cost.
pub fn method<T: RValue>(body: impl FnOnce() -> RResult<T>) -> T {
    run(body)
}

/// What a guarded body hands back to R. What follows the body (ending a progress line, raising warnings)
/// may allocate in R and so collect garbage, so an R object the body just made is protected across it.
pub trait RValue: Copy {
    /// Protects `self` if it is an R object; returns how many objects that protected.
    fn protect(self) -> c_int {
        0
    }
}

impl RValue for SEXP {
    fn protect(self) -> c_int {
        // A method's C NULL (R's "compute it yourself") is not an object.
        if self.is_null() {
            return 0;
        }
        // SAFETY: a live SEXP the body returned, on the main thread.
        unsafe { Rf_protect(self) };
        1
    }
}

impl RValue for f64 {}
impl RValue for c_int {}
impl RValue for R_xlen_t {}
impl RValue for Rboolean {}
impl RValue for *mut c_void {}
impl RValue for *const c_void {}

fn run<T: RValue>(body: impl FnOnce() -> RResult<T>) -> T {
    let v = guarded(body);
    let protected = v.protect();
    progress::end_line();
    raise_warnings();
    // SAFETY: balances the protection above.
    unsafe { Rf_unprotect(protected) };
    v
}

/// The body's value; an error or a panic is raised in R once the body's values are dropped.
fn guarded<T>(body: impl FnOnce() -> RResult<T>) -> T {
    INSIDE.with(|d| d.set(d.get() + 1));
    let outcome = catch_unwind(AssertUnwindSafe(body));
    INSIDE.with(|d| d.set(d.get() - 1));
    let (kind, msg) = match outcome {
        Ok(Ok(v)) => return v,
        Ok(Err(e)) => e.into_parts(),
        Err(panic) => (
            Kind::Internal,
            format!(
                "internal error in lazyshare (please report): {}",
                panic_message(panic.as_ref())
            ),
        ),
    };
    raise(kind, msg)
}

/// Raises `msg` in R as `kind` says. The Rust string is copied into R's memory and dropped first, so the
/// progress line is ended, and R's longjmp made, from a frame that owns nothing.
fn raise(kind: Kind, msg: String) -> ! {
    let c = mk_char(&msg);
    drop(msg);
    // SAFETY: `c` is protected against the allocations below; each call either unwinds R's stack (this
    // frame owns nothing that needs dropping) or returns, and the last one, Rf_error, never returns.
    unsafe {
        Rf_protect(c);
        progress::end_line();
        if kind == Kind::Interrupt {
            // R's own interrupt: `interrupt` handlers run, `error` handlers do not, R returns to the top
            // level. It returns only while R holds interrupts back; then the stop is reported as an error.
            Rf_onintr();
        } else {
            let class = Rf_protect(Rf_ScalarString(mk_char(kind.class())));
            call_package("signal_error", &[class, Rf_ScalarString(c)]);
        }
        Rf_error(c"%s".as_ptr() as *const c_char, R_CHAR(c))
    }
}

/// Raises, as classed R warnings, what the runtime recorded while computing. The messages are moved into
/// R's memory first, so that a handler's longjmp out of a warning skips no Rust destructor.
fn raise_warnings() {
    let msgs = lazyshare_runtime::warn::take();
    if msgs.is_empty() {
        return;
    }
    let r_msgs = mk_strings(&msgs);
    drop(msgs);
    // SAFETY: the messages are protected while R raises each warning; a longjmp out of one resets the
    // protection stack, and this frame owns nothing that needs dropping.
    unsafe {
        Rf_protect(r_msgs);
        call_package("signal_warnings", &[r_msgs]);
        Rf_unprotect(1);
    }
}

fn panic_message(p: &(dyn Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

thread_local! {
    /// How many guarded bodies this thread is inside (an entry can run R code that calls another).
    static INSIDE: Cell<u32> = const { Cell::new(0) };
}

/// Panics of this package are reported as R errors by the guard, so the hook that would also print them
/// stays quiet for them: on a thread inside a guarded body, or on the runtime's own threads (named
/// `lazyshare-*`). Every other panic (another package's Rust code, threads of their own) goes to the hook
/// that was installed before. LAZYSHARE_BACKTRACE=1 leaves the hooks alone, for debugging.
pub fn install_panic_hook() {
    if std::env::var_os("LAZYSHARE_BACKTRACE").is_some() {
        return;
    }
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let ours = INSIDE.with(Cell::get) > 0
            || std::thread::current()
                .name()
                .is_some_and(|n| n.starts_with("lazyshare-"));
        if !ours {
            previous(info);
        }
    }));
}
