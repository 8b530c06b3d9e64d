//! Vector sums and means, and all products, computed as R computes them (see `rsum`): in element order,
//! in long double. They take their own sequential passes instead of joining a fused parallel one; the
//! values are still produced in parallel, a block at a time, when they are an expression rather than a
//! source.

use super::eval::store_kernel;
use super::{run, PlanError};
use crate::exec::{self, StoreTarget, COUNTERS};
use crate::graph::{NodeRef, ReduceOp, Reducer};
use crate::{config, rsum};

/// Elements evaluated per block.
const BLOCK: u64 = 1 << 20;

/// Whether `r` is computed R's way rather than in a fused pass.
pub fn applies(r: &Reducer) -> bool {
    config::get().exact_sums
        && match r.op {
            // A product's partial products under- or overflow in doubles where R's long double does not.
            ReduceOp::Prod => true,
            ReduceOp::Sum | ReduceOp::Mean => !r.input.shape.matrix,
            _ => false,
        }
}

/// Calls `f` with consecutive blocks of `node`'s values.
pub(super) struct Blocks<'a> {
    node: &'a NodeRef,
    /// The whole vector, when it fits in one block (evaluated once, read by every pass).
    whole: Option<Vec<f64>>,
    error: Option<PlanError>,
}

impl<'a> Blocks<'a> {
    pub(super) fn new(node: &'a NodeRef) -> Blocks<'a> {
        Blocks {
            node,
            whole: None,
            error: None,
        }
    }

    /// One pass over the values, in element order.
    pub(super) fn each(mut self, f: &mut dyn FnMut(&[f64])) -> Result<(), PlanError> {
        self.feed(f);
        self.error.map_or(Ok(()), Err)
    }

    fn feed(&mut self, f: &mut dyn FnMut(&[f64])) {
        COUNTERS
            .passes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        COUNTERS
            .elements
            .fetch_add(self.node.shape.len(), std::sync::atomic::Ordering::Relaxed);
        if let Some(s) = self.node.as_source() {
            f(s.values());
            return;
        }
        if let Some(w) = &self.whole {
            f(w);
            return;
        }
        let n = self.node.shape.len();
        let (kernel, checks) = store_kernel(self.node);
        let domain = kernel.domain;
        let mut buf = vec![0.0; BLOCK.min(n) as usize];
        let mut start = 0;
        while start < n {
            let len = BLOCK.min(n - start);
            let out = &mut buf[..len as usize];
            let chunks = exec::range_chunks(domain, start, len);
            let target = StoreTarget::new(out, start);
            match run(&kernel, &chunks, Some(&target)) {
                Ok(outs) => checks.report(&outs),
                Err(e) => {
                    self.error = Some(e.into());
                    return;
                }
            }
            f(out);
            start += len;
        }
        if n <= BLOCK {
            self.whole = Some(buf);
        }
    }
}

/// The value of `r` (all its dependencies computed), as R's sum/mean/prod would give it.
pub fn reduce(r: &Reducer) -> Result<f64, PlanError> {
    let mut blocks = Blocks::new(&r.input);
    let mut feed = |f: &mut dyn FnMut(&[f64])| blocks.feed(f);
    let v = match r.op {
        ReduceOp::Sum => rsum::sum(&mut feed, r.na_rm),
        ReduceOp::Prod => rsum::prod(&mut feed, r.na_rm),
        ReduceOp::Mean if r.input.rtype.is_integral() => rsum::mean_of_integers(&mut feed, r.na_rm),
        ReduceOp::Mean => rsum::mean(&mut feed, r.na_rm),
        _ => unreachable!("exact::applies"),
    };
    match blocks.error {
        Some(e) => Err(e),
        None => Ok(v),
    }
}
