//! Values: the SSA instructions of a kernel lowered to Cranelift, at one lane or two. Instructions that do
//! not depend on the row are lowered once (`scalar_inst`, for the entry or a column's head); the rest at
//! every row (`eval`). R's semantics are kept here: NaN arguments come back unchanged, comparisons and
//! logic give NA for NaN, powers use R's exact special cases.

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F64, F64X2, I64};
use cranelift_codegen::ir::{InstBuilder, Value};

use lazyshare_runtime::graph::{BinaryOp, UnaryOp, NA_REAL};
use lazyshare_runtime::kernel::{Class, Inst};

use super::builder::{mem, Gen};

impl Gen<'_, '_> {
    /// A value that does not depend on i: uniform (j = None) or for column j.
    pub(super) fn scalar_inst(&mut self, v: usize, params: Value, j: Option<Value>) -> Value {
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
    pub(super) fn eval(&mut self, i: Value, j: Value, w: u8) -> Vec<Value> {
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
                    if let Some(column) = self.load_cols[v] {
                        let a = self.addr(column, i);
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
                Inst::Dist { p, .. } => {
                    let mut acc: Option<Value> = None;
                    for c in 0..p as i64 {
                        let a = self.addr(self.coord_cols[v][c as usize], i);
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
}
