//! Statistics on plain slices: distance covariance, Pareto density estimation, mutual information.
pub mod centring;
pub mod dcor;
mod dd;
pub mod mi;
mod pairdist;
pub mod pde;
pub mod permutation;
mod replicates;
mod rseq;
pub mod univariate;
