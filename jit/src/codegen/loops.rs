//! Loops: the walk over a tile of the grid. The tile's columns one by one; in each, the column's
//! invariant values once, then its rows in blocks of `BLOCK_ROWS`: four rows at a time (two f64x2 steps
//! into two accumulator sets) or two (one set), then a single row, each block ending with a flush of the
//! register partials. A symmetric kernel
//! stops the rows before the diagonal (each standing for a mirrored pair) and visits the diagonal
//! element once.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{F64, I64};
use cranelift_codegen::ir::{InstBuilder, Value};

use lazyshare_runtime::kernel::{Class, Idx, Inst, BLOCK_ROWS};

use super::builder::{mem, Gen};
use super::outputs::Fold;

impl Gen<'_, '_> {
    /// The loop over the chunk's columns `j0..j1`.
    pub(super) fn columns(&mut self, params: Value, j0: Value, j1: Value, i0: Value, i1: Value) {
        let j = self.b.declare_var(I64);
        self.b.def_var(j, j0);
        let col_head = self.b.create_block();
        let col_body = self.b.create_block();
        let done = self.b.create_block();
        self.b.ins().jump(col_head, &[]);

        self.loop_test(col_head, j, 1, j1, col_body, done);

        self.b.switch_to_block(col_body);
        let jv = self.b.use_var(j);
        self.column(params, jv, i0, i1);
        let jn = self.b.ins().iadd_imm_s(jv, 1);
        self.b.def_var(j, jn);
        self.b.ins().jump(col_head, &[]);

        self.b.switch_to_block(done);
    }

    /// The loops over one column.
    fn column(&mut self, params: Value, j: Value, i0: Value, i1: Value) {
        self.column_states(j);
        for d in 0..self.data.len() {
            self.data[d] = self.b.ins().load(I64, mem(), self.data_arr, (8 * d) as i32);
        }
        for v in 0..self.k.insts.len() {
            if self.class[v] == Class::Column {
                let x = self.scalar_inst(v, params, Some(j));
                self.presplat(x);
                self.fixed[v] = Some(x);
            }
            if let Inst::Load { data, row, col, .. } = self.k.insts[v] {
                if row == Idx::I && col != Idx::I {
                    let ld = self.lds[v].expect("ld");
                    let zero = self.b.ins().iconst(I64, 0);
                    let c = self.idx(col, zero, j);
                    let cl = self.b.ins().imul(c, ld);
                    let base = self.data[data as usize];
                    self.load_cols[v] = Some(self.addr(base, cl));
                }
            }
            if let Inst::Dist { data, p, .. } = self.k.insts[v] {
                let ld = self.lds[v].expect("ld");
                let base = self.data[data as usize];
                let cols: Vec<Value> = (0..p as i64)
                    .map(|c| {
                        let cl = self.b.ins().imul_imm_s(ld, c);
                        self.addr(base, cl)
                    })
                    .collect();
                let coords: Vec<Value> = cols
                    .iter()
                    .map(|&col| {
                        let a = self.addr(col, j);
                        self.b.ins().load(F64, mem(), a, 0)
                    })
                    .collect();
                for &c in &coords {
                    self.presplat(c);
                }
                self.point_j[v] = coords;
                self.coord_cols[v] = cols;
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
        // Held per block, not per column: live across a block's flush, Cranelift's register allocator
        // spilled them on the row loop's back edge.
        self.hold_splats();
        let bs = self.b.use_var(bstart);
        let cap = self.b.ins().iadd_imm_s(bs, BLOCK_ROWS as i64);
        let be = self.b.ins().umin(cap, end);
        self.b.def_var(iv, bs);
        self.b.ins().jump(quad_head, &[]);

        // The main loop: with two accumulator sets, two steps per iteration, one into each; with one,
        // a single step (two steps would only hold twice the values in registers at once: Cranelift
        // issues a block's loads before its arithmetic).
        let per = 2 * self.sets as i64;
        self.loop_test(quad_head, iv, per, be, quad_body, vec_head);

        self.b.switch_to_block(quad_body);
        let i = self.b.use_var(iv);
        for set in 0..self.sets {
            let at = self.b.ins().iadd_imm_s(i, 2 * set as i64);
            self.step(at, j, 2, set);
        }
        let next = self.b.ins().iadd_imm_s(i, per);
        self.b.def_var(iv, next);
        // Tested at the bottom too: one branch per iteration.
        let stop = self.b.ins().iadd_imm_s(next, per);
        let fits = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, stop, be);
        self.b.ins().brif(fits, quad_body, &[], vec_head, &[]);

        self.loop_test(vec_head, iv, 2, be, vec_body, tail);

        self.b.switch_to_block(vec_body);
        let i = self.b.use_var(iv);
        self.step(i, j, 2, 0);
        let i2 = self.b.ins().iadd_imm_s(i, 2);
        self.b.def_var(iv, i2);
        self.b.ins().jump(tail, &[]);

        self.loop_test(tail, iv, 1, be, tail_body, flush);

        self.b.switch_to_block(tail_body);
        let i = self.b.use_var(iv);
        self.step(i, j, 1, 0);
        self.b.ins().jump(flush, &[]);

        self.b.switch_to_block(flush);
        self.flush_block(j);
        self.b.def_var(bstart, be);
        self.b.ins().jump(blk_head, &[]);

        self.held.clear();
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

    /// One step of a row loop: the values of rows `i .. i + w` of column `j`, folded into accumulator
    /// set `set` (mirrored when the kernel is symmetric).
    fn step(&mut self, i: Value, j: Value, w: u8, set: usize) {
        let vals = self.eval(i, j, w);
        let mirror = self.sym;
        self.accumulate(&vals, i, j, Fold { w, mirror, set });
    }
}
