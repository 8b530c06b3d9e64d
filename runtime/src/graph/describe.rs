//! How nodes read to people: a one-line R-like expression (for `print()` of lazy objects and error
//! messages) and, through `Display`, the whole tree with the facts the planner uses.

use std::fmt;

use super::{Expr, Margin, Node, Reducer, Shape};

/// A one-line description of an expression, cut off below a depth of 5.
pub fn describe(n: &Node) -> String {
    fn go(n: &Node, depth: u32) -> String {
        if depth > 4 {
            return "...".into();
        }
        let d = depth + 1;
        match &n.expr {
            Expr::Source(s) => format!("<data {}>", s.len()),
            Expr::Const(c) => format!("{c}"),
            Expr::Dist(p) => format!("dist({})", go(p, d)),
            Expr::Unary(op, a) => format!("{}({})", op.r_name(), go(a, d)),
            Expr::Binary(op, a, b) => format!("({} {} {})", go(a, d), op.r_name(), go(b, d)),
            Expr::Sweep {
                x,
                margin,
                stats,
                op,
            } => format!(
                "sweep({}, {}, {}, \"{}\")",
                go(x, d),
                margin_number(*margin),
                go(stats, d),
                op.r_name()
            ),
            Expr::Transpose(x) => format!("t({})", go(x, d)),
            Expr::OffDiag(x) => format!("offdiag({})", go(x, d)),
            Expr::Reduced(r) => format!("{}({})", r.op.r_name(), go(&r.input, d)),
        }
    }
    go(n, 0)
}

/// A reducer as R code would write it: `rowMeans(dist(<data 3>))`.
pub fn describe_reducer(r: &Reducer) -> String {
    format!("{}({})", r.op.r_name(), describe(&r.input))
}

fn margin_number(m: Margin) -> u8 {
    match m {
        Margin::Rows => 1,
        Margin::Cols => 2,
    }
}

pub(super) fn shape_text(s: Shape) -> String {
    if s.matrix {
        format!("{} x {}", s.rows, s.cols)
    } else {
        format!("[{}]", s.rows)
    }
}

/// The operation of a node without its operands: what a tree line shows.
fn head(n: &Node) -> String {
    match &n.expr {
        Expr::Source(s) => format!("data <{} values>", s.len()),
        Expr::Const(c) => format!("constant {c}"),
        Expr::Dist(_) => "dist".into(),
        Expr::Unary(op, _) => op.r_name().into(),
        Expr::Binary(op, ..) => format!("`{}`", op.r_name()),
        Expr::Sweep { margin, op, .. } => {
            format!(
                "sweep(MARGIN = {}, \"{}\")",
                margin_number(*margin),
                op.r_name()
            )
        }
        Expr::Transpose(_) => "t".into(),
        Expr::OffDiag(_) => "offdiag".into(),
        Expr::Reduced(r) => reducer_head(r),
    }
}

fn reducer_head(r: &Reducer) -> String {
    format!(
        "{}({}){}",
        r.op.r_name(),
        if r.na_rm { "na.rm = TRUE" } else { "" },
        if r.is_done() {
            " = computed"
        } else {
            " pending"
        }
    )
}

/// The tree under a node, one node per line, indented by depth, with shape, R type and the facts
/// (symmetric, zero diagonal); a node met again is shown once and then referred to by number.
impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut seen: Vec<(u64, usize)> = Vec::new();
        let mut line = 0usize;
        write_tree(self, 0, &mut seen, &mut line, f)
    }
}

fn write_tree(
    n: &Node,
    depth: usize,
    seen: &mut Vec<(u64, usize)>,
    line: &mut usize,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    *line += 1;
    let indent = "  ".repeat(depth);
    if let Some(&(_, first)) = seen.iter().find(|(id, _)| *id == n.id()) {
        return writeln!(f, "{indent}#{first} (again)");
    }
    seen.push((n.id(), *line));
    let mut facts = vec![shape_text(n.shape), n.rtype.r_name().to_string()];
    if n.symmetric {
        facts.push("symmetric".into());
    }
    if n.zero_diag {
        facts.push("zero diagonal".into());
    }
    writeln!(f, "{indent}#{} {}  <{}>", *line, head(n), facts.join(", "))?;
    let children: Vec<&Node> = match &n.expr {
        Expr::Reduced(r) if !r.is_done() => vec![&r.input],
        _ => n.children().into_iter().map(|c| &**c).collect(),
    };
    for c in children {
        write_tree(c, depth + 1, seen, line, f)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::graph::{self, BinaryOp, Margin, ReduceOp, Shape, Source};

    #[test]
    fn one_line_and_tree_forms() {
        let x = graph::source(
            Arc::new(Source::owned(vec![0.0, 1.0, 3.0])),
            Shape::vector(3),
        );
        let d = graph::dist(&x).unwrap();
        let m = graph::reduce(ReduceOp::RowMeans, &d, false);
        let a = graph::sweep(&d, Margin::Rows, &m, BinaryOp::Sub).unwrap();
        assert_eq!(
            super::describe(&a),
            "sweep(dist(<data 3>), 1, rowMeans(dist(<data 3>)), \"-\")"
        );
        let tree = a.to_string();
        let lines: Vec<&str> = tree.lines().collect();
        assert_eq!(
            lines,
            [
                "#1 sweep(MARGIN = 1, \"-\")  <3 x 3, double>",
                "  #2 dist  <3 x 3, double, symmetric, zero diagonal>",
                "    #3 data <3 values>  <[3], double>",
                "  #4 rowMeans() pending  <[3], double>",
                "    #2 (again)",
            ]
        );
    }
}
