//! A kernel as text: its data, parameters, the SSA list (one instruction per line, `vK` naming the
//! value of instruction K) and the outputs, for `lazy_explain` and `LAZYSHARE_TRACE`.

use std::fmt;

use super::{Data, Idx, Inst, Kernel, OutKind};

fn idx(i: Idx) -> &'static str {
    match i {
        Idx::I => "i",
        Idx::J => "j",
        Idx::Zero => "0",
    }
}

fn out_name(k: OutKind) -> &'static str {
    match k {
        OutKind::Sum => "sum",
        OutKind::Prod => "prod",
        OutKind::Min => "min",
        OutKind::Max => "max",
        OutKind::Count => "count",
        OutKind::RowSum => "row sums",
        OutKind::ColSum => "column sums",
        OutKind::RowCount => "row counts",
        OutKind::ColCount => "column counts",
        OutKind::RowMin => "row mins",
        OutKind::RowMax => "row maxs",
        OutKind::ColMin => "column mins",
        OutKind::ColMax => "column maxs",
        OutKind::Store => "store",
    }
}

impl fmt::Display for Inst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Inst::Param(p) => write!(f, "param p{p}"),
            Inst::Const(bits) => write!(f, "const {}", f64::from_bits(bits)),
            Inst::Load { data, row, col, .. } => {
                write!(f, "load d{data}[{}, {}]", idx(row), idx(col))
            }
            Inst::Dist { data, p, .. } => write!(f, "dist(d{data} rows i, j; {p} coordinates)"),
            Inst::OffDiag(v) => write!(f, "offdiag v{v}"),
            Inst::Unary(op, a) => write!(f, "{}(v{a})", op.r_name()),
            Inst::Binary(op, a, b) => write!(f, "v{a} {} v{b}", op.r_name()),
        }
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, d) in self.data.iter().enumerate() {
            let what = match d {
                Data::Source(_) => "data",
                Data::Memo(_) => "reducer value",
            };
            writeln!(f, "    d{k}: {what}, {} values", d.values().len())?;
        }
        for (k, p) in self.params.iter().enumerate() {
            writeln!(f, "    p{k} = {p}")?;
        }
        for (k, inst) in self.insts.iter().enumerate() {
            writeln!(f, "    v{k} = {inst}")?;
        }
        for (k, o) in self.outputs.iter().enumerate() {
            writeln!(
                f,
                "    out{k}: {} of v{}{}",
                out_name(o.kind),
                o.value,
                if o.skip_nan { " (na.rm)" } else { "" }
            )?;
        }
        Ok(())
    }
}
