//! The only crate that knows R: ALTREP classes for shared views and the `.Call` entry points of the R
//! package `lazyshare`. Built as a static library that rpkg/src links into lazyshare.so.

mod altclass;
mod convert;
mod dcor_api;
mod error;
mod guard;
mod init;
mod lazy;
mod lazy_api;
mod mi_api;
mod options_api;
mod pages_api;
mod preserve;
mod progress;
mod rapi;
mod registry;
mod view;

pub use init::lazyshare_init;
