//! The static library bench/build.rs compiles with `-C target-cpu=native`: C-ABI wrappers, named
//! `native_*` so they never clash with the portable copy of the same loops in the `kernels` binary,
//! around the loops of tasks.rs. Callers pass pointers and lengths of live, non-overlapping slices.

#[path = "tasks.rs"]
mod tasks;

use std::slice;

use tasks::{Centring, Comp};

/// # Safety
/// `x`, `y`, `rows_x` and `rows_y` point to `j1` readable (the last two writable, unaliased) doubles.
#[no_mangle]
pub unsafe extern "C" fn native_pass1_task(
    x: *const f64,
    y: *const f64,
    j0: usize,
    j1: usize,
    rows_x: *mut f64,
    rows_y: *mut f64,
) {
    // SAFETY: the caller guarantees j1 valid doubles behind each pointer, the outputs unaliased.
    let (x, y, rx, ry) = unsafe {
        (
            slice::from_raw_parts(x, j1),
            slice::from_raw_parts(y, j1),
            slice::from_raw_parts_mut(rows_x, j1),
            slice::from_raw_parts_mut(rows_y, j1),
        )
    };
    tasks::pass1_task(x, y, j0, j1, rx, ry);
}

/// # Safety
/// `x` and `rows` point to `j1` doubles, `rows` writable and unaliased.
#[no_mangle]
pub unsafe extern "C" fn native_sqrt_rows_task(
    x: *const f64,
    j0: usize,
    j1: usize,
    rows: *mut f64,
) {
    // SAFETY: the caller guarantees j1 valid doubles behind each pointer, `rows` unaliased.
    let (x, rows) = unsafe {
        (
            slice::from_raw_parts(x, j1),
            slice::from_raw_parts_mut(rows, j1),
        )
    };
    tasks::sqrt_rows_task(x, j0, j1, rows);
}

/// # Safety
/// `x`, `y`, `ma` and `mb` point to `j1` readable doubles; `out` to 3 writable `Comp`s.
#[no_mangle]
pub unsafe extern "C" fn native_pass2_task(
    x: *const f64,
    y: *const f64,
    ma: *const f64,
    mma: f64,
    mb: *const f64,
    mmb: f64,
    j0: usize,
    j1: usize,
    out: *mut Comp,
) {
    // SAFETY: the caller guarantees j1 valid doubles behind each input pointer.
    let (x, y, ma, mb) = unsafe {
        (
            slice::from_raw_parts(x, j1),
            slice::from_raw_parts(y, j1),
            slice::from_raw_parts(ma, j1),
            slice::from_raw_parts(mb, j1),
        )
    };
    let acc = tasks::pass2_task(x, y, Centring { ma, mma, mb, mmb }, j0, j1);
    // SAFETY: the caller guarantees room for 3 Comps at `out`.
    unsafe { out.cast::<[Comp; 3]>().write(acc) };
}

/// # Safety
/// `x` and `y` point to `len` readable doubles.
#[no_mangle]
pub unsafe extern "C" fn native_dot_task(x: *const f64, y: *const f64, len: usize) -> Comp {
    // SAFETY: the caller guarantees len valid doubles behind each pointer.
    let (x, y) = unsafe { (slice::from_raw_parts(x, len), slice::from_raw_parts(y, len)) };
    tasks::dot_task(x, y)
}
