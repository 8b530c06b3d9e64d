//! The generator's state and the small instruction helpers every part of it uses (constants, widening to
//! two lanes, selects, addresses, loop tests). Depends on no other part of codegen, so values, outputs
//! and loops can all build on it.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F64, F64X2, I64};
use cranelift_codegen::ir::{Block, Endianness, InstBuilder, MemFlagsData, StackSlot, Value};
use cranelift_frontend::{FunctionBuilder, Variable};

use lazyshare_runtime::kernel::{Class, Idx, Kernel, OutKind};

use crate::libm::Libm;

/// Where the sign-clearing mask sits in the splat slot.
pub(super) const ABS_MASK_OFFSET: i32 = 0;

/// Flags of every load and store of data, accumulators and the frame: the addresses are valid, so no
/// access traps.
pub(super) fn mem() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

fn vflags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// What the generator keeps for one output while it emits the loops.
pub(super) struct OutState {
    pub(super) kind: OutKind,
    pub(super) skip: bool,
    pub(super) value: u32,
    /// Pointer to the output's first accumulator slot.
    pub(super) ptr: Value,
    /// Pointer to the compensation array of a row or column sum.
    pub(super) comp: Value,
    /// Pointer to the plain per-tile partials of a row sum.
    pub(super) partial: Value,
    /// Scalar sums and products: pointers to the unit's column states (`kernel::column_state`), values
    /// and compensations, and the current column's slots in them.
    pub(super) col: Value,
    pub(super) col_comp: Value,
    pub(super) cur: Option<(Value, Value)>,
    /// Two-lane register accumulators (`Gen::sets` of them): block partials (Sum, Prod, ColSum, the
    /// mirrored half of a symmetric RowSum), tile partials (Min, Max, Count), column partials (ColCount,
    /// RowCount's mirror). A single value (a row loop's tail, the diagonal) joins lane 0.
    pub(super) regs: Vec<Variable>,
}

/// The generator: the function being built, the kernel, and what the loops and outputs share.
pub(super) struct Gen<'a, 'b> {
    pub(super) b: &'a mut FunctionBuilder<'b>,
    pub(super) k: &'a Kernel,
    pub(super) class: Vec<Class>,
    pub(super) libm: &'a Libm,
    pub(super) sym: bool,
    /// Values of uniform instructions (entry block) and of column instructions (current column).
    pub(super) fixed: Vec<Option<Value>>,
    pub(super) data: Vec<Value>,
    pub(super) lds: Vec<Option<Value>>,
    /// Per Dist instruction: the coordinates of point j (column values).
    pub(super) point_j: Vec<Vec<Value>>,
    /// Per Dist instruction: pointers to its coordinate columns, set at each column's head (so that the
    /// row loops hold one pointer per coordinate, not a base and a leading dimension).
    pub(super) coord_cols: Vec<Vec<Value>>,
    /// Per Load instruction indexed by rows i: a pointer to the column it reads, set at each column's
    /// head (Cranelift keeps `col * ld` inside the row loops otherwise).
    pub(super) load_cols: Vec<Option<Value>>,
    pub(super) rows: Value,
    /// The tile's first column, which is its unit's: column states are indexed from it.
    pub(super) j0: Value,
    pub(super) store: Value,
    pub(super) store_offset: Value,
    pub(super) outs: Vec<OutState>,
    /// Accumulator sets per output: two when there are few outputs, so that the row loop alternates
    /// between them and consecutive additions do not wait for each other; with three or more outputs
    /// the outputs already interleave, and a second set would only take registers (and spill).
    pub(super) sets: usize,
    /// Offsets in `splat_slot` of two-lane copies of uniform and column values.
    pub(super) splats: std::collections::HashMap<Value, i32>,
    pub(super) splat_slot: StackSlot,
    /// Inside a block's row loops: the splat slot's values, loaded once at the block's head (by offset).
    /// Loaded at each use instead, every step of the row loop reloads them (stores to the accumulators
    /// in between may alias the slot for Cranelift), which made pass 1 bound by its loads.
    pub(super) held: std::collections::HashMap<i32, Value>,
    /// The frame's array of data pointers, reloaded at each column's head so that the row loops hold
    /// them in registers rather than reloading spilled copies at every step.
    pub(super) data_arr: Value,
}

impl Gen<'_, '_> {
    /// Block `head`: go on to `body` if `var + step <= bound` (another `step` elements fit), else to
    /// `exit`.
    pub(super) fn loop_test(
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

    pub(super) fn f64c(&mut self, x: f64) -> Value {
        self.b.ins().f64const(x)
    }

    /// `x` at width `w` (a scalar is splatted for w = 2).
    pub(super) fn widen(&mut self, x: Value, w: u8) -> Value {
        if w == 2 && self.b.func.dfg.value_type(x) == F64 {
            if let Some(&off) = self.splats.get(&x) {
                return self.splat_load(off);
            }
            self.b.ins().splat(F64X2, x)
        } else {
            x
        }
    }

    /// |x|. Two lanes clear the sign bits with a mask kept in the splat slot, which x64 folds into one
    /// `andpd` with a memory operand (its own lowering of fabs rebuilds the mask at every use).
    pub(super) fn abs(&mut self, x: Value) -> Value {
        if self.b.func.dfg.value_type(x) == F64X2 {
            let m = self.splat_load(ABS_MASK_OFFSET);
            self.b.ins().band(x, m)
        } else {
            self.b.ins().fabs(x)
        }
    }

    /// The two-lane value at `off` in the splat slot: the block's held copy inside a block's row loops.
    fn splat_load(&mut self, off: i32) -> Value {
        match self.held.get(&off) {
            Some(&v) => v,
            None => self.b.ins().stack_load(I64, F64X2, self.splat_slot, off),
        }
    }

    /// Loads every splat once, here (a block's head), for the block's row loops to hold in registers.
    pub(super) fn hold_splats(&mut self) {
        let mut offs: Vec<i32> = self.splats.values().copied().collect();
        offs.push(ABS_MASK_OFFSET);
        offs.sort_unstable();
        for off in offs {
            let v = self.b.ins().stack_load(I64, F64X2, self.splat_slot, off);
            self.held.insert(off, v);
        }
    }

    /// Splats `x` here (the entry or a column's head) into a stack slot, from which each block of rows
    /// loads it once (`hold_splats`). Cranelift would otherwise re-splat the value (often reloading it
    /// first) wherever it is used inside the loop.
    pub(super) fn presplat(&mut self, x: Value) {
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

    pub(super) fn konst(&mut self, x: f64, w: u8) -> Value {
        let c = self.f64c(x);
        self.widen(c, w)
    }

    /// `if c then a else b` for a comparison result `c` of width w.
    pub(super) fn sel(&mut self, c: Value, a: Value, b: Value, w: u8) -> Value {
        if w == 2 {
            let m = self.b.ins().bitcast(F64X2, vflags(), c);
            self.b.ins().bitselect(m, a, b)
        } else {
            self.b.ins().select(c, a, b)
        }
    }

    pub(super) fn isnan(&mut self, x: Value) -> Value {
        self.b.ins().fcmp(FloatCC::Unordered, x, x)
    }

    pub(super) fn or_mask(&mut self, a: Value, b: Value) -> Value {
        self.b.ins().bor(a, b)
    }

    pub(super) fn idx(&mut self, idx: Idx, i: Value, j: Value) -> Value {
        match idx {
            Idx::I => i,
            Idx::J => j,
            Idx::Zero => self.b.ins().iconst(I64, 0),
        }
    }

    pub(super) fn addr(&mut self, base: Value, index: Value) -> Value {
        let off = self.b.ins().ishl_imm_u(index, 3);
        self.b.ins().iadd(base, off)
    }
}
