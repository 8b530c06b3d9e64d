//! The boundary between Rust and R's error handling, and the one place that does what every call from R
//! needs. R reports errors and warnings by longjmp, which would skip Rust destructors, and a Rust panic
//! must not unwind into R's C frames. So every `.Call` entry and every ALTREP method runs its body inside
//! `catch_unwind`; an `Err` or a panic becomes an R error raised only after every Rust value of the body
//! has been dropped. Warnings the runtime recorded while computing (`lazyshare_runtime::warn`) are raised
//! after a successful body, as R warnings: a handler may jump out of them just as out of an error.
//!
//! Around the body: an entry first releases the R objects graph sources no longer borrow (`preserve`);
//! entries and methods alike end the progress line a pass may have left (`progress`) before R prints
//! anything else, an error included.

use std::any::Any;
use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::RResult;
use crate::preserve::drain_releases;
use crate::progress;
use crate::rapi::{
    mk_char, mk_strings, R_NilValue, R_xlen_t, Rboolean, Rf_error, Rf_protect, Rf_unprotect,
    Rf_warningcall, R_CHAR, SEXP, STRING_ELT, XLENGTH,
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

/// The body's value; an error or a panic is raised as an R error once the body's values are dropped.
fn guarded<T>(body: impl FnOnce() -> RResult<T>) -> T {
    let msg = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(v)) => return v,
        Ok(Err(e)) => e.into_message(),
        Err(panic) => format!(
            "internal error in lazyshare (please report): {}",
            panic_message(panic.as_ref())
        ),
    };
    raise(msg)
}

/// Raises an R error with `msg`. The Rust string is copied into R's memory and dropped first, so the
/// progress line is ended, and R's longjmp made, from a frame that owns nothing.
fn raise(msg: String) -> ! {
    let c = mk_char(&msg);
    drop(msg);
    // SAFETY: `c` is protected against the allocation printing or Rf_error may do before formatting;
    // Rf_error copies the message and unwinds R's stack, and this frame owns nothing that needs dropping.
    unsafe {
        Rf_protect(c);
        progress::end_line();
        Rf_error(c"%s".as_ptr() as *const c_char, R_CHAR(c))
    }
}

/// Raises, as R warnings, what the runtime recorded while computing. The messages are moved into R's
/// memory first, so that a handler's longjmp out of a warning skips no Rust destructor.
fn raise_warnings() {
    let msgs = lazyshare_runtime::warn::take();
    if msgs.is_empty() {
        return;
    }
    let r_msgs = mk_strings(&msgs);
    drop(msgs);
    // SAFETY: the messages are protected while R formats each warning; a longjmp out of one resets the
    // protection stack, and this frame owns nothing that needs dropping.
    unsafe {
        Rf_protect(r_msgs);
        for k in 0..XLENGTH(r_msgs) {
            Rf_warningcall(
                R_NilValue,
                c"%s".as_ptr() as *const c_char,
                R_CHAR(STRING_ELT(r_msgs, k)),
            );
        }
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

/// Panics are reported as R errors by the guard; the default hook would also print them to stderr.
/// LAZYSHARE_BACKTRACE=1 keeps the default output for debugging.
pub fn quiet_panics() {
    if std::env::var_os("LAZYSHARE_BACKTRACE").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
}
