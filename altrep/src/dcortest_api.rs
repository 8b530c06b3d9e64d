//! `.Call` entry point of energy's permutation test of independence (`dcov.test`, `dcor.test`). R's random
//! number generator draws the permutations here, on R's main thread, in energy's order; the runtime
//! computes the replicates of each block of permutations in parallel.

use lazyshare_runtime::stats::dcor::{self, Method, Sample};
use lazyshare_runtime::stats::permutation::{energy_shuffle, Replicates};

use crate::dcor_api::sample;
use crate::error::{RError, RResult};
use crate::guard::entry;
use crate::rapi::*;

#[allow(improper_ctypes)]
extern "C" {
    fn unif_rand() -> f64;
}

/// Permutation indices held at once: bounds the memory of a block (4 bytes each) while leaving enough
/// replicates per block to keep every thread busy.
const BLOCK_INDICES: usize = 1 << 24;

/// energy's `dCOVtest`: `list(estimates = [dCov, dCor, dVarX, dVarY], replicates)` where each replicate is
/// dCov of x against permuted y. As in energy, no permutation is drawn (and the replicates are 0) when
/// dCor is 0.
#[no_mangle]
pub extern "C" fn lzs_dcov_test(
    x: SEXP,
    x_dist: SEXP,
    y: SEXP,
    y_dist: SEXP,
    index: SEXP,
    replicates: SEXP,
) -> SEXP {
    entry(|| {
        let (xs, ys) = (sample(x, x_dist, "x")?, sample(y, y_dist, "y")?);
        // SAFETY: reading scalar arguments.
        let (index, r) = unsafe { (Rf_asReal(index), Rf_asReal(replicates)) };
        if !(r.is_finite() && r >= 0.0 && r <= i32::MAX as f64) {
            return Err(RError::new(format!(
                "`R` must be a whole number of replicates >= 0; got {r}"
            )));
        }
        let r = r as usize;
        let stats = dcor::finish_v(dcor::v_moments(&xs, &ys, index, Method::Auto)?);
        let reps = if r > 0 && stats[1] > 0.0 {
            permutation_dcovs(&xs, &ys, index, r)?
        } else {
            vec![0.0; r]
        };
        let mut p = Protect::new();
        // SAFETY: allocation on the main thread; each vector is protected until the list holds it.
        unsafe {
            let est = p.keep(Rf_allocVector(SEXPTYPE::REALSXP, 4));
            for (k, s) in stats.iter().enumerate() {
                SET_REAL_ELT(est, k as R_xlen_t, *s);
            }
            let out = p.keep(Rf_allocVector(SEXPTYPE::REALSXP, r as R_xlen_t));
            for (k, s) in reps.iter().enumerate() {
                SET_REAL_ELT(out, k as R_xlen_t, *s);
            }
            Ok(mk_list(&[est, out], &["estimates", "replicates"]))
        }
    })
}

/// dCov of each of `r` replicates, the permutations drawn block by block from R's generator.
fn permutation_dcovs(x: &Sample, y: &Sample, index: f64, r: usize) -> RResult<Vec<f64>> {
    let n = x.n() as usize;
    let block = (BLOCK_INDICES / n.max(1)).max(1);
    let replicates = Replicates::new(x, y, index)?;
    let mut perm: Vec<u32> = (0..n as u32).collect();
    let mut out = Vec::with_capacity(r);
    while out.len() < r {
        let count = block.min(r - out.len());
        let mut perms = Vec::with_capacity(count);
        // SAFETY: R's generator is used on the main thread, between GetRNGstate and PutRNGstate, which
        // read and write back .Random.seed as energy's C code does.
        unsafe {
            GetRNGstate();
            for _ in 0..count {
                energy_shuffle(&mut perm, || unif_rand());
                perms.push(perm.clone());
            }
            PutRNGstate();
        }
        let products = replicates.products(&perms)?;
        // A product rounded below zero is a zero statistic.
        out.extend(products.iter().map(|v| v.max(0.0).sqrt()));
    }
    Ok(out)
}
