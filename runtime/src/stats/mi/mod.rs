//! Mutual information I(X; Y) in nats of a feature X and class labels Y, three ways:
//! - [`mi_pde`]: the PDE-native estimator for feature selection (spec §2.5, the default): class-wise Pareto
//!   densities on one shared kernel grid, whose MI is an exact discrete MI and so lies in [0, H(Y)];
//! - [`mi_memshare`]: parity with `memshare::mutualinfo(x, y, isYDiscrete = TRUE)` (§2.4);
//! - [`mi_discrete`]: the textbook plug-in estimate for discrete X and Y, not memshare's discrete path, which
//!   reports bits and drops the top category (§2.4, "Other paths").
//!
//! Classes arrive as 0-based codes (`as.integer(factor(y)) − 1`); the R layer makes them. [`score`] is
//! what `mutualinfo` and `mi_scores` call per feature.

mod discrete;
mod memshare;
mod pareto;

pub use discrete::{entropy_of_counts, mi_discrete};
pub use memshare::{mi_memshare, pareto_radius_fast, MEMSHARE_EPS};
pub use pareto::{mi_pde, PdeMi};

/// Why a radius or an MI value could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MiError {
    /// R fails here too (`NA` in an `if`): a radius needs at least one pair of values.
    #[error("the Pareto radius needs at least 2 finite values; got {0}")]
    TooFewValues(usize),
    #[error("sample index {index} is out of range for {len} finite values")]
    SampleIndexOutOfRange { index: usize, len: usize },
    /// ParetoRadius_fast returns NaN here: every percentile of the distances is 0, or the largest overflows.
    #[error("the Pareto radius is undefined: no positive finite distance percentile")]
    UndefinedRadius,
    #[error("x has {x} values but y has {y}")]
    LengthMismatch { x: usize, y: usize },
    #[error("class code {code} is not below n_classes = {n_classes}")]
    ClassCodeOutOfRange { code: u32, n_classes: usize },
    /// R's `seq()` refuses a non-finite end point, so memshare fails here too.
    #[error("the density grid min(x) - r .. max(x) + r overflows")]
    GridNotFinite,
}

/// A class code meaning "y is missing": the pair is dropped like one with a non-finite x.
pub const MISSING_CLASS: u32 = u32::MAX;

/// Which estimator scores a continuous feature against classes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Estimator {
    /// [`mi_pde`], the default.
    Pde,
    /// [`mi_memshare`] with memshare's `eps`.
    Memshare { eps: f64 },
}

/// One feature's score and what the caller may have to report about it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// I(X; Y) in nats.
    pub mi: f64,
    /// Values of x that are NA, NaN or ±Inf (their pairs were dropped; an error unless `na.rm`).
    pub non_finite: usize,
    /// Classes the PDE estimator had to leave out (see [`PdeMi::dropped_classes`]).
    pub dropped_classes: usize,
}

/// The MI of one feature `x` with the classes `y_codes` by `estimator`. `sample` (0-based indices into the
/// usable pairs) is memshare's radius sample; the PDE estimator never samples.
pub fn score(
    x: &[f64],
    y_codes: &[u32],
    n_classes: usize,
    estimator: Estimator,
    sample: Option<&[usize]>,
) -> Result<Score, MiError> {
    let non_finite = x.iter().filter(|v| !v.is_finite()).count();
    let (mi, dropped_classes) = match estimator {
        Estimator::Pde => {
            let r = mi_pde(x, y_codes, n_classes)?;
            (r.mi, r.dropped_classes)
        }
        Estimator::Memshare { eps } => (mi_memshare(x, y_codes, n_classes, eps, sample)?, 0),
    };
    Ok(Score {
        mi,
        non_finite,
        dropped_classes,
    })
}

/// The number of pairs both estimators use: finite x and a class that is not [`MISSING_CLASS`]. memshare
/// draws its radius sample from these when there are more than 10,000.
pub fn usable_pairs(x: &[f64], y_codes: &[u32]) -> usize {
    x.iter()
        .zip(y_codes)
        .filter(|&(v, &c)| v.is_finite() && c != MISSING_CLASS)
        .count()
}

/// The pairs `(x, code)` with a finite x and a class, after checking lengths and codes: both estimators
/// drop the other pairs (R's `na.rm = TRUE`; the R layer raises the error for `na.rm = FALSE` itself).
fn finite_pairs(
    x: &[f64],
    y_codes: &[u32],
    n_classes: usize,
) -> Result<(Vec<f64>, Vec<u32>), MiError> {
    if x.len() != y_codes.len() {
        return Err(MiError::LengthMismatch {
            x: x.len(),
            y: y_codes.len(),
        });
    }
    if let Some(&code) = y_codes
        .iter()
        .find(|&&c| c as usize >= n_classes && c != MISSING_CLASS)
    {
        return Err(MiError::ClassCodeOutOfRange { code, n_classes });
    }
    Ok(x.iter()
        .zip(y_codes)
        .filter(|&(v, &c)| v.is_finite() && c != MISSING_CLASS)
        .map(|(&v, &c)| (v, c))
        .unzip())
}

/// The classes present, in code order (R's sorted unique y), with their sizes (R's `table(y)`). Sorting the
/// codes instead of indexing an array by code keeps memory O(n) whatever `n_classes` the caller declared.
struct Classes {
    codes: Vec<u32>,
    counts: Vec<usize>,
}

impl Classes {
    fn new(y_codes: &[u32]) -> Classes {
        let mut sorted = y_codes.to_vec();
        sorted.sort_unstable();
        let (codes, counts) = sorted
            .chunk_by(|a, b| a == b)
            .map(|run| (run[0], run.len()))
            .unzip();
        Classes { codes, counts }
    }

    fn column_of(&self, code: u32) -> usize {
        self.codes.partition_point(|&c| c < code)
    }
}
