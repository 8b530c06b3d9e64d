//! Long work off the calling thread: the calling thread stays free to poll (R's interrupts, progress),
//! and a poll that says stop sets a cancel flag the workers check between pieces of work.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

/// Why a pass or a map stopped without a result: its poll asked it to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    #[error("computation interrupted by the user")]
    Interrupted,
}

/// How a pass reports progress and learns that it should stop: called on the calling thread about every
/// 20 ms with (units done, units total, seconds elapsed); returning false cancels the pass.
pub type Poll<'a> = &'a mut dyn FnMut(usize, usize, f64) -> bool;

/// Runs `work` off the calling thread while the calling thread polls every 20 ms with the `progress`
/// (done, total) so far, and sets `cancel` when the poll says stop. The worker says when it is done, so
/// the work ends without waiting out a polling period.
pub(super) fn polled<T: Send>(
    work: impl FnOnce() -> T + Send,
    progress: impl Fn() -> (usize, usize),
    poll: Poll<'_>,
    cancel: &AtomicBool,
) -> T {
    let start = Instant::now();
    std::thread::scope(|s| {
        let (finished, done_rx) = std::sync::mpsc::channel::<()>();
        // Named like the pool's threads, so that a panic hook can tell the runtime's threads from others.
        let worker = std::thread::Builder::new()
            .name("lazyshare-pass".into())
            .spawn_scoped(s, move || {
                let out = work();
                let _ = finished.send(());
                out
            })
            .expect("the system can start a thread");
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

/// What a long computation that is not a pass (such as the O(n log n) univariate dcor) sees of its
/// polling: it reports steps done and checks, between steps, whether it should stop.
pub struct Steps<'a> {
    done: &'a AtomicUsize,
    cancel: &'a AtomicBool,
}

impl Steps<'_> {
    pub fn advance(&self, k: usize) {
        self.done.fetch_add(k, Ordering::Relaxed);
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Steps for work that is never polled: nothing reads them and nothing cancels.
    pub fn unpolled<T>(work: impl FnOnce(&Steps) -> T) -> T {
        let (done, cancel) = (AtomicUsize::new(0), AtomicBool::new(false));
        work(&Steps {
            done: &done,
            cancel: &cancel,
        })
    }
}

/// `work` of about `total` steps, polled like a pass; `work` returns `None` when it saw the cancel.
pub fn run_steps<T: Send>(
    total: usize,
    work: impl FnOnce(&Steps) -> Option<T> + Send,
    poll: Option<Poll<'_>>,
) -> Result<T, ExecError> {
    let (done, cancel) = (AtomicUsize::new(0), AtomicBool::new(false));
    let steps = Steps {
        done: &done,
        cancel: &cancel,
    };
    let run = || work(&steps);
    let out = match poll {
        Some(poll) => polled(
            run,
            || (done.load(Ordering::Relaxed).min(total), total),
            poll,
            &cancel,
        ),
        None => run(),
    };
    out.ok_or(ExecError::Interrupted)
}
