//! The counters behind `lazy_stats()`. They live with `exec` because every layer counts into them (the
//! planner its passes, the JIT its compiles and cache hits, altrep its applies) and all of those already
//! depend on `exec`. Relaxed atomics: they are statistics for people and tests, never used to order
//! other memory.

use std::sync::atomic::{AtomicU64, Ordering};

/// Process-wide counters behind `lazy_stats()`.
#[derive(Debug, Default)]
pub struct Counters {
    pub passes: AtomicU64,
    pub elements: AtomicU64,
    /// Elements computed a range at a time outside passes, mostly for R's element accessors (Elt,
    /// Get_region): what `x[i]`, `head()` and print previews cost, which the pass counts cannot show.
    pub elements_read: AtomicU64,
    pub materializations: AtomicU64,
    pub interp_runs: AtomicU64,
    pub jit_runs: AtomicU64,
    pub kernels_compiled: AtomicU64,
    pub cache_hits: AtomicU64,
    pub compile_ns: AtomicU64,
    pub fused_applies: AtomicU64,
    pub worker_applies: AtomicU64,
}

pub static COUNTERS: Counters = Counters {
    passes: AtomicU64::new(0),
    elements: AtomicU64::new(0),
    elements_read: AtomicU64::new(0),
    materializations: AtomicU64::new(0),
    interp_runs: AtomicU64::new(0),
    jit_runs: AtomicU64::new(0),
    kernels_compiled: AtomicU64::new(0),
    cache_hits: AtomicU64::new(0),
    compile_ns: AtomicU64::new(0),
    fused_applies: AtomicU64::new(0),
    worker_applies: AtomicU64::new(0),
};

impl Counters {
    /// (name, value) of every counter, in a fixed order.
    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        vec![
            ("passes", r(&self.passes)),
            ("elements", r(&self.elements)),
            ("elements_read", r(&self.elements_read)),
            ("materializations", r(&self.materializations)),
            ("interp_runs", r(&self.interp_runs)),
            ("jit_runs", r(&self.jit_runs)),
            ("kernels_compiled", r(&self.kernels_compiled)),
            ("cache_hits", r(&self.cache_hits)),
            ("compile_ns", r(&self.compile_ns)),
            ("fused_applies", r(&self.fused_applies)),
            ("worker_applies", r(&self.worker_applies)),
        ]
    }

    pub fn reset(&self) {
        for c in [
            &self.passes,
            &self.elements,
            &self.elements_read,
            &self.materializations,
            &self.interp_runs,
            &self.jit_runs,
            &self.kernels_compiled,
            &self.cache_hits,
            &self.compile_ns,
            &self.fused_applies,
            &self.worker_applies,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}
