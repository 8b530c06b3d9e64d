//! Pass "stage": the order in which a force computes reducers. Each stage is the reducers one pass
//! computes: those over one grid whose inputs are ready (every reducer they read is computed by an
//! earlier stage). The target's first ready reducer picks the grid; every other ready reducer over that
//! grid that the target needs joins it. Reducers merely pending in a node R holds join a fused pass that
//! runs anyway, but never cause one: a node R no longer reaches may still be registered until R's
//! garbage collector finalises it, and its reducers must cost nothing. Nothing is computed here.

use std::collections::HashSet;
use std::sync::Arc;

use super::{pending, stage};
use crate::graph::{self, Margin, Reducer};

/// The stages that compute `target` and the reducers that share its passes, in order, counting the
/// reducers in `done` (ids) as computed already; the ones scheduled are added to it.
pub fn stages_after(target: &Arc<Reducer>, done: &mut HashSet<u64>) -> Vec<Vec<Arc<Reducer>>> {
    let live = pending::live();
    let mut out = Vec::new();
    loop {
        let needed = pending::closure(target, done);
        let ready: Vec<Arc<Reducer>> = needed
            .into_iter()
            .filter(|r| pending::deps(r, done).is_empty())
            .collect();
        let Some(first) = ready.first() else {
            return out;
        };
        let g = first.grid();
        let mut batch: Vec<Arc<Reducer>> = ready.into_iter().filter(|r| r.grid() == g).collect();
        if batch.iter().any(|r| stage::fuses(r)) {
            let ids: HashSet<u64> = batch.iter().map(|r| r.id()).collect();
            let joiners: Vec<Arc<Reducer>> = live
                .iter()
                .filter(|r| {
                    !ids.contains(&r.id())
                        && !pending::is_done(r, done)
                        && r.grid() == g
                        && pending::deps(r, done).is_empty()
                        && stage::fuses(r)
                        && keeps_the_pass(&batch, r)
                })
                .cloned()
                .collect();
            batch.extend(joiners);
        }
        done.extend(batch.iter().map(|r| r.id()));
        out.push(batch);
    }
}

/// Whether a reducer merely pending may join the pass of `batch` without changing how the pass computes
/// `batch`: the domain stays symmetric if it was (a full grid adds up rows in another order), and row sums
/// do not join over the input of one of its totals (which would then be summed from them). Otherwise a
/// value would depend on which nodes R's garbage collector has not finalised yet. (How a pass is cut
/// depends on its domain alone, so other outputs joining never regroup a sum.)
fn keeps_the_pass(batch: &[Arc<Reducer>], r: &Reducer) -> bool {
    let symmetric =
        |r: &Reducer| r.input.symmetric && !(r.op.is_extreme() && r.op.margin().is_some());
    let row_sums = |r: &Reducer| r.op.margin() == Some(Margin::Rows) && !r.op.is_extreme();
    let total_of_r = |b: &Reducer| b.op.margin().is_none() && graph::same(&b.input, &r.input);
    (symmetric(r) || !batch.iter().all(|b| symmetric(b)))
        && !(row_sums(r) && batch.iter().any(|b| total_of_r(b)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{self, ReduceOp, Shape};
    use crate::plan::testgraphs::{noise_dcor, reducer, src};
    use crate::testutil::noise;

    #[test]
    fn dcor_takes_two_stages_over_one_grid() {
        let n = 29;
        let [ab, _, _] = noise_dcor(n, 1);
        let stages = stages_after(&reducer(&ab), &mut HashSet::new());
        let ops: Vec<Vec<ReduceOp>> = stages
            .iter()
            .map(|s| s.iter().map(|r| r.op).collect())
            .collect();
        // Stage 1: rowMeans and mean of each distance matrix; stage 2: the target.
        assert_eq!(ops.len(), 2);
        let mut first = ops[0].clone();
        first.sort_by_key(|op| op.r_name());
        assert_eq!(
            first,
            [
                ReduceOp::Mean,
                ReduceOp::Mean,
                ReduceOp::RowMeans,
                ReduceOp::RowMeans
            ]
        );
        assert_eq!(ops[1], [ReduceOp::Mean]);
        assert!(stages.iter().flatten().all(|r| r.grid() == (29, 29)));
    }

    #[test]
    fn reducers_over_another_grid_wait_for_their_own_stage() {
        let m = src(noise(6, 3), Shape::matrix(3, 2));
        let col = graph::reduce(ReduceOp::ColSums, &m, false);
        // sum(colSums(m)) reads a 2-vector: a second stage over a 2 x 1 grid.
        let total = graph::reduce(ReduceOp::Sum, &col, false);
        let mut done = HashSet::new();
        let stages = stages_after(&reducer(&total), &mut done);
        let grids: Vec<(u64, u64)> = stages.iter().map(|s| s[0].grid()).collect();
        assert_eq!(grids, [(3, 2), (2, 1)]);
        assert_eq!(done.len(), 2);
        assert!(stages_after(&reducer(&total), &mut done).is_empty());
    }

    #[test]
    fn pending_reducers_r_holds_join_a_pass_but_never_cause_one() {
        // A grid no other test uses: the roots R holds are one registry per process.
        let m = src(noise(101 * 103, 8), Shape::matrix(101, 103));
        let held = graph::reduce(ReduceOp::RowSums, &m, false);
        graph::register_root(&held);
        let finite = graph::reduce(
            ReduceOp::All,
            &graph::unary(graph::UnaryOp::IsFinite, &m),
            false,
        );
        let stages = stages_after(&reducer(&finite), &mut HashSet::new());
        assert!(stages.len() == 1 && stages[0].len() == 1);
        assert!(!stage::fuses(&stages[0][0]));

        let means = graph::reduce(ReduceOp::RowMeans, &m, false);
        let stages = stages_after(&reducer(&means), &mut HashSet::new());
        let ops: Vec<ReduceOp> = stages[0].iter().map(|r| r.op).collect();
        assert_eq!(ops, [ReduceOp::RowMeans, ReduceOp::RowSums]);
        drop(held);
    }

    #[test]
    fn pending_reducers_that_would_reshape_the_pass_stay_out() {
        // Row sums would make the sum of their own input come from them; a reducer over a
        // non-symmetric matrix would make a symmetric pass visit the full grid. Either changes the bits
        // of what was asked. Row sums joining a column-sum pass change nothing and do join.
        let m = src(noise(97 * 89, 9), Shape::matrix(97, 89));
        let rows = graph::reduce(ReduceOp::RowSums, &m, false);
        graph::register_root(&rows);
        let total = graph::reduce(ReduceOp::Sum, &m, false);
        let stages = stages_after(&reducer(&total), &mut HashSet::new());
        assert_eq!(stages.len(), 1);
        assert_eq!(stages[0].len(), 1);
        let cols = graph::reduce(ReduceOp::ColSums, &m, false);
        let stages = stages_after(&reducer(&cols), &mut HashSet::new());
        let ops: Vec<ReduceOp> = stages[0].iter().map(|r| r.op).collect();
        assert_eq!(ops, [ReduceOp::ColSums, ReduceOp::RowSums]);
        drop(rows);

        let x = src(noise(83 * 2, 10), Shape::matrix(83, 2));
        let d = graph::off_diag(&graph::dist(&x).unwrap());
        let w = src(noise(83, 11), Shape::vector(83));
        let swept = graph::sweep(&d, graph::Margin::Rows, &w, graph::BinaryOp::Sub).unwrap();
        let full = graph::reduce(ReduceOp::ColSums, &swept, false);
        graph::register_root(&full);
        let sym = graph::reduce(ReduceOp::RowMeans, &d, false);
        let stages = stages_after(&reducer(&sym), &mut HashSet::new());
        let ops: Vec<ReduceOp> = stages[0].iter().map(|r| r.op).collect();
        assert_eq!(ops, [ReduceOp::RowMeans]);
        drop(full);
    }
}
