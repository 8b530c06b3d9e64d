//! The worker pool of this process. rayon's global pool cannot survive `fork` (R's mclapply): the child
//! inherits the pool's state but not its threads, and its first parallel call would hang. So the pool is
//! ours, remembered with the pid that built it, and a forked child quietly builds a fresh one.

use std::sync::{Arc, Mutex};

use rayon::{ThreadPool, ThreadPoolBuilder};

struct Current {
    pid: u32,
    threads: usize,
    pool: Arc<ThreadPool>,
}

static POOL: Mutex<Option<Current>> = Mutex::new(None);
static THREADS: Mutex<usize> = Mutex::new(0);

/// Tests that change the thread count hold this, so they do not change it under each other.
#[cfg(test)]
pub(crate) static TEST_THREADS: Mutex<()> = Mutex::new(());

/// Number of threads parallel work uses; 0 means one per available core.
pub fn set_threads(n: usize) {
    *THREADS.lock().unwrap_or_else(|e| e.into_inner()) = n;
}

pub fn threads() -> usize {
    let n = *THREADS.lock().unwrap_or_else(|e| e.into_inner());
    if n > 0 {
        n
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Runs `f` inside this process's pool, building the pool first if there is none for this pid and size.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let pool = current();
    pool.install(f)
}

fn current() -> Arc<ThreadPool> {
    let pid = std::process::id();
    let threads = threads();
    let mut slot = POOL.lock().unwrap_or_else(|e| e.into_inner());
    match slot.as_ref() {
        Some(c) if c.pid == pid && c.threads == threads => return c.pool.clone(),
        Some(c) if c.pid != pid => {
            // Inherited from the parent: its threads do not exist here, so it must never be touched again,
            // not even by its destructor.
            std::mem::forget(slot.take());
        }
        _ => {}
    }
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("lazyshare-{i}"))
            .build()
            .expect("building a thread pool"),
    );
    *slot = Some(Current {
        pid,
        threads,
        pool: pool.clone(),
    });
    pool
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_has_the_requested_size_and_survives_a_fork() {
        let _serial = TEST_THREADS.lock().unwrap_or_else(|e| e.into_inner());
        set_threads(2);
        assert_eq!(install(rayon::current_num_threads), 2);
        // SAFETY: the child only runs Rust code of this test and leaves with _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let ok = install(|| {
                use rayon::prelude::*;
                (0..1000u64).into_par_iter().sum::<u64>() == 499_500
            });
            // SAFETY: _exit ends the forked child without running the parent's destructors.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        // SAFETY: polling and, on timeout, killing our own child.
        while unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } == 0 {
            if std::time::Instant::now() > deadline {
                // SAFETY: killing our own child.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                panic!("the forked child hung in the thread pool");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
        set_threads(0);
    }
}
