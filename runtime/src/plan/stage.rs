//! The passes that turn one stage's reducers into what runs: `resolve` (the finiteness shortcut and the
//! R-exact route take reducers out of the fused pass), `dedup` (structurally identical reducers computed
//! once), `domain` (symmetric when every input is), `rows_first` (so totals can reuse row sums), then
//! lowering to one kernel and choosing its backend. `plan` applies them in that order; `execute` runs the
//! result. Planning computes nothing, so `lazy_explain` can show a plan without running it.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::backend::{self, Choice};
use super::lower::{Finish, Lowerer, NanChecks};
use super::rewrites::Rewrite;
use super::{bounds, exact, rvalue, PlanError};
use crate::exec::COUNTERS;
use crate::graph::{self, Reducer};
use crate::kernel::{Domain, Kernel};

/// What one stage does.
pub struct StagePlan {
    pub grid: (u64, u64),
    /// Reducers whose value follows from bounds (the finiteness shortcut).
    pub by_bounds: Vec<(Arc<Reducer>, f64)>,
    /// Reducers computed R's way in passes of their own.
    pub r_exact: Vec<Arc<Reducer>>,
    /// The fused pass, unless every reducer was resolved without one.
    pub fused: Option<FusedPass>,
    /// The stage's rewrites that are not about the kernel (shortcut, R-exact).
    pub rewrites: Vec<Rewrite>,
}

/// One fused pass: the kernel, which reducers it computes and how, and where it runs.
pub struct FusedPass {
    /// The reducers computed, with the structurally identical ones that take the same value.
    pub reducers: Vec<(Arc<Reducer>, Vec<Arc<Reducer>>)>,
    pub finishes: Vec<Finish>,
    pub kernel: Kernel,
    pub checks: NanChecks,
    pub rewrites: Vec<Rewrite>,
    pub backend: Choice,
}

/// Reducers decided without the fused pass, and the rest.
pub struct Resolved {
    pub by_bounds: Vec<(Arc<Reducer>, f64)>,
    pub r_exact: Vec<Arc<Reducer>>,
    pub rest: Vec<Arc<Reducer>>,
}

/// Pass "resolve": reducers decided without the fused pass. The finiteness shortcut gives
/// `all(is.finite(e))` and `any(is.na(e))` from bounds; the R-exact route computes products, vector sums
/// and means and small matrices' sums as R does. The order of `batch` is kept within each group.
pub fn resolve(batch: &[Arc<Reducer>]) -> Resolved {
    let mut out = Resolved {
        by_bounds: Vec::new(),
        r_exact: Vec::new(),
        rest: Vec::new(),
    };
    for r in batch {
        if let Some(v) = bounds::shortcut(r) {
            out.by_bounds.push((r.clone(), v));
        } else if exact::applies(r) {
            out.r_exact.push(r.clone());
        } else {
            out.rest.push(r.clone());
        }
    }
    out
}

/// Whether `r` goes into a stage's fused pass (`resolve` takes it out otherwise).
pub fn fuses(r: &Reducer) -> bool {
    bounds::shortcut(r).is_none() && !exact::applies(r)
}

/// Pass "dedup": structurally identical reducers (`graph::same_reducer`) computed once; each unique
/// reducer with its copies, in first-seen order.
pub fn dedup(reducers: Vec<Arc<Reducer>>) -> Vec<(Arc<Reducer>, Vec<Arc<Reducer>>)> {
    let mut unique: Vec<(Arc<Reducer>, Vec<Arc<Reducer>>)> = Vec::new();
    for r in reducers {
        match unique.iter_mut().find(|(u, _)| graph::same_reducer(u, &r)) {
            Some((_, copies)) => copies.push(r),
            None => unique.push((r, Vec::new())),
        }
    }
    unique
}

/// Pass "domain": the grid, visited symmetrically (i <= j only) when every input is symmetric; row and
/// column extremes need every element (they are not mirrored).
pub fn domain(reducers: &[Arc<Reducer>]) -> Domain {
    let (rows, cols) = reducers[0].grid();
    Domain {
        rows,
        cols,
        symmetric: reducers
            .iter()
            .all(|r| r.input.symmetric && !(r.op.is_extreme() && r.op.margin().is_some())),
    }
}

/// Pass "rows first": row and column reducers before totals, so that a total of values whose row sums
/// the pass computes is taken from them (the lowerer's total-from-row-sums rewrite).
pub fn rows_first(unique: &mut [(Arc<Reducer>, Vec<Arc<Reducer>>)]) {
    unique.sort_by_key(|(r, _)| r.op.result_shape(r.input.shape).is_scalar());
}

/// The plan of one stage (its reducers all over one grid, their inputs ready). With `explaining`,
/// reducers of earlier stages that are not computed yet are lowered as placeholders of their shape.
pub fn plan(batch: &[Arc<Reducer>], explaining: bool) -> StagePlan {
    let Resolved {
        by_bounds,
        r_exact,
        rest,
    } = resolve(batch);
    let mut rewrites: Vec<Rewrite> = by_bounds
        .iter()
        .map(|(r, v)| Rewrite::FiniteShortcut {
            reducer: graph::describe_reducer(r),
            value: *v,
        })
        .collect();
    rewrites.extend(r_exact.iter().map(|r| Rewrite::RExact {
        reducer: graph::describe_reducer(r),
    }));
    let fused = (!rest.is_empty()).then(|| fuse(rest, explaining));
    StagePlan {
        grid: batch[0].grid(),
        by_bounds,
        r_exact,
        fused,
        rewrites,
    }
}

/// Passes "dedup", "domain" and "rows first", lowering and the backend choice, for the reducers left.
fn fuse(rest: Vec<Arc<Reducer>>, explaining: bool) -> FusedPass {
    let mut unique = dedup(rest);
    let mut rewrites: Vec<Rewrite> = unique
        .iter()
        .filter(|(_, copies)| !copies.is_empty())
        .map(|(r, copies)| Rewrite::Dedup {
            reducer: graph::describe_reducer(r),
            copies: copies.len(),
        })
        .collect();
    let reducers: Vec<Arc<Reducer>> = unique.iter().map(|(r, _)| r.clone()).collect();
    let domain = domain(&reducers);
    if domain.symmetric {
        rewrites.push(Rewrite::SymmetricDomain);
    }
    rows_first(&mut unique);
    let mut lw = if explaining {
        Lowerer::explaining(domain)
    } else {
        Lowerer::new(domain)
    };
    let finishes: Vec<Finish> = unique.iter().map(|(r, _)| lw.reducer(r)).collect();
    let (kernel, checks, lowered) = lw.finish();
    rewrites.extend(lowered);
    let backend = backend::choose(&kernel);
    FusedPass {
        reducers: unique,
        finishes,
        kernel,
        checks,
        rewrites,
        backend,
    }
}

/// Runs a stage's plan: values from bounds, R-exact passes, then the fused pass.
pub fn execute(stage: StagePlan) -> Result<(), PlanError> {
    for (r, v) in &stage.by_bounds {
        r.set(Arc::from(vec![*v]));
    }
    for r in &stage.r_exact {
        r.set(exact::value(r)?);
    }
    let Some(pass) = stage.fused else {
        return Ok(());
    };
    let kernel = &pass.kernel;
    COUNTERS.passes.fetch_add(1, Ordering::Relaxed);
    COUNTERS
        .elements
        .fetch_add(kernel.domain.visited(), Ordering::Relaxed);
    let outs = backend::full_pass(kernel.domain, |walk| backend::run(kernel, walk, None))?;
    pass.checks.report(&outs);
    for ((r, copies), f) in pass.reducers.iter().zip(&pass.finishes) {
        let v = rvalue::finish(r, f.apply(&outs))?;
        for c in copies {
            c.set(v.clone());
        }
        r.set(v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::graph::{BinaryOp, ReduceOp, Shape, UnaryOp};
    use crate::plan::schedule::stages_after;
    use crate::plan::testgraphs::{noise_dcor, reducer, src};
    use crate::testutil::noise;

    fn reduce(op: ReduceOp, n: &crate::graph::NodeRef) -> Arc<Reducer> {
        reducer(&graph::reduce(op, n, false))
    }

    #[test]
    fn resolve_takes_out_shortcuts_and_r_exact_reducers() {
        let m = src(noise(40_000, 4), Shape::matrix(200, 200));
        let finite = reduce(ReduceOp::All, &graph::unary(UnaryOp::IsFinite, &m));
        let product = reduce(ReduceOp::Prod, &m);
        let total = reduce(ReduceOp::Sum, &m);
        let r = resolve(&[finite.clone(), product.clone(), total.clone()]);
        assert_eq!(r.by_bounds.len(), 1);
        assert!(Arc::ptr_eq(&r.by_bounds[0].0, &finite) && r.by_bounds[0].1 == 1.0);
        assert!(r.r_exact.len() == 1 && Arc::ptr_eq(&r.r_exact[0], &product));
        assert!(r.rest.len() == 1 && Arc::ptr_eq(&r.rest[0], &total));
    }

    #[test]
    fn dedup_computes_identical_reducers_once() {
        let data = noise(900, 5);
        let a = src(data.clone(), Shape::matrix(30, 30));
        let sq = graph::binary(BinaryOp::Mul, &a, &a).unwrap();
        let one = reduce(ReduceOp::Mean, &sq);
        let again = reduce(
            ReduceOp::Mean,
            &graph::binary(BinaryOp::Mul, &a, &a).unwrap(),
        );
        let other = reduce(ReduceOp::Sum, &sq);
        let unique = dedup(vec![one.clone(), other, again.clone()]);
        assert_eq!(unique.len(), 2);
        assert!(Arc::ptr_eq(&unique[0].0, &one));
        assert!(unique[0].1.len() == 1 && Arc::ptr_eq(&unique[0].1[0], &again));
    }

    #[test]
    fn the_domain_is_symmetric_only_when_every_input_is() {
        let x = src(noise(31, 6), Shape::vector(31));
        let d = graph::dist(&x).unwrap();
        let m = src(noise(961, 7), Shape::matrix(31, 31));
        let sym = domain(&[reduce(ReduceOp::Mean, &d), reduce(ReduceOp::RowSums, &d)]);
        assert!(sym.symmetric && (sym.rows, sym.cols) == (31, 31));
        assert!(!domain(&[reduce(ReduceOp::Mean, &d), reduce(ReduceOp::Mean, &m)]).symmetric);
        // Row extremes are not mirrored: they need the whole grid.
        assert!(!domain(&[reduce(ReduceOp::RowMaxs, &d)]).symmetric);
    }

    #[test]
    fn row_reducers_go_first_so_totals_reuse_their_sums() {
        // 67 x 67 is above defer_min_len, so the sums are fused rather than taken R's exact way.
        let x = src(noise(67, 8), Shape::vector(67));
        let d = graph::dist(&x).unwrap();
        let mut unique = dedup(vec![
            reduce(ReduceOp::Mean, &d),
            reduce(ReduceOp::RowMeans, &d),
        ]);
        rows_first(&mut unique);
        assert_eq!(unique[0].0.op, ReduceOp::RowMeans);
        let plan = plan(
            &[reduce(ReduceOp::Mean, &d), reduce(ReduceOp::RowMeans, &d)],
            false,
        );
        let pass = plan.fused.unwrap();
        // One row-sum output serves both: the mean has no accumulator of its own.
        assert_eq!(pass.kernel.outputs.len(), 1);
        assert!(pass.rewrites.contains(&Rewrite::TotalFromRowSums {
            reducer: "mean(dist(<data 67>))".into()
        }));
        assert!(pass.rewrites.contains(&Rewrite::SymmetricDomain));
    }

    /// The example: mean(A*B), mean(A*A) and mean(B*B) of DCOR's second stage share one kernel.
    #[test]
    fn dcor_second_stage_is_one_kernel_with_three_reducers() {
        let n = 71;
        let [ab, aa, bb] = noise_dcor(n, 9);
        let stages = stages_after(&reducer(&ab), &mut HashSet::new());
        let first = plan(&stages[0], true);
        let pass = first.fused.as_ref().unwrap();
        assert!(pass.kernel.domain.symmetric);
        assert_eq!(pass.reducers.len(), 4);
        let second = plan(&[reducer(&ab), reducer(&aa), reducer(&bb)], true);
        let pass = second.fused.unwrap();
        assert_eq!(pass.reducers.len(), 3);
        assert!(pass.kernel.domain.symmetric);
        assert_eq!(pass.kernel.outputs.len(), 3);
        assert!(second.by_bounds.is_empty() && second.r_exact.is_empty());
    }
}
