//! The only crate that knows R: ALTREP classes for shared views and lazy objects, and the `.Call` entry
//! points of the R package `lazyshare`. Built as a static library that rpkg/src links into lazyshare.so.
//!
//! Modules, lowest first; each uses only modules above it:
//! - `error`: `RError`, the message every fallible function returns, and the runtime's errors as one.
//! - `registry`: this process's registry of pages and views.
//! - `rapi`: the slice of R's C API used here, PROTECT scopes, strings, and argument readers.
//! - `preserve`: R vectors that graph sources borrow, kept alive, released later on R's main thread.
//! - `progress`: the runtime's poll: a progress line during long passes, and Ctrl-C.
//! - `guard`: what every call from R goes through: panics and errors to R errors, warnings, releases,
//!   the end of a progress line.
//! - `altclass`: what the ALTREP classes share: Rust state in an external pointer, class handles.
//! - `view`: the `SharedVector` classes, views of shared pages.
//! - `lazy`: the `LazyVector` classes, lazy graph nodes seen as R vectors.
//! - `convert`: R values (plain or lazy) as graph nodes.
//! - `lazy_api`: entries that build lazy objects and turn them back into R values.
//! - `dcor_api`: the distance covariance entry.
//! - `dcortest_api`: the permutation test of independence, with R's generator drawing energy's permutations.
//! - `explain_api`: `lazy_explain()`'s entries and the trace of every force (`LAZYSHARE_TRACE`).
//! - `mi_api`: the Pareto density and mutual information entries.
//! - `options_api`: the thresholds and counters entries.
//! - `pages_api`: the entries of sharing: register, retrieve, release.
//! - `init`: package load: classes, the routine table, the exit hook.

mod altclass;
mod convert;
mod dcor_api;
mod dcortest_api;
mod error;
mod explain_api;
mod guard;
mod init;
mod lazy;
mod lazy_api;
mod mi_api;
mod options_api;
mod pages_api;
mod pdcor_api;
mod preserve;
mod progress;
mod rapi;
mod registry;
mod travel;
mod view;

pub use init::lazyshare_init;
