//! Permutation replicates of distance covariance (energy's `dcov.test` and `dcor.test`), many per pass.
//! A replicate permutes the observations of y. Its statistic `Σ A∘B^π` needs no centring of the permuted
//! distances: A, double-centred, has rows and columns summing to zero, so the row-mean and grand-mean
//! terms of B^π contribute nothing and `Σ A∘B^π = Σ_ij A_ij b_π(i)π(j)`, the raw distances of the
//! permuted sample. Each replicate is therefore one more reducer over the same pairs as every other:
//! given a block of permutations, the planner fuses all of them, and A, into one pass (A is computed once
//! per pair), compiled like any pass. Memory is O(n) per replicate of the block (the permuted points) when
//! y is points; when y is given as a distance matrix, each replicate holds it permuted (n × n), so fewer
//! replicates share a pass, as many as a quarter of `max_materialize_bytes` holds.

use std::sync::Arc;

use super::dcor::{centred, value, Sample};
use crate::graph::{self, BinaryOp, NodeRef, ReduceOp, Shape, Source};
use crate::plan::{self, PlanError};

/// Replicates per fused pass: enough to amortise the pass over A, few enough that the kernel stays small.
pub const BLOCK: usize = 32;

/// What every replicate of a test shares: the centred x (its row means computed once, by the first
/// block) and y's values.
pub struct Blocks {
    centred_x: NodeRef,
    base: Base,
    index: f64,
}

impl Blocks {
    pub fn new(x: &Sample, y: &Sample, index: f64) -> Result<Blocks, PlanError> {
        Ok(Blocks {
            centred_x: centred(&x.distances(index)?)?,
            base: Base::of(y, index)?,
            index,
        })
    }

    /// `Σ_ij A_ij B^π_ij` for each permutation π (0-based, of length n) of y's observations, with
    /// distances raised to `index`: n² times the V-statistic dCov² of x and the permuted y.
    pub fn products(&self, perms: &[Vec<u32>]) -> Result<Vec<f64>, PlanError> {
        let mut out = Vec::with_capacity(perms.len());
        for block in perms.chunks(self.base.block()) {
            let sums = block
                .iter()
                .map(|p| {
                    let b = self.base.permuted(p, self.index)?;
                    Ok(graph::reduce(
                        ReduceOp::Sum,
                        &graph::binary(BinaryOp::Mul, &self.centred_x, &b)?,
                        false,
                    ))
                })
                .collect::<Result<Vec<NodeRef>, PlanError>>()?;
            out.extend(block_values(&sums)?);
        }
        Ok(out)
    }
}

/// The values of a block's sums, held as roots while the first is forced so that one pass computes all.
fn block_values(sums: &[NodeRef]) -> Result<Vec<f64>, PlanError> {
    for s in sums {
        graph::register_root(s);
    }
    sums.iter().map(|s| Ok(value(s)?[0])).collect()
}

/// y's values, read once: its points (column-major), or its distance matrix (raised to `index`).
enum Base {
    Points(Vec<f64>, Shape),
    Distances(Vec<f64>),
}

impl Base {
    fn of(y: &Sample, index: f64) -> Result<Base, PlanError> {
        Ok(match y {
            Sample::Points(p) => Base::Points(plan::materialize(p)?, p.shape),
            Sample::Distances(_) => Base::Distances(plan::materialize(&y.distances(index)?)?),
        })
    }

    /// Replicates per pass: [`BLOCK`], or for a distance matrix (one permuted n × n copy per replicate) as
    /// many copies as a quarter of the materialisation limit holds, at least one.
    fn block(&self) -> usize {
        match self {
            Base::Points(..) => BLOCK,
            Base::Distances(v) => {
                let budget = crate::config::get().max_materialize_bytes / 4;
                let per = (v.len() as u64 * 8).max(1);
                ((budget / per) as usize).clamp(1, BLOCK)
            }
        }
    }

    /// The distances (raised to `index`) of y's observations taken in the order `perm`: of the permuted
    /// points, or the distance matrix permuted as a whole.
    fn permuted(&self, perm: &[u32], index: f64) -> Result<NodeRef, PlanError> {
        let n = perm.len();
        let gather =
            |col: &[f64], out: &mut Vec<f64>| out.extend(perm.iter().map(|&i| col[i as usize]));
        let mut moved = Vec::new();
        Ok(match self {
            Base::Points(v, shape) => {
                v.chunks(n).for_each(|col| gather(col, &mut moved));
                let pts = graph::source(Arc::new(Source::owned(moved)), *shape);
                graph::binary(BinaryOp::Pow, &graph::dist(&pts)?, &graph::constant(index))?
            }
            Base::Distances(v) => {
                perm.iter()
                    .for_each(|&j| gather(&v[j as usize * n..(j as usize + 1) * n], &mut moved));
                let m = Shape::matrix(n as u64, n as u64);
                graph::source(Arc::new(Source::owned(moved)), m)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::dcor::{v_moments, Method};
    use crate::testutil::{close, noise, Rng};

    fn points(v: Vec<f64>, rows: u64, cols: u64) -> Sample {
        Sample::Points(graph::source(
            Arc::new(Source::owned(v)),
            if cols == 1 {
                Shape::vector(rows)
            } else {
                Shape::matrix(rows, cols)
            },
        ))
    }

    fn permutation(n: usize, rng: &mut Rng) -> Vec<u32> {
        let mut p: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            p.swap(i, rng.below(i + 1));
        }
        p
    }

    /// Each replicate equals dCov² computed afresh on the permuted data, for several blocks' worth of
    /// permutations, multivariate x and y and an exponent other than 1.
    #[test]
    fn replicates_equal_dcov_of_the_permuted_sample() {
        let n = 61;
        let (x, y) = (noise(n * 2, 41), noise(n * 3, 42));
        let mut rng = Rng(7);
        let perms: Vec<Vec<u32>> = (0..BLOCK + 5).map(|_| permutation(n, &mut rng)).collect();
        for index in [1.0, 0.5] {
            let xs = points(x.clone(), n as u64, 2);
            let ys = points(y.clone(), n as u64, 3);
            let got = Blocks::new(&xs, &ys, index)
                .unwrap()
                .products(&perms)
                .unwrap();
            assert_eq!(got.len(), perms.len());
            for (p, g) in perms.iter().zip(&got) {
                let moved: Vec<f64> = (0..3)
                    .flat_map(|c| p.iter().map(move |&i| (c, i)))
                    .map(|(c, i)| y[c * n + i as usize])
                    .collect();
                let want = v_moments(&xs, &points(moved, n as u64, 3), index, Method::Streaming)
                    .unwrap()
                    .xy;
                assert!(close(g / (n * n) as f64, want, 1e-12), "{g} vs {want}");
            }
        }
    }

    /// A block is one fused pass over the symmetric pairs: one reducer per replicate.
    #[test]
    fn a_block_of_replicates_is_one_pass() {
        let n = 97;
        let x = points(noise(n * 2, 45), n as u64, 2);
        let y = points(noise(n, 46), n as u64, 1);
        let mut rng = Rng(9);
        let perms: Vec<Vec<u32>> = (0..BLOCK).map(|_| permutation(n, &mut rng)).collect();
        let base = Base::of(&y, 1.0).unwrap();
        let a = centred(&x.distances(1.0).unwrap()).unwrap();
        let sums: Vec<NodeRef> = perms
            .iter()
            .map(|p| {
                let b = base.permuted(p, 1.0).unwrap();
                graph::reduce(
                    ReduceOp::Sum,
                    &graph::binary(BinaryOp::Mul, &a, &b).unwrap(),
                    false,
                )
            })
            .collect();
        for s in &sums {
            graph::register_root(s);
        }
        let target = match &sums[0].expr {
            graph::Expr::Reduced(r) => r.clone(),
            _ => unreachable!(),
        };
        let plan = plan::explain(&target);
        // Stage 1: x's row means; stage 2: every replicate's sum in one symmetric kernel.
        let last = plan.stages.last().unwrap().fused.as_ref().unwrap();
        assert_eq!((plan.stages.len(), last.reducers.len()), (2, BLOCK));
        assert!(last.kernel.domain.symmetric);
    }

    /// A given distance matrix is permuted as a whole: the same replicates as from its points.
    #[test]
    fn a_distance_matrix_gives_the_replicates_of_its_points() {
        let n = 23;
        let x = points(noise(n, 43), n as u64, 1);
        let y = points(noise(n, 44), n as u64, 1);
        let dy = Sample::Distances(
            graph::dist(match &y {
                Sample::Points(p) => p,
                Sample::Distances(_) => unreachable!(),
            })
            .unwrap(),
        );
        let mut rng = Rng(8);
        let perms: Vec<Vec<u32>> = (0..4).map(|_| permutation(n, &mut rng)).collect();
        let a = Blocks::new(&x, &y, 1.0).unwrap().products(&perms).unwrap();
        let b = Blocks::new(&x, &dy, 1.0).unwrap().products(&perms).unwrap();
        for (u, v) in a.iter().zip(&b) {
            assert!(close(*u, *v, 1e-12));
        }
    }
}
