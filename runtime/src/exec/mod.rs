//! Runs a kernel with a backend. The grid is cut into fold units fixed by the domain alone, and each unit
//! is dealt to a lane in a fixed order; each lane folds its units in order into its own accumulators,
//! walking each in cache-sized tiles of rows, and the lanes are combined in lane order. Results therefore
//! never depend on the thread count, the tile size or scheduling. Long passes run off the calling thread
//! so that it can poll for interrupts and show progress.
//!
//! One concern per file, each depending only on those listed before it:
//! - `chunks`: the fixed cut of a pass into units and tiles (or of a range of positions into rectangles);
//! - `backend`: the `Backend`/`Program` traits a backend implements, and the `Store` target it writes;
//! - `combine`: folding the lanes into each output's `OutValue`;
//! - `poll`: work off the calling thread, polled for progress and cancelled on request;
//! - `run`: a pass: lanes over units, on this thread, the pool, or polled;
//! - `counters`: the `lazy_stats()` counters (used by every layer, depends on none).

mod backend;
mod chunks;
mod combine;
mod counters;
mod poll;
mod run;

pub use backend::{Backend, Program, StoreTarget};
pub use chunks::{range_chunks, units, Chunk};
pub use combine::OutValue;
pub use counters::{Counters, COUNTERS};
pub use poll::{map_indices, run_steps, ExecError, Poll, Steps};
pub use run::{run, run_prepared, Walk, LANES};
