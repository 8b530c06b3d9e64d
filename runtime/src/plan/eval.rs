//! Values of a node itself (not of its reducers): any range of elements, for R's Elt/Get_region, or all of
//! them (materialisation, refused above `max_materialize_bytes`). Also the admission rules applied to every
//! new node: the depth cap and eager evaluation of tiny results.

use std::sync::Arc;

use super::backend::run;
use super::lower::{store_kernel, NanChecks};
use super::{explain, force_node, pending, PlanError};
use crate::config;
use crate::exec::{self, StoreTarget, COUNTERS};
use crate::graph::{self, Expr, NodeRef, Shape, Source};
use crate::kernel::Kernel;

/// A node lowered once to a store kernel, so that repeated element requests cost only the loop.
pub struct StoreEval {
    kernel: Kernel,
    checks: NanChecks,
    program: Box<dyn exec::Program>,
}

impl StoreEval {
    /// Computes the reducers `node` needs and prepares its kernel.
    pub fn new(node: &NodeRef) -> Result<StoreEval, PlanError> {
        explain::check_elements(node)?;
        force_node(node)?;
        let (kernel, checks) = store_kernel(node, false);
        let program = crate::interp::Interp.prepare_for_store(&kernel);
        Ok(StoreEval {
            kernel,
            checks,
            program,
        })
    }

    /// Writes elements `start..start + out.len()` of the lower triangle (the order of a `dist` object:
    /// below the diagonal, column by column) into `out`.
    pub fn eval_lower(&self, start: u64, out: &mut [f64]) {
        let n = self.kernel.domain.rows;
        let offset = |j: u64| j * (2 * n - j - 1) / 2;
        // The column holding element `start`: the largest j with offset(j) <= start.
        let mut j = {
            let nf = n as f64;
            let guess = nf - 0.5 - ((nf - 0.5).powi(2) - 2.0 * start as f64).max(0.0).sqrt();
            (guess.floor().max(0.0) as u64).min(n.saturating_sub(2))
        };
        while j > 0 && offset(j) > start {
            j -= 1;
        }
        while j + 1 < n && offset(j + 1) <= start {
            j += 1;
        }
        let mut done = 0usize;
        let mut k = start;
        while done < out.len() {
            let i = j + 1 + (k - offset(j));
            let take = ((n - i) as usize).min(out.len() - done);
            self.eval(i + j * n, &mut out[done..done + take]);
            done += take;
            k += take as u64;
            j += 1;
        }
    }

    /// Writes elements `start..start + out.len()` (column-major) into `out`.
    pub fn eval(&self, start: u64, out: &mut [f64]) {
        COUNTERS
            .elements_read
            .fetch_add(out.len() as u64, std::sync::atomic::Ordering::Relaxed);
        let chunks = exec::range_chunks(self.kernel.domain, start, out.len() as u64);
        let target = StoreTarget::new(out, start);
        let outs = exec::run_prepared(
            &self.kernel,
            self.program.as_ref(),
            exec::Walk::whole(&chunks),
            Some(&target),
            None,
        )
        .expect("a pass without polling is never cancelled");
        self.checks.report(&outs);
    }
}

fn describe_shape(s: Shape) -> String {
    if s.matrix {
        format!("{} x {} lazy matrix", s.rows, s.cols)
    } else {
        format!("lazy vector of length {}", s.rows)
    }
}

/// Checks that `shape` may be materialised under the current limit.
pub fn check_size(shape: Shape) -> Result<(), PlanError> {
    check_bytes(describe_shape(shape), shape.len())
}

/// Checks that `len` values may be materialised under the current limit.
pub fn check_size_of(len: u64) -> Result<(), PlanError> {
    check_bytes(format!("lazy object of {len} elements"), len)
}

fn check_bytes(what: String, len: u64) -> Result<(), PlanError> {
    let bytes = len.saturating_mul(8);
    let limit = config::get().max_materialize_bytes;
    if bytes > limit {
        return Err(PlanError::TooBig { what, bytes, limit });
    }
    Ok(())
}

/// All values of `node`, computed in parallel into `out` (which must have the node's length).
pub fn materialize_into(node: &NodeRef, out: &mut [f64]) -> Result<(), PlanError> {
    assert_eq!(out.len() as u64, node.shape.len());
    if let Some(s) = node.as_source() {
        out.copy_from_slice(s.values());
        return Ok(());
    }
    explain::check_elements(node)?;
    force_node(node)?;
    if let Expr::Reduced(r) = &node.expr {
        // A reducer's value is its elements already: no pass, as `explain` shows.
        out.copy_from_slice(r.value().expect("force_node computes the node's reducer"));
        return Ok(());
    }
    let (kernel, checks) = store_kernel(node, false);
    COUNTERS
        .materializations
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let target = StoreTarget::new(out, 0);
    let outs = super::backend::full_pass(kernel.domain, |walk| run(&kernel, walk, Some(&target)))?;
    checks.report(&outs);
    Ok(())
}

/// `f(j, column j)` for each column j in `cols` of `node`'s values (a vector is one column), in parallel
/// over the columns: a source's columns are read where they are; an expression's are computed a column
/// at a time into one buffer per column, so the matrix is never materialised.
pub fn map_columns<T: Send>(
    node: &NodeRef,
    cols: std::ops::Range<usize>,
    f: impl Fn(usize, &[f64]) -> T + Sync,
) -> Result<Vec<T>, PlanError> {
    let rows = node.shape.rows as usize;
    assert!(cols.end as u64 <= node.shape.cols, "columns out of range");
    let first = cols.start;
    explain::check_elements(node)?;
    if let Some(s) = node.as_source() {
        let v = s.values();
        return super::map_indices(cols.len(), |k| {
            let j = first + k;
            f(j, &v[j * rows..(j + 1) * rows])
        });
    }
    force_node(node)?;
    let (kernel, checks) = store_kernel(node, false);
    let program = crate::interp::Interp.prepare_for_store(&kernel);
    let scored = super::map_indices(cols.len(), |k| {
        let j = first + k;
        let mut column = vec![0.0; rows];
        let start = (j * rows) as u64;
        let target = StoreTarget::new(&mut column, start);
        let chunks = exec::range_chunks(kernel.domain, start, rows as u64);
        let outs = exec::run_prepared(
            &kernel,
            program.as_ref(),
            exec::Walk::whole(&chunks),
            Some(&target),
            None,
        )
        .expect("a pass without polling is never cancelled");
        (f(j, &column), checks.fired(&outs))
    })?;
    let mut fired: Vec<usize> = scored.iter().flat_map(|(_, w)| w.iter().copied()).collect();
    fired.sort_unstable();
    fired.dedup();
    checks.raise(&fired);
    Ok(scored.into_iter().map(|(v, _)| v).collect())
}

/// All values of `node` in a new buffer, if within the size limit.
pub fn materialize(node: &NodeRef) -> Result<Vec<f64>, PlanError> {
    check_size(node.shape)?;
    let mut out = vec![0.0; node.shape.len() as usize];
    materialize_into(node, &mut out)?;
    Ok(out)
}

/// `node` replaced by a source holding its values.
fn as_source(node: &NodeRef) -> Result<NodeRef, PlanError> {
    if matches!(node.expr, Expr::Source(_) | Expr::Const(_)) {
        return Ok(node.clone());
    }
    let values = materialize(node)?;
    let src = Arc::new(Source::owned(values));
    Ok(graph::typed_source(
        src,
        node.shape,
        node.rtype,
        node.int_bound,
    ))
}

fn has_pending(node: &NodeRef) -> bool {
    !pending::direct(node, &Default::default()).is_empty()
}

/// Whether the values of `node` are known without a pass (a source, a constant, a computed reducer).
pub fn is_known(node: &NodeRef) -> bool {
    match &node.expr {
        Expr::Source(_) | Expr::Const(_) => true,
        Expr::Reduced(r) => r.is_done(),
        _ => false,
    }
}

/// Applies the admission rules to a freshly built node: past `max_depth` its operands are materialised
/// (keeping loops like `x <- sqrt(x - mean(x))` finite); an elementwise result, or a reducer, over fewer
/// than `defer_min_len` elements whose inputs are all known is computed at once.
pub fn admit(node: NodeRef) -> Result<NodeRef, PlanError> {
    let cfg = config::get();
    if let Expr::Reduced(r) = &node.expr {
        if r.input.shape.len() < cfg.defer_min_len && !has_pending(&r.input) {
            super::force(r)?;
        }
        return Ok(node);
    }
    let node = if node.depth > cfg.max_depth {
        let children: Vec<NodeRef> = node
            .children()
            .into_iter()
            .map(|c| {
                if c.depth > 0 {
                    as_source(c)
                } else {
                    Ok(c.clone())
                }
            })
            .collect::<Result<_, _>>()?;
        graph::rebuild(&node, children)?
    } else {
        node
    };
    let elementwise = !matches!(
        node.expr,
        Expr::Source(_) | Expr::Const(_) | Expr::Reduced(_) | Expr::Dist(_)
    );
    if elementwise && node.shape.len() < cfg.defer_min_len && !has_pending(&node) {
        return as_source(&node);
    }
    Ok(node)
}
