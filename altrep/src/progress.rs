//! What the user sees of a long pass, and how they stop it. The runtime calls `poll` on R's main thread
//! between chunks. After two seconds, and when `lazy_options(progress = )` allows it (by default in
//! interactive sessions only), the package's R function `progress_show` draws the progress: one line
//! updated in place in a terminal, separate lines elsewhere. `guard` calls `end_line` when the call that
//! ran the pass returns, whatever the outcome, so that R's next output starts on a line of its own.
//! Ctrl-C cancels the pass; the guard then signals R's `interrupt`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use lazyshare_runtime::{config, plan};

use crate::rapi::*;

/// Progress was drawn and not yet ended.
static SHOWN: AtomicBool = AtomicBool::new(false);

/// Makes the runtime report to R. Called once at load.
pub fn install() {
    plan::set_poll(poll);
}

/// Ends the progress display if one was drawn.
pub fn end_line() {
    if SHOWN.swap(false, Ordering::Relaxed) {
        // SAFETY: main thread; the closure owns nothing R could skip.
        toplevel(|| unsafe {
            call_package("progress_done", &[]);
        });
    }
}

/// Draws progress at most five times a second and returns whether the pass may go on. R's interrupt
/// check longjmps when the user pressed Ctrl-C; `toplevel` stops that jump before it reaches the pass's
/// Rust frames and reports it as false, which the runtime turns into a cancelled pass.
fn poll(done: usize, total: usize, secs: f64) -> bool {
    // Seconds into the pass at which progress was last drawn.
    static LAST: AtomicU64 = AtomicU64::new(0);
    if secs > 2.0 && config::get().progress {
        let last = f64::from_bits(LAST.load(Ordering::Relaxed));
        if !SHOWN.load(Ordering::Relaxed) || secs < last || secs - last >= 0.2 {
            LAST.store(secs.to_bits(), Ordering::Relaxed);
            SHOWN.store(true, Ordering::Relaxed);
            let fraction = done as f64 / total.max(1) as f64;
            // SAFETY: main thread; the closure owns nothing R could skip.
            toplevel(|| unsafe {
                call_package(
                    "progress_show",
                    &[Rf_ScalarReal(fraction), Rf_ScalarReal(secs)],
                );
            });
        }
    }
    // SAFETY: main thread; R_CheckUserInterrupt owns nothing R could skip.
    let go_on = toplevel(|| unsafe { R_CheckUserInterrupt() });
    if !go_on {
        // R ends the console line itself when it takes an interrupt.
        SHOWN.store(false, Ordering::Relaxed);
    }
    go_on
}
