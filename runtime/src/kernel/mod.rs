//! The fused-loop IR that backends run. A kernel iterates a grid of `rows × cols` elements in column-major
//! order (a vector is a one-column grid; a symmetric kernel visits only i <= j and counts the rest by
//! mirroring), evaluates a short SSA list per element and folds the values into its outputs. Data and
//! scalar parameters are separate from the instruction list, so two kernels of the same shape over
//! different data share one compiled form (the JIT caches by `Kernel::shape_sig`).

//!
//! Modules: `fold` (how outputs combine), `analysis` (what the backends may assume of each instruction),
//! `layout` (where outputs keep their state), `display` (the SSA list as text).

mod analysis;
mod display;
mod fold;
mod layout;

use std::sync::Arc;

use crate::graph::{BinaryOp, Source, UnaryOp};

pub use analysis::{always_finite, classify, may_be_nan, Class};
pub use fold::Fold;
pub use layout::{column_state, partial_rows, slots, Layout, PARTS};

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

    /// Columns of a fold unit (`exec::units`). A pass folds each unit whole into one lane, so every
    /// partial sum is grouped by units, never by tiles or threads: units are fixed by the domain alone.
    /// Wide enough that flushing a unit's row partials is a small share of its work, and at least
    /// `UNIT_ELEMENTS` elements where columns are short.
    pub fn unit_cols(&self) -> u64 {
        UNIT_COLS
            .max(UNIT_ELEMENTS.div_ceil(self.rows.max(1)))
            .min(self.cols.max(1))
    }

    /// Rows of a fold unit: whole columns where there are enough column blocks to keep every lane busy
    /// (always in a symmetric grid, whose column j stands for row j too: its mirrored half then joins row
    /// j's partial in the same unit), 2^16 where there are few (a long vector): units start at multiples
    /// of the 256-row blocks that backends flush by, so a block never straddles two units.
    pub fn unit_rows(&self) -> u64 {
        if self.symmetric || self.cols.div_ceil(self.unit_cols()) >= 64 {
            self.rows.max(1)
        } else {
            1 << 16
        }
    }
}

/// Columns per fold unit (at least).
const UNIT_COLS: u64 = 256;
/// Elements per fold unit (at least, where the grid has them).
const UNIT_ELEMENTS: u64 = 1 << 16;
/// Rows per block: backends sum a column's values in plain registers over blocks of this many rows
/// starting at multiples of it, and flush each block with compensation. Tiles start at multiples of it.
pub const BLOCK_ROWS: u64 = 256;

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
