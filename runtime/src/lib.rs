//! lazyshare runtime: pure Rust, no R and no Cranelift. See ARCHITECTURE.md at the top of the repository for the map.

pub mod config;
pub mod exec;
pub mod graph;
pub mod interp;
pub mod kernel;
pub mod pages;
pub mod plan;
pub mod pool;
pub mod rsum;
pub mod stats;
pub mod summary;
#[cfg(test)]
mod testutil;
pub mod warn;
