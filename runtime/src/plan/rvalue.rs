//! Where a fused pass's value of a reducer is not finite, R's own accumulation may give another: R sums in
//! long double (1e308 + 1e308 - 1e308 is 1e308, and colMeans of values near 1e308 is finite), and which
//! NaN a result is follows R's order. Those rare values are recomputed R's way, from one more pass over
//! the input:
//! - `sum`, `mean` and `prod` as R computes them (`exact`), which also makes them NA when an NA fed them;
//! - row and column sums and means as R computes them (`exact::margins`);
//! - `min` and `max` (also of each row or column) are NA when any NA fed them ("any NA trumps all
//!   NaNs").

use std::sync::Arc;

use super::exact::{self, Blocks};
use super::PlanError;
use crate::graph::{is_na, Margin, ReduceOp, Reducer, NA_REAL};

/// `v`, the value a fused pass computed for `r`, as R's accumulation gives it.
pub fn finish(r: &Reducer, v: Arc<[f64]>) -> Result<Arc<[f64]>, PlanError> {
    if v.iter().all(|x| x.is_finite()) {
        return Ok(v);
    }
    match r.op {
        ReduceOp::All | ReduceOp::Any => Ok(v),
        ReduceOp::Sum | ReduceOp::Mean | ReduceOp::Prod => Ok(Arc::from(vec![exact::reduce(r)?])),
        ReduceOp::Min
        | ReduceOp::Max
        | ReduceOp::RowMins
        | ReduceOp::RowMaxs
        | ReduceOp::ColMins
        | ReduceOp::ColMaxs => na_trumps(r, v),
        ReduceOp::RowSums | ReduceOp::RowMeans | ReduceOp::ColSums | ReduceOp::ColMeans => {
            let redo: Vec<bool> = v.iter().map(|x| !x.is_finite()).collect();
            let exact = exact::margins(r, &redo)?;
            Ok(v.iter()
                .zip(&redo)
                .zip(exact.iter())
                .map(|((&x, &redo), &e)| if redo { e } else { x })
                .collect())
        }
    }
}

/// `v` with NA where a NaN result had an NA among its values.
fn na_trumps(r: &Reducer, v: Arc<[f64]>) -> Result<Arc<[f64]>, PlanError> {
    if r.na_rm || !v.iter().any(|x| x.is_nan()) {
        return Ok(v);
    }
    let rows = r.input.shape.rows.max(1);
    let at = |k: u64| match r.op.margin() {
        Some(Margin::Rows) => (k % rows) as usize,
        Some(Margin::Cols) => (k / rows) as usize,
        None => 0,
    };
    let mut na = vec![false; v.len()];
    let mut k = 0u64;
    Blocks::new(&r.input).each(&mut |block| {
        for &x in block {
            if is_na(x) {
                na[at(k)] = true;
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
    fn column_sums_choose_between_nans_as_r_does() {
        let inf = f64::INFINITY;
        let quiet_na = crate::graph::quiet(NA_REAL);
        // Columns as R gives them: (NaN, NA) NaN, (NA, NaN) NA, (Inf, -Inf, 0) NaN, (Inf, -Inf, NA made
        // by arithmetic) NA, (Inf, -Inf, NA as stored) NaN.
        let data = vec![
            f64::NAN,
            NA_REAL,
            0.0,
            NA_REAL,
            f64::NAN,
            0.0,
            inf,
            -inf,
            0.0,
            inf,
            -inf,
            quiet_na,
            inf,
            -inf,
            NA_REAL,
        ];
        let r = reduced(ReduceOp::ColSums, data, Shape::matrix(3, 5), RType::Double);
        let got = finish(&r, Arc::from(vec![f64::NAN; 5])).unwrap();
        let na: Vec<bool> = got.iter().map(|&x| is_na(x)).collect();
        assert!(got.iter().all(|x| x.is_nan()));
        assert_eq!(na, [false, true, false, true, false]);
    }
}
