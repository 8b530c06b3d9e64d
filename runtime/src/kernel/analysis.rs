//! Facts about a kernel's instructions that let backends do less per element: which values are constant
//! within a run or a column (hoisted out of the row loop), and which can be NaN (R's choice between two
//! NaNs needs checking only where both operands can be).

use super::{Data, Idx, Inst, Kernel, Value};
use crate::graph::{BinaryOp, UnaryOp};

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
    facts(k).into_iter().map(|(nan, _)| nan).collect()
}

/// Which instructions are finite everywhere in the grid (by the same reasoning as [`may_be_nan`]).
pub fn always_finite(k: &Kernel) -> Vec<bool> {
    facts(k)
        .into_iter()
        .map(|(nan, inf)| !nan && !inf)
        .collect()
}

/// (may be NaN, may be infinite) per instruction.
fn facts(k: &Kernel) -> Vec<(bool, bool)> {
    let finite: Vec<bool> = k
        .data
        .iter()
        .map(|d| match d {
            Data::Source(s) => s.extent().all_finite,
            Data::Memo(m) => m.iter().all(|x| x.is_finite()),
        })
        .collect();
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
    facts
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::graph::Source;
    use crate::kernel::Domain;

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
