//! Hoisting column terms out of the row loop: in a kernel whose outputs only accumulate, `(y - c) + u`
//! with `c` and `u` constant along a column and finite becomes `y + (u - c)`, where `u - c` is computed
//! once per column. Double centring (`a_ij - a_i. - a_.j + a..`, dcor's second pass) is this shape: one
//! operation per element and one per-column value fewer, as a careful hand-written loop computes it.
//! The sums then differ from the unhoisted ones in their last bits, as compensated sums differ from R's
//! anyway; values that are stored or compared keep R's order of operations (`accumulates_only`). With
//! `c` and `u` finite, an infinite or NaN `y` gives the same result either way.

use crate::graph::BinaryOp;
use crate::kernel::{always_finite, classify, Class, Inst, Kernel, Value};

/// Rewrites every `(y - c) + u` (or `u + (y - c)`) whose `y - c` has no other use; returns how many.
pub fn hoist_column_terms(k: &mut Kernel) -> usize {
    if !k.accumulates_only() {
        return 0;
    }
    let class = classify(k);
    let finite = always_finite(k);
    let mut uses = vec![0usize; k.insts.len()];
    for inst in &k.insts {
        for v in operands(inst) {
            uses[v as usize] += 1;
        }
    }
    for o in &k.outputs {
        uses[o.value as usize] += 1;
    }
    let fixed = |v: Value| class[v as usize] != Class::Varying && finite[v as usize];
    // For each hoisted addition: (the subtraction it absorbs, y, c, u).
    let mut hoisted: Vec<Option<(Value, Value, Value, Value)>> = vec![None; k.insts.len()];
    for (v, inst) in k.insts.iter().enumerate() {
        let Inst::Binary(BinaryOp::Add, a, b) = *inst else {
            continue;
        };
        for (x, u) in [(a, b), (b, a)] {
            if let Inst::Binary(BinaryOp::Sub, y, c) = k.insts[x as usize] {
                if fixed(u) && fixed(c) && uses[x as usize] == 1 {
                    hoisted[v] = Some((x, y, c, u));
                    break;
                }
            }
        }
    }
    let count = hoisted.iter().flatten().count();
    if count == 0 {
        return 0;
    }
    let absorbed: Vec<Value> = hoisted.iter().flatten().map(|h| h.0).collect();
    let mut map = vec![Value::MAX; k.insts.len()];
    let mut insts = Vec::with_capacity(k.insts.len());
    for (v, inst) in k.insts.iter().enumerate() {
        if absorbed.contains(&(v as Value)) {
            continue;
        }
        let at = |w: Value| map[w as usize];
        let new = match hoisted[v] {
            Some((_, y, c, u)) => {
                insts.push(Inst::Binary(BinaryOp::Sub, at(u), at(c)));
                Inst::Binary(BinaryOp::Add, at(y), insts.len() as Value - 1)
            }
            None => remap(*inst, at),
        };
        map[v] = insts.len() as Value;
        insts.push(new);
    }
    for o in &mut k.outputs {
        o.value = map[o.value as usize];
    }
    k.insts = insts;
    count
}

fn operands(inst: &Inst) -> Vec<Value> {
    match *inst {
        Inst::OffDiag(a) | Inst::Unary(_, a) => vec![a],
        Inst::Binary(_, a, b) => vec![a, b],
        Inst::Param(_) | Inst::Const(_) | Inst::Load { .. } | Inst::Dist { .. } => vec![],
    }
}

fn remap(inst: Inst, at: impl Fn(Value) -> Value) -> Inst {
    match inst {
        Inst::OffDiag(a) => Inst::OffDiag(at(a)),
        Inst::Unary(op, a) => Inst::Unary(op, at(a)),
        Inst::Binary(op, a, b) => Inst::Binary(op, at(a), at(b)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::exec::{self, Walk};
    use crate::graph::Source;
    use crate::interp::Interp;
    use crate::kernel::{Data, Domain, Idx, OutKind, Output};
    use crate::testutil::noise;

    /// sum((|x_i - x_j| - m_i - m_j + M)^2) over a symmetric grid: dcor's second pass for one sample.
    fn centred(m: Vec<f64>, kind: OutKind) -> Kernel {
        let n = m.len() as u64;
        let load = |row| Inst::Load {
            data: 1,
            row,
            col: Idx::Zero,
            ld: n,
        };
        Kernel {
            domain: Domain {
                rows: n,
                cols: n,
                symmetric: kind != OutKind::Store,
            },
            insts: vec![
                Inst::Dist {
                    data: 0,
                    p: 1,
                    ld: n,
                },
                load(Idx::I),
                Inst::Binary(BinaryOp::Sub, 0, 1),
                load(Idx::J),
                Inst::Binary(BinaryOp::Sub, 2, 3),
                Inst::Param(0),
                Inst::Binary(BinaryOp::Add, 4, 5),
                Inst::Binary(BinaryOp::Mul, 6, 6),
            ],
            outputs: vec![Output {
                kind,
                value: 7,
                skip_nan: false,
            }],
            data: vec![
                Data::Source(Arc::new(Source::owned(noise(n as usize, 1)))),
                Data::Memo(m.into()),
            ],
            params: vec![0.25],
        }
    }

    fn total(k: &Kernel) -> f64 {
        let units = exec::units(k.domain);
        exec::run(k, &Interp, Walk::whole(&units), None, None).expect("not polled")[0].scalar()
    }

    #[test]
    fn double_centring_computes_its_column_terms_once_per_column() {
        let before = centred(noise(300, 2), OutKind::Sum);
        let mut after = before.clone();
        assert_eq!(hoist_column_terms(&mut after), 1);
        let varying = |k: &Kernel| classify(k).iter().filter(|&&c| c == Class::Varying).count();
        assert_eq!(varying(&after), varying(&before) - 1);
        assert_eq!(after.insts.len(), before.insts.len());
        let (a, b) = (total(&after), total(&before));
        assert!((a - b).abs() <= 1e-13 * b.abs(), "{a} vs {b}");
    }

    #[test]
    fn stored_values_and_possibly_non_finite_terms_keep_their_order() {
        let mut stored = centred(noise(50, 3), OutKind::Store);
        assert_eq!(hoist_column_terms(&mut stored), 0);
        let mut m = noise(50, 4);
        m[7] = f64::NAN;
        let mut missing = centred(m, OutKind::Sum);
        assert_eq!(hoist_column_terms(&mut missing), 0);
    }
}
