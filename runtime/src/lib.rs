//! lazyshare runtime: pure Rust, no R and no Cranelift. See DESIGN.md for the map.

pub mod pages;
pub mod pool;
pub mod summary;
