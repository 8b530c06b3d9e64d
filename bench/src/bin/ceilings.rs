//! Issue 15 benchmark: what bounds the streaming passes on this host, for the figures the closing notes
//! and the README quote about square roots and threads.
//!
//! Run:  `cargo run --release -p lazyshare-bench --bin ceilings`  (about half a minute).
//!
//! 1. Square roots of a 256-value buffer (in L1), one thread: 128-bit vectors (this crate's default
//!    x86-64 target: `sqrtpd xmm`, the widest the JIT's Cranelift emits) against 256-bit (the same loop
//!    compiled for AVX: `vsqrtpd ymm`), where the CPU has AVX.
//! 2. The inner loop of bivariate dcor's first pass for one sample, per distance: d = sqrt((x_i - a)^2 +
//!    (y_i - b)^2) added to row i's sum and to the column's lanes, over 8,192 rows. Inline at 128 bits,
//!    against buffered: a block of 256 squared distances stored, its roots taken at 256 bits, then summed
//!    (the detour a JIT without wide vectors could take through a call).
//! 3. The floor of bivariate streaming dcor from its square roots: 4 roots per pair (a_ij and b_ij, in
//!    each of the two passes) at the 128-bit cost of 1, on 2 cores; and that floor at n = 10^5.
//! 4. dcor's first pass (univariate, n = 10^4) on the JIT with 1 and 2 threads: the speedup says how well
//!    the pool's threads share a pass's lanes.
//!
//! Each figure is the median of its timed repetitions (rows 1-2: 15 of about 0.1 s; row 4: 40 passes
//! per thread count, alternating). Timings on a shared machine are noisy: compare within one run.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use lazyshare_bench::{force_fused, markdown_table, median, noisy_square, normals, pass1_nodes};
use lazyshare_runtime::config;
use lazyshare_runtime::graph::{Shape, Source};
use lazyshare_runtime::plan;

/// Values per block, as the JIT's blocks of rows.
const BLOCK: usize = 256;
/// Rows of the distance loop (a multiple of 4 and of BLOCK).
const ROWS: usize = 8192;
/// Timed repetitions of rows 1 and 2.
const REPS: usize = 15;

fn roots_narrow(v: &mut [f64]) {
    for x in v {
        *x = x.sqrt();
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn roots_wide(v: &mut [f64]) {
    for x in v {
        *x = x.sqrt();
    }
}

/// Square roots at 256 bits, or None where the CPU has no AVX.
fn wide(v: &mut [f64]) -> Option<()> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU has AVX (checked just above).
        unsafe { roots_wide(v) };
        return Some(());
    }
    let _ = v;
    None
}

/// Median ns per item of `f`, which handles `items` items per call, run for about 0.1 s per repetition.
fn ns_per_item(items: usize, mut f: impl FnMut()) -> f64 {
    let t = Instant::now();
    let mut calls = 0usize;
    while t.elapsed().as_secs_f64() < 0.02 {
        f();
        calls += 1;
    }
    let per_rep = (calls * 5).max(1);
    let times: Vec<f64> = (0..REPS)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_rep {
                f();
            }
            t.elapsed().as_secs_f64() * 1e9 / (per_rep * items) as f64
        })
        .collect();
    median(times)
}

/// Row 2, inline: each distance computed, rooted at 128 bits and added where it goes (4 lanes as fixed
/// arrays, which LLVM's SLP vectoriser turns into two `sqrtpd xmm`).
#[inline(never)]
fn distances_inline(x: &[f64], y: &[f64], a: f64, b: f64, rows: &mut [f64]) -> f64 {
    let mut lanes = [0.0; 4];
    let (xc, _) = x.as_chunks::<4>();
    let (yc, _) = y.as_chunks::<4>();
    let (rc, _) = rows.as_chunks_mut::<4>();
    for ((xs, ys), rs) in xc.iter().zip(yc).zip(rc) {
        for l in 0..4 {
            let (dx, dy) = (xs[l] - a, ys[l] - b);
            let d = (dx * dx + dy * dy).sqrt();
            rs[l] += d;
            lanes[l] += d;
        }
    }
    lanes.iter().sum()
}

/// Row 2, buffered: a block's squared distances stored, rooted at 256 bits, then added.
#[inline(never)]
fn distances_buffered(x: &[f64], y: &[f64], a: f64, b: f64, rows: &mut [f64]) -> Option<f64> {
    let mut buf = [0.0; BLOCK];
    let mut lanes = [0.0; 4];
    for ((xs, ys), rs) in x
        .chunks(BLOCK)
        .zip(y.chunks(BLOCK))
        .zip(rows.chunks_mut(BLOCK))
    {
        let d = &mut buf[..xs.len()];
        for ((d, &xi), &yi) in d.iter_mut().zip(xs).zip(ys) {
            let (dx, dy) = (xi - a, yi - b);
            *d = dx * dx + dy * dy;
        }
        wide(d)?;
        let (dc, _) = d.as_chunks::<4>();
        let (rc, _) = rs.as_chunks_mut::<4>();
        for (ds, rs) in dc.iter().zip(rc) {
            for l in 0..4 {
                rs[l] += ds[l];
                lanes[l] += ds[l];
            }
        }
    }
    Some(lanes.iter().sum())
}

/// Row 4: median seconds of dcor's first pass at n on the JIT, with 1 and with 2 threads.
fn pass1_threads(n: usize) -> (f64, f64) {
    let x = normals(1, n);
    let y = noisy_square(&x, 2);
    let (x, y) = (Arc::new(Source::owned(x)), Arc::new(Source::owned(y)));
    let mut t = config::get();
    t.jit_min_work = 0.0;
    config::set(t).expect("valid thresholds");
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..=40 {
        for (k, threads) in [1usize, 2].into_iter().enumerate() {
            let mut t = config::get();
            t.threads = threads;
            config::set(t).expect("valid thresholds");
            let (_, ma, mma) = pass1_nodes(&x, Shape::vector(n as u64));
            let (_, mb, mmb) = pass1_nodes(&y, Shape::vector(n as u64));
            let secs = force_fused(&[ma, mma, mb, mmb]);
            if round > 0 {
                times[k].push(secs);
            }
        }
    }
    let [one, two] = times;
    (median(one), median(two))
}

fn main() {
    plan::set_jit(Box::new(lazyshare_jit::Jit::default()));
    let mut buf: Vec<f64> = (0..BLOCK).map(|k| 1.0 + k as f64 * 3.7).collect();
    let narrow = ns_per_item(BLOCK, || roots_narrow(black_box(&mut buf)));
    let mut probe = buf.clone();
    let wide_ns =
        wide(&mut probe).map(|()| ns_per_item(BLOCK, || wide(black_box(&mut buf)).unwrap_or(())));

    let x = normals(3, ROWS);
    let y = normals(4, ROWS);
    let mut rows = vec![0.0; ROWS];
    let inline = ns_per_item(ROWS, || {
        black_box(distances_inline(black_box(&x), &y, 0.3, -0.2, &mut rows));
    });
    let buffered = wide_ns.map(|_| {
        ns_per_item(ROWS, || {
            black_box(distances_buffered(black_box(&x), &y, 0.3, -0.2, &mut rows));
        })
    });

    let floor = 4.0 * narrow / 2.0;
    let pairs = 1e5 * (1e5 + 1.0) / 2.0;
    let (one, two) = pass1_threads(10_000);

    let na =
        |v: Option<f64>, digits: usize| v.map_or("NA".to_string(), |v| format!("{v:.digits$}"));
    let cells = vec![
        vec![
            "square root, 256 values in L1 (ns per root, 1 thread)".to_string(),
            format!("{narrow:.3}"),
            na(wide_ns, 3),
            na(wide_ns.map(|w| narrow / w), 2),
        ],
        vec![
            "2-D distance + row sum, 8,192 rows (ns per distance, 1 thread)".to_string(),
            format!("{inline:.3}"),
            na(buffered, 3),
            na(buffered.map(|b| inline / b), 2),
        ],
        vec![
            "bivariate dcor floor from 4 roots per pair, 2 cores (ns per pair)".to_string(),
            format!("{floor:.2}"),
            na(wide_ns.map(|w| 4.0 * w / 2.0), 2),
            "".to_string(),
        ],
        vec![
            "that floor at n = 1e5 (s)".to_string(),
            format!("{:.1}", floor * pairs * 1e-9),
            na(wide_ns.map(|w| 4.0 * w / 2.0 * pairs * 1e-9), 1),
            "".to_string(),
        ],
    ];
    println!("What bounds the passes on this host\n");
    println!(
        "{}",
        markdown_table(
            &["measure", "128-bit", "256-bit (AVX)", "128 / 256"],
            &cells,
            &[0]
        )
    );
    println!(
        "dcor pass 1 (univariate, n = 1e4, JIT), median of 40: 1 thread {one:.4} s, 2 threads {two:.4} s, speedup {:.2}",
        one / two
    );
}
