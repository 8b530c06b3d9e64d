//! Running a kernel over a walk: units are dealt to the `LANES` lanes in a fixed order (`lane_of`), each
//! lane folds its units in order
//! (each unit's tiles in row order, then `Layout::finish_unit`) into its own accumulators, and the lanes
//! are combined in lane order. Small passes run on the calling thread, large ones on the pool, the
//! largest polled from the calling thread.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use super::backend::{Backend, Program, StoreTarget};
use super::chunks::Chunk;
use super::combine::{combine, OutValue};
use super::poll::{polled, ExecError, Poll};
use crate::kernel::{Kernel, Layout};

/// Independent accumulator sets per pass; fixed so that results are reproducible on any machine.
pub const LANES: usize = 16;

/// The lane of unit u: units are dealt to the lanes forwards, then backwards, and so on, so that lanes
/// get equal shares of a symmetric grid, whose later units are larger (dealt round-robin, the last lane
/// got the largest units of every round). Fixed, so results never depend on the thread count.
fn lane_of(u: usize) -> usize {
    let (round, pos) = (u / LANES, u % LANES);
    if round % 2 == 0 {
        pos
    } else {
        LANES - 1 - pos
    }
}

/// `lane(0), ..., lane(LANES - 1)` on the pool, each thread taking the largest lane left (by elements
/// visited) until none is: the last lanes taken are the smallest, so the threads finish together. (A
/// symmetric pass of 40 units gives 8 lanes three units and 8 lanes two, twice the work. Split in halves
/// by rayon, a thread could be left with the large ones: 2 threads ran a 10^4 dcor pass 1 1.6 times
/// faster than 1 thread, and 1.8-1.9 times with this order, `--bin ceilings`.) Which thread runs a lane
/// changes nothing in it.
fn largest_first(
    units: &[Chunk],
    symmetric: bool,
    lane: impl Fn(usize) -> Vec<f64> + Sync,
) -> Vec<Vec<f64>> {
    let mut work = [0u64; LANES];
    for (k, u) in units.iter().enumerate() {
        work[lane_of(k)] += u.visited(symmetric);
    }
    let mut order: Vec<usize> = (0..LANES).collect();
    order.sort_by_key(|&l| std::cmp::Reverse(work[l]));
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Vec<f64>>> = (0..LANES).map(|_| Mutex::new(Vec::new())).collect();
    crate::pool::install(|| {
        (0..rayon::current_num_threads())
            .into_par_iter()
            .for_each(|_| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&l) = order.get(k) else { break };
                let acc = lane(l);
                *slots[l].lock().unwrap_or_else(|e| e.into_inner()) = acc;
            })
    });
    slots
        .into_iter()
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}

/// Passes larger than this run off the calling thread and are polled.
const POLLED_ELEMENTS: u64 = 1 << 22;

/// What a run covers: fold units in their fixed order (`units`, or `range_chunks` for a range), each
/// walked in tiles of `tile_rows` rows.
#[derive(Debug, Clone, Copy)]
pub struct Walk<'a> {
    pub units: &'a [Chunk],
    pub tile_rows: u64,
}

impl<'a> Walk<'a> {
    /// Each unit walked as one tile.
    pub fn whole(units: &'a [Chunk]) -> Walk<'a> {
        Walk {
            units,
            tile_rows: u64::MAX,
        }
    }
}

/// Runs `kernel` over `walk` with `backend`.
pub fn run(
    kernel: &Kernel,
    backend: &dyn Backend,
    walk: Walk<'_>,
    store: Option<&StoreTarget>,
    poll: Option<Poll<'_>>,
) -> Result<Vec<OutValue>, ExecError> {
    let program = backend.prepare(kernel);
    run_prepared(kernel, program.as_ref(), walk, store, poll)
}

/// Runs a program already prepared for `kernel` (so that a caller running many ranges of one kernel
/// prepares, and for the JIT compiles or looks up, only once).
pub fn run_prepared(
    kernel: &Kernel,
    program: &dyn Program,
    walk: Walk<'_>,
    store: Option<&StoreTarget>,
    poll: Option<Poll<'_>>,
) -> Result<Vec<OutValue>, ExecError> {
    let layout = Layout::of(kernel);
    let d = kernel.domain;
    let units = walk.units;
    let visited: u64 = units.iter().map(|c| c.visited(d.symmetric)).sum();
    let cancel = AtomicBool::new(false);
    let done = AtomicUsize::new(0);
    let lane = |l: usize| {
        let mut acc = layout.init(kernel);
        for (_, u) in units.iter().enumerate().filter(|&(k, _)| lane_of(k) == l) {
            for t in u.tiles(d, walk.tile_rows) {
                if cancel.load(Ordering::Relaxed) {
                    return acc;
                }
                program.run(&t, &mut acc, store);
            }
            layout.finish_unit(kernel, u.j0..u.j1, &mut acc);
            done.fetch_add(1, Ordering::Relaxed);
        }
        acc
    };
    let lanes: Vec<Vec<f64>> = if units.len() <= 1 || visited < 1 << 15 {
        (0..LANES.min(units.len().max(1))).map(lane).collect()
    } else if visited < POLLED_ELEMENTS || poll.is_none() {
        largest_first(units, d.symmetric, lane)
    } else {
        let poll = poll.expect("checked");
        polled(
            || largest_first(units, d.symmetric, lane),
            || (done.load(Ordering::Relaxed), units.len()),
            poll,
            &cancel,
        )
    };
    if cancel.load(Ordering::Relaxed) {
        return Err(ExecError::Interrupted);
    }
    Ok(combine(kernel, &layout, &lanes))
}
