//! Issue 12 benchmark: how far the permutation replicates of `dcor.test` (x n × 2, y univariate) are from
//! the hardware's limit, and what that limit means against energy.
//!
//! Run:  `cargo run --release -p lazyshare-bench --bin replicates`  (about a minute plus energy's time;
//! add `-- --no-r` to skip energy).
//!
//! Every exact replicate is Θ(n²): `Σ_ij A_ij |y_π(i) − y_π(j)|` with A the double-centred distances of x
//! (the centring of the permuted side cancels, see runtime/src/stats/replicates.rs). Columns:
//! - ours: `permutation::Replicates::products`, blocks of 32 replicates fused into one compiled pass (the
//!   JIT), including the first block's row-means pass, as `dcov.test` runs it.
//! - hand, same layout: a safe Rust loop over the same data layout as ours (one permuted copy of y per
//!   replicate): per row, A once into a buffer, then each replicate's sum over the row in four lanes.
//! - hand, interleaved: the permuted copies interleaved (observation-major, `B` replicates contiguous), so
//!   that one pair's `B` terms are one vector operation per lane group; compiled for the baseline x86-64
//!   (SSE2, 128-bit, the widest Cranelift emits) and, when the CPU has them, for AVX + FMA (256-bit).
//! - energy: `energy::dcor.test(x, y, R = 199)` in a child Rscript (its C code permutes an n × n matrix).
//!
//! The projected ratio is energy's time over the fastest hand loop's: what an implementation at the
//! hardware's limit would gain, the ceiling for any exact O(n²)-per-replicate method on this machine.
//! Times are medians of `REPS` rounds (one warm-up), each round running every loop once in turn; every
//! hand result must agree with ours to 1e-10 relative.

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use lazyshare_runtime::graph::{self, Shape, Source};
use lazyshare_runtime::stats::dcor::Sample;
use lazyshare_runtime::stats::permutation::Replicates;
use rayon::prelude::*;

/// Replicates per test, as in the issue's goal.
const R: usize = 199;
const REPS: usize = 5;
/// Replicates per interleaved block: 16 doubles of accumulators and 16 of y_π(i) fit the 16 vector
/// registers at either width without spilling.
const B: usize = 16;
/// Rows per parallel task of the hand loops (rayon balances the triangle's unequal rows).
const TASK_ROWS: usize = 32;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn uniform(k: u64) -> f64 {
    (splitmix(k) >> 11) as f64 / (1u64 << 53) as f64
}

/// x (n × 2, column-major), y = x₁·u, and R permutations (Fisher–Yates from the same generator).
fn data(n: usize) -> (Vec<f64>, Vec<f64>, Vec<Vec<u32>>) {
    let x: Vec<f64> = (0..2 * n).map(|k| uniform(k as u64) - 0.5).collect();
    let y: Vec<f64> = (0..n).map(|i| x[i] * uniform((3 * n + i) as u64)).collect();
    let perms = (0..R)
        .map(|r| {
            let mut p: Vec<u32> = (0..n as u32).collect();
            for i in (1..n).rev() {
                let k = (uniform(((r + 7) * 1_000_003 * n + i) as u64) * (i + 1) as f64) as usize;
                p.swap(i, k);
            }
            p
        })
        .collect();
    (x, y, perms)
}

fn ours(x: &[f64], y: &[f64], perms: &[Vec<u32>]) -> Vec<f64> {
    let n = y.len() as u64;
    let xs = Sample::Points(graph::source(
        Arc::new(Source::owned(x.to_vec())),
        Shape::matrix(n, 2),
    ));
    let ys = Sample::Points(graph::source(
        Arc::new(Source::owned(y.to_vec())),
        Shape::vector(n),
    ));
    let reps = Replicates::new(&xs, &ys, 1.0).expect("replicates");
    let nn = (n * n) as f64;
    // dCov² per replicate; the hand loops give n² times it.
    let v = reps.products(perms).expect("products");
    v.into_iter().map(|v| v * nn).collect()
}

fn dist(x: &[f64], n: usize, i: usize, j: usize) -> f64 {
    let (d1, d2) = (x[i] - x[j], x[n + i] - x[n + j]);
    (d1 * d1 + d2 * d2).sqrt()
}

/// Row means of |x_i − x_j| and their mean: A_ij = a_ij − m_i − m_j + mm.
fn centring(x: &[f64], n: usize) -> (Vec<f64>, f64) {
    let m: Vec<f64> = (0..n)
        .into_par_iter()
        .map(|i| (0..n).map(|j| dist(x, n, i, j)).sum::<f64>() / n as f64)
        .collect();
    let mm = m.iter().sum::<f64>() / n as f64;
    (m, mm)
}

fn row_of_a(x: &[f64], m: &[f64], mm: f64, i: usize, buf: &mut Vec<f64>) {
    let n = m.len();
    buf.clear();
    buf.extend((0..i).map(|j| dist(x, n, i, j) - m[i] - m[j] + mm));
}

/// Sums of per-task results in task order (fixed, whatever the threads).
fn total(parts: Vec<Vec<f64>>, len: usize) -> Vec<f64> {
    parts.into_iter().fold(vec![0.0; len], |mut acc, p| {
        acc.iter_mut().zip(p).for_each(|(a, v)| *a += v);
        acc
    })
}

fn hand_separate(x: &[f64], y: &[f64], perms: &[Vec<u32>]) -> Vec<f64> {
    let n = y.len();
    let (m, mm) = centring(x, n);
    let yp: Vec<Vec<f64>> = perms
        .iter()
        .map(|p| p.iter().map(|&k| y[k as usize]).collect())
        .collect();
    let tasks: Vec<usize> = (0..n).step_by(TASK_ROWS).collect();
    let parts = tasks
        .par_iter()
        .map(|&i0| {
            let mut out = vec![0.0; perms.len()];
            let mut a = Vec::with_capacity(n);
            for i in i0..(i0 + TASK_ROWS).min(n) {
                row_of_a(x, &m, mm, i, &mut a);
                for (r, ys) in yp.iter().enumerate() {
                    let yi = ys[i];
                    let mut lanes = [0.0; 4];
                    let (ac, at) = a.split_at(a.len() / 4 * 4);
                    let (yc, yt) = ys[..i].split_at(ac.len());
                    for (a4, y4) in ac.chunks_exact(4).zip(yc.chunks_exact(4)) {
                        for l in 0..4 {
                            lanes[l] += a4[l] * (yi - y4[l]).abs();
                        }
                    }
                    let tail: f64 = at.iter().zip(yt).map(|(a, y)| a * (yi - y).abs()).sum();
                    out[r] += 2.0 * ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]) + tail);
                }
            }
            out
        })
        .collect();
    total(parts, perms.len())
}

/// One block's sums over rows [i0, i1): `yt` holds y_π(j) for the block's B replicates at `j * B`.
#[inline(always)]
fn interleaved_rows<const FMA: bool>(
    x: &[f64],
    m: &[f64],
    mm: f64,
    yt: &[f64],
    rows: (usize, usize),
) -> [f64; B] {
    let n = m.len();
    let mut acc = [0.0; B];
    for i in rows.0..rows.1 {
        let yi: [f64; B] = yt[i * B..(i + 1) * B].try_into().expect("block");
        let mut row = [0.0; B];
        for (j, yj) in yt[..i * B].chunks_exact(B).enumerate() {
            let a = dist(x, n, i, j) - m[i] - m[j] + mm;
            for r in 0..B {
                let d = (yi[r] - yj[r]).abs();
                row[r] = if FMA {
                    a.mul_add(d, row[r])
                } else {
                    row[r] + a * d
                };
            }
        }
        for r in 0..B {
            acc[r] += 2.0 * row[r];
        }
    }
    acc
}

fn baseline_rows(x: &[f64], m: &[f64], mm: f64, yt: &[f64], rows: (usize, usize)) -> [f64; B] {
    interleaved_rows::<false>(x, m, mm, yt, rows)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,fma")]
fn avx_rows(x: &[f64], m: &[f64], mm: f64, yt: &[f64], rows: (usize, usize)) -> [f64; B] {
    interleaved_rows::<true>(x, m, mm, yt, rows)
}

fn has_avx_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx") && is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

fn hand_interleaved(x: &[f64], y: &[f64], perms: &[Vec<u32>], avx: bool) -> Vec<f64> {
    let n = y.len();
    let (m, mm) = centring(x, n);
    let mut out = Vec::with_capacity(perms.len());
    for block in perms.chunks(B) {
        let mut yt = vec![0.0; n * B];
        for (r, p) in block.iter().enumerate() {
            for (j, &k) in p.iter().enumerate() {
                yt[j * B + r] = y[k as usize];
            }
        }
        let tasks: Vec<usize> = (0..n).step_by(TASK_ROWS).collect();
        let parts = tasks
            .par_iter()
            .map(|&i0| {
                let rows = (i0, (i0 + TASK_ROWS).min(n));
                let sums = if avx {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: `avx` is true only when the CPU reports AVX and FMA (has_avx_fma).
                    unsafe {
                        avx_rows(x, &m, mm, &yt, rows)
                    }
                    #[cfg(not(target_arch = "x86_64"))]
                    unreachable!("AVX is x86-64 only")
                } else {
                    baseline_rows(x, &m, mm, &yt, rows)
                };
                sums.to_vec()
            })
            .collect();
        out.extend(total(parts, B).into_iter().take(block.len()));
    }
    out
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn rel_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(a, b)| (a - b).abs() / b.abs().max(1e-300))
        .fold(0.0, f64::max)
}

/// energy::dcor.test(x, y, R = 199) seconds at size n (x n × 2 normal, y univariate), or why not.
fn energy_secs(n: usize) -> Result<f64, String> {
    let script = format!(
        "suppressMessages(library(energy)); set.seed(1); x <- matrix(rnorm(2 * {n}), {n}); \
         y <- x[, 1] * runif({n}); invisible(energy::dcor.test(x[1:50, ], y[1:50], R = 9)); \
         cat(system.time(energy::dcor.test(x, y, R = {R}))[['elapsed']])"
    );
    let out = Command::new("Rscript")
        .args(["--vanilla", "-e", &script])
        .output()
        .map_err(|e| format!("Rscript could not be started: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("{e}"))
}

fn main() {
    lazyshare_runtime::plan::set_jit(Box::new(lazyshare_jit::Jit::default()));
    let with_r = !std::env::args().any(|a| a == "--no-r");
    let avx = has_avx_fma();
    println!("dcor.test replicates (x n x 2, y univariate, R = {R}); medians of {REPS} rounds; 2-D pass over i < j");
    println!(
        "| n | ours s | hand, same layout s | hand, interleaved SSE2 s | hand, interleaved AVX+FMA s | ours / best hand | ns per pair-replicate, ours / best | energy s | energy / ours | energy / best hand |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for n in [2_000usize, 5_000] {
        let (x, y, perms) = data(n);
        type Run<'a> = Box<dyn Fn() -> Vec<f64> + 'a>;
        let mut runs: Vec<Run> = vec![
            Box::new(|| ours(&x, &y, &perms)),
            Box::new(|| lazyshare_runtime::pool::install(|| hand_separate(&x, &y, &perms))),
            Box::new(|| {
                lazyshare_runtime::pool::install(|| hand_interleaved(&x, &y, &perms, false))
            }),
        ];
        if avx {
            runs.push(Box::new(|| {
                lazyshare_runtime::pool::install(|| hand_interleaved(&x, &y, &perms, true))
            }));
        }
        let reference = runs[0]();
        for run in &runs[1..] {
            let d = rel_diff(&run(), &reference);
            assert!(d < 1e-10, "a hand loop disagrees with ours: {d:e}");
        }
        let mut times = vec![Vec::new(); runs.len()];
        for _ in 0..REPS {
            for (t, run) in times.iter_mut().zip(&runs) {
                let start = Instant::now();
                std::hint::black_box(run());
                t.push(start.elapsed().as_secs_f64());
            }
        }
        let t: Vec<f64> = times.into_iter().map(median).collect();
        let best = t[1..].iter().copied().fold(f64::INFINITY, f64::min);
        let pairs = (n * (n - 1) / 2 * R) as f64;
        let energy = if with_r {
            energy_secs(n)
        } else {
            Err("skipped".into())
        };
        let e = energy.as_ref().ok().copied();
        let cell = |v: Option<f64>, d: usize| v.map_or("NA".to_string(), |v| format!("{v:.d$}"));
        println!(
            "| {n} | {:.3} | {:.3} | {:.3} | {} | {:.2} | {:.3} / {:.3} | {} | {} | {} |",
            t[0],
            t[1],
            t[2],
            cell(t.get(3).copied(), 3),
            t[0] / best,
            t[0] / pairs * 1e9,
            best / pairs * 1e9,
            cell(e, 2),
            cell(e.map(|e| e / t[0]), 1),
            cell(e.map(|e| e / best), 1),
        );
        if let Err(why) = energy {
            eprintln!("energy not measured at n = {n}: {why}");
        }
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(hwm) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!(
            "peak memory of this process: {}",
            hwm.trim_start_matches("VmHWM:").trim()
        );
    }
}
