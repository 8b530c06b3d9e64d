//! The reducers R code can defer: what each is called in R and what shape its result has.

use super::{Margin, Shape};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    Sum,
    Prod,
    Mean,
    Min,
    Max,
    All,
    Any,
    RowSums,
    RowMeans,
    ColSums,
    ColMeans,
    /// min and max of each row or column (matrixStats' names).
    RowMins,
    RowMaxs,
    ColMins,
    ColMaxs,
}

impl ReduceOp {
    pub fn r_name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Mean => "mean",
            ReduceOp::Min => "min",
            ReduceOp::Max => "max",
            ReduceOp::All => "all",
            ReduceOp::Any => "any",
            ReduceOp::RowSums => "rowSums",
            ReduceOp::RowMeans => "rowMeans",
            ReduceOp::ColSums => "colSums",
            ReduceOp::ColMeans => "colMeans",
            ReduceOp::RowMins => "rowMins",
            ReduceOp::RowMaxs => "rowMaxs",
            ReduceOp::ColMins => "colMins",
            ReduceOp::ColMaxs => "colMaxs",
        }
    }

    pub fn from_r_name(name: &str) -> Option<ReduceOp> {
        use ReduceOp::*;
        [
            Sum, Prod, Mean, Min, Max, All, Any, RowSums, RowMeans, ColSums, ColMeans, RowMins,
            RowMaxs, ColMins, ColMaxs,
        ]
        .into_iter()
        .find(|op| op.r_name() == name)
    }

    /// min or max, of everything or of each row or column.
    pub fn is_extreme(self) -> bool {
        matches!(
            self,
            ReduceOp::Min
                | ReduceOp::Max
                | ReduceOp::RowMins
                | ReduceOp::RowMaxs
                | ReduceOp::ColMins
                | ReduceOp::ColMaxs
        )
    }

    /// The margin a row or column reducer gives one value per.
    pub fn margin(self) -> Option<Margin> {
        match self {
            ReduceOp::RowSums | ReduceOp::RowMeans | ReduceOp::RowMins | ReduceOp::RowMaxs => {
                Some(Margin::Rows)
            }
            ReduceOp::ColSums | ReduceOp::ColMeans | ReduceOp::ColMins | ReduceOp::ColMaxs => {
                Some(Margin::Cols)
            }
            _ => None,
        }
    }

    /// The shape of the result for an input of shape `s`.
    pub fn result_shape(self, s: Shape) -> Shape {
        match self.margin() {
            Some(Margin::Rows) => Shape::vector(s.rows),
            Some(Margin::Cols) => Shape::vector(s.cols),
            None => Shape::scalar(),
        }
    }
}
