//! Kernel IR to Cranelift IR. The generated function walks the chunk's columns; in each it evaluates
//! column-invariant values once, then the rows in blocks: two elements at a time as f64x2 with a scalar
//! tail. Per-element results go straight into register accumulators (block partials flushed with
//! Neumaier compensation into the lane's accumulator memory), row sums into the accumulator vectors with
//! a vectorised Neumaier step, stores straight to the target. Symmetric kernels visit the rows above the
//! diagonal as mirrored pairs and the diagonal element once. Nothing per element calls into Rust; only
//! transcendental functions and general powers call libm.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F64, F64X2, I64};
use cranelift_codegen::ir::{
    AbiParam, Block, Endianness, Function, InstBuilder, MemFlagsData, Signature, StackSlot,
    StackSlotData, StackSlotKind, Value,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_module::{FuncId, Linkage, Module};

use lazyshare_runtime::graph::{BinaryOp, UnaryOp, NA_REAL};
use lazyshare_runtime::kernel::{self, classify, Class, Idx, Inst, Kernel, OutKind};

use crate::frame::{F_COLS, F_DATA, F_LDS, F_OFFSETS, F_PARAMS, F_ROWS, F_STORE, F_STORE_OFFSET};
use crate::libm::Libm;

/// Where the sign-clearing mask sits in the splat slot.
const ABS_MASK_OFFSET: i32 = 0;

/// Rows per block between compensated flushes of the register partial sums.
const BLOCK: i64 = 256;

fn mem() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

fn vflags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// How values are folded: `w` lanes, `mirror` (rows above the diagonal of a symmetric kernel, standing
/// for two elements), into vector accumulator `set`.
#[derive(Clone, Copy)]
struct Fold {
    w: u8,
    mirror: bool,
    set: usize,
}

/// Accumulators an output keeps in registers (one set per width).
#[derive(Clone, Copy)]
struct Regs {
    /// Two vector accumulators: the main loop alternates between them so that consecutive additions do
    /// not wait for each other.
    vec: [Variable; 2],
    scl: Variable,
}

struct OutState {
    kind: OutKind,
    skip: bool,
    value: u32,
    /// Pointer to the output's first accumulator slot.
    ptr: Value,
    /// Pointer to the compensation array of a row or column sum.
    comp: Value,
    /// Pointer to the plain per-chunk partials of a row sum.
    partial: Value,
    /// Block/chunk partials (Sum, Prod, Min, Max, Count) or column partials (ColSum, ColCount, and the
    /// mirrored half of RowSum/RowCount in symmetric kernels).
    regs: Regs,
}

pub struct Gen<'a, 'b> {
    b: &'a mut FunctionBuilder<'b>,
    k: &'a Kernel,
    class: Vec<Class>,
    libm: &'a Libm,
    sym: bool,
    /// Values of uniform instructions (entry block) and of column instructions (current column).
    fixed: Vec<Option<Value>>,
    data: Vec<Value>,
    lds: Vec<Option<Value>>,
    /// Per Dist instruction: the coordinates of point j (column values).
    point_j: Vec<Vec<Value>>,
    rows: Value,
    store: Value,
    store_offset: Value,
    outs: Vec<OutState>,
    /// Offsets in `splat_slot` of two-lane copies of uniform and column values.
    splats: std::collections::HashMap<Value, i32>,
    splat_slot: StackSlot,
}

/// Builds the kernel function into `module` and returns its id.
pub fn compile<M: Module>(
    module: &mut M,
    ctx: &mut cranelift_codegen::Context,
    fctx: &mut FunctionBuilderContext,
    k: &Kernel,
    name: &str,
) -> Result<FuncId, String> {
    let mut sig = Signature::new(CallConv::SystemV);
    for _ in 0..6 {
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

fn emit(b: &mut FunctionBuilder, k: &Kernel, libm: &Libm) {
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let p = b.block_params(entry).to_vec();
    let (frame, j0, j1, i0, i1, acc) = (p[0], p[1], p[2], p[3], p[4], p[5]);
    let ins = |b: &mut FunctionBuilder, off: i32| b.ins().load(I64, mem(), frame, off);
    let data_arr = ins(b, F_DATA);
    let params = ins(b, F_PARAMS);
    let lds_arr = ins(b, F_LDS);
    let offsets = ins(b, F_OFFSETS);
    let rows = ins(b, F_ROWS);
    let cols = ins(b, F_COLS);
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
    let j = b.declare_var(I64);
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
        sym: k.domain.symmetric,
        b,
        k,
        libm,
        data,
        lds,
        rows,
        store,
        store_offset,
        outs: Vec::new(),
        splats: Default::default(),
        splat_slot,
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
    g.setup_outputs(acc, offsets, rows, cols);
    g.b.def_var(j, j0);
    let col_head = g.b.create_block();
    let col_body = g.b.create_block();
    let done = g.b.create_block();
    g.b.ins().jump(col_head, &[]);

    g.loop_test(col_head, j, 1, j1, col_body, done);

    g.b.switch_to_block(col_body);
    let jv = g.b.use_var(j);
    g.column(params, jv, i0, i1);
    let jn = g.b.ins().iadd_imm_s(jv, 1);
    g.b.def_var(j, jn);
    g.b.ins().jump(col_head, &[]);

    g.b.switch_to_block(done);
    g.flush_partials(i0, i1, j1);
    g.finish_outputs();
    g.b.ins().return_(&[]);
}

impl Gen<'_, '_> {
    /// Block `head`: go on to `body` if `var + step <= bound` (another `step` elements fit), else to
    /// `exit`.
    fn loop_test(
        &mut self,
        head: Block,
        var: Variable,
        step: i64,
        bound: Value,
        body: Block,
        exit: Block,
    ) {
        self.b.switch_to_block(head);
        let v = self.b.use_var(var);
        let stop = self.b.ins().iadd_imm_s(v, step);
        let fits = self
            .b
            .ins()
            .icmp(IntCC::UnsignedLessThanOrEqual, stop, bound);
        self.b.ins().brif(fits, body, &[], exit, &[]);
    }

    fn f64c(&mut self, x: f64) -> Value {
        self.b.ins().f64const(x)
    }

    /// `x` at width `w` (a scalar is splatted for w = 2).
    fn widen(&mut self, x: Value, w: u8) -> Value {
        if w == 2 && self.b.func.dfg.value_type(x) == F64 {
            if let Some(&off) = self.splats.get(&x) {
                return self.b.ins().stack_load(I64, F64X2, self.splat_slot, off);
            }
            self.b.ins().splat(F64X2, x)
        } else {
            x
        }
    }

    /// |x|. Two lanes clear the sign bits with a mask kept in the splat slot, which x64 folds into one
    /// `andpd` with a memory operand (its own lowering of fabs rebuilds the mask at every use).
    fn abs(&mut self, x: Value) -> Value {
        if self.b.func.dfg.value_type(x) == F64X2 {
            let m = self
                .b
                .ins()
                .stack_load(I64, F64X2, self.splat_slot, ABS_MASK_OFFSET);
            self.b.ins().band(x, m)
        } else {
            self.b.ins().fabs(x)
        }
    }

    /// Splats `x` here (the entry or a column's head) into a stack slot, which the row loops read as a
    /// memory operand. Cranelift would otherwise re-splat the value (often reloading it first) wherever
    /// it is used inside the loop.
    fn presplat(&mut self, x: Value) {
        let off = match self.splats.get(&x) {
            Some(&off) => off,
            None => {
                let off = ABS_MASK_OFFSET + 16 * (1 + self.splats.len() as i32);
                self.splats.insert(x, off);
                off
            }
        };
        let v = self.b.ins().splat(F64X2, x);
        self.b.ins().stack_store(I64, v, self.splat_slot, off);
    }

    fn konst(&mut self, x: f64, w: u8) -> Value {
        let c = self.f64c(x);
        self.widen(c, w)
    }

    /// `if c then a else b` for a comparison result `c` of width w.
    fn sel(&mut self, c: Value, a: Value, b: Value, w: u8) -> Value {
        if w == 2 {
            let m = self.b.ins().bitcast(F64X2, vflags(), c);
            self.b.ins().bitselect(m, a, b)
        } else {
            self.b.ins().select(c, a, b)
        }
    }

    fn isnan(&mut self, x: Value) -> Value {
        self.b.ins().fcmp(FloatCC::Unordered, x, x)
    }

    fn or_mask(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().bor(a, b)
    }

    fn idx(&mut self, idx: Idx, i: Value, j: Value) -> Value {
        match idx {
            Idx::I => i,
            Idx::J => j,
            Idx::Zero => self.b.ins().iconst(I64, 0),
        }
    }

    fn addr(&mut self, base: Value, index: Value) -> Value {
        let off = self.b.ins().ishl_imm_u(index, 3);
        self.b.ins().iadd(base, off)
    }

    /// A value that does not depend on i: uniform (j = None) or for column j.
    fn scalar_inst(&mut self, v: usize, params: Value, j: Option<Value>) -> Value {
        match self.k.insts[v] {
            Inst::Param(p) => self.b.ins().load(F64, mem(), params, (8 * p) as i32),
            Inst::Const(bits) => self.f64c(f64::from_bits(bits)),
            Inst::Load { data, row, col, .. } => {
                let jj = j.unwrap_or_else(|| self.b.ins().iconst(I64, 0));
                let zero = self.b.ins().iconst(I64, 0);
                let r = self.idx(row, zero, jj);
                let c = self.idx(col, zero, jj);
                let ld = self.lds[v].expect("load has ld");
                let cl = self.b.ins().imul(c, ld);
                let index = self.b.ins().iadd(r, cl);
                let a = self.addr(self.data[data as usize], index);
                self.b.ins().load(F64, mem(), a, 0)
            }
            Inst::Unary(op, a) => {
                let x = self.fixed[a as usize].expect("operand computed");
                self.unary(op, x, 1)
            }
            Inst::Binary(op, a, c) => {
                let x = self.fixed[a as usize].expect("operand computed");
                let y = self.fixed[c as usize].expect("operand computed");
                let bconst = match self.k.insts[c as usize] {
                    Inst::Const(bits) => Some(f64::from_bits(bits)),
                    _ => None,
                };
                self.binary(op, x, y, bconst, 1)
            }
            Inst::Dist { .. } | Inst::OffDiag(_) => unreachable!("varying"),
        }
    }

    fn libm_call(&mut self, f: cranelift_codegen::ir::FuncRef, args: &[Value], w: u8) -> Value {
        if w == 1 {
            let call = self.b.ins().call(f, args);
            return self.b.inst_results(call)[0];
        }
        let mut lanes = Vec::new();
        for l in 0..2u8 {
            let a: Vec<Value> = args
                .iter()
                .map(|&x| self.b.ins().extractlane(x, l))
                .collect();
            let call = self.b.ins().call(f, &a);
            lanes.push(self.b.inst_results(call)[0]);
        }
        let v = self.b.ins().scalar_to_vector(F64X2, lanes[0]);
        self.b.ins().insertlane(v, lanes[1], 1)
    }

    fn unary(&mut self, op: UnaryOp, x: Value, w: u8) -> Value {
        let one = self.konst(1.0, w);
        let zero = self.konst(0.0, w);
        match op {
            UnaryOp::Neg => self.b.ins().fneg(x),
            UnaryOp::Abs => self.abs(x),
            UnaryOp::Sqrt | UnaryOp::Floor | UnaryOp::Ceiling | UnaryOp::Trunc => {
                let y = match op {
                    UnaryOp::Sqrt => self.b.ins().sqrt(x),
                    UnaryOp::Floor => self.b.ins().floor(x),
                    UnaryOp::Ceiling => self.b.ins().ceil(x),
                    _ => self.b.ins().trunc(x),
                };
                // As R's math1: a NaN argument comes back as it is (the instruction would quieten it).
                let nan = self.isnan(x);
                self.sel(nan, x, y, w)
            }
            UnaryOp::Sign => {
                let m1 = self.konst(-1.0, w);
                let gt = self.b.ins().fcmp(FloatCC::GreaterThan, x, zero);
                let lt = self.b.ins().fcmp(FloatCC::LessThan, x, zero);
                let eq = self.b.ins().fcmp(FloatCC::Equal, x, zero);
                let z = self.sel(eq, zero, x, w);
                let n = self.sel(lt, m1, z, w);
                self.sel(gt, one, n, w)
            }
            UnaryOp::Not => {
                let eq = self.b.ins().fcmp(FloatCC::Equal, x, zero);
                let v = self.sel(eq, one, zero, w);
                let nan = self.isnan(x);
                let na = self.konst(NA_REAL, w);
                self.sel(nan, na, v, w)
            }
            UnaryOp::IsNa => {
                let nan = self.isnan(x);
                self.sel(nan, one, zero, w)
            }
            UnaryOp::IsFinite => {
                let inf = self.konst(f64::INFINITY, w);
                let a = self.abs(x);
                let fin = self.b.ins().fcmp(FloatCC::LessThan, a, inf);
                self.sel(fin, one, zero, w)
            }
            _ => {
                // The rest are libm calls. As R's math1: a NaN argument comes back as it is.
                let f = self.libm.unary(op);
                let y = self.libm_call(f, &[x], w);
                let nan = self.isnan(x);
                self.sel(nan, x, y, w)
            }
        }
    }

    fn binary(&mut self, op: BinaryOp, x: Value, y: Value, yconst: Option<f64>, w: u8) -> Value {
        let x = self.widen(x, w);
        let y = self.widen(y, w);
        let cmp = |g: &mut Self, cc: FloatCC| {
            let c = g.b.ins().fcmp(cc, x, y);
            let one = g.konst(1.0, w);
            let zero = g.konst(0.0, w);
            let v = g.sel(c, one, zero, w);
            let nan_x = g.isnan(x);
            let nan_y = g.isnan(y);
            let nan = g.or_mask(nan_x, nan_y);
            let na = g.konst(NA_REAL, w);
            g.sel(nan, na, v, w)
        };
        match op {
            BinaryOp::Add => self.b.ins().fadd(x, y),
            BinaryOp::Sub => self.b.ins().fsub(x, y),
            BinaryOp::Mul => self.b.ins().fmul(x, y),
            BinaryOp::Div => self.b.ins().fdiv(x, y),
            BinaryOp::Pow => match yconst {
                // R's own special cases (R_POW): exact.
                Some(2.0) => self.b.ins().fmul(x, x),
                Some(1.0) => x,
                Some(0.0) => self.konst(1.0, w),
                // Faster than pow but not always its last bit: only where values are just summed.
                Some(0.5) if self.k.accumulates_only() => self.b.ins().sqrt(x),
                Some(3.0) if self.k.accumulates_only() => {
                    let sq = self.b.ins().fmul(x, x);
                    self.b.ins().fmul(sq, x)
                }
                Some(4.0) if self.k.accumulates_only() => {
                    let sq = self.b.ins().fmul(x, x);
                    self.b.ins().fmul(sq, sq)
                }
                _ => {
                    let f = self.libm.pow;
                    self.libm_call(f, &[x, y], w)
                }
            },
            BinaryOp::Eq => cmp(self, FloatCC::Equal),
            BinaryOp::Ne => cmp(self, FloatCC::NotEqual),
            BinaryOp::Lt => cmp(self, FloatCC::LessThan),
            BinaryOp::Le => cmp(self, FloatCC::LessThanOrEqual),
            BinaryOp::Gt => cmp(self, FloatCC::GreaterThan),
            BinaryOp::Ge => cmp(self, FloatCC::GreaterThanOrEqual),
            BinaryOp::And => {
                let zero = self.konst(0.0, w);
                let one = self.konst(1.0, w);
                let na = self.konst(NA_REAL, w);
                let zx = self.b.ins().fcmp(FloatCC::Equal, x, zero);
                let zy = self.b.ins().fcmp(FloatCC::Equal, y, zero);
                let any_zero = self.or_mask(zx, zy);
                let nan = self.b.ins().fcmp(FloatCC::Unordered, x, y);
                let t = self.sel(nan, na, one, w);
                self.sel(any_zero, zero, t, w)
            }
            BinaryOp::Or => {
                let zero = self.konst(0.0, w);
                let one = self.konst(1.0, w);
                let na = self.konst(NA_REAL, w);
                let tx = self.b.ins().fcmp(FloatCC::OrderedNotEqual, x, zero);
                let ty = self.b.ins().fcmp(FloatCC::OrderedNotEqual, y, zero);
                let any_true = self.or_mask(tx, ty);
                let nan = self.b.ins().fcmp(FloatCC::Unordered, x, y);
                let f = self.sel(nan, na, zero, w);
                self.sel(any_true, one, f, w)
            }
        }
    }

    /// Values of every instruction at rows i..i+w of column j.
    fn eval(&mut self, i: Value, j: Value, w: u8) -> Vec<Value> {
        let ty = if w == 2 { F64X2 } else { F64 };
        let n = self.k.insts.len();
        let mut vals: Vec<Option<Value>> = vec![None; n];
        for v in 0..n {
            if self.class[v] != Class::Varying {
                vals[v] = self.fixed[v];
                continue;
            }
            let get = |vals: &Vec<Option<Value>>, a: u32| vals[a as usize].expect("operand");
            let x = match self.k.insts[v] {
                Inst::Load { data, row, col, .. } => {
                    let ld = self.lds[v].expect("ld");
                    let base = self.data[data as usize];
                    if row == Idx::I && col != Idx::I {
                        let c = self.idx(col, i, j);
                        let cl = self.b.ins().imul(c, ld);
                        let index = self.b.ins().iadd(i, cl);
                        let a = self.addr(base, index);
                        self.b.ins().load(ty, mem(), a, 0)
                    } else {
                        let mut lanes = Vec::new();
                        for l in 0..w {
                            let il = self.b.ins().iadd_imm_s(i, i64::from(l));
                            let r = self.idx(row, il, j);
                            let c = self.idx(col, il, j);
                            let cl = self.b.ins().imul(c, ld);
                            let index = self.b.ins().iadd(r, cl);
                            let a = self.addr(base, index);
                            lanes.push(self.b.ins().load(F64, mem(), a, 0));
                        }
                        self.pack(&lanes)
                    }
                }
                Inst::Dist { data, p, .. } => {
                    let ld = self.lds[v].expect("ld");
                    let base = self.data[data as usize];
                    let mut acc: Option<Value> = None;
                    for c in 0..p as i64 {
                        let cl = self.b.ins().imul_imm_s(ld, c);
                        let index = self.b.ins().iadd(i, cl);
                        let a = self.addr(base, index);
                        let xi = self.b.ins().load(ty, mem(), a, 0);
                        let xj = self.point_j[v][c as usize];
                        let xj = self.widen(xj, w);
                        let d = self.b.ins().fsub(xi, xj);
                        // |d| equals R's sqrt(d^2) but where d^2 over- or underflows: fine for sums.
                        if p == 1 && self.k.accumulates_only() {
                            acc = Some(self.abs(d));
                            break;
                        }
                        let sq = self.b.ins().fmul(d, d);
                        acc = Some(match acc {
                            None => sq,
                            Some(s) => self.b.ins().fadd(s, sq),
                        });
                    }
                    let s = acc.expect("p >= 1");
                    if p == 1 && self.k.accumulates_only() {
                        s
                    } else {
                        self.b.ins().sqrt(s)
                    }
                }
                Inst::OffDiag(a) => {
                    let x = get(&vals, a);
                    let x = self.widen(x, w);
                    let zero = self.konst(0.0, w);
                    if w == 1 {
                        let eq = self.b.ins().icmp(IntCC::Equal, i, j);
                        self.b.ins().select(eq, zero, x)
                    } else {
                        // Lane l is on the diagonal when i + l == j.
                        let d0 = self.b.ins().icmp(IntCC::Equal, i, j);
                        let i1 = self.b.ins().iadd_imm_s(i, 1);
                        let d1 = self.b.ins().icmp(IntCC::Equal, i1, j);
                        let l0 = self.b.ins().extractlane(x, 0);
                        let l1 = self.b.ins().extractlane(x, 1);
                        let z = self.f64c(0.0);
                        let l0 = self.b.ins().select(d0, z, l0);
                        let l1 = self.b.ins().select(d1, z, l1);
                        self.pack(&[l0, l1])
                    }
                }
                Inst::Unary(op, a) => {
                    let x = get(&vals, a);
                    let x = self.widen(x, w);
                    self.unary(op, x, w)
                }
                Inst::Binary(op, a, c) => {
                    let x = get(&vals, a);
                    let y = get(&vals, c);
                    let yc = match self.k.insts[c as usize] {
                        Inst::Const(bits) => Some(f64::from_bits(bits)),
                        _ => None,
                    };
                    self.binary(op, x, y, yc, w)
                }
                Inst::Param(_) | Inst::Const(_) => unreachable!("uniform"),
            };
            vals[v] = Some(x);
        }
        vals.into_iter().map(|v| v.expect("all computed")).collect()
    }

    fn pack(&mut self, lanes: &[Value]) -> Value {
        if lanes.len() == 1 {
            return lanes[0];
        }
        let v = self.b.ins().scalar_to_vector(F64X2, lanes[0]);
        self.b.ins().insertlane(v, lanes[1], 1)
    }

    /// `a` and `b` folded as output kind `kind` folds (kernel::Fold).
    fn fold(&mut self, kind: OutKind, a: Value, b: Value) -> Value {
        match kind.fold() {
            kernel::Fold::Add => self.b.ins().fadd(a, b),
            kernel::Fold::Mul => self.b.ins().fmul(a, b),
            kernel::Fold::Min => self.b.ins().fmin(a, b),
            kernel::Fold::Max => self.b.ins().fmax(a, b),
            kernel::Fold::Store => unreachable!("stored values are not folded"),
        }
    }

    fn setup_outputs(&mut self, acc: Value, offsets: Value, rows: Value, cols: Value) {
        for (o, out) in self.k.outputs.iter().enumerate() {
            let off = self.b.ins().load(I64, mem(), offsets, (8 * o) as i32);
            let ptr = self.addr(acc, off);
            let m = match out.kind {
                OutKind::RowSum => rows,
                OutKind::ColSum => cols,
                _ => self.b.ins().iconst(I64, 0),
            };
            let comp = self.addr(ptr, m);
            let partial = self.addr(comp, m);
            let init = out.kind.fold().neutral();
            let vec = [self.b.declare_var(F64X2), self.b.declare_var(F64X2)];
            let scl = self.b.declare_var(F64);
            let s = self.f64c(init);
            let v = self.b.ins().splat(F64X2, s);
            self.b.def_var(vec[0], v);
            self.b.def_var(vec[1], v);
            self.b.def_var(scl, s);
            self.outs.push(OutState {
                kind: out.kind,
                skip: out.skip_nan,
                value: out.value,
                ptr,
                comp,
                partial,
                regs: Regs { vec, scl },
            });
        }
    }

    fn reset_regs(&mut self, o: usize) {
        let init = self.outs[o].kind.fold().neutral();
        let s = self.f64c(init);
        let v = self.b.ins().splat(F64X2, s);
        let r = self.outs[o].regs;
        self.b.def_var(r.vec[0], v);
        self.b.def_var(r.vec[1], v);
        self.b.def_var(r.scl, s);
    }

    /// The registers of output o reduced to one scalar (sum, product, min or max of the lanes).
    fn reduce_regs(&mut self, o: usize) -> Value {
        let r = self.outs[o].regs;
        let kind = self.outs[o].kind;
        let v0 = self.b.use_var(r.vec[0]);
        let v1 = self.b.use_var(r.vec[1]);
        let v = self.fold(kind, v0, v1);
        let s = self.b.use_var(r.scl);
        let l0 = self.b.ins().extractlane(v, 0);
        let l1 = self.b.ins().extractlane(v, 1);
        let l = self.fold(kind, l0, l1);
        self.fold(kind, l, s)
    }

    /// `*sum, *comp += x` with Neumaier compensation (scalar or two lanes).
    fn neumaier(&mut self, sum_addr: Value, comp_addr: Value, x: Value, w: u8) {
        let ty = if w == 2 { F64X2 } else { F64 };
        let s = self.b.ins().load(ty, mem(), sum_addr, 0);
        let c = self.b.ins().load(ty, mem(), comp_addr, 0);
        let t = self.b.ins().fadd(s, x);
        let as_ = self.abs(s);
        let ax = self.abs(x);
        let ge = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, as_, ax);
        let st = self.b.ins().fsub(s, t);
        let d1 = self.b.ins().fadd(st, x);
        let xt = self.b.ins().fsub(x, t);
        let d2 = self.b.ins().fadd(xt, s);
        let d = self.sel(ge, d1, d2, w);
        // Inf/NaN: keep the compensation clean so the final sum + comp is the plain sum.
        let fin_t = {
            let inf = self.konst(f64::INFINITY, w);
            let at = self.abs(t);
            self.b.ins().fcmp(FloatCC::LessThan, at, inf)
        };
        let zero = self.konst(0.0, w);
        let d = self.sel(fin_t, d, zero, w);
        let c2 = self.b.ins().fadd(c, d);
        self.b.ins().store(mem(), t, sum_addr, 0);
        self.b.ins().store(mem(), c2, comp_addr, 0);
    }

    /// Folds the values at rows i..i+w (w lanes) into the outputs. `mirror`: rows above the diagonal of
    /// a symmetric kernel, standing for (i, j) and (j, i).
    fn accumulate(&mut self, vals: &[Value], i: Value, j: Value, how: Fold) {
        self.accumulate_some(vals, i, j, how, &|_| true);
    }

    fn accumulate_some(
        &mut self,
        vals: &[Value],
        i: Value,
        j: Value,
        how: Fold,
        only: &dyn Fn(OutKind) -> bool,
    ) {
        let Fold { w, mirror, set } = how;
        for o in 0..self.outs.len() {
            let (kind, skip, value) = (self.outs[o].kind, self.outs[o].skip, self.outs[o].value);
            if !only(kind) {
                continue;
            }
            let raw = self.widen(vals[value as usize], w);
            let nan = self.isnan(raw);
            let neutral = kind.fold().neutral();
            let v = if skip {
                let n = self.konst(neutral, w);
                self.sel(nan, n, raw, w)
            } else {
                raw
            };
            let reg = |g: &mut Self| {
                let r = g.outs[o].regs;
                if w == 2 {
                    r.vec[set]
                } else {
                    r.scl
                }
            };
            let count = |g: &mut Self| {
                let one = g.konst(1.0, w);
                let zero = g.konst(0.0, w);
                g.sel(nan, zero, one, w)
            };
            match kind {
                OutKind::Sum | OutKind::ColSum => {
                    let r = reg(self);
                    let a = self.b.use_var(r);
                    let s = self.b.ins().fadd(a, v);
                    self.b.def_var(r, s);
                }
                OutKind::Prod => {
                    let r = reg(self);
                    let a = self.b.use_var(r);
                    let f = if mirror { self.b.ins().fmul(v, v) } else { v };
                    let s = self.b.ins().fmul(a, f);
                    self.b.def_var(r, s);
                }
                OutKind::Min | OutKind::Max => {
                    let r = reg(self);
                    let a = self.b.use_var(r);
                    let s = if kind == OutKind::Min {
                        self.b.ins().fmin(a, v)
                    } else {
                        self.b.ins().fmax(a, v)
                    };
                    self.b.def_var(r, s);
                }
                OutKind::Count | OutKind::ColCount => {
                    let r = reg(self);
                    let a = self.b.use_var(r);
                    let c = count(self);
                    let c = if mirror && kind == OutKind::Count {
                        self.b.ins().fadd(c, c)
                    } else {
                        c
                    };
                    let s = self.b.ins().fadd(a, c);
                    self.b.def_var(r, s);
                }
                OutKind::RowSum => {
                    let ty = if w == 2 { F64X2 } else { F64 };
                    let pa = self.addr(self.outs[o].partial, i);
                    let cur = self.b.ins().load(ty, mem(), pa, 0);
                    let n = self.b.ins().fadd(cur, v);
                    self.b.ins().store(mem(), n, pa, 0);
                    if mirror {
                        let r = reg(self);
                        let a = self.b.use_var(r);
                        let s = self.b.ins().fadd(a, v);
                        self.b.def_var(r, s);
                    }
                }
                OutKind::RowCount => {
                    let ty = if w == 2 { F64X2 } else { F64 };
                    let a = self.addr(self.outs[o].ptr, i);
                    let cur = self.b.ins().load(ty, mem(), a, 0);
                    let c = count(self);
                    let n = self.b.ins().fadd(cur, c);
                    self.b.ins().store(mem(), n, a, 0);
                    if mirror {
                        let r = reg(self);
                        let acc = self.b.use_var(r);
                        let s = self.b.ins().fadd(acc, c);
                        self.b.def_var(r, s);
                    }
                }
                OutKind::RowMin | OutKind::RowMax | OutKind::ColMin | OutKind::ColMax => {
                    unreachable!("Jit::runs leaves row and column extremes to the interpreter")
                }
                OutKind::Store => {
                    let colbase = self.b.ins().imul(j, self.rows);
                    let k = self.b.ins().iadd(colbase, i);
                    let rel = self.b.ins().isub(k, self.store_offset);
                    let a = self.addr(self.store, rel);
                    self.b.ins().store(mem(), raw, a, 0);
                }
            }
        }
    }

    /// The diagonal element (j, j) of a symmetric kernel: counted once. Sums go to memory directly; the
    /// row sums' share joins the column's mirrored partial; the rest fold as in a plain kernel.
    fn accumulate_diag(&mut self, vals: &[Value], j: Value) {
        for o in 0..self.outs.len() {
            let (kind, skip, value) = (self.outs[o].kind, self.outs[o].skip, self.outs[o].value);
            if !matches!(kind, OutKind::Sum | OutKind::RowSum | OutKind::RowCount) {
                continue;
            }
            let raw = vals[value as usize];
            let nan = self.isnan(raw);
            let z = self.f64c(0.0);
            let one = self.f64c(1.0);
            let v = if kind == OutKind::RowCount {
                self.b.ins().select(nan, z, one)
            } else if skip {
                self.b.ins().select(nan, z, raw)
            } else {
                raw
            };
            if kind == OutKind::Sum {
                let p = self.outs[o].ptr;
                let comp = self.b.ins().iadd_imm_s(p, 8);
                self.neumaier(p, comp, v, 1);
            } else {
                let r = self.outs[o].regs.scl;
                let a = self.b.use_var(r);
                let s = self.b.ins().fadd(a, v);
                self.b.def_var(r, s);
            }
        }
        let single = Fold {
            w: 1,
            mirror: false,
            set: 0,
        };
        self.accumulate_some(vals, j, j, single, &|k| {
            matches!(
                k,
                OutKind::Prod | OutKind::Min | OutKind::Max | OutKind::Count
            )
        });
    }

    /// Adds a block's register partial sums to memory (Sum outputs), with Neumaier compensation.
    fn flush_block(&mut self) {
        for o in 0..self.outs.len() {
            if self.outs[o].kind != OutKind::Sum {
                continue;
            }
            let mut s = self.reduce_regs(o);
            if self.sym {
                s = self.b.ins().fadd(s, s);
            }
            let p = self.outs[o].ptr;
            let comp = self.b.ins().iadd_imm_s(p, 8);
            self.neumaier(p, comp, s, 1);
            self.reset_regs(o);
        }
    }

    /// Adds a column's partials (column sums, the mirrored halves of symmetric row sums) to memory.
    fn flush_column(&mut self, j: Value) {
        for o in 0..self.outs.len() {
            let kind = self.outs[o].kind;
            let mirrored = self.sym && matches!(kind, OutKind::RowSum | OutKind::RowCount);
            if !(matches!(kind, OutKind::ColSum | OutKind::ColCount) || mirrored) {
                continue;
            }
            let s = self.reduce_regs(o);
            let sa = self.addr(self.outs[o].ptr, j);
            if matches!(kind, OutKind::ColCount | OutKind::RowCount) {
                let cur = self.b.ins().load(F64, mem(), sa, 0);
                let n = self.b.ins().fadd(cur, s);
                self.b.ins().store(mem(), n, sa, 0);
            } else {
                let ca = self.addr(self.outs[o].comp, j);
                self.neumaier(sa, ca, s, 1);
            }
            self.reset_regs(o);
        }
    }

    /// Adds the chunk's plain row-sum partials to the compensated sums (kernel::partial_rows) and clears
    /// them, two rows at a time.
    fn flush_partials(&mut self, i0: Value, i1: Value, j1: Value) {
        let outs: Vec<usize> = (0..self.outs.len())
            .filter(|&o| self.outs[o].kind == OutKind::RowSum)
            .collect();
        if outs.is_empty() {
            return;
        }
        let end = if self.sym {
            let zero = self.b.ins().iconst(I64, 0);
            let one = self.b.ins().iconst(I64, 1);
            let pos = self.b.ins().icmp(IntCC::UnsignedGreaterThan, j1, zero);
            let jm = self.b.ins().isub(j1, one);
            let last = self.b.ins().select(pos, jm, zero);
            self.b.ins().umin(i1, last)
        } else {
            i1
        };
        let r = self.b.declare_var(I64);
        self.b.def_var(r, i0);
        let (head2, body2, head1, body1, exit) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        self.b.ins().jump(head2, &[]);
        for (w, head, body, next) in [(2u8, head2, body2, head1), (1u8, head1, body1, exit)] {
            self.loop_test(head, r, i64::from(w), end, body, next);
            self.b.switch_to_block(body);
            let rv = self.b.use_var(r);
            let ty = if w == 2 { F64X2 } else { F64 };
            for &o in &outs {
                let pa = self.addr(self.outs[o].partial, rv);
                let p = self.b.ins().load(ty, mem(), pa, 0);
                let sa = self.addr(self.outs[o].ptr, rv);
                let ca = self.addr(self.outs[o].comp, rv);
                self.neumaier(sa, ca, p, w);
                let zero = self.konst(0.0, w);
                self.b.ins().store(mem(), zero, pa, 0);
            }
            let next_r = self.b.ins().iadd_imm_s(rv, i64::from(w));
            self.b.def_var(r, next_r);
            self.b.ins().jump(head, &[]);
        }
        self.b.switch_to_block(exit);
    }

    /// Folds the chunk's remaining register partials (products, extremes, counts) into memory.
    fn finish_outputs(&mut self) {
        for o in 0..self.outs.len() {
            let kind = self.outs[o].kind;
            if !matches!(
                kind,
                OutKind::Prod | OutKind::Min | OutKind::Max | OutKind::Count
            ) {
                continue;
            }
            let s = self.reduce_regs(o);
            let p = self.outs[o].ptr;
            let cur = self.b.ins().load(F64, mem(), p, 0);
            let n = self.fold(kind, cur, s);
            self.b.ins().store(mem(), n, p, 0);
        }
    }

    /// The loops over one column.
    fn column(&mut self, params: Value, j: Value, i0: Value, i1: Value) {
        for v in 0..self.k.insts.len() {
            if self.class[v] == Class::Column {
                let x = self.scalar_inst(v, params, Some(j));
                self.presplat(x);
                self.fixed[v] = Some(x);
            }
            if let Inst::Dist { data, p, .. } = self.k.insts[v] {
                let ld = self.lds[v].expect("ld");
                let base = self.data[data as usize];
                let coords: Vec<Value> = (0..p as i64)
                    .map(|c| {
                        let cl = self.b.ins().imul_imm_s(ld, c);
                        let index = self.b.ins().iadd(j, cl);
                        let a = self.addr(base, index);
                        self.b.ins().load(F64, mem(), a, 0)
                    })
                    .collect();
                for &c in &coords {
                    self.presplat(c);
                }
                self.point_j[v] = coords;
            }
        }
        // Rows [i0, end) are visited in the main loop; a symmetric kernel stops before the diagonal.
        let (hi, end) = if self.sym {
            let j1 = self.b.ins().iadd_imm_s(j, 1);
            let hi = self.b.ins().umin(i1, j1);
            let below = self.b.ins().umin(hi, j);
            let end = self.b.ins().umax(below, i0);
            (hi, end)
        } else {
            (i1, i1)
        };
        let bstart = self.b.declare_var(I64);
        self.b.def_var(bstart, i0);
        let iv = self.b.declare_var(I64);
        let blk_head = self.b.create_block();
        let blk_body = self.b.create_block();
        let quad_head = self.b.create_block();
        let quad_body = self.b.create_block();
        let vec_head = self.b.create_block();
        let vec_body = self.b.create_block();
        let tail = self.b.create_block();
        let tail_body = self.b.create_block();
        let flush = self.b.create_block();
        let after = self.b.create_block();
        self.b.ins().jump(blk_head, &[]);

        self.loop_test(blk_head, bstart, 1, end, blk_body, after);

        self.b.switch_to_block(blk_body);
        let bs = self.b.use_var(bstart);
        let cap = self.b.ins().iadd_imm_s(bs, BLOCK);
        let be = self.b.ins().umin(cap, end);
        self.b.def_var(iv, bs);
        self.b.ins().jump(quad_head, &[]);

        self.loop_test(quad_head, iv, 4, be, quad_body, vec_head);

        self.b.switch_to_block(quad_body);
        // A second accumulator set hides add latency when there are few outputs; with three or more
        // the outputs already interleave, and the extra registers would only cause spills.
        let second = usize::from(self.outs.len() < 3);
        let i = self.b.use_var(iv);
        let i2 = self.b.ins().iadd_imm_s(i, 2);
        let vals = self.eval(i, j, 2);
        self.accumulate(
            &vals,
            i,
            j,
            Fold {
                w: 2,
                mirror: self.sym,
                set: 0,
            },
        );
        let vals = self.eval(i2, j, 2);
        self.accumulate(
            &vals,
            i2,
            j,
            Fold {
                w: 2,
                mirror: self.sym,
                set: second,
            },
        );
        let i4 = self.b.ins().iadd_imm_s(i, 4);
        self.b.def_var(iv, i4);
        self.b.ins().jump(quad_head, &[]);

        self.loop_test(vec_head, iv, 2, be, vec_body, tail);

        self.b.switch_to_block(vec_body);
        let i = self.b.use_var(iv);
        let vals = self.eval(i, j, 2);
        self.accumulate(
            &vals,
            i,
            j,
            Fold {
                w: 2,
                mirror: self.sym,
                set: 0,
            },
        );
        let i2 = self.b.ins().iadd_imm_s(i, 2);
        self.b.def_var(iv, i2);
        self.b.ins().jump(tail, &[]);

        self.loop_test(tail, iv, 1, be, tail_body, flush);

        self.b.switch_to_block(tail_body);
        let i = self.b.use_var(iv);
        let vals = self.eval(i, j, 1);
        self.accumulate(
            &vals,
            i,
            j,
            Fold {
                w: 1,
                mirror: self.sym,
                set: 0,
            },
        );
        self.b.ins().jump(flush, &[]);

        self.b.switch_to_block(flush);
        self.flush_block();
        self.b.def_var(bstart, be);
        self.b.ins().jump(blk_head, &[]);

        self.b.switch_to_block(after);
        if self.sym {
            // The diagonal element, when this chunk's rows include it.
            let has = {
                let ge = self.b.ins().icmp(IntCC::UnsignedGreaterThanOrEqual, j, i0);
                let lt = self.b.ins().icmp(IntCC::UnsignedLessThan, j, hi);
                self.b.ins().band(ge, lt)
            };
            let diag = self.b.create_block();
            let cont = self.b.create_block();
            self.b.ins().brif(has, diag, &[], cont, &[]);
            self.b.switch_to_block(diag);
            let vals = self.eval(j, j, 1);
            self.accumulate_diag(&vals, j);
            self.b.ins().jump(cont, &[]);
            self.b.switch_to_block(cont);
        }
        self.flush_column(j);
    }
}
