//! The error every fallible function here returns. It lives below everything else so that the argument
//! readers in `rapi` and the guard that raises it in R both depend on it, not on each other. The runtime's
//! errors already word their messages for the R user, so each converts by its `Display`.

use lazyshare_runtime::config::ConfigError;
use lazyshare_runtime::graph::GraphError;
use lazyshare_runtime::pages::PageError;
use lazyshare_runtime::plan::PlanError;
use lazyshare_runtime::stats::mi::MiError;
use lazyshare_runtime::stats::pde::PdeError;

/// A message for the R user, raised as an R error by `guard` once every Rust value is dropped.
#[derive(Debug)]
pub struct RError(String);

impl RError {
    pub fn new(msg: impl Into<String>) -> RError {
        RError(msg.into())
    }

    pub fn into_message(self) -> String {
        self.0
    }
}

pub type RResult<T> = Result<T, RError>;

macro_rules! from_display {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for RError {
            fn from(e: $t) -> RError {
                RError(e.to_string())
            }
        })*
    };
}

from_display!(
    ConfigError,
    GraphError,
    PageError,
    PlanError,
    MiError,
    PdeError
);
