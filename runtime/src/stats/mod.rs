//! Statistics kernels on plain slices (distance covariance).
pub mod dcor;
pub mod univariate;
