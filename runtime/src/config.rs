//! The thresholds a developer tunes: when to defer, when to compile, how deep graphs may grow, how passes are
//! tiled, how many threads run, how much may be materialised. One process-wide value, read at the start
//! of each operation; R sets it through `lazy_options()`.

use std::sync::RwLock;

#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Threads for parallel passes; 0 means one per available core.
    pub threads: usize,
    /// Elementwise results, and reductions of inputs, shorter than this whose inputs are all known are
    /// computed at once instead of deferred: for tiny vectors the graph costs more than the arithmetic.
    pub defer_min_len: u64,
    /// Estimated element-operations of a pass above which the JIT backend runs it (infinite: never).
    /// A compile (about 1 ms, once per shape) costs what the interpreter does in about 2e6
    /// element-operations on the development machine; the default leaves a margin, and R's `lazy_tune()`
    /// measures the crossing on the machine at hand.
    pub jit_min_work: f64,
    /// Deepest expression kept deferred; a deeper one has its operands materialised first (Renjin used 25).
    pub max_depth: u32,
    /// Rows per tile (rounded up to whole blocks of 256): a pass walks each fold unit's columns over
    /// one tile of rows at a time, so that those rows' inputs and partial sums stay in cache. Results do
    /// not depend on it; a value at least the rows of a grid walks whole columns (untiled).
    pub chunk_rows: u64,
    /// Largest result that may be materialised, in bytes.
    pub max_materialize_bytes: u64,
    /// Show progress on passes that run longer than about two seconds.
    pub progress: bool,
    /// `sum`, `mean` and `prod` of vectors equal R's bit for bit (long double, in element order, in passes
    /// of their own); off, they join the fused parallel passes with compensated sums.
    pub exact_sums: bool,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            threads: 0,
            defer_min_len: 4096,
            jit_min_work: 1e7,
            max_depth: 25,
            chunk_rows: tile_rows_for_cache(),
            max_materialize_bytes: 4 << 30,
            progress: true,
            exact_sums: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    #[error("`{name}` must be {expected}; got {got}")]
    Invalid {
        name: &'static str,
        expected: &'static str,
        got: String,
    },
}

impl Thresholds {
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |name, expected, got: String| {
            Err(ConfigError::Invalid {
                name,
                expected,
                got,
            })
        };
        if self.threads > 4096 {
            return bad(
                "threads",
                "between 0 (all cores) and 4096",
                self.threads.to_string(),
            );
        }
        if self.jit_min_work.is_nan() || self.jit_min_work < 0.0 {
            return bad(
                "jit_min_work",
                "a number >= 0 (Inf disables the JIT)",
                self.jit_min_work.to_string(),
            );
        }
        if self.max_depth == 0 || self.max_depth > 10_000 {
            return bad(
                "max_depth",
                "between 1 and 10000",
                self.max_depth.to_string(),
            );
        }
        if self.chunk_rows < 64 || self.chunk_rows > 1 << 30 {
            return bad(
                "chunk_rows",
                "between 64 and 2^30",
                self.chunk_rows.to_string(),
            );
        }
        Ok(())
    }
}

/// Bytes of row data per row of a tile a typical pass touches for every column it visits: dcor's second
/// pass reads two coordinates of x and of y and two row means (48 bytes); a tile keeps them in half the
/// cache, leaving the rest to the columns' data and the accumulators.
const TILE_ROW_BYTES: u64 = 96;

/// The default rows per tile: the core's L2 cache (as the system reports it; 1 MiB where it does not)
/// over [`TILE_ROW_BYTES`], in whole blocks, between 1024 and 65536.
fn tile_rows_for_cache() -> u64 {
    let l2 = std::fs::read_to_string("/sys/devices/system/cpu/cpu0/cache/index2/size")
        .ok()
        .and_then(|s| parse_cache_size(&s))
        .unwrap_or(1 << 20);
    (l2 / TILE_ROW_BYTES / 256 * 256).clamp(1024, 1 << 16)
}

/// A cache size as sysfs writes it ("1024K", "32M", or bytes).
fn parse_cache_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (digits, unit) = match s.strip_suffix(['K', 'k']) {
        Some(d) => (d, 1 << 10),
        None => match s.strip_suffix(['M', 'm']) {
            Some(d) => (d, 1 << 20),
            None => (s, 1),
        },
    };
    digits.parse::<u64>().ok().map(|v| v * unit)
}

static CURRENT: RwLock<Option<Thresholds>> = RwLock::new(None);

/// The thresholds in force.
pub fn get() -> Thresholds {
    CURRENT
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default()
}

/// Replaces the thresholds after validating them; the thread pool follows `threads`.
pub fn set(t: Thresholds) -> Result<(), ConfigError> {
    t.validate()?;
    crate::pool::set_threads(t.threads);
    *CURRENT.write().unwrap_or_else(|e| e.into_inner()) = Some(t);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        assert!(Thresholds::default().validate().is_ok());
        let t = Thresholds {
            chunk_rows: 3,
            ..Thresholds::default()
        };
        let e = t.validate().unwrap_err().to_string();
        assert!(e.contains("`chunk_rows`") && e.contains("got 3"), "{e}");
        let t = Thresholds {
            jit_min_work: f64::NAN,
            ..Thresholds::default()
        };
        assert!(t.validate().is_err());
    }

    #[test]
    fn tiles_are_sized_from_the_cache() {
        assert_eq!(parse_cache_size("1024K\n"), Some(1 << 20));
        assert_eq!(parse_cache_size("32M"), Some(32 << 20));
        assert_eq!(parse_cache_size("512"), Some(512));
        assert_eq!(parse_cache_size("lots"), None);
        let rows = tile_rows_for_cache();
        assert!(
            rows.is_multiple_of(256) && (1024..=1 << 16).contains(&rows),
            "{rows}"
        );
    }
}
