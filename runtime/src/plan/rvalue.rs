//! R's rules for a reducer's value, applied once a pass has computed it:
//! - an integer `sum` outside R's integer range is NA, with R's warning;
//! - a NaN sum, mean, product, min or max (and row or column sum or mean) without na.rm is NA when an NA
//!   fed it. R accumulates these in long double, where NA's payload wins over any other NaN, and its
//!   min/max let "any NA trump all NaNs"; a fused pass in doubles keeps whichever NaN it met first.
//!   R-exact sums (`exact`) already accumulate as R does.

use std::sync::Arc;

use super::exact::Blocks;
use super::PlanError;
use crate::graph::{is_na, RType, ReduceOp, Reducer, INT_MAX, NA_REAL};

/// `v`, the value a pass computed for `r`, as R would have given it. `fused`: computed by a fused pass
/// (not R's own accumulation order).
pub fn finish(r: &Reducer, v: Arc<[f64]>, fused: bool) -> Result<Arc<[f64]>, PlanError> {
    let v = if fused { na_wins(r, v)? } else { v };
    if r.op == ReduceOp::Sum && r.rtype() == RType::Integer && v[0].abs() > INT_MAX {
        crate::warn::warn("integer overflow - use sum(as.numeric(.))");
        return Ok(Arc::from(vec![NA_REAL]));
    }
    Ok(v)
}

/// The output position each input element (column-major position `k` of a rows × cols grid) feeds.
fn position(op: ReduceOp, k: u64, rows: u64) -> usize {
    match op {
        ReduceOp::RowSums | ReduceOp::RowMeans => (k % rows) as usize,
        ReduceOp::ColSums | ReduceOp::ColMeans => (k / rows) as usize,
        _ => 0,
    }
}

fn na_wins(r: &Reducer, v: Arc<[f64]>) -> Result<Arc<[f64]>, PlanError> {
    let applies = !r.na_rm && !matches!(r.op, ReduceOp::All | ReduceOp::Any);
    if !applies || !v.iter().any(|x| x.is_nan() && !is_na(*x)) {
        return Ok(v);
    }
    // Rare (the data hold NaN): one more pass over the input finds the NAs.
    let rows = r.input.shape.rows.max(1);
    let mut na = vec![false; v.len()];
    let mut k = 0u64;
    Blocks::new(&r.input).each(&mut |block| {
        for &x in block {
            if is_na(x) {
                na[position(r.op, k, rows)] = true;
            }
            k += 1;
        }
    })?;
    Ok(v.iter()
        .zip(&na)
        .map(|(&x, &na)| if na && x.is_nan() { NA_REAL } else { x })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{self, Expr, Shape, Source};

    fn reduced(op: ReduceOp, v: Vec<f64>, shape: Shape, rtype: RType) -> Arc<Reducer> {
        let s = graph::typed_source(Arc::new(Source::owned(v)), shape, rtype, INT_MAX);
        match &graph::reduce(op, &s, false).expr {
            Expr::Reduced(r) => r.clone(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn na_wins_over_nan_where_it_fed_the_value() {
        let data = vec![f64::NAN, 1.0, NA_REAL, 2.0, f64::NAN, 3.0];
        let r = reduced(ReduceOp::ColSums, data, Shape::matrix(2, 3), RType::Double);
        let got = finish(&r, Arc::from(vec![f64::NAN, f64::NAN, f64::NAN]), true).unwrap();
        assert!(!is_na(got[0]) && got[0].is_nan());
        assert!(is_na(got[1]));
        assert!(!is_na(got[2]));
    }

    #[test]
    fn integer_sums_beyond_r_range_are_na_with_a_warning() {
        let r = reduced(
            ReduceOp::Sum,
            vec![INT_MAX, 1.0],
            Shape::vector(2),
            RType::Integer,
        );
        crate::warn::take();
        let got = finish(&r, Arc::from(vec![INT_MAX + 1.0]), true).unwrap();
        assert!(is_na(got[0]));
        assert_eq!(
            crate::warn::take(),
            vec!["integer overflow - use sum(as.numeric(.))"]
        );
        let ok = finish(&r, Arc::from(vec![INT_MAX]), true).unwrap();
        assert_eq!(ok[0], INT_MAX);
    }
}
