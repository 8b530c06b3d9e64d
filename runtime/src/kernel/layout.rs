//! Where a kernel's outputs keep their running state while a lane runs.

use super::{Domain, Kernel, OutKind};
use crate::summary::Neumaier;

/// The rows whose row-sum partials a tile may have touched: every row it visits (in a symmetric kernel
/// only rows up to its last column, whose mirrored halves and diagonal join their own row's partial).
pub fn partial_rows(d: Domain, i0: u64, i1: u64, j1: u64) -> std::ops::Range<u64> {
    let end = if d.symmetric { i1.min(j1) } else { i1 };
    i0..end.max(i0)
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
/// to it plainly, and a tile's partials are added to (sum, comp) with compensation when the tile ends,
/// so the per-element cost is one add while the long sums across columns stay compensated.
///
/// Scalar sums and products also keep one running value per column of a fold unit (`column_state`):
/// blocks of a column fold into its own slot, and the unit's columns fold into the total in column order
/// when the unit ends (`finish_unit`). Column sums fold each block into their (sum, comp) directly. A
/// symmetric row sum's mirrored half (column j standing for row j) adds to row j's partial. So how a
/// unit is cut into tiles never regroups the arithmetic.
pub fn slots(kind: OutKind, d: Domain) -> usize {
    let w = d.unit_cols() as usize;
    match kind {
        OutKind::Sum => 2 + 2 * w,
        OutKind::Prod => 1 + w,
        OutKind::Min | OutKind::Max | OutKind::Count => 1,
        OutKind::RowSum => 3 * d.rows as usize,
        OutKind::ColSum => 2 * d.cols as usize,
        OutKind::RowCount | OutKind::RowMin | OutKind::RowMax => d.rows as usize,
        OutKind::ColCount | OutKind::ColMin | OutKind::ColMax => d.cols as usize,
        OutKind::Store => 0,
    }
}

/// Where a scalar sum or product keeps its column states, relative to the output's first slot: column c
/// of the current unit at `column_state + c`, and for a sum its compensation `unit_cols` slots further.
pub fn column_state(kind: OutKind) -> usize {
    match kind {
        OutKind::Sum => 2,
        OutKind::Prod => 1,
        other => panic!("{other:?} keeps no column state"),
    }
}

/// The parts of an output's slots, as offsets into a lane's buffer (`Layout::parts`).
pub const PARTS: usize = 5;

impl Layout {
    /// Where output `o`'s parts start in a lane's buffer: its values, their compensations, a row sum's
    /// partials, a scalar's column states and their compensations. A part the output lacks is its first
    /// slot (never written through).
    pub fn parts(&self, k: &Kernel, o: usize) -> [usize; PARTS] {
        let base = self.offsets[o];
        let kind = k.outputs[o].kind;
        let m = match kind {
            OutKind::RowSum => k.domain.rows as usize,
            OutKind::ColSum => k.domain.cols as usize,
            _ => 0,
        };
        let (col, col_comp) = match kind {
            OutKind::Sum => {
                let col = base + column_state(kind);
                (col, col + k.domain.unit_cols() as usize)
            }
            OutKind::Prod => (base + column_state(kind), base),
            _ => (base, base),
        };
        let comp = if kind == OutKind::Sum {
            base + 1
        } else {
            base + m
        };
        let partial = if kind == OutKind::RowSum {
            base + 2 * m
        } else {
            base
        };
        [base, comp, partial, col, col_comp]
    }

    /// Ends a unit of columns `cols`: folds its column states into each scalar sum and product, in column
    /// order.
    pub fn finish_unit(&self, k: &Kernel, cols: std::ops::Range<u64>, acc: &mut [f64]) {
        let d = k.domain;
        let w = d.unit_cols() as usize;
        let width = (cols.end - cols.start) as usize;
        for (o, &base) in k.outputs.iter().zip(&self.offsets) {
            match o.kind {
                OutKind::Sum => {
                    let col = base + column_state(o.kind);
                    let mut s = Neumaier::from_parts(acc[base], acc[base + 1]);
                    for c in col..col + width {
                        s.merge(Neumaier::from_parts(
                            std::mem::take(&mut acc[c]),
                            std::mem::take(&mut acc[c + w]),
                        ));
                    }
                    (acc[base], acc[base + 1]) = s.parts();
                }
                OutKind::Prod => {
                    let col = base + column_state(o.kind);
                    for c in col..col + width {
                        acc[base] *= std::mem::replace(&mut acc[c], 1.0);
                    }
                }
                _ => {}
            }
        }
    }
}
