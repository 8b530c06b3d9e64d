//! The planner's rewrites, named so that a plan can say which fired and tests can assert it. Each is
//! applied by one pass: the finiteness shortcut and the R-exact route by `stage::resolve`, reducer
//! deduplication by `stage::dedup`, the symmetric domain by `stage::domain`, and the two the lowerer
//! applies while building a kernel (a total from row sums, instruction CSE).

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Rewrite {
    /// `all(is.finite(e))` / `any(is.na(e))` decided from bounds on the sources: no pass at all.
    FiniteShortcut { reducer: String, value: f64 },
    /// Computed as R computes it (long double, R's order) in its own sequential pass, not fused.
    RExact { reducer: String },
    /// Structurally identical reducers computed once.
    Dedup { reducer: String, copies: usize },
    /// Every input is symmetric: only i <= j is visited, the rest counted by mirroring.
    SymmetricDomain,
    /// A total (sum or mean) taken from row sums the same pass computes: one accumulator less.
    TotalFromRowSums { reducer: String },
    /// Identical instructions computed once per element.
    Cse { merged: usize },
    /// `(y - c) + u` with c, u constant along a column computed as `y + (u - c)` (plan::hoist).
    HoistColumnTerms { count: usize },
}

impl fmt::Display for Rewrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rewrite::FiniteShortcut { reducer, value } => {
                write!(
                    f,
                    "finiteness shortcut: {reducer} = {value} from bounds, no pass"
                )
            }
            Rewrite::RExact { reducer } => {
                write!(
                    f,
                    "R-exact: {reducer} in R's long double order, its own pass"
                )
            }
            Rewrite::Dedup { reducer, copies } => {
                write!(
                    f,
                    "dedup: {reducer} computed once for {} reducers",
                    copies + 1
                )
            }
            Rewrite::SymmetricDomain => write!(f, "symmetric domain: only i <= j visited"),
            Rewrite::TotalFromRowSums { reducer } => {
                write!(
                    f,
                    "total from row sums: {reducer} needs no accumulator of its own"
                )
            }
            Rewrite::Cse { merged } => {
                write!(f, "CSE: {merged} repeated instructions computed once")
            }
            Rewrite::HoistColumnTerms { count } => {
                write!(
                    f,
                    "column terms hoisted: {count} (y - c) + u computed as y + (u - c), u - c once per column"
                )
            }
        }
    }
}
