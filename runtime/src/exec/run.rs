//! Running a kernel over a list of chunks: chunk c belongs to lane c mod `LANES`, each lane folds its
//! chunks in order into its own accumulators, and the lanes are combined in lane order. Small passes run
//! on the calling thread, large ones on the pool, the largest polled from the calling thread.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rayon::prelude::*;

use super::backend::{Backend, Program, StoreTarget};
use super::chunks::Chunk;
use super::combine::{combine, OutValue};
use super::poll::{polled, ExecError, Poll};
use crate::kernel::{Kernel, Layout};

/// Independent accumulator sets per pass; fixed so that results are reproducible on any machine.
pub const LANES: usize = 16;

/// Passes larger than this run off the calling thread and are polled.
const POLLED_ELEMENTS: u64 = 1 << 22;

/// Runs `kernel` over `chunk_list` (a full pass or a range) with `backend`.
pub fn run(
    kernel: &Kernel,
    backend: &dyn Backend,
    chunk_list: &[Chunk],
    store: Option<&StoreTarget>,
    poll: Option<Poll<'_>>,
) -> Result<Vec<OutValue>, ExecError> {
    let program = backend.prepare(kernel);
    run_prepared(kernel, program.as_ref(), chunk_list, store, poll)
}

/// Runs a program already prepared for `kernel` (so that a caller running many ranges of one kernel
/// prepares, and for the JIT compiles or looks up, only once).
pub fn run_prepared(
    kernel: &Kernel,
    program: &dyn Program,
    chunk_list: &[Chunk],
    store: Option<&StoreTarget>,
    poll: Option<Poll<'_>>,
) -> Result<Vec<OutValue>, ExecError> {
    let layout = Layout::of(kernel);
    let visited: u64 = chunk_list
        .iter()
        .map(|c| c.visited(kernel.domain.symmetric))
        .sum();
    let cancel = AtomicBool::new(false);
    let done = AtomicUsize::new(0);
    let lane = |l: usize| {
        let mut acc = layout.init(kernel);
        for c in chunk_list.iter().skip(l).step_by(LANES) {
            if cancel.load(Ordering::Relaxed) {
                break;
            }
            program.run(c, &mut acc, store);
            done.fetch_add(1, Ordering::Relaxed);
        }
        acc
    };
    let lanes: Vec<Vec<f64>> = if chunk_list.len() <= 1 || visited < 1 << 15 {
        (0..LANES.min(chunk_list.len().max(1))).map(lane).collect()
    } else if visited < POLLED_ELEMENTS || poll.is_none() {
        crate::pool::install(|| (0..LANES).into_par_iter().map(lane).collect())
    } else {
        let poll = poll.expect("checked");
        polled(
            || crate::pool::install(|| (0..LANES).into_par_iter().map(lane).collect()),
            || (done.load(Ordering::Relaxed), chunk_list.len()),
            poll,
            &cancel,
        )
    };
    if cancel.load(Ordering::Relaxed) {
        return Err(ExecError::Interrupted);
    }
    Ok(combine(kernel, &layout, &lanes))
}
