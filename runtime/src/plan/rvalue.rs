//! Where a fused pass's value of a reducer is not finite, R's own accumulation may give another: R sums in
//! long double (1e308 + 1e308 - 1e308 is 1e308, and colMeans of values near 1e308 is finite), and which
//! NaN a result is follows R's order. Those rare values are recomputed R's way, from one more pass over
//! the input:
//! - `sum`, `mean` and `prod` as R computes them (`exact`), which also makes them NA when an NA fed them;
//! - row and column sums and means in long double along R's order (each row across the columns, each
//!   column down its rows), whose first NaN is the result: `colSums(cbind(c(NaN, NA)))` is NaN;
//! - `min` and `max` are NA when any NA fed them ("any NA trumps all NaNs").

use std::sync::Arc;

use super::exact::{self, Blocks};
use super::PlanError;
use crate::graph::{is_na, ReduceOp, Reducer, NA_REAL};
use crate::rsum::Ld;

/// `v`, the value a fused pass computed for `r`, as R's accumulation gives it.
pub fn finish(r: &Reducer, v: Arc<[f64]>) -> Result<Arc<[f64]>, PlanError> {
    if v.iter().all(|x| x.is_finite()) {
        return Ok(v);
    }
    match r.op {
        ReduceOp::All | ReduceOp::Any => Ok(v),
        ReduceOp::Sum | ReduceOp::Mean | ReduceOp::Prod => Ok(Arc::from(vec![exact::reduce(r)?])),
        ReduceOp::Min | ReduceOp::Max => {
            if r.na_rm || !v[0].is_nan() {
                return Ok(v);
            }
            let mut any_na = false;
            Blocks::new(&r.input).each(&mut |b| any_na |= b.iter().any(|&x| is_na(x)))?;
            Ok(if any_na { Arc::from(vec![NA_REAL]) } else { v })
        }
        ReduceOp::RowSums | ReduceOp::RowMeans | ReduceOp::ColSums | ReduceOp::ColMeans => {
            margins(r, v)
        }
    }
}

/// Row or column sums or means recomputed R's way where `v` is not finite.
fn margins(r: &Reducer, v: Arc<[f64]>) -> Result<Arc<[f64]>, PlanError> {
    let rows = r.input.shape.rows.max(1);
    let by_row = matches!(r.op, ReduceOp::RowSums | ReduceOp::RowMeans);
    let redo: Vec<bool> = v.iter().map(|x| !x.is_finite()).collect();
    let mut acc = vec![Ld::new(0.0); v.len()];
    let mut count = vec![0usize; v.len()];
    let mut first_nan: Vec<Option<f64>> = vec![None; v.len()];
    let mut k = 0u64;
    Blocks::new(&r.input).each(&mut |block| {
        for &x in block {
            let p = if by_row { k % rows } else { k / rows } as usize;
            k += 1;
            if !redo[p] || first_nan[p].is_some() || (r.na_rm && x.is_nan()) {
                continue;
            }
            if x.is_nan() {
                // The sum's own NaN (Inf - Inf) came first if it has one.
                let s = acc[p].get();
                first_nan[p] = Some(if s.is_nan() { s } else { x });
            } else {
                acc[p].add(&[x], false);
                count[p] += 1;
            }
        }
    })?;
    let other = if by_row {
        r.input.shape.cols
    } else {
        r.input.shape.rows
    } as f64;
    let mean = matches!(r.op, ReduceOp::RowMeans | ReduceOp::ColMeans);
    Ok((0..v.len())
        .map(|p| {
            if !redo[p] {
                return v[p];
            }
            if let Some(nan) = first_nan[p] {
                return nan;
            }
            if mean {
                acc[p].div(if r.na_rm { count[p] as f64 } else { other });
            }
            acc[p].get()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{self, Expr, RType, Shape, Source, INT_MAX};

    fn reduced(op: ReduceOp, v: Vec<f64>, shape: Shape, rtype: RType) -> Arc<Reducer> {
        let s = graph::typed_source(Arc::new(Source::owned(v)), shape, rtype, INT_MAX);
        match &graph::reduce(op, &s, false).expr {
            Expr::Reduced(r) => r.clone(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn totals_are_na_when_an_na_fed_them() {
        let data = vec![f64::NAN, 1.0, NA_REAL, 2.0];
        let r = reduced(ReduceOp::Sum, data, Shape::vector(4), RType::Double);
        assert!(is_na(finish(&r, Arc::from(vec![f64::NAN])).unwrap()[0]));
        let r = reduced(
            ReduceOp::Max,
            vec![f64::NAN, 1.0],
            Shape::vector(2),
            RType::Double,
        );
        let got = finish(&r, Arc::from(vec![f64::NAN])).unwrap()[0];
        assert!(got.is_nan() && !is_na(got));
    }

    #[test]
    fn overflowing_margins_are_recomputed_in_long_double() {
        let data = vec![1e308, 1e308, -1e308, 1.0, 2.0, 3.0];
        let r = reduced(ReduceOp::ColMeans, data, Shape::matrix(3, 2), RType::Double);
        let got = finish(&r, Arc::from(vec![f64::INFINITY, 2.0])).unwrap();
        assert_eq!(got[0], 1e308 / 3.0);
        assert_eq!(got[1], 2.0);
    }

    #[test]
    fn column_sums_keep_the_first_nan_in_r_order() {
        let inf = f64::INFINITY;
        // Columns: (NaN, NA), (NA, NaN), (Inf, -Inf): NaN, NA, NaN as R gives them.
        let data = vec![f64::NAN, NA_REAL, NA_REAL, f64::NAN, inf, -inf];
        let r = reduced(ReduceOp::ColSums, data, Shape::matrix(2, 3), RType::Double);
        let got = finish(&r, Arc::from(vec![NA_REAL, f64::NAN, NA_REAL])).unwrap();
        assert!(got[0].is_nan() && !is_na(got[0]));
        assert!(is_na(got[1]));
        assert!(got[2].is_nan() && !is_na(got[2]));
    }
}
