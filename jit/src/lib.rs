//! The Cranelift backend of the runtime's `Backend`: each kernel shape is compiled once into a native
//! function over `(frame, j0, j1, i0, i1)` and cached by shape (instructions, outputs, symmetry;
//! never sizes or data), so the same computation on new data of any size reuses the code. Knows nothing
//! of R.

mod cache;
mod codegen;
mod frame;
mod libm;

use std::sync::{Arc, Mutex};
use std::time::Instant;

use lazyshare_runtime::exec::{Backend, Chunk, Program, StoreTarget, COUNTERS};
use lazyshare_runtime::interp::Interp;
use lazyshare_runtime::kernel::{Inst, Kernel, Layout, OutKind, PARTS};

use cache::{Cache, Compiled};
use frame::Frame;

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

    fn has_prepared(&self, kernel: &Kernel) -> bool {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.contains(&kernel.shape_sig())
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
    /// Offsets of each output's parts in a lane's buffer, `PARTS` per output.
    parts: Vec<usize>,
    rows: u64,
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
            parts: (0..k.outputs.len())
                .flat_map(|o| layout.parts(k, o))
                .collect(),
            rows: k.domain.rows,
            _kernel: k.clone(),
        }
    }
}

impl Program for JitProgram {
    fn run(&self, chunk: &Chunk, acc: &mut [f64], store: Option<&StoreTarget>) {
        let (store_ptr, store_offset) = store.map_or((std::ptr::null_mut(), 0), |s| s.raw());
        assert!(
            self.parts.iter().all(|&p| p <= acc.len()),
            "parts inside the buffer"
        );
        let base = acc.as_mut_ptr();
        // On the stack for up to 16 outputs: a pass calls this once per tile.
        let mut small = [std::ptr::null_mut::<f64>(); 16 * PARTS];
        let mut large = Vec::new();
        let parts: &mut [*mut f64] = if self.parts.len() <= small.len() {
            &mut small[..self.parts.len()]
        } else {
            large.resize(self.parts.len(), std::ptr::null_mut());
            &mut large
        };
        for (slot, &p) in parts.iter_mut().zip(&self.parts) {
            *slot = base.wrapping_add(p);
        }
        let frame = Frame {
            data: self.data.as_ptr(),
            params: self.params.as_ptr(),
            lds: self.lds.as_ptr(),
            parts: parts.as_ptr(),
            rows: self.rows,
            store: store_ptr,
            store_offset,
        };
        // SAFETY: the function was compiled for this kernel's shape; the frame's pointers are valid for
        // the kernel's data, parameters and accumulator layout (`parts` point into `acc`, which has the
        // layout's length, as asserted), the chunk lies inside the domain, and stores go to this chunk's
        // disjoint part of the target.
        unsafe { (self.compiled.func())(&frame, chunk.j0, chunk.j1, chunk.i0, chunk.i1) }
    }
}

#[cfg(test)]
mod tests {
    use lazyshare_runtime::exec::{self, OutValue};
    use lazyshare_runtime::graph::BinaryOp;
    use lazyshare_runtime::kernel::{Data, Domain, Idx, Output};

    use super::*;

    /// A 5 x 3 kernel whose results depend on every field of the frame: two data slots (`data`), one of
    /// them with a leading dimension larger than the rows (`lds`), two parameters (`params`), outputs
    /// after the first (`parts`), a row sum (`rows`), a column sum (`cols`), and a store into a range
    /// that starts past position 0 (`store`, `store_offset`). Integer values keep every sum exact, so
    /// the JIT must equal the interpreter bit for bit.
    fn every_field_kernel() -> Kernel {
        let (rows, cols, ld) = (5u64, 3u64, 7u64);
        let a: Vec<f64> = (0..rows * cols).map(|k| (k % 11) as f64).collect();
        let b: Vec<f64> = (0..ld * cols).map(|k| (k % 5) as f64 - 2.0).collect();
        let out = |kind| Output {
            kind,
            value: 6,
            skip_nan: false,
        };
        Kernel {
            domain: Domain {
                rows,
                cols,
                symmetric: false,
            },
            insts: vec![
                Inst::Load {
                    data: 0,
                    row: Idx::I,
                    col: Idx::J,
                    ld: rows,
                },
                Inst::Load {
                    data: 1,
                    row: Idx::I,
                    col: Idx::J,
                    ld,
                },
                Inst::Param(0),
                Inst::Param(1),
                Inst::Binary(BinaryOp::Mul, 1, 2),
                Inst::Binary(BinaryOp::Add, 0, 4),
                Inst::Binary(BinaryOp::Sub, 5, 3),
            ],
            outputs: vec![
                out(OutKind::Sum),
                out(OutKind::RowSum),
                out(OutKind::ColSum),
                out(OutKind::Store),
            ],
            data: vec![Data::Memo(a.into()), Data::Memo(b.into())],
            params: vec![3.0, 1.0],
        }
    }

    /// Runs positions `start..start + len` of `k` with `backend`: (outputs as plain numbers, stored values).
    fn run_range(k: &Kernel, backend: &dyn Backend, start: u64, len: u64) -> (Vec<f64>, Vec<f64>) {
        let mut stored = vec![f64::NAN; len as usize];
        let chunks = exec::range_chunks(k.domain, start, len);
        let target = StoreTarget::new(&mut stored, start);
        let walk = exec::Walk::whole(&chunks);
        let outs = exec::run(k, backend, walk, Some(&target), None).expect("not polled");
        let values = outs
            .iter()
            .flat_map(|o| match o {
                OutValue::Stored => vec![],
                OutValue::Scalar(_) | OutValue::Sum(_) => vec![o.scalar()],
                _ => o.vector(),
            })
            .collect();
        (values, stored)
    }

    /// Generated code reads each frame field at the offset `frame` derives: a field read at the wrong
    /// offset (as hand-written offsets gave after a reordering) changes these results.
    #[test]
    fn compiled_code_reads_every_frame_field() {
        let k = every_field_kernel();
        let jit = Jit::default();
        assert!(jit.compiled(&k).is_ok(), "the kernel compiles");
        for (start, len) in [(0, 15), (2, 11), (7, 3)] {
            let got = run_range(&k, &jit, start, len);
            let want = run_range(&k, &Interp, start, len);
            assert_eq!(got, want, "positions {start}..{}", start + len);
            assert!(got.1.iter().all(|x| x.is_finite()), "every position stored");
        }
    }
}
