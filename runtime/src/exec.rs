//! Runs a kernel with a backend. The grid is cut into fixed chunks (from the shape and `chunk_rows` only)
//! and chunk c belongs to lane c mod LANES; each lane folds its chunks in order into its own accumulators
//! and the lanes are combined in lane order. Results therefore never depend on the thread count or on
//! scheduling. Long passes run off the calling thread so that it can poll for interrupts and show progress.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::kernel::{Domain, Kernel, Layout, OutKind};
use crate::summary::Neumaier;

/// Independent accumulator sets per pass; fixed so that results are reproducible on any machine.
pub const LANES: usize = 16;

/// A rectangle of the grid: columns `j0..j1`, rows `i0..i1` of each (clipped to `i <= j` when symmetric).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    pub j0: u64,
    pub j1: u64,
    pub i0: u64,
    pub i1: u64,
}

impl Chunk {
    pub fn visited(&self, symmetric: bool) -> u64 {
        (self.j0..self.j1)
            .map(|j| {
                let hi = if symmetric {
                    self.i1.min(j + 1)
                } else {
                    self.i1
                };
                hi.saturating_sub(self.i0)
            })
            .sum()
    }
}

/// The chunks of a full pass over `d`: about `target` elements each, and (where columns are shorter than
/// that) at least `min_cols` columns each. Kernels with row sums ask for wide chunks, since each chunk ends
/// by flushing its row partials: wide chunks amortise that over many columns.
pub fn chunks(d: Domain, target: u64, min_cols: u64) -> Vec<Chunk> {
    let target = target.max(1);
    let mut out = Vec::new();
    if d.rows == 0 || d.cols == 0 {
        return out;
    }
    let column_len = |j: u64| if d.symmetric { j + 1 } else { d.rows };
    let mut j = 0;
    while j < d.cols {
        let len = column_len(j);
        if len >= target {
            let mut i = 0;
            while i < len {
                let i1 = (i + target).min(len);
                out.push(Chunk {
                    j0: j,
                    j1: j + 1,
                    i0: i,
                    i1,
                });
                i = i1;
            }
            j += 1;
        } else {
            let j0 = j;
            let mut total = 0;
            while j < d.cols
                && (total + column_len(j) <= target.max(column_len(j0)) || j - j0 < min_cols)
            {
                total += column_len(j);
                j += 1;
            }
            out.push(Chunk {
                j0,
                j1: j,
                i0: 0,
                i1: d.rows,
            });
        }
    }
    out
}

/// The chunks covering column-major positions `start..start + len` of a non-symmetric grid.
pub fn range_chunks(d: Domain, start: u64, len: u64) -> Vec<Chunk> {
    let mut out = Vec::new();
    let (mut k, end) = (start, start + len);
    while k < end && d.rows > 0 {
        let (i, j) = (k % d.rows, k / d.rows);
        if i == 0 && end - k >= d.rows {
            let full = ((end - k) / d.rows).min(d.cols - j);
            out.push(Chunk {
                j0: j,
                j1: j + full,
                i0: 0,
                i1: d.rows,
            });
            k += full * d.rows;
        } else {
            let i1 = d.rows.min(i + (end - k));
            out.push(Chunk {
                j0: j,
                j1: j + 1,
                i0: i,
                i1,
            });
            k += i1 - i;
        }
    }
    out
}

/// Destination of `Store` outputs: column-major positions `offset..offset + len` of the grid.
pub struct StoreTarget {
    ptr: *mut f64,
    pub offset: u64,
    pub len: u64,
}

// SAFETY: chunks are disjoint, so concurrent writers never touch the same element; the buffer outlives
// the run (the caller holds it mutably borrowed throughout).
unsafe impl Sync for StoreTarget {}
// SAFETY: as above.
unsafe impl Send for StoreTarget {}

impl StoreTarget {
    pub fn new(buf: &mut [f64], offset: u64) -> StoreTarget {
        StoreTarget {
            ptr: buf.as_mut_ptr(),
            offset,
            len: buf.len() as u64,
        }
    }

    /// (pointer to grid position `offset`, `offset`), for backends that write themselves.
    pub fn raw(&self) -> (*mut f64, u64) {
        (self.ptr, self.offset)
    }

    /// Writes `values` at grid positions `at..at + values.len()`.
    pub fn write(&self, at: u64, values: &[f64]) {
        assert!(at >= self.offset && at - self.offset + values.len() as u64 <= self.len);
        // SAFETY: bounds checked above; no other chunk writes these positions.
        unsafe {
            std::ptr::copy_nonoverlapping(
                values.as_ptr(),
                self.ptr.add((at - self.offset) as usize),
                values.len(),
            )
        }
    }
}

/// A kernel prepared by a backend.
pub trait Program: Send + Sync {
    /// Folds the values of `chunk` into `acc` (one lane's accumulators, laid out by `Layout`) and writes
    /// `Store` outputs into `store`.
    fn run(&self, chunk: &Chunk, acc: &mut [f64], store: Option<&StoreTarget>);
}

pub trait Backend: Send + Sync {
    fn name(&self) -> &'static str;
    /// Whether this backend runs `kernel` (a backend may leave some outputs to the interpreter).
    fn runs(&self, _kernel: &Kernel) -> bool {
        true
    }
    fn prepare(&self, kernel: &Kernel) -> Box<dyn Program>;
}

/// The result of each output of a kernel (nothing for `Store`).
#[derive(Debug, Clone, PartialEq)]
pub enum OutValue {
    Scalar(f64),
    /// A compensated sum, kept whole so that a mean can divide it with one rounding.
    Sum(Neumaier),
    Vector(Vec<f64>),
    Sums(Vec<Neumaier>),
    Stored,
}

impl OutValue {
    pub fn scalar(&self) -> f64 {
        match self {
            OutValue::Scalar(v) => *v,
            OutValue::Sum(s) => s.value(),
            other => panic!("expected a scalar output, got {other:?}"),
        }
    }

    /// The value divided by `n` (a mean), with one rounding for compensated sums.
    pub fn scalar_div(&self, n: f64) -> f64 {
        match self {
            OutValue::Sum(s) => s.div(n),
            other => other.scalar() / n,
        }
    }

    pub fn vector(&self) -> Vec<f64> {
        match self {
            OutValue::Vector(v) => v.clone(),
            OutValue::Sums(v) => v.iter().map(Neumaier::value).collect(),
            other => panic!("expected a vector output, got {other:?}"),
        }
    }

    /// Element k divided by `n[k]`, with one rounding for compensated sums.
    pub fn vector_div(&self, n: impl Fn(usize) -> f64) -> Vec<f64> {
        match self {
            OutValue::Sums(v) => v.iter().enumerate().map(|(k, s)| s.div(n(k))).collect(),
            other => other
                .vector()
                .iter()
                .enumerate()
                .map(|(k, x)| x / n(k))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    #[error("computation interrupted by the user")]
    Interrupted,
}

/// How a pass reports progress and learns that it should stop: called on the calling thread about every
/// 20 ms with (chunks done, chunks total, seconds elapsed); returning false cancels the pass.
pub type Poll<'a> = &'a mut dyn FnMut(usize, usize, f64) -> bool;

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

/// Runs `work` off the calling thread while the calling thread polls every 20 ms with the `progress`
/// (done, total) so far, and sets `cancel` when the poll says stop. The worker says when it is done, so
/// the work ends without waiting out a polling period.
fn polled<T: Send>(
    work: impl FnOnce() -> T + Send,
    progress: impl Fn() -> (usize, usize),
    poll: Poll<'_>,
    cancel: &AtomicBool,
) -> T {
    let start = Instant::now();
    std::thread::scope(|s| {
        let (finished, done_rx) = std::sync::mpsc::channel::<()>();
        let worker = s.spawn(move || {
            let out = work();
            let _ = finished.send(());
            out
        });
        while done_rx.recv_timeout(Duration::from_millis(20)).is_err() && !worker.is_finished() {
            let (done, total) = progress();
            if !poll(done, total, start.elapsed().as_secs_f64()) {
                cancel.store(true, Ordering::Relaxed);
            }
        }
        worker
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })
}

/// `f(0), ..., f(n - 1)` computed in parallel (each a substantial piece of work, such as scoring one
/// column), polled for progress and interrupts like a pass.
pub fn map_indices<T: Send>(
    n: usize,
    f: impl Fn(usize) -> T + Sync,
    poll: Option<Poll<'_>>,
) -> Result<Vec<T>, ExecError> {
    let cancel = AtomicBool::new(false);
    let done = AtomicUsize::new(0);
    let work = || {
        crate::pool::install(|| {
            (0..n)
                .into_par_iter()
                .map(|i| {
                    if cancel.load(Ordering::Relaxed) {
                        return None;
                    }
                    let v = f(i);
                    done.fetch_add(1, Ordering::Relaxed);
                    Some(v)
                })
                .collect::<Vec<Option<T>>>()
        })
    };
    let out = match poll {
        Some(poll) if n > 1 => polled(work, || (done.load(Ordering::Relaxed), n), poll, &cancel),
        _ => work(),
    };
    out.into_iter()
        .collect::<Option<Vec<T>>>()
        .ok_or(ExecError::Interrupted)
}

/// Folds the lanes, in lane order, into each output's value.
fn combine(kernel: &Kernel, layout: &Layout, lanes: &[Vec<f64>]) -> Vec<OutValue> {
    let d = kernel.domain;
    kernel
        .outputs
        .iter()
        .zip(&layout.offsets)
        .map(|(o, &off)| match o.kind {
            OutKind::Sum => {
                let mut s = Neumaier::default();
                for acc in lanes {
                    s.merge(Neumaier::from_parts(acc[off], acc[off + 1]));
                }
                OutValue::Sum(s)
            }
            OutKind::Prod | OutKind::Min | OutKind::Max | OutKind::Count => {
                let fold = o.kind.fold();
                OutValue::Scalar(
                    lanes
                        .iter()
                        .map(|a| a[off])
                        .fold(fold.neutral(), |a, b| fold.apply(a, b)),
                )
            }
            OutKind::RowSum | OutKind::ColSum => {
                let m = if o.kind == OutKind::RowSum {
                    d.rows
                } else {
                    d.cols
                } as usize;
                OutValue::Sums(
                    (0..m)
                        .map(|i| {
                            let mut s = Neumaier::default();
                            for acc in lanes {
                                s.merge(Neumaier::from_parts(acc[off + i], acc[off + m + i]));
                            }
                            s
                        })
                        .collect(),
                )
            }
            OutKind::RowCount
            | OutKind::ColCount
            | OutKind::RowMin
            | OutKind::RowMax
            | OutKind::ColMin
            | OutKind::ColMax => {
                let rows = matches!(
                    o.kind,
                    OutKind::RowCount | OutKind::RowMin | OutKind::RowMax
                );
                let m = if rows { d.rows } else { d.cols } as usize;
                let fold = o.kind.fold();
                OutValue::Vector(
                    (0..m)
                        .map(|i| {
                            lanes
                                .iter()
                                .map(|a| a[off + i])
                                .fold(fold.neutral(), |a, b| fold.apply(a, b))
                        })
                        .collect(),
                )
            }
            OutKind::Store => OutValue::Stored,
        })
        .collect()
}

/// Process-wide counters behind `lazy_stats()`.
#[derive(Debug, Default)]
pub struct Counters {
    pub passes: AtomicU64,
    pub elements: AtomicU64,
    pub materializations: AtomicU64,
    pub interp_runs: AtomicU64,
    pub jit_runs: AtomicU64,
    pub kernels_compiled: AtomicU64,
    pub cache_hits: AtomicU64,
    pub compile_ns: AtomicU64,
    pub fused_applies: AtomicU64,
    pub worker_applies: AtomicU64,
}

pub static COUNTERS: Counters = Counters {
    passes: AtomicU64::new(0),
    elements: AtomicU64::new(0),
    materializations: AtomicU64::new(0),
    interp_runs: AtomicU64::new(0),
    jit_runs: AtomicU64::new(0),
    kernels_compiled: AtomicU64::new(0),
    cache_hits: AtomicU64::new(0),
    compile_ns: AtomicU64::new(0),
    fused_applies: AtomicU64::new(0),
    worker_applies: AtomicU64::new(0),
};

impl Counters {
    /// (name, value) of every counter, in a fixed order.
    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        vec![
            ("passes", r(&self.passes)),
            ("elements", r(&self.elements)),
            ("materializations", r(&self.materializations)),
            ("interp_runs", r(&self.interp_runs)),
            ("jit_runs", r(&self.jit_runs)),
            ("kernels_compiled", r(&self.kernels_compiled)),
            ("cache_hits", r(&self.cache_hits)),
            ("compile_ns", r(&self.compile_ns)),
            ("fused_applies", r(&self.fused_applies)),
            ("worker_applies", r(&self.worker_applies)),
        ]
    }

    pub fn reset(&self) {
        for c in [
            &self.passes,
            &self.elements,
            &self.materializations,
            &self.interp_runs,
            &self.jit_runs,
            &self.kernels_compiled,
            &self.cache_hits,
            &self.compile_ns,
            &self.fused_applies,
            &self.worker_applies,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(d: Domain, cs: &[Chunk]) -> Vec<(u64, u64)> {
        let mut v: Vec<(u64, u64)> = cs
            .iter()
            .flat_map(|c| {
                (c.j0..c.j1).flat_map(move |j| {
                    let hi = if d.symmetric { c.i1.min(j + 1) } else { c.i1 };
                    (c.i0..hi).map(move |i| (i, j))
                })
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn chunks_cover_every_element_once() {
        for (rows, cols, sym, target) in [
            (10, 10, false, 7),
            (10, 10, true, 7),
            (1000, 3, false, 256),
            (5, 1, false, 64),
            (33, 33, true, 100),
            (1, 9, false, 4),
        ] {
            let d = Domain {
                rows,
                cols,
                symmetric: sym,
            };
            let cs = chunks(d, target, 1);
            let wide = chunks(d, target, 4);
            assert_eq!(covered(d, &wide), covered(d, &cs));
            let got = covered(d, &cs);
            let mut want: Vec<(u64, u64)> = (0..cols)
                .flat_map(|j| {
                    (0..rows)
                        .filter(move |&i| !sym || i <= j)
                        .map(move |i| (i, j))
                })
                .collect();
            want.sort();
            assert_eq!(got, want, "{rows}x{cols} sym={sym}");
            assert_eq!(cs.iter().map(|c| c.visited(sym)).sum::<u64>(), d.visited());
        }
    }

    #[test]
    fn range_chunks_cover_exactly_the_range() {
        let d = Domain {
            rows: 7,
            cols: 5,
            symmetric: false,
        };
        for (start, len) in [(0, 35), (3, 1), (3, 20), (6, 2), (14, 14), (0, 0)] {
            let got = covered(d, &range_chunks(d, start, len));
            let want: Vec<(u64, u64)> = (start..start + len).map(|k| (k % 7, k / 7)).collect();
            let mut want = want;
            want.sort();
            assert_eq!(got, want, "{start}+{len}");
        }
    }
}
