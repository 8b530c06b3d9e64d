//! What the user sees of a long pass, and how they stop it. The runtime calls `poll` on R's main thread
//! between chunks; a progress line appears after two seconds (`lazy_options(progress = )`) and Ctrl-C
//! cancels the pass. The line is written with `\r` and no newline so that it updates in place; `guard`
//! ends it when the call that ran the pass returns, whatever the outcome, so that R's next output starts
//! on a line of its own.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use lazyshare_runtime::{config, plan};

use crate::rapi::*;

/// A progress line was printed and not yet ended.
static SHOWN: AtomicBool = AtomicBool::new(false);

/// Makes the runtime report to R. Called once at load.
pub fn install() {
    plan::set_poll(poll);
}

/// Ends a progress line if one was shown.
pub fn end_line() {
    if SHOWN.swap(false, Ordering::Relaxed) {
        // SAFETY: constant string; main thread.
        unsafe { REprintf(c"\n".as_ptr()) };
    }
}

/// Shows progress at most once a second and returns whether the pass may go on. R's interrupt check
/// longjmps when the user pressed Ctrl-C; R_ToplevelExec stops that jump before it reaches the pass's
/// Rust frames and reports it as FALSE, which the runtime turns into a cancelled pass.
fn poll(done: usize, total: usize, secs: f64) -> bool {
    // Seconds into the pass at which progress was last printed.
    static LAST: AtomicU64 = AtomicU64::new(0);
    if secs > 2.0 && config::get().progress {
        let last = f64::from_bits(LAST.load(Ordering::Relaxed));
        if !SHOWN.load(Ordering::Relaxed) || secs < last || secs - last >= 1.0 {
            LAST.store(secs.to_bits(), Ordering::Relaxed);
            let msg = format!(
                "\r[lazyshare] pass {:>3.0}% ({secs:.0} s)",
                100.0 * done as f64 / total.max(1) as f64
            );
            let c = std::ffi::CString::new(msg).unwrap_or_default();
            // SAFETY: constant format, NUL-terminated argument; main thread.
            unsafe { REprintf(c"%s".as_ptr(), c.as_ptr()) };
            SHOWN.store(true, Ordering::Relaxed);
        }
    }
    // SAFETY: R_ToplevelExec with a function that takes no data; main thread.
    let go_on =
        unsafe { R_ToplevelExec(Some(check_interrupt), std::ptr::null_mut()) != Rboolean::FALSE };
    if !go_on {
        // R ends the console line itself when it takes an interrupt.
        SHOWN.store(false, Ordering::Relaxed);
    }
    go_on
}

unsafe extern "C" fn check_interrupt(_: *mut std::ffi::c_void) {
    // SAFETY: called through R_ToplevelExec on the main thread, which catches the longjmp of an interrupt.
    unsafe { R_CheckUserInterrupt() };
}
