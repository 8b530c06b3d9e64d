//! The planner. Forcing a reducer computes it together with every other pending reducer, reachable from
//! the nodes R objects hold, whose loop covers the same grid: Renjin's "search the graph for reducer
//! nodes", so that the three sums of dcor's second pass share one pass. Reducers are staged by dependency;
//! each stage is one kernel, run on the chosen backend.

mod bounds;
mod eval;
mod exact;
mod lower;
mod rvalue;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use crate::config;
use crate::exec::{self, Backend, ExecError, COUNTERS};
use crate::graph::{self, Expr, GraphError, Node, NodeRef, Reducer};
use crate::interp::Interp;
use crate::kernel::{Domain, OutKind};

pub use bounds::abs_bound;
pub use eval::{
    admit, check_size, check_size_of, is_known, map_columns, materialize, materialize_into,
    StoreEval,
};
use lower::Lowerer;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error(
        "materialising this {what} needs {} (limit {}: lazy_options(max_materialize = ...))",
        crate::pages::gib(*.bytes),
        crate::pages::gib(*.limit)
    )]
    TooBig {
        what: String,
        bytes: u64,
        limit: u64,
    },
}

/// The JIT, when the R layer provides one (the runtime knows no Cranelift).
static JIT: OnceLock<Box<dyn Backend>> = OnceLock::new();

/// How passes report progress and check for interrupts (set by the R layer).
static POLL: OnceLock<fn(usize, usize, f64) -> bool> = OnceLock::new();

pub fn set_jit(backend: Box<dyn Backend>) {
    let _ = JIT.set(backend);
}

pub fn set_poll(f: fn(usize, usize, f64) -> bool) {
    let _ = POLL.set(f);
}

/// The backend for `kernel`: the JIT from `jit_min_work` element-operations on, where it runs the kernel.
fn backend(kernel: &crate::kernel::Kernel) -> &'static dyn Backend {
    static INTERP: Interp = Interp;
    match JIT.get() {
        Some(jit) if kernel.work() >= config::get().jit_min_work && jit.runs(kernel) => {
            COUNTERS
                .jit_runs
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            jit.as_ref()
        }
        _ => {
            COUNTERS
                .interp_runs
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            &INTERP
        }
    }
}

fn run(
    kernel: &crate::kernel::Kernel,
    chunks: &[exec::Chunk],
    store: Option<&exec::StoreTarget>,
) -> Result<Vec<exec::OutValue>, ExecError> {
    let b = backend(kernel);
    match POLL.get() {
        Some(p) => {
            let mut p = *p;
            exec::run(kernel, b, chunks, store, Some(&mut p))
        }
        None => exec::run(kernel, b, chunks, store, None),
    }
}

/// `f(0), ..., f(n - 1)` in parallel, polled like a pass (progress, Ctrl-C). For work that is one
/// substantial computation per index, such as scoring the columns of a matrix.
pub fn map_indices<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Result<Vec<T>, PlanError> {
    let mut poll = POLL.get().copied();
    Ok(exec::map_indices(
        n,
        f,
        poll.as_mut().map(|p| p as exec::Poll<'_>),
    )?)
}

/// The reducers `node` needs, not yet computed, directly (not through other reducers).
fn direct_pending(node: &Node, out: &mut Vec<Arc<Reducer>>, seen: &mut HashSet<u64>) {
    if !seen.insert(node.id()) {
        return;
    }
    if let Expr::Reduced(r) = &node.expr {
        if !r.is_done() {
            out.push(r.clone());
        }
        return;
    }
    for c in node.children() {
        direct_pending(c, out, seen);
    }
}

fn deps(r: &Reducer) -> Vec<Arc<Reducer>> {
    let mut out = Vec::new();
    direct_pending(&r.input, &mut out, &mut HashSet::new());
    out
}

/// Every pending reducer `r` needs, including itself, transitively.
fn closure(r: &Arc<Reducer>) -> Vec<Arc<Reducer>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![r.clone()];
    while let Some(r) = stack.pop() {
        if r.is_done() || !seen.insert(r.id()) {
            continue;
        }
        stack.extend(deps(&r));
        out.push(r);
    }
    out
}

/// Pending reducers reachable from the nodes R holds, with their dependencies.
fn live_pending() -> Vec<Arc<Reducer>> {
    let mut out = Vec::new();
    let mut seen_nodes = HashSet::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<NodeRef> = graph::live_roots();
    while let Some(n) = stack.pop() {
        if !seen_nodes.insert(n.id()) {
            continue;
        }
        if let Expr::Reduced(r) = &n.expr {
            if !r.is_done() && seen.insert(r.id()) {
                out.push(r.clone());
                stack.push(r.input.clone());
            }
            continue;
        }
        stack.extend(n.children().into_iter().cloned());
    }
    out
}

fn grid(r: &Reducer) -> (u64, u64) {
    (r.input.shape.rows, r.input.shape.cols)
}

/// Computes `target` (and whatever shares its passes).
pub fn force(target: &Arc<Reducer>) -> Result<(), PlanError> {
    while !target.is_done() {
        let needed = closure(target);
        let ready: Vec<Arc<Reducer>> = needed
            .iter()
            .filter(|r| deps(r).is_empty())
            .cloned()
            .collect();
        let g = grid(&ready[0]);
        let mut batch: Vec<Arc<Reducer>> = ready.into_iter().filter(|r| grid(r) == g).collect();
        let ids: HashSet<u64> = batch.iter().map(|r| r.id()).collect();
        batch.extend(
            live_pending()
                .into_iter()
                .filter(|r| !ids.contains(&r.id()) && grid(r) == g && deps(r).is_empty()),
        );
        run_stage(&batch)?;
    }
    Ok(())
}

/// Computes every reducer `node` depends on.
pub fn force_node(node: &Node) -> Result<(), PlanError> {
    loop {
        let mut pending = Vec::new();
        direct_pending(node, &mut pending, &mut HashSet::new());
        let Some(r) = pending.first() else {
            return Ok(());
        };
        force(r)?;
    }
}

/// One pass computing `batch` (all over the same grid, all dependencies done).
fn run_stage(batch: &[Arc<Reducer>]) -> Result<(), PlanError> {
    // Structurally identical reducers are computed once.
    let mut unique: Vec<Arc<Reducer>> = Vec::new();
    let mut copies: HashMap<u64, Vec<Arc<Reducer>>> = HashMap::new();
    for r in batch {
        if let Some(v) = bounds::shortcut(r) {
            r.set(Arc::from(vec![v]));
            continue;
        }
        if exact::applies(r) {
            r.set(exact::value(r)?);
            continue;
        }
        match unique.iter().find(|u| Reducer::same(u, r)) {
            Some(u) => copies.entry(u.id()).or_default().push(r.clone()),
            None => unique.push(r.clone()),
        }
    }
    if unique.is_empty() {
        return Ok(());
    }
    let (rows, cols) = grid(&unique[0]);
    // A symmetric pass visits half the grid; row and column extremes need every element (they are not
    // mirrored).
    let domain = Domain {
        rows,
        cols,
        symmetric: unique
            .iter()
            .all(|r| r.input.symmetric && !(r.op.is_extreme() && r.op.margin().is_some())),
    };
    // Row and column reducers first, so that totals can reuse their row sums.
    unique.sort_by_key(|r| r.op.result_shape(r.input.shape).is_scalar());
    let mut lw = Lowerer::new(domain);
    let finishes: Vec<_> = unique.iter().map(|r| lw.reducer(r)).collect();
    let (kernel, checks) = lw.finish();
    let row_outputs = kernel
        .outputs
        .iter()
        .any(|o| matches!(o.kind, OutKind::RowSum | OutKind::RowCount));
    let chunks = exec::chunks(
        domain,
        config::get().chunk_rows,
        if row_outputs { 64 } else { 1 },
    );
    COUNTERS
        .passes
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    COUNTERS
        .elements
        .fetch_add(domain.visited(), std::sync::atomic::Ordering::Relaxed);
    let outs = run(&kernel, &chunks, None)?;
    checks.report(&outs);
    for (r, f) in unique.iter().zip(&finishes) {
        let v = rvalue::finish(r, f.apply(&outs))?;
        for c in copies.get(&r.id()).into_iter().flatten() {
            c.set(v.clone());
        }
        r.set(v);
    }
    Ok(())
}

/// A one-line description of an expression, for `print()` of lazy objects and error messages.
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
                match margin {
                    graph::Margin::Rows => 1,
                    graph::Margin::Cols => 2,
                },
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

#[cfg(test)]
mod tests;
