//! Compiled kernels, one JIT module each, kept in a bounded least-recently-used cache keyed by shape. An
//! evicted module is freed when the last program using it finishes (programs hold an `Arc`).

use std::collections::HashMap;

use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::Module;

use lazyshare_runtime::kernel::Kernel;

use crate::frame::Frame;

pub const DEFAULT_CAPACITY: usize = 256;

/// `fn(frame, j0, j1, i0, i1, acc)`.
pub type KernelFn = unsafe extern "C" fn(*const Frame, u64, u64, u64, u64);

pub struct Compiled {
    /// Touched only when freed; the Mutex makes the compiled code shareable across threads.
    module: std::sync::Mutex<Option<JITModule>>,
    func: KernelFn,
}

impl Compiled {
    pub fn new(k: &Kernel) -> Result<Compiled, String> {
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").map_err(|e| e.to_string())?;
        flags
            .set("use_colocated_libcalls", "false")
            .map_err(|e| e.to_string())?;
        flags.set("is_pic", "false").map_err(|e| e.to_string())?;
        let isa = cranelift_native::builder()
            .map_err(|e| e.to_string())?
            .finish(settings::Flags::new(flags))
            .map_err(|e| e.to_string())?;
        let mut builder = JITBuilder::with_isa(isa, cranelift_module::default_libcall_names());
        super::libm::register(&mut builder);
        let mut module = JITModule::new(builder);
        let mut ctx = module.make_context();
        let mut fctx = FunctionBuilderContext::new();
        let id = super::codegen::compile(&mut module, &mut ctx, &mut fctx, k, "kernel")?;
        module.finalize_definitions().map_err(|e| e.to_string())?;
        let ptr = module.get_finalized_function(id);
        // SAFETY: the function was just compiled with exactly this signature (six i64 arguments, no
        // result, System V calling convention).
        let func = unsafe { std::mem::transmute::<*const u8, KernelFn>(ptr) };
        Ok(Compiled {
            module: std::sync::Mutex::new(Some(module)),
            func,
        })
    }

    pub fn func(&self) -> KernelFn {
        self.func
    }
}

impl Drop for Compiled {
    fn drop(&mut self) {
        let module = self.module.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = module.take() {
            // SAFETY: no program holds this module any more (it is dropped with the last Arc), so no
            // code of it runs or will run.
            unsafe { m.free_memory() };
        }
    }
}

pub struct Cache {
    capacity: usize,
    clock: u64,
    entries: HashMap<Vec<u64>, (std::sync::Arc<Compiled>, u64)>,
}

impl Cache {
    pub fn new(capacity: usize) -> Cache {
        Cache {
            capacity: capacity.max(1),
            clock: 0,
            entries: HashMap::new(),
        }
    }

    pub fn get(&mut self, sig: &[u64]) -> Option<std::sync::Arc<Compiled>> {
        self.clock += 1;
        let now = self.clock;
        self.entries.get_mut(sig).map(|(c, used)| {
            *used = now;
            c.clone()
        })
    }

    /// Whether a compiled form of this shape is held (without counting as a use).
    pub fn contains(&self, sig: &[u64]) -> bool {
        self.entries.contains_key(sig)
    }

    pub fn insert(&mut self, sig: Vec<u64>, c: std::sync::Arc<Compiled>) {
        if self.entries.len() >= self.capacity {
            if let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            {
                self.entries.remove(&oldest);
            }
        }
        self.clock += 1;
        self.entries.insert(sig, (c, self.clock));
    }
}
