//! The shape of a node's values, as R sees it, and the margins of a matrix.

/// Rows × cols; a plain R vector is `rows = n, cols = 1, matrix = false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    pub rows: u64,
    pub cols: u64,
    pub matrix: bool,
}

impl Shape {
    pub fn vector(n: u64) -> Shape {
        Shape {
            rows: n,
            cols: 1,
            matrix: false,
        }
    }

    pub fn matrix(rows: u64, cols: u64) -> Shape {
        Shape {
            rows,
            cols,
            matrix: true,
        }
    }

    pub fn scalar() -> Shape {
        Shape::vector(1)
    }

    pub fn len(&self) -> u64 {
        self.rows * self.cols
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn is_scalar(&self) -> bool {
        self.len() == 1 && !self.matrix
    }

    pub fn is_square(&self) -> bool {
        self.matrix && self.rows == self.cols
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Margin {
    Rows,
    Cols,
}
