//! The inner loops of the kernels benchmark's hand-written passes: what one parallel task runs (a block
//! of columns of a symmetric pass, or a slice of a vector). One definition, compiled twice: into the
//! `kernels` binary for the default x86-64 target (SSE2, the "hand" column), and by bench/build.rs with
//! `-C target-cpu=native` into a static library (the "native" column, through native/lib.rs). The
//! orchestration (tasks, merges in a fixed order) stays in kernels.rs and serves both.
//!
//! Only the number of plain lanes and the use of fused multiply-add follow the target, so that each copy
//! runs at its own hardware's limit: lanes are whole vector registers, and `mul_add` is used with FMA
//! (without it, `mul_add` is a call into libm). Everything else is shaped for LLVM's vectorisers, which
//! do not reassociate floating-point sums: the lanes are explicit arrays, and the shapes below are the
//! fastest of those measured for both builds. LLVM's SLP vectoriser groups lanes to match how they are
//! used afterwards, so small changes (the order the lanes are added at the end, one sweep or three) move
//! the native build between 128-bit and 512-bit code; `objdump -d` on the static library shows what it
//! chose. Each task is a function of its own (`inline(never)`): inlined into its caller (the C wrapper,
//! or the closure in kernels.rs), pass 1's loop came out 1.5 to 2.2 times slower in both builds.

/// Rows summed in plain (uncompensated) lanes before a compensated flush, as the JIT does.
pub const BLOCK: usize = 256;

/// Doubles per vector register of the target.
const VECTOR: usize = if cfg!(target_feature = "avx512f") {
    8
} else if cfg!(target_feature = "avx") {
    4
} else {
    2
};

/// Plain accumulator lanes of a block: two vector registers, two independent chains of additions to
/// hide the adder's latency (on SSE2 the 4 lanes the loops always had).
const LANES: usize = 2 * VECTOR;

/// Lanes of the fused row-sums loop: one register (at least 4), since that loop is bound by its loads and
/// stores of the rows, not by the adder; with AVX-512, 16 lanes there ran at half the speed of 8.
const FUSED_LANES: usize = if VECTOR > 4 { VECTOR } else { 4 };

/// A Neumaier-compensated sum. `repr(C)`: the native library hands these across its C ABI.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C)]
pub struct Comp {
    pub sum: f64,
    pub comp: f64,
}

impl Comp {
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
    }

    pub fn merge(&mut self, other: Comp) {
        self.add(other.sum);
        self.add(other.comp);
    }

    pub fn value(self) -> f64 {
        self.sum + self.comp
    }
}

/// `a * b + c`, rounded once where the target has FMA.
#[inline(always)]
fn madd(a: f64, b: f64, c: f64) -> f64 {
    if cfg!(target_feature = "fma") {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// The lanes added by halves, as a vector register is reduced (for 4 lanes: (l0 + l2) + (l1 + l3)); the
/// SLP vectoriser then keeps whole registers of lanes.
#[inline(always)]
fn lanes_total(mut l: [f64; LANES]) -> f64 {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for k in 0..width {
            l[k] += l[k + width];
        }
    }
    l[0]
}

/// The fused loop's lanes added in neighbouring pairs (for 4 lanes: (l0 + l1) + (l2 + l3)): with SSE2
/// that loop ran 20% faster than with `lanes_total`'s order (with AVX-512 it stays scalar either way).
#[inline(always)]
fn pairs_total(mut l: [f64; FUSED_LANES]) -> f64 {
    let mut width = FUSED_LANES;
    while width > 1 {
        width /= 2;
        for k in 0..width {
            l[k] = l[2 * k] + l[2 * k + 1];
        }
    }
    l[0]
}

/// The plain sum of `d` in LANES lanes.
#[inline(always)]
fn lanes_sum(d: &[f64]) -> f64 {
    let (dc, dt) = d.as_chunks::<LANES>();
    let mut lanes = [0.0; LANES];
    for c in dc {
        for l in 0..LANES {
            lanes[l] += c[l];
        }
    }
    for &v in dt {
        lanes[0] += v;
    }
    lanes_total(lanes)
}

/// How a block of a row-sums pass is shaped for the vectorisers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Each element is added to its row and to the lanes as it is computed: the fewest memory
    /// operations, best when g is cheap (the pass is bound by loads and stores).
    Fused,
    /// The block's elements are first computed into a buffer (a map, which the loop vectoriser widens to
    /// the full register), then summed in lanes: best when g is expensive (a square root), since in the
    /// fused loop LLVM's SLP vectoriser computes g on 128-bit halves even with AVX-512.
    Buffered,
}

/// Columns `j0..j1` of the row sums of the K symmetric matrices g(|p_i - p_j|): each pair i < j is
/// visited once (it adds to row i and to row j), each diagonal element once. `rows[k]` holds rows
/// `0..j1` of this task's partial sums for matrix k; the caller merges the tasks' partials.
#[inline(always)]
fn row_sums<const K: usize>(
    shape: Shape,
    pts: [&[f64]; K],
    j0: usize,
    j1: usize,
    mut rows: [&mut [f64]; K],
    g: impl Fn(f64) -> f64,
) {
    let mut buf = [0.0; BLOCK];
    for j in j0..j1 {
        for (p, rows) in pts.iter().zip(rows.iter_mut()) {
            let pj = p[j];
            // Column j above the diagonal, which is also row j left of it.
            let mut col = Comp::default();
            for (xs, rs) in p[..j].chunks(BLOCK).zip(rows[..j].chunks_mut(BLOCK)) {
                let block = match shape {
                    Shape::Fused => {
                        let mut lanes = [0.0; FUSED_LANES];
                        let (xc, xt) = xs.as_chunks::<FUSED_LANES>();
                        let (rc, rt) = rs.as_chunks_mut::<FUSED_LANES>();
                        for (xl, rl) in xc.iter().zip(rc) {
                            for l in 0..FUSED_LANES {
                                let d = g((xl[l] - pj).abs());
                                rl[l] += d;
                                lanes[l] += d;
                            }
                        }
                        for (&x, r) in xt.iter().zip(rt) {
                            let d = g((x - pj).abs());
                            *r += d;
                            lanes[0] += d;
                        }
                        pairs_total(lanes)
                    }
                    Shape::Buffered => {
                        let d = &mut buf[..xs.len()];
                        for ((d, r), &x) in d.iter_mut().zip(rs.iter_mut()).zip(xs) {
                            *d = g((x - pj).abs());
                            *r += *d;
                        }
                        lanes_sum(d)
                    }
                };
                col.add(block);
            }
            col.add(g(0.0));
            rows[j] += col.value();
        }
    }
}

/// dcor pass 1: row sums of |x_i - x_j| and |y_i - y_j| over columns `j0..j1`.
#[inline(never)]
pub fn pass1_task(
    x: &[f64],
    y: &[f64],
    j0: usize,
    j1: usize,
    rows_x: &mut [f64],
    rows_y: &mut [f64],
) {
    row_sums(Shape::Fused, [x, y], j0, j1, [rows_x, rows_y], |d| d);
}

/// rowMeans(dist(x)^0.5): row sums of |x_i - x_j|^0.5 over columns `j0..j1`.
#[inline(never)]
pub fn sqrt_rows_task(x: &[f64], j0: usize, j1: usize, rows: &mut [f64]) {
    row_sums(Shape::Buffered, [x], j0, j1, [rows], f64::sqrt);
}

/// Row means and grand means of the distance matrices of x and y (from pass 1).
#[derive(Debug, Clone, Copy)]
pub struct Centring<'a> {
    pub ma: &'a [f64],
    pub mma: f64,
    pub mb: &'a [f64],
    pub mmb: f64,
}

/// The plain sums of a*b, a*a and b*b in LANES lanes each, kept as two register-wide halves. The lanes
/// pass through `black_box` before they are added up: otherwise the SLP vectoriser shapes the loop
/// after that final reduction and splits each sum's lanes into 128-bit and scalar pieces (pass 2 then
/// took 2x as long with AVX-512).
#[inline(always)]
fn products(a: &[f64], b: &[f64]) -> (f64, f64, f64) {
    let (ac, at) = a.as_chunks::<LANES>();
    let (bc, bt) = b.as_chunks::<LANES>();
    let mut s = [[[0.0; VECTOR]; 2]; 3];
    for (al, bl) in ac.iter().zip(bc) {
        for h in 0..2 {
            for l in 0..VECTOR {
                let (x, y) = (al[h * VECTOR + l], bl[h * VECTOR + l]);
                s[0][h][l] = madd(x, y, s[0][h][l]);
                s[1][h][l] = madd(x, x, s[1][h][l]);
                s[2][h][l] = madd(y, y, s[2][h][l]);
            }
        }
    }
    let s = std::hint::black_box(s);
    let mut t = s.map(|[lo, hi]| {
        let mut l = [0.0; LANES];
        l[..VECTOR].copy_from_slice(&lo);
        l[VECTOR..].copy_from_slice(&hi);
        l
    });
    for (&x, &y) in at.iter().zip(bt) {
        t[0][0] = madd(x, y, t[0][0]);
        t[1][0] = madd(x, x, t[1][0]);
        t[2][0] = madd(y, y, t[2][0]);
    }
    let [ab, aa, bb] = t.map(lanes_total);
    (ab, aa, bb)
}

/// dcor pass 2 over columns `j0..j1`: the sums of A*B, A*A and B*B with A_ij = |x_i - x_j| - m_i - m_j + M
/// (B likewise), each pair i < j counted twice and the diagonal once.
#[inline(never)]
pub fn pass2_task(x: &[f64], y: &[f64], c: Centring<'_>, j0: usize, j1: usize) -> [Comp; 3] {
    let Centring { ma, mma, mb, mmb } = c;
    let mut acc = [Comp::default(); 3];
    let (mut abuf, mut bbuf) = ([0.0; BLOCK], [0.0; BLOCK]);
    for j in j0..j1 {
        let (xj, yj) = (x[j], y[j]);
        let (ca, cb) = (mma - ma[j], mmb - mb[j]);
        for b0 in (0..j).step_by(BLOCK) {
            let b1 = (b0 + BLOCK).min(j);
            let (xs, ys, mas, mbs) = (&x[b0..b1], &y[b0..b1], &ma[b0..b1], &mb[b0..b1]);
            let (av, bv) = (&mut abuf[..xs.len()], &mut bbuf[..xs.len()]);
            let points = xs.iter().zip(ys).zip(mas.iter().zip(mbs));
            for ((a, b), ((&xi, &yi), (&mai, &mbi))) in av.iter_mut().zip(bv.iter_mut()).zip(points)
            {
                *a = (xi - xj).abs() - mai + ca;
                *b = (yi - yj).abs() - mbi + cb;
            }
            let (ab, aa, bb) = products(av, bv);
            // Each visited element stands for (i, j) and (j, i).
            acc[0].add(2.0 * ab);
            acc[1].add(2.0 * aa);
            acc[2].add(2.0 * bb);
        }
        // The diagonal, once: a_jj = 0.
        let (a, b) = (ca - ma[j], cb - mb[j]);
        acc[0].add(a * b);
        acc[1].add(a * a);
        acc[2].add(b * b);
    }
    acc
}

/// mean(x * y) over one slice: the compensated sum of x_i * y_i.
#[inline(never)]
pub fn dot_task(x: &[f64], y: &[f64]) -> Comp {
    let mut acc = Comp::default();
    for (xb, yb) in x.chunks(BLOCK).zip(y.chunks(BLOCK)) {
        let mut lanes = [0.0; LANES];
        let it = xb
            .as_chunks::<LANES>()
            .0
            .iter()
            .zip(yb.as_chunks::<LANES>().0);
        for (xl, yl) in it {
            for l in 0..LANES {
                lanes[l] = madd(xl[l], yl[l], lanes[l]);
            }
        }
        let done = xb.len() / LANES * LANES;
        for (&a, &b) in xb[done..].iter().zip(&yb[done..]) {
            lanes[0] = madd(a, b, lanes[0]);
        }
        acc.add(lanes_total(lanes));
    }
    acc
}
