//! Plans made visible. `explain` runs the planning passes of a force (collect, stage, resolve, dedup,
//! domain, rows first, lowering, backend choice) and keeps what they decided instead of executing it, so
//! that users see what a force will do before paying for it, and tests can assert the shape of a plan.
//! With `LAZYSHARE_TRACE` set in the environment, every force prints its stages this way as it runs them.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, OnceLock};

use super::backend::{self, Choice};
use super::lower::store_kernel;
use super::stage::{self, StagePlan};
use super::{pending, schedule, PlanError};
use crate::config;
use crate::graph::{self, Expr, NodeRef, Reducer};
use crate::kernel::Kernel;

/// What forcing one reducer runs: its stages, in order.
pub struct Plan {
    pub target: String,
    pub stages: Vec<StagePlan>,
}

/// The plan a force of `target` would run, computing nothing.
pub fn explain(target: &Arc<Reducer>) -> Plan {
    plan_with(target, &mut HashSet::new())
}

fn plan_with(target: &Arc<Reducer>, done: &mut HashSet<u64>) -> Plan {
    let stages = schedule::stages_after(target, done)
        .iter()
        .map(|batch| stage::plan(batch, true))
        .collect();
    Plan {
        target: graph::describe_reducer(target),
        stages,
    }
}

/// Everything under a lazy value: its graph, the forces its pending reducers need (each also computing
/// what shares its passes), and, for an expression, the kernel that computes its elements when R reads
/// them.
pub struct Explanation {
    pub graph: String,
    pub forces: Vec<Plan>,
    pub elements: Option<(Kernel, Choice)>,
}

pub fn explain_node(node: &NodeRef) -> Explanation {
    let mut done = HashSet::new();
    let mut forces = Vec::new();
    let targets: Vec<Arc<Reducer>> = match &node.expr {
        Expr::Reduced(r) if !r.is_done() => vec![r.clone()],
        _ => pending::direct(node, &HashSet::new()),
    };
    for r in targets {
        if !pending::is_done(&r, &done) {
            forces.push(plan_with(&r, &mut done));
        }
    }
    let elements = (!matches!(
        node.expr,
        Expr::Source(_) | Expr::Const(_) | Expr::Reduced(_)
    ))
    .then(|| {
        let (kernel, _) = store_kernel(node, true);
        let choice = backend::choose(&kernel);
        (kernel, choice)
    });
    Explanation {
        graph: node.to_string(),
        forces,
        elements,
    }
}

thread_local! {
    /// While set, nothing that needs a pass runs: the first computation that would is recorded as an
    /// explanation and refused with [`PlanError::ExplainOnly`], so `lazy_explain(expr)` can show what `expr`
    /// would compute, even deep inside code such as memApply's, without computing it. Stages decided from
    /// bounds alone, and values too small to be deferred, are still computed: they cost no pass, and code
    /// branches on them (`if (!all(is.finite(x)))`).
    ///
    /// The mode belongs to the thread that turned it on (R's main thread), the thread that forces.
    static EXPLAIN_ONLY: Cell<bool> = const { Cell::new(false) };
    /// What the computation refused in explain-only mode would have run.
    static STOPPED: RefCell<Option<Explanation>> = const { RefCell::new(None) };
}

/// Turns explain-only mode on or off on this thread; returns whether it was on.
pub fn set_explain_only(on: bool) -> bool {
    EXPLAIN_ONLY.with(|m| m.replace(on))
}

fn explain_only() -> bool {
    EXPLAIN_ONLY.with(Cell::get)
}

/// The explanation of the computation explain-only mode refused last, if any (taken, not copied).
pub fn take_stopped() -> Option<Explanation> {
    STOPPED.with(|s| s.borrow_mut().take())
}

fn stop(e: Explanation) -> PlanError {
    STOPPED.with(|s| *s.borrow_mut() = Some(e));
    PlanError::ExplainOnly
}

/// In explain-only mode, refuses a force whose stages (`batches`, as scheduled) need a pass, recording
/// its plan.
pub(super) fn check_force(
    target: &Arc<Reducer>,
    batches: &[Vec<Arc<Reducer>>],
) -> Result<(), PlanError> {
    if !explain_only() {
        return Ok(());
    }
    let stages: Vec<StagePlan> = batches.iter().map(|b| stage::plan(b, true)).collect();
    if stages
        .iter()
        .all(|s| s.fused.is_none() && s.r_exact.is_empty())
    {
        return Ok(());
    }
    Err(stop(Explanation {
        graph: format!("{}\n{}", graph::describe_reducer(target), target.input),
        forces: vec![Plan {
            target: graph::describe_reducer(target),
            stages,
        }],
        elements: None,
    }))
}

/// In explain-only mode, refuses computing the elements of an expression at least `defer_min_len` long
/// (recording what it would run).
pub(super) fn check_elements(node: &NodeRef) -> Result<(), PlanError> {
    let small = node.shape.len() < config::get().defer_min_len;
    if !explain_only() || small || node.as_source().is_some() {
        return Ok(());
    }
    Err(stop(explain_node(node)))
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.stages.len();
        writeln!(
            f,
            "force {}: {n} stage{}",
            self.target,
            if n == 1 { "" } else { "s" }
        )?;
        for (k, s) in self.stages.iter().enumerate() {
            write!(f, "{}", StageText(k + 1, s))?;
        }
        Ok(())
    }
}

struct StageText<'a>(usize, &'a StagePlan);

impl fmt::Display for StageText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let StageText(k, s) = *self;
        writeln!(f, "stage {k}: grid {} x {}", s.grid.0, s.grid.1)?;
        for r in &s.rewrites {
            writeln!(f, "  {r}")?;
        }
        let Some(p) = &s.fused else {
            return writeln!(f, "  no fused pass");
        };
        let d = p.kernel.domain;
        writeln!(
            f,
            "  fused kernel: {} x {}{}, {} elements, {} reducer{}:",
            d.rows,
            d.cols,
            if d.symmetric { " symmetric" } else { "" },
            d.visited(),
            p.reducers.len(),
            if p.reducers.len() == 1 { "" } else { "s" }
        )?;
        for ((r, _), finish) in p.reducers.iter().zip(&p.finishes) {
            let outs: Vec<String> = finish.outputs().iter().map(|o| format!("out{o}")).collect();
            writeln!(
                f,
                "    {}  <- {}",
                graph::describe_reducer(r),
                outs.join(", ")
            )?;
        }
        for r in &p.rewrites {
            writeln!(f, "  {r}")?;
        }
        writeln!(f, "{}", BackendText(&p.kernel, &p.backend))?;
        write!(f, "{}", p.kernel)
    }
}

struct BackendText<'a>(&'a Kernel, &'a Choice);

impl fmt::Display for BackendText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let BackendText(kernel, c) = *self;
        write!(
            f,
            "  {:.3e} element-ops -> {} ({}){}",
            kernel.work(),
            if c.jit { "JIT" } else { "interpreter" },
            c.reason,
            match (c.jit, c.cached) {
                (true, true) => "; compiled form cached",
                (true, false) => "; compiled on first run",
                _ => "",
            }
        )
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "graph:")?;
        for line in self.graph.lines() {
            writeln!(f, "  {line}")?;
        }
        if self.forces.is_empty() {
            writeln!(f, "no pending reducers")?;
        }
        for p in &self.forces {
            write!(f, "{p}")?;
        }
        if let Some((kernel, choice)) = &self.elements {
            writeln!(
                f,
                "elements, when R reads them: {} x {} store kernel",
                kernel.domain.rows, kernel.domain.cols
            )?;
            writeln!(f, "{}", BackendText(kernel, choice))?;
            write!(f, "{kernel}")?;
        }
        Ok(())
    }
}

/// Where traced plans go; the R layer sends them to R's console, the default is stderr.
static TRACE_SINK: OnceLock<fn(&str)> = OnceLock::new();

pub fn set_trace_sink(f: fn(&str)) {
    let _ = TRACE_SINK.set(f);
}

/// Read at every force, so that `Sys.setenv(LAZYSHARE_TRACE = 1)` takes effect at once.
fn tracing() -> bool {
    std::env::var_os("LAZYSHARE_TRACE").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Prints a stage about to run, when `LAZYSHARE_TRACE` is set.
pub(super) fn trace(k: usize, stage: &StagePlan) {
    if !tracing() {
        return;
    }
    let text = format!("[lazyshare trace] {}", StageText(k, stage));
    match TRACE_SINK.get() {
        Some(sink) => sink(&text),
        None => eprint!("{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{BinaryOp, Shape};
    use crate::plan::testgraphs::{dcor_graph, noise_dcor, reducer, src};
    use crate::testutil::noise;

    #[test]
    fn explaining_dcor_shows_two_fused_stages_and_computes_nothing() {
        let n = 73;
        let [ab, _, _] = noise_dcor(n, 11);
        let target = reducer(&ab);
        let plan = explain(&target);
        assert_eq!(plan.stages.len(), 2);
        let kernels: Vec<(bool, usize)> = plan
            .stages
            .iter()
            .map(|s| {
                let p = s.fused.as_ref().unwrap();
                (p.kernel.domain.symmetric, p.reducers.len())
            })
            .collect();
        assert_eq!(kernels, [(true, 4), (true, 1)]);
        assert!(!target.is_done());
        let text = plan.to_string();
        let heads: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.starts_with("force") || l.starts_with("stage") || l.contains("fused kernel")
            })
            .collect();
        assert_eq!(heads.len(), 5, "{text}");
        assert!(heads[0].starts_with("force mean(("));
        assert!(heads[0].ends_with(": 2 stages"));
        assert_eq!(heads[1], "stage 1: grid 73 x 73");
        assert_eq!(
            heads[2],
            "  fused kernel: 73 x 73 symmetric, 2701 elements, 4 reducers:"
        );
        assert!(text.contains("symmetric domain: only i <= j visited"));
        // Each reducer says which outputs it is made from: the row means their row sums, the totals
        // (taken from those row sums) the same outputs.
        let made_from: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("    ")?.split("  <- ").nth(1))
            .collect();
        assert_eq!(
            made_from,
            ["out0", "out1", "out0", "out1", "out0"],
            "{text}"
        );
        // The runtime's own tests register no JIT (the R layer does).
        assert!(text.contains("element-ops -> interpreter (no JIT registered)"));
    }

    #[test]
    fn explaining_an_expression_shows_its_store_kernel_after_its_reducers() {
        let m = src(noise(6000, 13), Shape::matrix(100, 60));
        let mean = crate::graph::reduce(crate::graph::ReduceOp::Mean, &m, false);
        let centred = crate::graph::binary(BinaryOp::Sub, &m, &mean).unwrap();
        let e = explain_node(&centred);
        assert_eq!(e.forces.len(), 1);
        assert_eq!(e.forces[0].stages.len(), 1);
        let (kernel, _) = e.elements.as_ref().unwrap();
        assert_eq!((kernel.domain.rows, kernel.domain.cols), (100, 60));
        let text = e.to_string();
        assert!(text.contains("elements, when R reads them: 100 x 60 store kernel"));
        assert!(text.contains("out0: store of v"));
        assert!(!reducer(&mean).is_done());
    }

    #[test]
    fn explain_only_mode_refuses_passes_but_not_bounds() {
        let n = 79;
        let x = src(noise(n, 14), Shape::vector(n as u64));
        let y = src(noise(n, 15), Shape::vector(n as u64));
        let d = crate::graph::dist(&x).unwrap();
        let finite = crate::graph::reduce(
            crate::graph::ReduceOp::All,
            &crate::graph::unary(crate::graph::UnaryOp::IsFinite, &d),
            false,
        );
        let [ab, _, _] = dcor_graph(x, y, 1.0);
        assert!(!set_explain_only(true));
        // all(is.finite(dist(x))) follows from bounds: computed, no pass.
        assert_eq!(crate::plan::force(&reducer(&finite)), Ok(()));
        assert_eq!(reducer(&finite).value().unwrap()[0], 1.0);
        assert_eq!(
            crate::plan::force(&reducer(&ab)),
            Err(PlanError::ExplainOnly)
        );
        assert!(set_explain_only(false));
        let stopped = take_stopped().unwrap();
        assert_eq!(stopped.forces[0].stages.len(), 2);
        assert!(take_stopped().is_none());
        assert!(!reducer(&ab).is_done());
        assert_eq!(crate::plan::force(&reducer(&ab)), Ok(()));
    }
}
