//! Outputs: the accumulators a kernel folds its values into. Sums and products fold in registers and are
//! flushed per block of rows (blocks start at fixed rows) into their column's state, sums with Neumaier
//! compensation; row sums add into a per-tile partial vector flushed with compensation when the tile
//! ends; stores go straight to the target. Symmetric kernels fold each off-diagonal value for two
//! elements. So the grouping of every addition is fixed by the domain, whatever the tiles.

use cranelift_codegen::ir::condcodes::FloatCC;
use cranelift_codegen::ir::types::{F64, F64X2, I64};
use cranelift_codegen::ir::{InstBuilder, Value};

use lazyshare_runtime::kernel::{self, OutKind, PARTS};

use super::builder::{mem, Gen, OutState};

/// How values are folded: `w` lanes, `mirror` (rows above the diagonal of a symmetric kernel, standing
/// for two elements), into vector accumulator `set`.
#[derive(Clone, Copy)]
pub(super) struct Fold {
    pub(super) w: u8,
    pub(super) mirror: bool,
    pub(super) set: usize,
}

impl Gen<'_, '_> {
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

    /// Per output: pointers to its accumulator parts (read from the frame's `parts`) and its register
    /// partials, started at the fold's neutral value.
    pub(super) fn setup_outputs(&mut self, parts: Value) {
        for (o, out) in self.k.outputs.iter().enumerate() {
            let [ptr, comp, partial, col, col_comp] = std::array::from_fn(|p| {
                let at = (8 * (PARTS * o + p)) as i32;
                self.b.ins().load(I64, mem(), parts, at)
            });
            let init = out.kind.fold().neutral();
            let vec: Vec<_> = (0..self.sets).map(|_| self.b.declare_var(F64X2)).collect();
            let s = self.f64c(init);
            let v = self.b.ins().splat(F64X2, s);
            for &r in &vec {
                self.b.def_var(r, v);
            }
            self.outs.push(OutState {
                kind: out.kind,
                skip: out.skip_nan,
                value: out.value,
                ptr,
                comp,
                partial,
                col,
                col_comp,
                cur: None,
                regs: vec,
            });
        }
    }

    fn reset_regs(&mut self, o: usize) {
        let init = self.outs[o].kind.fold().neutral();
        let s = self.f64c(init);
        let v = self.b.ins().splat(F64X2, s);
        for r in self.outs[o].regs.clone() {
            self.b.def_var(r, v);
        }
    }

    /// Folds `x` (two lanes, or one, which joins lane 0) into accumulator set `set` of output o.
    fn fold_reg(&mut self, o: usize, set: usize, x: Value) {
        let kind = self.outs[o].kind;
        let x = if self.b.func.dfg.value_type(x) == F64 {
            let n = self.f64c(kind.fold().neutral());
            let n = self.b.ins().splat(F64X2, n);
            self.b.ins().insertlane(n, x, 0)
        } else {
            x
        };
        let r = self.outs[o].regs[set];
        let a = self.b.use_var(r);
        let s = self.fold(kind, a, x);
        self.b.def_var(r, s);
    }

    /// The registers of output o reduced to one scalar (sum, product, min or max of the lanes).
    fn reduce_regs(&mut self, o: usize) -> Value {
        let kind = self.outs[o].kind;
        let regs = self.outs[o].regs.clone();
        let mut v = self.b.use_var(regs[0]);
        for &r in &regs[1..] {
            let x = self.b.use_var(r);
            v = self.fold(kind, v, x);
        }
        let l0 = self.b.ins().extractlane(v, 0);
        let l1 = self.b.ins().extractlane(v, 1);
        self.fold(kind, l0, l1)
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
    pub(super) fn accumulate(&mut self, vals: &[Value], i: Value, j: Value, how: Fold) {
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
            let count = |g: &mut Self| {
                let one = g.konst(1.0, w);
                let zero = g.konst(0.0, w);
                g.sel(nan, zero, one, w)
            };
            match kind {
                OutKind::Sum | OutKind::ColSum | OutKind::Min | OutKind::Max => {
                    self.fold_reg(o, set, v);
                }
                OutKind::Prod => {
                    let f = if mirror { self.b.ins().fmul(v, v) } else { v };
                    self.fold_reg(o, set, f);
                }
                OutKind::Count | OutKind::ColCount => {
                    let c = count(self);
                    let c = if mirror && kind == OutKind::Count {
                        self.b.ins().fadd(c, c)
                    } else {
                        c
                    };
                    self.fold_reg(o, set, c);
                }
                OutKind::RowSum => {
                    let ty = if w == 2 { F64X2 } else { F64 };
                    let pa = self.addr(self.outs[o].partial, i);
                    let cur = self.b.ins().load(ty, mem(), pa, 0);
                    let n = self.b.ins().fadd(cur, v);
                    self.b.ins().store(mem(), n, pa, 0);
                    if mirror {
                        self.fold_reg(o, set, v);
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
                        self.fold_reg(o, set, c);
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
    pub(super) fn accumulate_diag(&mut self, vals: &[Value], j: Value) {
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
                let (p, comp) = self.outs[o].cur.expect("column states");
                self.neumaier(p, comp, v, 1);
            } else {
                self.fold_reg(o, 0, v);
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

    /// Points each scalar sum and product at column j's state in its unit.
    pub(super) fn column_states(&mut self, j: Value) {
        let c = self.b.ins().isub(j, self.j0);
        for o in 0..self.outs.len() {
            if matches!(self.outs[o].kind, OutKind::Sum | OutKind::Prod) {
                let v = self.addr(self.outs[o].col, c);
                let comp = self.addr(self.outs[o].col_comp, c);
                self.outs[o].cur = Some((v, comp));
            }
        }
    }

    /// Adds the register partials of a block of rows of column j to memory: scalar sums (with Neumaier
    /// compensation) and products to the column's state, column sums to their own (sum, comp) with
    /// compensation, the mirrored half of a symmetric row sum to row j's partial. Blocks start at fixed rows, so this groups the additions the same way
    /// however the column is cut into tiles.
    pub(super) fn flush_block(&mut self, j: Value) {
        for o in 0..self.outs.len() {
            let kind = self.outs[o].kind;
            let mirrored = self.sym && kind == OutKind::RowSum;
            if !(matches!(kind, OutKind::Sum | OutKind::Prod | OutKind::ColSum) || mirrored) {
                continue;
            }
            let mut s = self.reduce_regs(o);
            match kind {
                OutKind::Sum => {
                    if self.sym {
                        s = self.b.ins().fadd(s, s);
                    }
                    let (p, comp) = self.outs[o].cur.expect("column states");
                    self.neumaier(p, comp, s, 1);
                }
                OutKind::Prod => self.multiply_into_column(o, s),
                OutKind::ColSum => {
                    let sa = self.addr(self.outs[o].ptr, j);
                    let ca = self.addr(self.outs[o].comp, j);
                    self.neumaier(sa, ca, s, 1);
                }
                _ => {
                    let pa = self.addr(self.outs[o].partial, j);
                    self.add_into(pa, s);
                }
            }
            self.reset_regs(o);
        }
    }

    fn add_into(&mut self, p: Value, s: Value) {
        let cur = self.b.ins().load(F64, mem(), p, 0);
        let n = self.b.ins().fadd(cur, s);
        self.b.ins().store(mem(), n, p, 0);
    }

    fn multiply_into_column(&mut self, o: usize, s: Value) {
        let (p, _) = self.outs[o].cur.expect("column states");
        let cur = self.b.ins().load(F64, mem(), p, 0);
        let n = self.b.ins().fmul(cur, s);
        self.b.ins().store(mem(), n, p, 0);
    }

    /// Adds what a column's end leaves in registers: its counts, and the diagonal's share of symmetric
    /// row sums (to row j's partial) and products.
    pub(super) fn flush_column(&mut self, j: Value) {
        for o in 0..self.outs.len() {
            let kind = self.outs[o].kind;
            let mirrored = self.sym && matches!(kind, OutKind::RowSum | OutKind::RowCount);
            if !(matches!(kind, OutKind::ColCount | OutKind::Prod) || mirrored) {
                continue;
            }
            let s = self.reduce_regs(o);
            if kind == OutKind::Prod {
                self.multiply_into_column(o, s);
                self.reset_regs(o);
                continue;
            }
            let at = if kind == OutKind::RowSum {
                self.addr(self.outs[o].partial, j)
            } else {
                self.addr(self.outs[o].ptr, j)
            };
            self.add_into(at, s);
            self.reset_regs(o);
        }
    }

    /// Adds the tile's plain row-sum partials to the compensated sums (kernel::partial_rows) and clears
    /// them, two rows at a time.
    pub(super) fn flush_partials(&mut self, i0: Value, i1: Value, j1: Value) {
        let outs: Vec<usize> = (0..self.outs.len())
            .filter(|&o| self.outs[o].kind == OutKind::RowSum)
            .collect();
        if outs.is_empty() {
            return;
        }
        let end = if self.sym {
            self.b.ins().umin(i1, j1)
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

    /// Folds the tile's remaining register partials (extremes, counts) into memory.
    pub(super) fn finish_outputs(&mut self) {
        for o in 0..self.outs.len() {
            let kind = self.outs[o].kind;
            if !matches!(kind, OutKind::Min | OutKind::Max | OutKind::Count) {
                continue;
            }
            let s = self.reduce_regs(o);
            let p = self.outs[o].ptr;
            let cur = self.b.ins().load(F64, mem(), p, 0);
            let n = self.fold(kind, cur, s);
            self.b.ins().store(mem(), n, p, 0);
        }
    }
}
