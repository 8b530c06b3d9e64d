//! The block interpreter: evaluates a kernel's instructions over blocks of up to `BLOCK` elements of a
//! column, each instruction one tight loop over a small buffer. Values that depend only on the column (or
//! on nothing) are computed once per column (or once per program). It is the reference every other backend
//! is tested against and the fallback below the JIT threshold.

use crate::exec::{Backend, Chunk, Program, StoreTarget};
use crate::graph::{nan_first, BinaryOp, UnaryOp};
use crate::kernel::{
    classify, column_state, may_be_nan, partial_rows, Class, Idx, Inst, Kernel, Layout, OutKind,
    Value, BLOCK_ROWS,
};
use crate::summary::neumaier;

/// Elements per block: the blocks every backend flushes by; all live buffers of a typical kernel stay in
/// L1.
pub const BLOCK: usize = BLOCK_ROWS as usize;

pub struct Interp;

impl Interp {
    /// The interpreter's program for a kernel, used directly where a run is too small for a backend
    /// choice to matter (single elements and regions for R).
    pub fn prepare_for_store(&self, kernel: &Kernel) -> Box<dyn Program> {
        Box::new(InterpProgram::new(kernel))
    }
}

impl Backend for Interp {
    fn name(&self) -> &'static str {
        "interp"
    }

    fn prepare(&self, kernel: &Kernel) -> Box<dyn Program> {
        Box::new(InterpProgram::new(kernel))
    }
}

struct InterpProgram {
    kernel: Kernel,
    layout: Layout,
    class: Vec<Class>,
    /// Values of uniform instructions (others are overwritten per column).
    uniform: Vec<f64>,
    column: Vec<usize>,
    varying: Vec<usize>,
    /// Buffer slot of each varying instruction.
    slot: Vec<usize>,
    /// Arithmetic instructions both of whose operands may be NaN: R's choice between NaNs applies.
    nan_order: Vec<bool>,
}

/// An operand over a block: one value for every element, or a buffer.
#[derive(Clone, Copy)]
enum Opnd<'a> {
    S(f64),
    B(&'a [f64]),
}

impl Opnd<'_> {
    #[inline]
    fn at(&self, k: usize) -> f64 {
        match self {
            Opnd::S(v) => *v,
            Opnd::B(b) => b[k],
        }
    }
}

fn idx_value(idx: Idx, i: u64, j: u64) -> u64 {
    match idx {
        Idx::I => i,
        Idx::J => j,
        Idx::Zero => 0,
    }
}

impl InterpProgram {
    fn new(kernel: &Kernel) -> InterpProgram {
        let n = kernel.insts.len();
        let class = classify(kernel);
        let mut uniform = vec![f64::NAN; n];
        for (v, inst) in kernel.insts.iter().enumerate() {
            if class[v] == Class::Uniform {
                uniform[v] = scalar_eval(kernel, inst, &uniform, 0);
            }
        }
        let column = (0..n).filter(|&v| class[v] == Class::Column).collect();
        let varying: Vec<usize> = (0..n).filter(|&v| class[v] == Class::Varying).collect();
        let mut slot = vec![usize::MAX; n];
        for (s, &v) in varying.iter().enumerate() {
            slot[v] = s;
        }
        let nan = may_be_nan(kernel);
        let nan_order = kernel
            .insts
            .iter()
            .map(
                |inst| matches!(*inst, Inst::Binary(_, a, b) if nan[a as usize] && nan[b as usize]),
            )
            .collect();
        InterpProgram {
            kernel: kernel.clone(),
            layout: Layout::of(kernel),
            class,
            uniform,
            column,
            varying,
            slot,
            nan_order,
        }
    }
}

/// The value of an instruction that does not depend on i, in column j.
fn scalar_eval(k: &Kernel, inst: &Inst, vals: &[f64], j: u64) -> f64 {
    match *inst {
        Inst::Param(p) => k.params[p as usize],
        Inst::Const(bits) => f64::from_bits(bits),
        Inst::Load { data, row, col, ld } => {
            let at = idx_value(row, 0, j) + idx_value(col, 0, j) * ld;
            k.data[data as usize].values()[at as usize]
        }
        Inst::Unary(op, a) => op.eval(vals[a as usize]),
        Inst::Binary(op, a, b) => op.eval(vals[a as usize], vals[b as usize]),
        Inst::Dist { .. } | Inst::OffDiag(_) => unreachable!("varying instructions"),
    }
}

macro_rules! map1 {
    ($out:expr, $a:expr, |$x:ident| $e:expr) => {
        for (o, &$x) in $out.iter_mut().zip($a) {
            *o = $e;
        }
    };
}

fn unary_block(op: UnaryOp, a: &[f64], out: &mut [f64]) {
    match op {
        UnaryOp::Neg => map1!(out, a, |x| -x),
        UnaryOp::Abs => map1!(out, a, |x| x.abs()),
        UnaryOp::Sqrt => map1!(out, a, |x| if x.is_nan() { x } else { x.sqrt() }),
        _ => map1!(out, a, |x| op.eval(x)),
    }
}

macro_rules! zip2 {
    ($out:expr, $a:expr, $b:expr, |$x:ident, $y:ident| $e:expr) => {
        match ($a, $b) {
            (Opnd::B(a), Opnd::B(b)) => {
                for ((o, &$x), &$y) in $out.iter_mut().zip(a).zip(b) {
                    *o = $e;
                }
            }
            (Opnd::B(a), Opnd::S($y)) => {
                for (o, &$x) in $out.iter_mut().zip(a) {
                    *o = $e;
                }
            }
            (Opnd::S($x), Opnd::B(b)) => {
                for (o, &$y) in $out.iter_mut().zip(b) {
                    *o = $e;
                }
            }
            (Opnd::S($x), Opnd::S($y)) => {
                let v = $e;
                $out.fill(v);
            }
        }
    };
}

/// Arithmetic on a block with R's NaN: where both operands may be NaN (`nan_order`), the first one's
/// (`nan_first`); elsewhere the plain loop is exact.
macro_rules! arith {
    ($out:expr, $a:expr, $b:expr, $nan_order:expr, |$x:ident, $y:ident| $e:expr) => {
        if $nan_order {
            zip2!($out, $a, $b, |$x, $y| nan_first($x, $e))
        } else {
            zip2!($out, $a, $b, |$x, $y| $e)
        }
    };
}

fn binary_block(op: BinaryOp, a: Opnd, b: Opnd, nan_order: bool, out: &mut [f64]) {
    match op {
        BinaryOp::Add => arith!(out, a, b, nan_order, |x, y| x + y),
        BinaryOp::Sub => arith!(out, a, b, nan_order, |x, y| x - y),
        BinaryOp::Mul => arith!(out, a, b, nan_order, |x, y| x * y),
        BinaryOp::Div => arith!(out, a, b, nan_order, |x, y| x / y),
        _ => zip2!(out, a, b, |x, y| op.eval(x, y)),
    }
}

impl Program for InterpProgram {
    fn run(&self, chunk: &Chunk, acc: &mut [f64], store: Option<&StoreTarget>) {
        let k = &self.kernel;
        let sym = k.domain.symmetric;
        let mut vals = self.uniform.clone();
        let mut bufs = vec![0.0f64; self.varying.len() * BLOCK];
        for j in chunk.j0..chunk.j1 {
            for &c in &self.column {
                vals[c] = scalar_eval(k, &k.insts[c], &vals, j);
            }
            let hi = if sym { chunk.i1.min(j + 1) } else { chunk.i1 };
            let mut i = chunk.i0;
            while i < hi {
                let len = (BLOCK as u64).min(hi - i) as usize;
                for &v in &self.varying {
                    let s = self.slot[v];
                    let (done, rest) = bufs.split_at_mut(s * BLOCK);
                    let out = &mut rest[..len];
                    self.eval_varying(v, done, &vals, i, j, out);
                }
                self.fold(&bufs, &vals, (i, j, j - chunk.j0), len, acc, store);
                i += len as u64;
            }
        }
        self.flush_partials(chunk, acc);
    }
}

impl InterpProgram {
    /// Adds the tile's plain row-sum partials to the compensated sums and clears them.
    fn flush_partials(&self, chunk: &Chunk, acc: &mut [f64]) {
        let k = &self.kernel;
        let m = k.domain.rows as usize;
        let rows = partial_rows(k.domain, chunk.i0, chunk.i1, chunk.j1);
        for (o, &base) in k.outputs.iter().zip(&self.layout.offsets) {
            if o.kind != OutKind::RowSum {
                continue;
            }
            for r in rows.clone() {
                let r = r as usize;
                let p = std::mem::take(&mut acc[base + 2 * m + r]);
                let (s, c) = acc.split_at_mut(base + m + r);
                neumaier(&mut s[base + r], &mut c[0], p);
            }
        }
    }

    fn opnd<'a>(&self, v: Value, bufs: &'a [f64], vals: &[f64], len: usize) -> Opnd<'a> {
        let v = v as usize;
        if self.class[v] == Class::Varying {
            let s = self.slot[v] * BLOCK;
            Opnd::B(&bufs[s..s + len])
        } else {
            Opnd::S(vals[v])
        }
    }

    fn eval_varying(&self, v: usize, bufs: &[f64], vals: &[f64], i: u64, j: u64, out: &mut [f64]) {
        let k = &self.kernel;
        let len = out.len();
        match k.insts[v] {
            Inst::Load { data, row, col, ld } => {
                let d = k.data[data as usize].values();
                if row == Idx::I && col != Idx::I {
                    let start = (i + idx_value(col, i, j) * ld) as usize;
                    out.copy_from_slice(&d[start..start + len]);
                } else {
                    for (t, o) in out.iter_mut().enumerate() {
                        let ii = i + t as u64;
                        *o = d[(idx_value(row, ii, j) + idx_value(col, ii, j) * ld) as usize];
                    }
                }
            }
            Inst::Dist { data, p, ld } => dist_block(
                k.data[data as usize].values(),
                p,
                ld,
                (i, j),
                k.accumulates_only(),
                out,
            ),
            Inst::OffDiag(a) => {
                match self.opnd(a, bufs, vals, len) {
                    Opnd::B(b) => out.copy_from_slice(b),
                    Opnd::S(s) => out.fill(s),
                }
                if j >= i && j < i + len as u64 {
                    out[(j - i) as usize] = 0.0;
                }
            }
            Inst::Unary(op, a) => match self.opnd(a, bufs, vals, len) {
                Opnd::B(b) => unary_block(op, b, out),
                Opnd::S(s) => out.fill(op.eval(s)),
            },
            Inst::Binary(op, a, b) => binary_block(
                op,
                self.opnd(a, bufs, vals, len),
                self.opnd(b, bufs, vals, len),
                self.nan_order[v],
                out,
            ),
            Inst::Param(_) | Inst::Const(_) => unreachable!("uniform"),
        }
    }

    /// Folds a block of rows `i..i + len` of column `j` (column `c` of its unit) into the outputs.
    fn fold(
        &self,
        bufs: &[f64],
        vals: &[f64],
        (i, j, unit_col): (u64, u64, u64),
        len: usize,
        acc: &mut [f64],
        store: Option<&StoreTarget>,
    ) {
        let k = &self.kernel;
        let sym = k.domain.symmetric;
        // In a symmetric kernel the elements before the diagonal stand for two, the diagonal for one.
        let (off, diag) = if sym {
            let off = (j.saturating_sub(i) as usize).min(len);
            (off, off < len)
        } else {
            (len, false)
        };
        for (o, &base) in k.outputs.iter().zip(&self.layout.offsets) {
            let v = self.opnd(o.value, bufs, vals, len);
            let keep = |x: f64| !(o.skip_nan && x.is_nan());
            match o.kind {
                OutKind::Sum => {
                    // Every element is added with compensation, so the pass sum is as good as a
                    // correctly rounded one (R's long-double sums are, too).
                    let (mut s, mut comp) = (0.0, 0.0);
                    for t in 0..off {
                        let x = v.at(t);
                        if keep(x) {
                            neumaier(&mut s, &mut comp, x);
                        }
                    }
                    if sym {
                        s *= 2.0;
                        comp *= 2.0;
                    }
                    if diag && keep(v.at(off)) {
                        neumaier(&mut s, &mut comp, v.at(off));
                    }
                    let at = base + column_state(o.kind) + unit_col as usize;
                    let comp_at = at + k.domain.unit_cols() as usize;
                    let mut sum = acc[at];
                    neumaier(&mut sum, &mut acc[comp_at], s);
                    acc[at] = sum;
                    acc[comp_at] += comp;
                }
                OutKind::Prod => {
                    let mut p = 1.0;
                    for t in 0..off {
                        let x = v.at(t);
                        if keep(x) {
                            p *= if sym { x * x } else { x };
                        }
                    }
                    if diag && keep(v.at(off)) {
                        p *= v.at(off);
                    }
                    acc[base + column_state(o.kind) + unit_col as usize] *= p;
                }
                OutKind::Min | OutKind::Max => {
                    let fold = o.kind.fold();
                    let mut m = acc[base];
                    for t in 0..len {
                        let x = v.at(t);
                        if keep(x) {
                            m = fold.apply(m, x);
                        }
                    }
                    acc[base] = m;
                }
                OutKind::RowMin | OutKind::RowMax => {
                    // Not in symmetric kernels (the planner keeps them out).
                    let fold = o.kind.fold();
                    for t in 0..len {
                        let x = v.at(t);
                        if keep(x) {
                            let a = &mut acc[base + i as usize + t];
                            *a = fold.apply(*a, x);
                        }
                    }
                }
                OutKind::ColMin | OutKind::ColMax => {
                    let fold = o.kind.fold();
                    let a = &mut acc[base + j as usize];
                    for t in 0..len {
                        let x = v.at(t);
                        if keep(x) {
                            *a = fold.apply(*a, x);
                        }
                    }
                }
                OutKind::Count => {
                    let c = (0..off).filter(|&t| !v.at(t).is_nan()).count() as f64;
                    let w = if sym { 2.0 } else { 1.0 };
                    acc[base] += w * c + f64::from(u8::from(diag && !v.at(off).is_nan()));
                }
                OutKind::RowSum | OutKind::RowCount => {
                    let count = o.kind == OutKind::RowCount;
                    let m = k.domain.rows as usize;
                    let mut mirror = 0.0;
                    for t in 0..off {
                        let x = v.at(t);
                        if count {
                            acc[base + i as usize + t] += f64::from(u8::from(!x.is_nan()));
                        } else if keep(x) {
                            acc[base + 2 * m + i as usize + t] += x;
                            mirror += x;
                        }
                    }
                    if sym {
                        let jj = j as usize;
                        let dv = if diag { v.at(off) } else { 0.0 };
                        if count {
                            let c = (0..off).filter(|&t| !v.at(t).is_nan()).count() as f64;
                            acc[base + jj] += c + f64::from(u8::from(diag && !dv.is_nan()));
                        } else {
                            // Row j's partial: flushed with the tile holding row j, or the unit's end.
                            acc[base + 2 * m + jj] +=
                                mirror + if diag && keep(dv) { dv } else { 0.0 };
                        }
                    }
                }
                OutKind::ColSum | OutKind::ColCount => {
                    let jj = j as usize;
                    if o.kind == OutKind::ColCount {
                        acc[base + jj] += (0..len).filter(|&t| !v.at(t).is_nan()).count() as f64;
                    } else {
                        let m = k.domain.cols as usize;
                        let (mut s, mut comp) = (0.0, 0.0);
                        for t in 0..len {
                            let x = v.at(t);
                            if keep(x) {
                                neumaier(&mut s, &mut comp, x);
                            }
                        }
                        let (a, cc) = acc.split_at_mut(base + m + jj);
                        neumaier(&mut a[base + jj], &mut cc[0], s);
                        cc[0] += comp;
                    }
                }
                OutKind::Store => {
                    let store = store.expect("a Store output needs a target");
                    let at = i + j * k.domain.rows;
                    match v {
                        Opnd::B(b) => store.write(at, b),
                        Opnd::S(s) => store.write(at, &vec![s; len]),
                    }
                }
            }
        }
    }
}

/// Distances from point j to points i..i+len of an n × p column-major matrix. One coordinate's distance is
/// |x_i - x_j| where values are only summed; R's sqrt((x_i - x_j)^2) (Inf beyond 1e154) elsewhere.
fn dist_block(d: &[f64], p: u32, ld: u64, (i, j): (u64, u64), summed: bool, out: &mut [f64]) {
    let (i, j, ld) = (i as usize, j as usize, ld as usize);
    let len = out.len();
    if p == 1 && summed {
        let xj = d[j];
        for (o, &x) in out.iter_mut().zip(&d[i..i + len]) {
            *o = (x - xj).abs();
        }
        return;
    }
    out.fill(0.0);
    for c in 0..p as usize {
        let col = &d[c * ld..(c + 1) * ld];
        let xj = col[j];
        for (o, &x) in out.iter_mut().zip(&col[i..i + len]) {
            let t = x - xj;
            *o += t * t;
        }
    }
    for o in out.iter_mut() {
        *o = o.sqrt();
    }
}
