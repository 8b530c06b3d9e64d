//! What a backend implements: it prepares a kernel once into a `Program`, which then folds any tile of
//! the grid into one lane's accumulators. The interpreter (`crate::interp`) and the JIT (crate
//! `lazyshare-jit`) are the two backends; `run` drives either without knowing which.

use super::chunks::Chunk;
use crate::kernel::Kernel;

/// Destination of `Store` outputs: column-major positions `offset..offset + len` of the grid.
pub struct StoreTarget {
    ptr: *mut f64,
    pub offset: u64,
    pub len: u64,
}

// SAFETY: chunks are disjoint, so concurrent writers never touch the same element; the buffer outlives
// the run (the caller holds it mutably borrowed throughout).
unsafe impl Sync for StoreTarget {}
// SAFETY: as above.
unsafe impl Send for StoreTarget {}

impl StoreTarget {
    pub fn new(buf: &mut [f64], offset: u64) -> StoreTarget {
        StoreTarget {
            ptr: buf.as_mut_ptr(),
            offset,
            len: buf.len() as u64,
        }
    }

    /// (pointer to grid position `offset`, `offset`), for backends that write themselves.
    pub fn raw(&self) -> (*mut f64, u64) {
        (self.ptr, self.offset)
    }

    /// Writes `values` at grid positions `at..at + values.len()`.
    pub fn write(&self, at: u64, values: &[f64]) {
        assert!(at >= self.offset && at - self.offset + values.len() as u64 <= self.len);
        // SAFETY: bounds checked above; no other chunk writes these positions.
        unsafe {
            std::ptr::copy_nonoverlapping(
                values.as_ptr(),
                self.ptr.add((at - self.offset) as usize),
                values.len(),
            )
        }
    }
}

/// A kernel prepared by a backend.
pub trait Program: Send + Sync {
    /// Folds the values of `chunk` into `acc` (one lane's accumulators, laid out by `Layout`) and writes
    /// `Store` outputs into `store`.
    fn run(&self, chunk: &Chunk, acc: &mut [f64], store: Option<&StoreTarget>);
}

/// A way of running kernels. Chosen per kernel by the planner (`jit_min_work`).
pub trait Backend: Send + Sync {
    fn name(&self) -> &'static str;
    /// Whether this backend runs `kernel` (a backend may leave some outputs to the interpreter).
    fn runs(&self, _kernel: &Kernel) -> bool {
        true
    }
    fn prepare(&self, kernel: &Kernel) -> Box<dyn Program>;
    /// Whether `prepare` would reuse work already done for a kernel of this shape (a compiled form in a
    /// cache), so that a plan can say so.
    fn has_prepared(&self, _kernel: &Kernel) -> bool {
        false
    }
}
