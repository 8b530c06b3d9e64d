//! The planner. Forcing a reducer computes it together with every other pending reducer, reachable from
//! the nodes R holds, whose loop covers the same grid: Renjin's "search the graph for reducer nodes", so
//! that the three sums of dcor's second pass share one pass. A force is a pipeline of named passes:
//!
//! 1. collect (`pending`): the pending reducers the target needs, and those R's live nodes hold;
//! 2. stage (`schedule`): stages in dependency order, one grid each;
//! 3. per stage (`stage`): resolve (finiteness shortcut, R-exact route), dedup, domain (symmetric or
//!    not), rows first, lowering (`lower`: structural sharing, CSE, totals from row sums, NaN checks;
//!    then `hoist`: column terms out of the row loop)
//!    and the backend choice (`backend`);
//! 4. execute (`stage::execute`), stage after stage.
//!
//! Steps 1 to 3 compute nothing, so `explain` shows exactly what a force would run. Values of nodes
//! themselves (materialisation, element access) are in `eval`; R-exact reductions in `exact`; finiteness
//! proofs in `bounds`; R's values for non-finite results in `rvalue`.

mod backend;
mod bounds;
mod eval;
mod exact;
mod explain;
mod hoist;
mod lower;
mod pending;
mod rewrites;
mod rvalue;
mod schedule;
mod stage;

use std::collections::HashSet;
use std::sync::Arc;

use crate::exec::{self, ExecError};
use crate::graph::{GraphError, Node, Reducer};

pub use crate::graph::describe;
pub use backend::{set_jit, set_poll, Choice};
pub use bounds::abs_bound;
pub use eval::{
    admit, check_size, check_size_of, is_known, map_columns, materialize, materialize_into,
    StoreEval,
};
pub use explain::{
    explain, explain_node, set_explain_only, set_trace_sink, take_stopped, Explanation, Plan,
};
pub use rewrites::Rewrite;
pub use stage::{FusedPass, StagePlan};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error("not computed: lazy_explain() shows what this would compute")]
    ExplainOnly,
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

/// `f(0), ..., f(n - 1)` in parallel, polled like a pass (progress, Ctrl-C). For work that is one
/// substantial computation per index, such as scoring the columns of a matrix.
pub fn map_indices<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Result<Vec<T>, PlanError> {
    let mut poll = backend::poll();
    Ok(exec::map_indices(
        n,
        f,
        poll.as_mut().map(|p| p as exec::Poll<'_>),
    )?)
}

/// `work` of about `total` steps off the calling thread, polled like a pass (progress, Ctrl-C): for long
/// computations that are not passes.
pub fn run_steps<T: Send>(
    total: usize,
    work: impl FnOnce(&exec::Steps) -> Option<T> + Send,
) -> Result<T, PlanError> {
    let mut poll = backend::poll();
    Ok(exec::run_steps(
        total,
        work,
        poll.as_mut().map(|p| p as exec::Poll<'_>),
    )?)
}

/// Computes `target` (and whatever shares its passes).
pub fn force(target: &Arc<Reducer>) -> Result<(), PlanError> {
    let batches = schedule::stages_after(target, &mut HashSet::new());
    explain::check_force(target, &batches)?;
    // Each stage is lowered only when the stages before it have run: its kernel reads their values.
    for (k, batch) in batches.iter().enumerate() {
        let plan = stage::plan(batch, false);
        explain::trace(k + 1, &plan);
        stage::execute(plan)?;
    }
    Ok(())
}

/// Computes every reducer `node` depends on.
pub fn force_node(node: &Node) -> Result<(), PlanError> {
    while let Some(r) = pending::direct(node, &HashSet::new()).first() {
        force(r)?;
    }
    Ok(())
}

#[cfg(test)]
mod testgraphs;
#[cfg(test)]
#[path = "force_tests.rs"]
mod tests;
