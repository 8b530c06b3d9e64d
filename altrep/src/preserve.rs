//! R vectors that graph sources borrow in place. R must keep such a vector alive and unmoved for as long
//! as the source lives, but a source is dropped wherever its last node goes, possibly on a worker thread,
//! and R may only be called on its main thread. So a drop only queues the release, and the queue is
//! drained where R is known to be calling us on the main thread: at every `.Call` entry (`guard::entry`)
//! and in the finalizer of our ALTREP objects (`altclass`).

use std::sync::Mutex;

use lazyshare_runtime::graph::Keepalive;

use crate::rapi::*;

/// The addresses of preserved vectors whose sources are gone (a `SEXP` is not `Send`).
static RELEASES: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// Keeps an R vector alive (and its memory in place) while a graph source borrows it.
pub struct Preserved(usize);

impl Preserved {
    /// # Safety
    /// `x` must be a live SEXP and the call must come from R's main thread.
    pub unsafe fn new(x: SEXP) -> Preserved {
        // SAFETY: as the caller promises.
        unsafe { R_PreserveObject(x) };
        Preserved(x as usize)
    }
}

impl Keepalive for Preserved {}

impl Drop for Preserved {
    fn drop(&mut self) {
        RELEASES
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(self.0);
    }
}

/// Releases the R objects no source needs any more. Main thread only.
pub fn drain_releases() {
    let pending: Vec<usize> =
        std::mem::take(&mut *RELEASES.lock().unwrap_or_else(|e| e.into_inner()));
    for x in pending {
        // SAFETY: each was preserved once by Preserved::new and is released once here, on the main thread.
        unsafe { R_ReleaseObject(x as SEXP) };
    }
}
