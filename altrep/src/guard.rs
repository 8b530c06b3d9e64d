//! The boundary between Rust and R's error handling. Every `.Call` entry and every ALTREP method runs its
//! body inside `catch_unwind`; an `Err` or a panic becomes an R error raised only after every Rust value of
//! the body has been dropped, so R's longjmp never skips a destructor and a panic never aborts R. Warnings
//! the runtime recorded while computing (`lazyshare_runtime::warn`) are raised there too, as R warnings: a
//! handler may jump out of them just as out of an error.

use std::any::Any;
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::RResult;
use crate::rapi::{
    mk_char, mk_strings, R_NilValue, Rf_error, Rf_protect, Rf_unprotect, Rf_warningcall, R_CHAR,
    SEXP, STRING_ELT, XLENGTH,
};

/// Runs a `.Call` body.
pub fn entry(body: impl FnOnce() -> RResult<SEXP>) -> SEXP {
    let v = guarded(body);
    // SAFETY: the result is protected while warnings (which may allocate) are raised.
    unsafe { Rf_protect(v) };
    raise_warnings();
    // SAFETY: balances the protect above.
    unsafe { Rf_unprotect(1) };
    v
}

/// Runs an ALTREP method body (its value is a number or memory the object keeps alive).
pub fn method<T: Copy>(body: impl FnOnce() -> RResult<T>) -> T {
    let v = guarded(body);
    raise_warnings();
    v
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

/// Raises an R error with `msg`. The Rust string is copied into R's memory and dropped first.
pub fn raise(msg: String) -> ! {
    let c = mk_char(&msg);
    drop(msg);
    // SAFETY: `c` is protected against the allocation Rf_error may do before formatting; Rf_error copies
    // the message and unwinds R's stack, and this frame owns nothing that needs dropping.
    unsafe {
        Rf_protect(c);
        Rf_error(c"%s".as_ptr() as *const c_char, R_CHAR(c))
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

/// Panics are reported as R errors by `method`; the default hook would also print them to stderr.
/// LAZYSHARE_BACKTRACE=1 keeps the default output for debugging.
pub fn quiet_panics() {
    if std::env::var_os("LAZYSHARE_BACKTRACE").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
}
