//! `.Call` entry points of energy's n × n centring primitives (`U_center`, `D_center`, `projection`,
//! `U_product`, and the permuted U-products of `pdcov.test`), computed by
//! `lazyshare_runtime::stats::centring` with energy's arithmetic so that test replicates match bit for bit.
//! The R side hands over plain double matrices; permutations are drawn by R's `sample()` in R code.

use lazyshare_runtime::stats::centring::{self, Centring};

use crate::error::{RError, RResult};
use crate::guard::entry;
use crate::rapi::*;

/// The values and size of a square double matrix.
fn square(x: SEXP, arg: &str) -> RResult<(&'static [f64], usize)> {
    // SAFETY: type and dimension queries on a live SEXP; the slice borrows R memory that the caller's
    // arguments keep alive for the whole .Call.
    unsafe {
        if TYPEOF(x) != SEXPTYPE::REALSXP || Rf_isMatrix(x) == Rboolean::FALSE {
            return Err(RError::new(format!("`{arg}` must be a double matrix")));
        }
        let (r, c) = (Rf_nrows(x) as usize, Rf_ncols(x) as usize);
        if r != c {
            return Err(RError::new(format!(
                "`{arg}` must be a square distance matrix; it is {r} x {c}"
            )));
        }
        let v = if r == 0 {
            &[][..]
        } else {
            std::slice::from_raw_parts(REAL(x), r * c)
        };
        Ok((v, r))
    }
}

/// An n × n double matrix allocated by R, filled by `fill` with no intermediate copy (these are the
/// large objects of `pdcov.test`).
fn real_matrix(n: usize, fill: impl FnOnce(&mut [f64])) -> SEXP {
    // SAFETY: allocation on the main thread; the slice covers exactly the new matrix's n² values, and
    // nothing else refers to it until it is returned to R.
    unsafe {
        let m = Rf_allocMatrix(SEXPTYPE::REALSXP, n as i32, n as i32);
        if n > 0 {
            fill(std::slice::from_raw_parts_mut(REAL(m), n * n));
        }
        m
    }
}

/// energy's `U_center(Dx)` (`unbiased` TRUE) or `D_center(Dx)`.
#[no_mangle]
pub extern "C" fn lzs_centre(d: SEXP, unbiased: SEXP) -> SEXP {
    entry(|| {
        let (v, n) = square(d, "Dx")?;
        // SAFETY: reading a logical scalar.
        let how = if unsafe { Rf_asLogical(unbiased) } == 1 {
            Centring::U
        } else {
            Centring::Double
        };
        Ok(real_matrix(n, |out| centring::centre_into(v, n, how, out)))
    })
}

/// energy's `projection(Dx, Dz)`.
#[no_mangle]
pub extern "C" fn lzs_projection(dx: SEXP, dz: SEXP) -> SEXP {
    entry(|| {
        let (x, n) = square(dx, "Dx")?;
        let (z, m) = square(dz, "Dz")?;
        if n != m {
            return Err(RError::new("`Dx` and `Dz` must have the same size"));
        }
        Ok(real_matrix(n, |out| {
            centring::projection_into(x, z, n, out)
        }))
    })
}

/// `U_product(U[p, p], V)` for each column p of the integer matrix `perms` (1-based, as `sample()` draws
/// them), or `U_product(U, V)` when `perms` is NULL.
#[no_mangle]
pub extern "C" fn lzs_u_products(u: SEXP, v: SEXP, perms: SEXP) -> SEXP {
    entry(|| {
        let (a, n) = square(u, "U")?;
        let (b, m) = square(v, "V")?;
        if n != m {
            return Err(RError::new("`U` and `V` must have the same size"));
        }
        // SAFETY: type and length queries, and reading the integer matrix's values.
        let results = unsafe {
            if Rf_isNull(perms) == Rboolean::TRUE {
                vec![centring::u_product(a, b, n)]
            } else {
                if TYPEOF(perms) != SEXPTYPE::INTSXP || Rf_nrows(perms) as usize != n {
                    return Err(RError::new(format!(
                        "`perms` must be an integer matrix with {n} rows"
                    )));
                }
                let cols = Rf_ncols(perms) as usize;
                let raw = if cols == 0 || n == 0 {
                    &[][..]
                } else {
                    std::slice::from_raw_parts(INTEGER(perms), n * cols)
                };
                let mut list = Vec::with_capacity(cols);
                for col in raw.chunks(n.max(1)).take(cols) {
                    let p: Vec<usize> = col
                        .iter()
                        .map(|&i| usize::try_from(i.checked_sub(1)?).ok().filter(|&i| i < n))
                        .collect::<Option<_>>()
                        .ok_or_else(|| {
                            RError::new(format!("`perms` must hold indices in 1..{n}"))
                        })?;
                    list.push(p);
                }
                centring::permuted_u_products(a, b, n, &list)?
            }
        };
        // SAFETY: allocation on the main thread.
        unsafe {
            let out = Rf_allocVector(SEXPTYPE::REALSXP, results.len() as R_xlen_t);
            for (k, r) in results.iter().enumerate() {
                SET_REAL_ELT(out, k as R_xlen_t, *r);
            }
            Ok(out)
        }
    })
}
