//! The Cranelift backend of the runtime's `Backend`: each kernel shape is compiled once into a native
//! function over `(frame, j0, j1, i0, i1, acc)` and cached by shape (instructions, outputs, symmetry;
//! never sizes or data), so the same computation on new data of any size reuses the code. Knows nothing
//! of R.

mod cache;
mod codegen;
mod libm;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use lazyshare_runtime::exec::{Backend, Chunk, Program, StoreTarget, COUNTERS};
use lazyshare_runtime::interp::Interp;
use lazyshare_runtime::kernel::{Inst, Kernel, Layout, OutKind};

use cache::{Cache, Compiled};

/// What generated code reads; field offsets are codegen::F_*.
#[repr(C)]
struct Frame {
    data: *const *const f64,
    params: *const f64,
    lds: *const u64,
    offsets: *const u64,
    rows: u64,
    cols: u64,
    store: *mut f64,
    store_offset: u64,
}

pub struct Jit {
    cache: Mutex<Cache>,
}

impl Default for Jit {
    fn default() -> Jit {
        Jit::new(cache::DEFAULT_CAPACITY)
    }
}

impl Jit {
    pub fn new(capacity: usize) -> Jit {
        Jit {
            cache: Mutex::new(Cache::new(capacity)),
        }
    }

    /// The compiled form of `k`'s shape, from the cache or compiled now.
    fn compiled(&self, k: &Kernel) -> Result<Arc<Compiled>, String> {
        let sig = k.shape_sig();
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.get(&sig) {
            COUNTERS
                .cache_hits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(c);
        }
        let t = Instant::now();
        let c = Arc::new(Compiled::new(k)?);
        COUNTERS.compile_ns.fetch_add(
            t.elapsed().as_nanos() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
        COUNTERS
            .kernels_compiled
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        cache.insert(sig, c.clone());
        Ok(c)
    }
}

impl Backend for Jit {
    fn name(&self) -> &'static str {
        "jit"
    }

    /// Row and column extremes are not compiled yet: the interpreter runs kernels with them.
    fn runs(&self, kernel: &Kernel) -> bool {
        !kernel.outputs.iter().any(|o| {
            matches!(
                o.kind,
                OutKind::RowMin | OutKind::RowMax | OutKind::ColMin | OutKind::ColMax
            )
        })
    }

    /// A compiled program, or the interpreter's if this shape cannot be compiled (never an error).
    fn prepare(&self, kernel: &Kernel) -> Box<dyn Program> {
        match self.compiled(kernel) {
            Ok(c) => Box::new(JitProgram::new(kernel, c)),
            Err(_) => Interp.prepare(kernel),
        }
    }
}

struct JitProgram {
    compiled: Arc<Compiled>,
    /// Holds the data alive while its pointers are used.
    _kernel: Kernel,
    data: Vec<*const f64>,
    params: Vec<f64>,
    lds: Vec<u64>,
    offsets: Vec<u64>,
    rows: u64,
    cols: u64,
}

// SAFETY: the pointers refer to immutable data owned by `_kernel` (sources and memos), read concurrently.
unsafe impl Send for JitProgram {}
// SAFETY: as above; `run` only reads the program.
unsafe impl Sync for JitProgram {}

impl JitProgram {
    fn new(k: &Kernel, compiled: Arc<Compiled>) -> JitProgram {
        let lds = k
            .insts
            .iter()
            .map(|i| match *i {
                Inst::Load { ld, .. } | Inst::Dist { ld, .. } => ld,
                _ => 0,
            })
            .collect();
        let layout = Layout::of(k);
        JitProgram {
            compiled,
            data: k.data.iter().map(|d| d.values().as_ptr()).collect(),
            params: k.params.clone(),
            lds,
            offsets: layout.offsets.iter().map(|&o| o as u64).collect(),
            rows: k.domain.rows,
            cols: k.domain.cols,
            _kernel: k.clone(),
        }
    }
}

impl Program for JitProgram {
    fn run(&self, chunk: &Chunk, acc: &mut [f64], store: Option<&StoreTarget>) {
        let (store_ptr, store_offset) = store.map_or((std::ptr::null_mut(), 0), |s| s.raw());
        let frame = Frame {
            data: self.data.as_ptr(),
            params: self.params.as_ptr(),
            lds: self.lds.as_ptr(),
            offsets: self.offsets.as_ptr(),
            rows: self.rows,
            cols: self.cols,
            store: store_ptr,
            store_offset,
        };
        // SAFETY: the function was compiled for this kernel's shape; the frame's pointers are valid for
        // the kernel's data, parameters and accumulator layout, the chunk lies inside the domain, `acc`
        // has the layout's length, and stores go to this chunk's disjoint part of the target.
        unsafe {
            (self.compiled.func())(
                &frame,
                chunk.j0,
                chunk.j1,
                chunk.i0,
                chunk.i1,
                acc.as_mut_ptr(),
            )
        }
    }
}
