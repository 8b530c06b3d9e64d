//! The fused-loop IR that backends run. A kernel iterates a grid of `rows × cols` elements in column-major
//! order (a vector is a one-column grid; a symmetric kernel visits only i <= j and counts the rest by
//! mirroring), evaluates a short SSA list per element and folds the values into its outputs. Data and
//! scalar parameters are separate from the instruction list, so two kernels of the same shape over
//! different data share one compiled form (the JIT caches by `Kernel::shape_sig`).

use std::sync::Arc;

use crate::graph::{BinaryOp, Source, UnaryOp};

/// Index of an instruction, whose result is the value.
pub type Value = u32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Domain {
    pub rows: u64,
    pub cols: u64,
    /// Only i <= j is visited; off-diagonal elements count twice (as (i, j) and (j, i)).
    pub symmetric: bool,
}

impl Domain {
    pub fn len(&self) -> u64 {
        self.rows * self.cols
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Elements a full pass visits.
    pub fn visited(&self) -> u64 {
        if self.symmetric {
            self.rows * (self.rows + 1) / 2
        } else {
            self.len()
        }
    }
}

/// Which loop variable indexes a dimension of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Idx {
    I,
    J,
    Zero,
}

/// Memory a kernel reads: a source or a reducer's result.
#[derive(Debug, Clone)]
pub enum Data {
    Source(Arc<Source>),
    Memo(Arc<[f64]>),
}

impl Data {
    pub fn values(&self) -> &[f64] {
        match self {
            Data::Source(s) => s.values(),
            Data::Memo(m) => m,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Inst {
    /// `params[k]`.
    Param(u32),
    /// A constant that is part of the kernel's shape (a power's exponent, so `x^2` can become `x*x`),
    /// as f64 bits.
    Const(u64),
    /// `data[k][row + col * ld]`, with row and col taken from the loop variables as given.
    Load {
        data: u32,
        row: Idx,
        col: Idx,
        ld: u64,
    },
    /// Euclidean distance between rows i and j of the n × p column-major matrix `data[k]` (ld = n).
    Dist {
        data: u32,
        p: u32,
        ld: u64,
    },
    /// `v` off the diagonal, 0 on it.
    OffDiag(Value),
    Unary(UnaryOp, Value),
    Binary(BinaryOp, Value, Value),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutKind {
    Sum,
    Prod,
    Min,
    Max,
    /// Number of non-NaN values.
    Count,
    RowSum,
    ColSum,
    RowCount,
    ColCount,
    /// min and max of each row or column (not in symmetric kernels).
    RowMin,
    RowMax,
    ColMin,
    ColMax,
    /// Every value, written at its column-major position (not in symmetric kernels).
    Store,
}

/// How an output folds its elements: the one definition of each kind's neutral value and combine, which
/// the interpreter, the JIT and the final combine of lanes all use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fold {
    /// Sums and counts (compensated where the kind keeps a compensation).
    Add,
    Mul,
    /// min and max: a NaN wins, as in R without na.rm.
    Min,
    Max,
    /// Values written out, not folded.
    Store,
}

impl OutKind {
    pub fn fold(self) -> Fold {
        match self {
            OutKind::Sum
            | OutKind::Count
            | OutKind::RowSum
            | OutKind::ColSum
            | OutKind::RowCount
            | OutKind::ColCount => Fold::Add,
            OutKind::Prod => Fold::Mul,
            OutKind::Min | OutKind::RowMin | OutKind::ColMin => Fold::Min,
            OutKind::Max | OutKind::RowMax | OutKind::ColMax => Fold::Max,
            OutKind::Store => Fold::Store,
        }
    }
}

impl Fold {
    /// The value an accumulator starts from: folding it in changes nothing.
    pub fn neutral(self) -> f64 {
        match self {
            Fold::Add | Fold::Store => 0.0,
            Fold::Mul => 1.0,
            Fold::Min => f64::INFINITY,
            Fold::Max => f64::NEG_INFINITY,
        }
    }

    /// `a` and `b` folded into one (for a compensated sum, only its plain part).
    #[inline]
    pub fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Fold::Add => a + b,
            Fold::Mul => a * b,
            Fold::Min | Fold::Max if a.is_nan() || b.is_nan() => f64::NAN,
            Fold::Min => a.min(b),
            Fold::Max => a.max(b),
            Fold::Store => unreachable!("stored values are not folded"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Output {
    pub kind: OutKind,
    pub value: Value,
    /// NaN values are left out (R's na.rm = TRUE).
    pub skip_nan: bool,
}

#[derive(Debug, Clone)]
pub struct Kernel {
    pub domain: Domain,
    pub insts: Vec<Inst>,
    pub outputs: Vec<Output>,
    pub data: Vec<Data>,
    pub params: Vec<f64>,
}

impl Kernel {
    /// What a compiled form depends on, exactly: instructions (without leading dimensions), outputs,
    /// symmetry, and the numbers of data slots and parameters. Not sizes, not data, not parameter values.
    pub fn shape_sig(&self) -> Vec<u64> {
        let idx = |i: Idx| match i {
            Idx::I => 0,
            Idx::J => 1,
            Idx::Zero => 2,
        };
        let mut sig = vec![
            u64::from(self.domain.symmetric),
            self.data.len() as u64,
            self.params.len() as u64,
        ];
        for inst in &self.insts {
            match *inst {
                Inst::Param(p) => sig.extend([1, u64::from(p)]),
                Inst::Const(bits) => sig.extend([2, bits]),
                Inst::Load { data, row, col, .. } => {
                    sig.extend([3, u64::from(data), idx(row), idx(col)])
                }
                Inst::Dist { data, p, .. } => sig.extend([4, u64::from(data), u64::from(p)]),
                Inst::OffDiag(v) => sig.extend([5, u64::from(v)]),
                Inst::Unary(op, a) => sig.extend([6, op as u64, u64::from(a)]),
                Inst::Binary(op, a, b) => sig.extend([7, op as u64, u64::from(a), u64::from(b)]),
            }
        }
        for o in &self.outputs {
            sig.extend([8, o.kind as u64, u64::from(o.value), u64::from(o.skip_nan)]);
        }
        sig
    }

    /// Whether every output only accumulates (sums, products, counts). Such results are compensated sums,
    /// not R's exact ones, so a backend may then compute `x^0.5` as `sqrt(x)`, `x^3` as `x*x*x` and a
    /// one-coordinate distance as |d| (which differ from R's `pow` and `sqrt(d^2)` in the last bit, or where
    /// d^2 overflows); values that are stored or compared (min, max) must be R's.
    pub fn accumulates_only(&self) -> bool {
        self.outputs
            .iter()
            .all(|o| !matches!(o.kind, OutKind::Store | OutKind::Min | OutKind::Max))
    }

    /// Estimated element-operations of a full pass, for choosing a backend.
    pub fn work(&self) -> f64 {
        let per_elem: u64 = self
            .insts
            .iter()
            .map(|i| match i {
                Inst::Dist { p, .. } => 3 * u64::from(*p) + 1,
                _ => 1,
            })
            .sum::<u64>()
            + self.outputs.len() as u64;
        self.domain.visited() as f64 * per_elem as f64
    }
}

/// The rows whose row-sum partials a chunk may have touched: every row it visits, and in a symmetric
/// kernel only those above its last column's diagonal (the diagonal and the mirrored halves go to the
/// columns' own sums directly).
pub fn partial_rows(d: Domain, i0: u64, i1: u64, j1: u64) -> std::ops::Range<u64> {
    let end = if d.symmetric {
        i1.min(j1.saturating_sub(1))
    } else {
        i1
    };
    i0..end.max(i0)
}

/// When an instruction's value can change: never within a run (parameters, constants), once per column
/// (values that depend on j only), or per element. Backends compute the first two outside the row loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Uniform,
    Column,
    Varying,
}

pub fn classify(k: &Kernel) -> Vec<Class> {
    let mut class: Vec<Class> = Vec::with_capacity(k.insts.len());
    for inst in &k.insts {
        let c = match *inst {
            Inst::Param(_) | Inst::Const(_) => Class::Uniform,
            Inst::Load { row, col, .. } => {
                if row == Idx::I || col == Idx::I {
                    Class::Varying
                } else if row == Idx::J || col == Idx::J {
                    Class::Column
                } else {
                    Class::Uniform
                }
            }
            Inst::Dist { .. } | Inst::OffDiag(_) => Class::Varying,
            Inst::Unary(_, a) => class[a as usize],
            Inst::Binary(_, a, b) => class[a as usize].max(class[b as usize]),
        };
        class.push(c);
    }
    class
}

/// Which instructions may hold a NaN (NA or NaN) somewhere in the grid, from the data (a source or a
/// reducer's values without NaN or infinities holds none) and what each operation can make of numbers:
/// Inf - Inf, 0 * Inf, 0 / 0 and the functions R warns "NaNs produced" for. Where at most one operand
/// of an arithmetic operation can be NaN, R's choice between two NaNs (`graph::nan_first`) cannot arise.
pub fn may_be_nan(k: &Kernel) -> Vec<bool> {
    let finite: Vec<bool> = k
        .data
        .iter()
        .map(|d| match d {
            Data::Source(s) => s.extent().all_finite,
            Data::Memo(m) => m.iter().all(|x| x.is_finite()),
        })
        .collect();
    // (may be NaN, may be infinite) per instruction.
    let mut facts: Vec<(bool, bool)> = Vec::with_capacity(k.insts.len());
    for inst in &k.insts {
        let f = |v: Value| facts[v as usize];
        let fact = match *inst {
            Inst::Param(p) => {
                let x = k.params[p as usize];
                (x.is_nan(), x.is_infinite())
            }
            Inst::Const(bits) => {
                let x = f64::from_bits(bits);
                (x.is_nan(), x.is_infinite())
            }
            Inst::Load { data, .. } => (!finite[data as usize], !finite[data as usize]),
            // Squares of finite differences may overflow, never make NaN.
            Inst::Dist { data, .. } => (!finite[data as usize], true),
            Inst::OffDiag(a) => f(a),
            Inst::Unary(op, a) => match op {
                UnaryOp::IsNa | UnaryOp::IsFinite => (false, false),
                UnaryOp::Not | UnaryOp::Sign => (f(a).0, false),
                UnaryOp::Neg
                | UnaryOp::Abs
                | UnaryOp::Floor
                | UnaryOp::Ceiling
                | UnaryOp::Trunc => f(a),
                _ => (true, true),
            },
            Inst::Binary(op, a, b) => {
                let (na, ia) = f(a);
                let (nb, ib) = f(b);
                match op {
                    BinaryOp::Add | BinaryOp::Sub => (na || nb || (ia && ib), true),
                    BinaryOp::Mul => (na || nb || ia || ib, true),
                    BinaryOp::Div | BinaryOp::Pow => (true, true),
                    _ => (na || nb, false),
                }
            }
        };
        facts.push(fact);
    }
    facts.into_iter().map(|(nan, _)| nan).collect()
}

/// Where each output keeps its running state in a lane's accumulator buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub offsets: Vec<usize>,
    pub len: usize,
}

impl Layout {
    pub fn of(k: &Kernel) -> Layout {
        let mut offsets = Vec::with_capacity(k.outputs.len());
        let mut len = 0usize;
        for o in &k.outputs {
            offsets.push(len);
            len += slots(o.kind, k.domain);
        }
        Layout { offsets, len }
    }

    /// A fresh accumulator buffer: every slot of an output holds its fold's neutral value (compensations
    /// and row partials are sums, and start at 0 too).
    pub fn init(&self, k: &Kernel) -> Vec<f64> {
        let mut acc = vec![0.0; self.len];
        for (o, &off) in k.outputs.iter().zip(&self.offsets) {
            acc[off..off + slots(o.kind, k.domain)].fill(o.kind.fold().neutral());
        }
        acc
    }
}

/// Accumulator slots of an output: compensated sums keep (sum, compensation) pairs, laid out as
/// `sum[0..m]` then `comp[0..m]` for vectors. Row sums also keep `partial[0..rows]`: elements are added
/// to it plainly, and a chunk's partials are added to (sum, comp) with compensation when the chunk ends,
/// so the per-element cost is one add while the long sums across columns stay compensated.
pub fn slots(kind: OutKind, d: Domain) -> usize {
    match kind {
        OutKind::Sum => 2,
        OutKind::Prod | OutKind::Min | OutKind::Max | OutKind::Count => 1,
        OutKind::RowSum => 3 * d.rows as usize,
        OutKind::ColSum => 2 * d.cols as usize,
        OutKind::RowCount | OutKind::RowMin | OutKind::RowMax => d.rows as usize,
        OutKind::ColCount | OutKind::ColMin | OutKind::ColMax => d.cols as usize,
        OutKind::Store => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel(data: Vec<f64>, insts: Vec<Inst>) -> Kernel {
        let n = data.len() as u64;
        Kernel {
            domain: Domain {
                rows: n,
                cols: 1,
                symmetric: false,
            },
            insts,
            outputs: vec![],
            data: vec![Data::Source(Arc::new(Source::owned(data)))],
            params: vec![0.0],
        }
    }

    #[test]
    fn every_fold_starts_from_a_neutral_value() {
        for kind in [
            OutKind::Sum,
            OutKind::Prod,
            OutKind::Min,
            OutKind::Max,
            OutKind::Count,
            OutKind::RowSum,
            OutKind::ColSum,
            OutKind::RowCount,
            OutKind::ColCount,
            OutKind::RowMin,
            OutKind::RowMax,
            OutKind::ColMin,
            OutKind::ColMax,
        ] {
            let f = kind.fold();
            for x in [-2.5, 0.0, 7.0, f64::INFINITY] {
                assert_eq!(f.apply(f.neutral(), x), x, "{kind:?}");
            }
        }
        assert!(Fold::Min.apply(1.0, f64::NAN).is_nan());
    }

    #[test]
    fn nan_is_possible_only_from_data_or_operations_that_make_it() {
        let load = Inst::Load {
            data: 0,
            row: Idx::I,
            col: Idx::Zero,
            ld: 3,
        };
        let insts = vec![
            load,
            Inst::Binary(BinaryOp::Sub, 0, 0),
            Inst::Binary(BinaryOp::Mul, 1, 1),
            Inst::Binary(BinaryOp::Div, 0, 0),
            Inst::Unary(UnaryOp::Sqrt, 0),
            Inst::Binary(BinaryOp::Lt, 0, 3),
        ];
        let finite = may_be_nan(&kernel(vec![1.0, 2.0, 3.0], insts.clone()));
        // x - x may overflow to Inf but is never NaN; a product of possibly infinite values may be
        // (0 * Inf), as may a quotient (0 / 0) and a square root.
        assert_eq!(finite, vec![false, false, true, true, true, true]);
        let missing = may_be_nan(&kernel(vec![1.0, f64::NAN, 3.0], insts));
        assert!(missing.iter().all(|&m| m));
    }
}
