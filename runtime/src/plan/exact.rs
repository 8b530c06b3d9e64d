//! Reducers computed as R computes them: vector sums and means, and all products (see `rsum`), in
//! element order in long double; row and column sums and means of small matrices, each in long double
//! along R's order. They take their own sequential passes instead of joining a fused parallel one. When
//! their input is an expression rather than a source, a second thread evaluates it block by block ahead
//! of the sequential sum, so that the sum, not the evaluation, sets the pace.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backend::{self, run};
use super::lower::{store_kernel, NanChecks};
use super::PlanError;
use crate::exec::{self, ExecError, OutValue, StoreTarget, COUNTERS};
use crate::graph::{quiet, NodeRef, ReduceOp, Reducer};
use crate::kernel::Kernel;
use crate::rsum::Ld;
use crate::{config, rsum};

/// Elements evaluated per block: small enough that a block is still in the cache when it is summed.
const BLOCK: u64 = 1 << 16;
/// Blocks evaluated ahead of the one being summed.
const AHEAD: usize = 2;
/// How often a long sequence of blocks reports progress and checks for interrupts.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// Whether `r` is computed R's way rather than in a fused pass: products (whose partial products under-
/// or overflow in doubles where R's long double does not), vector sums and means, and sums and means of
/// matrices too small to be deferred (fusing them gains nothing).
pub fn applies(r: &Reducer) -> bool {
    let cfg = config::get();
    let small = r.input.shape.len() < cfg.defer_min_len;
    cfg.exact_sums
        && match r.op {
            ReduceOp::Prod => true,
            ReduceOp::Sum | ReduceOp::Mean => !r.input.shape.matrix || small,
            ReduceOp::RowSums | ReduceOp::RowMeans | ReduceOp::ColSums | ReduceOp::ColMeans => {
                small
            }
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
        let (kernel, checks) = store_kernel(self.node, false);
        if n > BLOCK {
            if let Err(e) = pipelined(&kernel, n, &checks, f) {
                self.error = Some(e);
            }
            return;
        }
        let mut buf = vec![0.0; n as usize];
        let chunks = exec::range_chunks(kernel.domain, 0, n);
        match run(
            &kernel,
            exec::Walk::whole(&chunks),
            Some(&StoreTarget::new(&mut buf, 0)),
        ) {
            Ok(outs) => checks.report(&outs),
            Err(e) => {
                self.error = Some(e.into());
                return;
            }
        }
        f(&buf);
        self.whole = Some(buf);
    }
}

/// One pass over the `n` values `kernel` stores, handed to `f` block by block in element order. A second
/// thread evaluates the blocks up to [`AHEAD`] ahead of `f` (buffers go back to it once summed), while
/// this thread runs `f` and polls between blocks; on an interrupt or an error both stop.
fn pipelined(
    kernel: &Kernel,
    n: u64,
    checks: &NanChecks,
    f: &mut dyn FnMut(&[f64]),
) -> Result<(), PlanError> {
    let program = backend::prepare(kernel);
    let blocks = n.div_ceil(BLOCK) as usize;
    let cancel = AtomicBool::new(false);
    let poll = backend::poll();
    let start = Instant::now();
    std::thread::scope(|s| {
        let (full, filled) =
            mpsc::sync_channel::<Result<(Vec<f64>, Vec<OutValue>), ExecError>>(AHEAD);
        let (give_back, returned) = mpsc::channel::<Vec<f64>>();
        for _ in 0..=AHEAD {
            let _ = give_back.send(Vec::with_capacity(BLOCK as usize));
        }
        let (program, cancel) = (program.as_ref(), &cancel);
        // Named like the pool's threads, so that the panic hook treats it as one of the runtime's.
        std::thread::Builder::new()
            .name("lazyshare-exact".into())
            .spawn_scoped(s, move || {
                for b in 0..blocks as u64 {
                    let Ok(mut buf) = returned.recv() else { return };
                    if cancel.load(Ordering::Relaxed) {
                        return;
                    }
                    let begin = b * BLOCK;
                    let len = BLOCK.min(n - begin);
                    buf.resize(len as usize, 0.0);
                    let chunks = exec::range_chunks(kernel.domain, begin, len);
                    let target = StoreTarget::new(&mut buf, begin);
                    let walk = exec::Walk::whole(&chunks);
                    let out = exec::run_prepared(kernel, program, walk, Some(&target), None);
                    if full.send(out.map(|o| (buf, o))).is_err() {
                        return;
                    }
                }
            })
            .expect("the system can start a thread");
        let mut polled_at = start;
        for b in 0..blocks {
            // A closed channel means the evaluating thread panicked: the scope re-raises that panic.
            let Ok(block) = filled.recv() else { break };
            let (buf, outs) = block?;
            checks.report(&outs);
            f(&buf);
            let _ = give_back.send(buf);
            if let Some(p) = poll.filter(|_| polled_at.elapsed() >= POLL_EVERY) {
                polled_at = Instant::now();
                if !p(b + 1, blocks, start.elapsed().as_secs_f64()) {
                    cancel.store(true, Ordering::Relaxed);
                    return Err(ExecError::Interrupted.into());
                }
            }
        }
        Ok(())
    })
}

/// The value of `r` (all its dependencies computed), as R computes it.
pub fn value(r: &Reducer) -> Result<Arc<[f64]>, PlanError> {
    match r.op {
        ReduceOp::RowSums | ReduceOp::RowMeans | ReduceOp::ColSums | ReduceOp::ColMeans => {
            let m = r.op.result_shape(r.input.shape).len() as usize;
            margins(r, &vec![true; m])
        }
        _ => Ok(Arc::from(vec![reduce(r)?])),
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

/// Row or column sums or means as R computes them (at the positions `which` says; the others are 0): in
/// long double along R's order (each row across the columns, each column down its rows), with the x87
/// unit's choice between NaNs (`x87_nan`): `colSums(cbind(c(NaN, NA)))` is NaN,
/// `colSums(cbind(c(Inf, -Inf, NA * 1)))` is NA.
pub fn margins(r: &Reducer, which: &[bool]) -> Result<Arc<[f64]>, PlanError> {
    let rows = r.input.shape.rows.max(1);
    let by_row = matches!(r.op, ReduceOp::RowSums | ReduceOp::RowMeans);
    let m = which.len();
    let mut acc = vec![Ld::new(0.0); m];
    let mut count = vec![0usize; m];
    let mut nan: Vec<Option<f64>> = vec![None; m];
    let mut k = 0u64;
    Blocks::new(&r.input).each(&mut |block| {
        for &x in block {
            let p = if by_row { k % rows } else { k / rows } as usize;
            k += 1;
            if !which[p] || (r.na_rm && x.is_nan()) {
                continue;
            }
            if x.is_nan() {
                // The sum's own NaN (Inf - Inf) is there first if it has one.
                let s = acc[p].get();
                let current = nan[p].or(s.is_nan().then_some(s));
                nan[p] = Some(current.map_or(quiet(x), |c| x87_nan(c, x)));
            } else if nan[p].is_none() {
                acc[p].add(&[x], false);
                count[p] += 1;
            }
        }
    })?;
    let other = if by_row {
        r.input.shape.cols
    } else {
        r.input.shape.rows
    } as f64;
    let mean = matches!(r.op, ReduceOp::RowMeans | ReduceOp::ColMeans);
    Ok((0..m)
        .map(|p| {
            if !which[p] {
                return 0.0;
            }
            if let Some(nan) = nan[p] {
                return nan;
            }
            if mean {
                acc[p].div(if r.na_rm { count[p] as f64 } else { other });
            }
            acc[p].get()
        })
        .collect())
}

/// The NaN an x87 long double sum holding the (quiet) NaN `acc` has after adding the NaN `x` read from
/// memory: a signalling NaN there (R's NA as R stores it) leaves `acc`; a quiet one (a NaN, or an NA
/// that arithmetic made) wins if its significand is larger, as an NA's is.
fn x87_nan(acc: f64, x: f64) -> f64 {
    const QUIET: u64 = 1 << 51;
    const FRACTION: u64 = (1 << 52) - 1;
    let (a, b) = (acc.to_bits() & FRACTION, x.to_bits() & FRACTION);
    if b & QUIET == 0 || a >= b {
        acc
    } else {
        x
    }
}
