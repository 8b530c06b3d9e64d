//! Kernel IR to Cranelift IR. The generated function walks a tile's columns; in each it evaluates
//! column-invariant values once, then the rows in blocks: two elements at a time as f64x2 with a scalar
//! tail. Per-element results go straight into register accumulators (block partials flushed with
//! Neumaier compensation into the lane's accumulator memory), row sums into the accumulator vectors with
//! a vectorised Neumaier step, stores straight to the target. Symmetric kernels visit the rows above the
//! diagonal as mirrored pairs and the diagonal element once. Nothing per element calls into Rust; only
//! transcendental functions and general powers call libm.
//!
//! One concern per file, each depending only on those listed before it:
//! - `builder`: the generator's state (`Gen`) and its small instruction helpers;
//! - `values`: the kernel's SSA instructions lowered, at one lane or two;
//! - `outputs`: accumulators: folding values in, flushing partials to the lane's memory;
//! - `loops`: the walk over a chunk: columns, blocks of rows, the symmetric diagonal;
//! - this file: the function's signature, entry block (reading the frame) and the order of the parts.

mod builder;
mod loops;
mod outputs;
mod values;

use cranelift_codegen::ir::types::{F64X2, I64};
use cranelift_codegen::ir::{
    AbiParam, Function, InstBuilder, Signature, StackSlotData, StackSlotKind, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_module::{FuncId, Linkage, Module};

use lazyshare_runtime::kernel::{classify, Class, Inst, Kernel};

use crate::frame::{F_DATA, F_LDS, F_PARAMS, F_PARTS, F_ROWS, F_STORE, F_STORE_OFFSET};
use crate::libm::Libm;

use builder::{mem, Gen, ABS_MASK_OFFSET};

/// Builds the kernel function into `module` and returns its id.
pub fn compile<M: Module>(
    module: &mut M,
    ctx: &mut cranelift_codegen::Context,
    fctx: &mut FunctionBuilderContext,
    k: &Kernel,
    name: &str,
) -> Result<FuncId, String> {
    let mut sig = Signature::new(CallConv::SystemV);
    for _ in 0..5 {
        sig.params.push(AbiParam::new(I64));
    }
    let id = module
        .declare_function(name, Linkage::Local, &sig)
        .map_err(|e| e.to_string())?;
    ctx.func = Function::with_name_signature(Default::default(), sig);
    let libm_refs = Libm::declare(module, &mut ctx.func)?;
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, fctx);
        emit(&mut b, k, &libm_refs);
        b.seal_all_blocks();
        b.finalize(module.target_config());
    }
    // LAZYSHARE_JIT_DISASM=1 prints each kernel's machine code (for tuning the code generator).
    let disasm = std::env::var_os("LAZYSHARE_JIT_DISASM").is_some();
    ctx.set_disasm(disasm);
    module
        .define_function(id, ctx)
        .map_err(|e| format!("{e:?}"))?;
    if disasm {
        if let Some(vcode) = ctx.compiled_code().and_then(|c| c.vcode.as_ref()) {
            eprintln!("{vcode}");
        }
    }
    module.clear_context(ctx);
    Ok(id)
}

/// The function body: the entry block reads the frame, evaluates the uniform values and sets up the
/// outputs; then the column loop; then the tile's last flushes.
fn emit(b: &mut FunctionBuilder, k: &Kernel, libm: &Libm) {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let p = b.block_params(entry).to_vec();
    let (frame, j0, j1, i0, i1) = (p[0], p[1], p[2], p[3], p[4]);
    let ins = |b: &mut FunctionBuilder, off: i32| b.ins().load(I64, mem(), frame, off);
    let data_arr = ins(b, F_DATA);
    let params = ins(b, F_PARAMS);
    let lds_arr = ins(b, F_LDS);
    let parts = ins(b, F_PARTS);
    let rows = ins(b, F_ROWS);
    let store = ins(b, F_STORE);
    let store_offset = ins(b, F_STORE_OFFSET);
    let data: Vec<Value> = (0..k.data.len())
        .map(|d| b.ins().load(I64, mem(), data_arr, (8 * d) as i32))
        .collect();
    let lds: Vec<Option<Value>> = k
        .insts
        .iter()
        .enumerate()
        .map(|(v, inst)| match inst {
            Inst::Load { .. } | Inst::Dist { .. } => {
                Some(b.ins().load(I64, mem(), lds_arr, (8 * v) as i32))
            }
            _ => None,
        })
        .collect();
    let splat_values: usize = k
        .insts
        .iter()
        .map(|i| match i {
            Inst::Dist { p, .. } => *p as usize + 1,
            _ => 1,
        })
        .sum();
    let splat_slot = b.create_sized_stack_slot(StackSlotData::new(
        StackSlotKind::ExplicitSlot,
        (16 * (splat_values + 1)) as u32,
        4,
    ));
    let mut g = Gen {
        class: classify(k),
        fixed: vec![None; k.insts.len()],
        point_j: vec![Vec::new(); k.insts.len()],
        coord_cols: vec![Vec::new(); k.insts.len()],
        load_cols: vec![None; k.insts.len()],
        sym: k.domain.symmetric,
        b,
        k,
        libm,
        data,
        lds,
        rows,
        j0,
        store,
        store_offset,
        outs: Vec::new(),
        sets: if k.outputs.len() < 3 { 2 } else { 1 },
        splats: Default::default(),
        held: Default::default(),
        splat_slot,
        data_arr,
    };
    let mask = g.b.ins().f64const(f64::from_bits(0x7fff_ffff_ffff_ffff));
    let mask = g.b.ins().splat(F64X2, mask);
    g.b.ins()
        .stack_store(I64, mask, g.splat_slot, ABS_MASK_OFFSET);
    // Uniform values, once.
    for v in 0..k.insts.len() {
        if g.class[v] == Class::Uniform {
            let x = g.scalar_inst(v, params, None);
            g.presplat(x);
            g.fixed[v] = Some(x);
        }
    }
    g.setup_outputs(parts);
    g.columns(params, j0, j1, i0, i1);
    g.flush_partials(i0, i1, j1);
    g.finish_outputs();
    g.b.ins().return_(&[]);
}
