//! Differential test of the backends: random expression DAGs (every node kind, depth <= 8, sizes 0, 1,
//! odd, around the SIMD width and the chunk size, NaN and Inf in the data) evaluated by the JIT, by the
//! interpreter and by a naive element-by-element reference. Reductions must agree within 1e-12 relative
//! to the scale of their terms (the sum of |terms|: compensated sums of different association orders
//! differ by that much at most); elementwise values within 1e-12 relative; NaN exactly where the
//! reference has NaN.

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use lazyshare_runtime::config::{self, Thresholds};
use lazyshare_runtime::graph::{
    self, BinaryOp, Expr, Margin, NodeRef, RType, ReduceOp, Shape, Source, UnaryOp,
};
use lazyshare_runtime::plan;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

enum Spec {
    Src(Shape, Rc<Vec<f64>>),
    Const(f64),
    Dist(Rc<Spec>),
    Unary(UnaryOp, Rc<Spec>),
    Binary(BinaryOp, Rc<Spec>, Rc<Spec>),
    Sweep(Rc<Spec>, Margin, Rc<Spec>, BinaryOp),
    Transpose(Rc<Spec>),
    OffDiag(Rc<Spec>),
    Reduce(ReduceOp, Rc<Spec>, bool),
}

fn shape(s: &Spec) -> Shape {
    match s {
        Spec::Src(sh, _) => *sh,
        Spec::Const(_) => Shape::scalar(),
        Spec::Dist(p) => {
            let n = shape(p).rows;
            Shape::matrix(n, n)
        }
        Spec::Unary(_, a) | Spec::OffDiag(a) => shape(a),
        Spec::Binary(_, a, b) => {
            graph::binary_shape(shape(a), shape(b)).expect("generated conformable")
        }
        Spec::Sweep(x, ..) => shape(x),
        Spec::Transpose(x) => {
            let s = shape(x);
            if s.matrix {
                Shape::matrix(s.cols, s.rows)
            } else {
                Shape::matrix(1, s.rows)
            }
        }
        Spec::Reduce(op, x, _) => op.result_shape(shape(x)),
    }
}

const SIZES: [u64; 12] = [0, 1, 2, 3, 5, 7, 13, 31, 63, 64, 65, 129];

struct Gen {
    rng: Rng,
    made: Vec<Rc<Spec>>,
}

impl Gen {
    fn data(&mut self, n: u64) -> Rc<Vec<f64>> {
        Rc::new(
            (0..n)
                .map(|_| match self.rng.below(40) {
                    0 => f64::NAN,
                    1 => f64::INFINITY,
                    2 => f64::NEG_INFINITY,
                    3 => 0.0,
                    _ => (self.rng.unit() - 0.5) * 8.0,
                })
                .collect(),
        )
    }

    fn leaf(&mut self, s: Shape) -> Rc<Spec> {
        if s.is_scalar() && self.rng.chance(0.5) {
            return Rc::new(Spec::Const(self.rng.pick(&[
                0.0,
                1.0,
                -2.5,
                0.5,
                3.0,
                f64::NAN,
            ])));
        }
        Rc::new(Spec::Src(s, self.data(s.len())))
    }

    fn gen(&mut self, s: Shape, depth: u32) -> Rc<Spec> {
        let reuse: Vec<Rc<Spec>> = self
            .made
            .iter()
            .filter(|m| shape(m) == s)
            .cloned()
            .collect();
        if !reuse.is_empty() && self.rng.chance(0.15) {
            return self.rng.pick(&reuse.iter().collect::<Vec<_>>()).clone();
        }
        let spec = if depth == 0 || self.rng.chance(0.2) {
            self.leaf(s)
        } else {
            self.node(s, depth - 1)
        };
        self.made.push(spec.clone());
        spec
    }

    fn node(&mut self, s: Shape, d: u32) -> Rc<Spec> {
        let square = s.matrix && s.rows == s.cols;
        loop {
            match self.rng.below(9) {
                0 => {
                    let op = self.rng.pick(&UnaryOp::ALL);
                    return Rc::new(Spec::Unary(op, self.gen(s, d)));
                }
                1 | 2 => {
                    let op = self.rng.pick(&BinaryOp::ALL);
                    let a = self.gen(s, d);
                    let b = match self.rng.below(4) {
                        0 => self.gen(Shape::scalar(), d),
                        1 if s.matrix => self.gen(Shape::vector(s.rows), d),
                        _ => self.gen(s, d),
                    };
                    if op == BinaryOp::Pow && self.rng.chance(0.6) {
                        let e = self.rng.pick(&[2.0, 0.5, 3.0, 4.0, 1.0, 0.0, 1.5, -1.0]);
                        return Rc::new(Spec::Binary(op, a, Rc::new(Spec::Const(e))));
                    }
                    return if self.rng.chance(0.5) {
                        Rc::new(Spec::Binary(op, a, b))
                    } else if graph::binary_shape(shape(&b), shape(&a)) == Ok(s) {
                        Rc::new(Spec::Binary(op, b, a))
                    } else {
                        Rc::new(Spec::Binary(op, a, b))
                    };
                }
                3 if s.matrix => {
                    let margin = self.rng.pick(&[Margin::Rows, Margin::Cols]);
                    let len = if margin == Margin::Rows {
                        s.rows
                    } else {
                        s.cols
                    };
                    let op = self.rng.pick(&[
                        BinaryOp::Add,
                        BinaryOp::Sub,
                        BinaryOp::Mul,
                        BinaryOp::Div,
                    ]);
                    let x = self.gen(s, d);
                    let stats = self.gen(Shape::vector(len), d);
                    return Rc::new(Spec::Sweep(x, margin, stats, op));
                }
                4 if s.matrix => {
                    let inner = if s.rows == 1 && self.rng.chance(0.5) {
                        Shape::vector(s.cols)
                    } else {
                        Shape::matrix(s.cols, s.rows)
                    };
                    return Rc::new(Spec::Transpose(self.gen(inner, d)));
                }
                5 if square => {
                    let p = 1 + self.rng.below(4) as u64;
                    let pts = Shape::matrix(s.rows, p);
                    let data = Rc::new(
                        (0..pts.len())
                            .map(|_| (self.rng.unit() - 0.5) * 10.0)
                            .collect(),
                    );
                    return Rc::new(Spec::Dist(Rc::new(Spec::Src(pts, data))));
                }
                6 if square => return Rc::new(Spec::OffDiag(self.gen(s, d))),
                7 if s.is_scalar() => {
                    let op = self.rng.pick(&[
                        ReduceOp::Sum,
                        ReduceOp::Mean,
                        ReduceOp::Min,
                        ReduceOp::Max,
                    ]);
                    let inner =
                        Shape::matrix(self.rng.pick(&SIZES[1..]), self.rng.pick(&SIZES[1..6]));
                    return Rc::new(Spec::Reduce(op, self.gen(inner, d), self.rng.chance(0.5)));
                }
                8 if !s.matrix && s.rows > 0 => {
                    let k = self.rng.pick(&SIZES[1..8]);
                    let (op, inner) = if self.rng.chance(0.5) {
                        (
                            self.rng.pick(&[ReduceOp::RowSums, ReduceOp::RowMeans]),
                            Shape::matrix(s.rows, k),
                        )
                    } else {
                        (
                            self.rng.pick(&[ReduceOp::ColSums, ReduceOp::ColMeans]),
                            Shape::matrix(k, s.rows),
                        )
                    };
                    return Rc::new(Spec::Reduce(op, self.gen(inner, d), self.rng.chance(0.3)));
                }
                _ => {}
            }
        }
    }
}

/// Graph nodes for a spec (a fresh graph each call, so memos are not shared between backends).
fn build(s: &Rc<Spec>, memo: &mut HashMap<*const Spec, NodeRef>) -> NodeRef {
    if let Some(n) = memo.get(&Rc::as_ptr(s)) {
        return n.clone();
    }
    let n = match &**s {
        Spec::Src(sh, v) => graph::source(Arc::new(Source::owned(v.to_vec())), *sh),
        Spec::Const(c) => graph::constant(*c),
        Spec::Dist(p) => graph::dist(&build(p, memo)).unwrap(),
        Spec::Unary(op, a) => graph::unary(*op, &build(a, memo)),
        Spec::Binary(op, a, b) => graph::binary(*op, &build(a, memo), &build(b, memo)).unwrap(),
        Spec::Sweep(x, m, st, op) => {
            graph::sweep(&build(x, memo), *m, &build(st, memo), *op).unwrap()
        }
        Spec::Transpose(x) => graph::transpose(&build(x, memo)),
        Spec::OffDiag(x) => graph::off_diag(&build(x, memo)),
        Spec::Reduce(op, x, na) => graph::reduce(*op, &build(x, memo), *na),
    };
    memo.insert(Rc::as_ptr(s), n.clone());
    n
}

/// The reference: every value of a spec, column-major, element by element.
fn eval(s: &Rc<Spec>, memo: &mut HashMap<*const Spec, Rc<Vec<f64>>>) -> Rc<Vec<f64>> {
    eval_p(s, memo, 0.0)
}

/// The reference with every inner reducer's result scaled by (1 + perturb). Comparing it with the
/// unperturbed reference measures how much rounding in inner reductions can move a value (cancellation
/// after `x - mean(x)`, comparisons at ties): backends may legitimately differ by that much.
fn eval_p(
    s: &Rc<Spec>,
    memo: &mut HashMap<*const Spec, Rc<Vec<f64>>>,
    perturb: f64,
) -> Rc<Vec<f64>> {
    if let Some(v) = memo.get(&Rc::as_ptr(s)) {
        return v.clone();
    }
    let sh = shape(s);
    let (rows, cols) = (sh.rows as usize, sh.cols as usize);
    let v: Vec<f64> = match &**s {
        Spec::Src(_, v) => v.to_vec(),
        Spec::Const(c) => vec![*c],
        Spec::Dist(p) => {
            let ps = shape(p);
            let x = eval_p(p, memo, perturb);
            let (n, dim) = (ps.rows as usize, ps.cols as usize);
            let mut out = vec![0.0; n * n];
            for j in 0..n {
                for i in 0..n {
                    out[i + j * n] = if dim == 1 {
                        (x[i] - x[j]).abs()
                    } else {
                        (0..dim)
                            .map(|k| (x[i + k * n] - x[j + k * n]).powi(2))
                            .sum::<f64>()
                            .sqrt()
                    };
                }
            }
            out
        }
        Spec::Unary(op, a) => eval_p(a, memo, perturb)
            .iter()
            .map(|&x| op.eval(x))
            .collect(),
        Spec::Binary(op, a, b) => {
            let (sa, sb) = (shape(a), shape(b));
            let (va, vb) = (eval_p(a, memo, perturb), eval_p(b, memo, perturb));
            let at = |v: &[f64], s: Shape, k: usize| {
                if s.is_scalar() {
                    v[0]
                } else if s.len() == sh.len() {
                    v[k]
                } else {
                    v[k % rows]
                }
            };
            (0..rows * cols)
                .map(|k| op.eval(at(&va, sa, k), at(&vb, sb, k)))
                .collect()
        }
        Spec::Sweep(x, m, st, op) => {
            let (vx, vs) = (eval_p(x, memo, perturb), eval_p(st, memo, perturb));
            (0..rows * cols)
                .map(|k| {
                    let s = match m {
                        Margin::Rows => vs[k % rows],
                        Margin::Cols => vs[k / rows],
                    };
                    op.eval(vx[k], s)
                })
                .collect()
        }
        Spec::Transpose(x) => {
            let vx = eval_p(x, memo, perturb);
            (0..rows * cols)
                .map(|k| vx[k / rows + (k % rows) * cols])
                .collect()
        }
        Spec::OffDiag(x) => {
            let vx = eval_p(x, memo, perturb);
            (0..rows * cols)
                .map(|k| if k % rows == k / rows { 0.0 } else { vx[k] })
                .collect()
        }
        Spec::Reduce(op, x, na) => reduce_ref(*op, &eval_p(x, memo, perturb), shape(x), *na)
            .into_iter()
            .map(|v| v * (1.0 + perturb))
            .collect(),
    };
    // R's integers have no negative zero (-FALSE is 0L; 1 / -FALSE is Inf).
    let v = if rtype(s).is_integral() {
        v.into_iter().map(|x| x + 0.0).collect()
    } else {
        v
    };
    let v = Rc::new(v);
    memo.insert(Rc::as_ptr(s), v.clone());
    v
}

/// The R type of a spec's values, by R's rules (sources and constants are doubles).
fn rtype(s: &Spec) -> RType {
    match s {
        Spec::Src(..) | Spec::Const(_) | Spec::Dist(_) => RType::Double,
        Spec::Unary(op, a) => rtype(a).unary(*op),
        Spec::Binary(op, a, b) | Spec::Sweep(a, _, b, op) => RType::binary(rtype(a), *op, rtype(b)),
        Spec::Transpose(a) | Spec::OffDiag(a) => rtype(a),
        Spec::Reduce(op, a, _) => rtype(a).reduced(*op),
    }
}

fn reduce_ref(op: ReduceOp, v: &[f64], s: Shape, na: bool) -> Vec<f64> {
    let (rows, cols) = (s.rows as usize, s.cols as usize);
    let keep = |x: &f64| !(na && x.is_nan());
    let sum = |it: &mut dyn Iterator<Item = f64>| {
        let mut acc = lazyshare_runtime::summary::Neumaier::default();
        let mut n = 0.0;
        for x in it {
            acc.add(x);
            n += 1.0;
        }
        (acc.value(), n)
    };
    let fold = |xs: Vec<f64>, f: fn(f64, f64) -> f64, init: f64| xs.into_iter().fold(init, f);
    let nmin = |a: f64, b: f64| {
        if a.is_nan() || b.is_nan() {
            f64::NAN
        } else {
            a.min(b)
        }
    };
    let nmax = |a: f64, b: f64| {
        if a.is_nan() || b.is_nan() {
            f64::NAN
        } else {
            a.max(b)
        }
    };
    let all_vals = || v.iter().copied().filter(|x| keep(x)).collect::<Vec<f64>>();
    match op {
        ReduceOp::Sum => vec![sum(&mut all_vals().into_iter()).0],
        ReduceOp::Mean => {
            let (s, n) = sum(&mut all_vals().into_iter());
            vec![s / if na { n } else { v.len() as f64 }]
        }
        ReduceOp::Prod => vec![all_vals().iter().product()],
        ReduceOp::Min => vec![fold(all_vals(), nmin, f64::INFINITY)],
        ReduceOp::Max => vec![fold(all_vals(), nmax, f64::NEG_INFINITY)],
        ReduceOp::All | ReduceOp::Any => {
            let t: Vec<f64> = v.iter().map(|&x| BinaryOp::Ne.eval(x, 0.0)).collect();
            let all = op == ReduceOp::All;
            let decided = t.contains(&(if all { 0.0 } else { 1.0 }));
            let missing = !na && t.iter().any(|x| x.is_nan());
            vec![if decided {
                if all {
                    0.0
                } else {
                    1.0
                }
            } else if missing {
                f64::NAN
            } else if all {
                1.0
            } else {
                0.0
            }]
        }
        ReduceOp::RowSums | ReduceOp::RowMeans => (0..rows)
            .map(|i| {
                let vals: Vec<f64> = (0..cols)
                    .map(|j| v[i + j * rows])
                    .filter(|x| keep(x))
                    .collect();
                let (s, n) = sum(&mut vals.into_iter());
                if op == ReduceOp::RowSums {
                    s
                } else {
                    s / if na { n } else { cols as f64 }
                }
            })
            .collect(),
        ReduceOp::ColSums | ReduceOp::ColMeans => (0..cols)
            .map(|j| {
                let vals: Vec<f64> = (0..rows)
                    .map(|i| v[i + j * rows])
                    .filter(|x| keep(x))
                    .collect();
                let (s, n) = sum(&mut vals.into_iter());
                if op == ReduceOp::ColSums {
                    s
                } else {
                    s / if na { n } else { rows as f64 }
                }
            })
            .collect(),
        ReduceOp::RowMins | ReduceOp::RowMaxs | ReduceOp::ColMins | ReduceOp::ColMaxs => {
            let by_row = matches!(op, ReduceOp::RowMins | ReduceOp::RowMaxs);
            let min = matches!(op, ReduceOp::RowMins | ReduceOp::ColMins);
            let (m, len) = if by_row { (rows, cols) } else { (cols, rows) };
            (0..m)
                .map(|p| {
                    let vals: Vec<f64> = (0..len)
                        .map(|q| {
                            if by_row {
                                v[p + q * rows]
                            } else {
                                v[q + p * rows]
                            }
                        })
                        .filter(|x| keep(x))
                        .collect();
                    if min {
                        fold(vals, nmin, f64::INFINITY)
                    } else {
                        fold(vals, nmax, f64::NEG_INFINITY)
                    }
                })
                .collect()
        }
    }
}

/// Sum of |terms| behind each result of `op` (the scale compensated sums are accurate to).
fn scales(op: ReduceOp, v: &[f64], s: Shape) -> Vec<f64> {
    let a: Vec<f64> = v
        .iter()
        .map(|x| if x.is_nan() { 0.0 } else { x.abs() })
        .collect();
    match op {
        ReduceOp::Sum | ReduceOp::Mean => {
            let r = reduce_ref(ReduceOp::Sum, &a, s, false);
            if op == ReduceOp::Mean {
                vec![r[0] / (v.len().max(1) as f64)]
            } else {
                r
            }
        }
        ReduceOp::RowSums | ReduceOp::ColSums => reduce_ref(op, &a, s, false),
        ReduceOp::RowMeans => reduce_ref(ReduceOp::RowMeans, &a, s, false),
        ReduceOp::ColMeans => reduce_ref(ReduceOp::ColMeans, &a, s, false),
        _ => vec![0.0; op.result_shape(s).len() as usize],
    }
}

fn agree(got: f64, want: f64, scale: f64) -> bool {
    if want.is_nan() {
        return got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return got == want;
    }
    (got - want).abs() <= 1e-12 * want.abs().max(scale)
}

/// `agree`, or within what the value moves when inner reductions move by 1e-13 relative (`moved`, the
/// perturbed reference): rounding of inner sums is amplified by cancellation, and ties can flip.
fn agree_sensitive(got: f64, want: f64, scale: f64, moved: f64) -> bool {
    agree(got, want, scale)
        || agree(got, moved, scale)
        || (want.is_finite()
            && moved.is_finite()
            && got.is_finite()
            && (got - want).abs() <= 10.0 * (moved - want).abs())
        || (want.is_nan() != moved.is_nan())
}

fn reducer_value(n: &NodeRef) -> Vec<f64> {
    match &n.expr {
        Expr::Reduced(r) => {
            plan::force(r).unwrap();
            r.value().unwrap().to_vec()
        }
        _ => unreachable!(),
    }
}

fn spec_str(s: &Rc<Spec>) -> String {
    match &**s {
        Spec::Src(sh, _) => format!("src{}x{}", sh.rows, sh.cols),
        Spec::Const(c) => format!("{c}"),
        Spec::Dist(a) => format!("dist({})", spec_str(a)),
        Spec::Unary(op, a) => format!("{}({})", op.r_name(), spec_str(a)),
        Spec::Binary(op, a, b) => format!("({} {} {})", spec_str(a), op.r_name(), spec_str(b)),
        Spec::Sweep(a, m, b, op) => format!(
            "sweep({}, {:?}, {}, {})",
            spec_str(a),
            m,
            spec_str(b),
            op.r_name()
        ),
        Spec::Transpose(a) => format!("T[{}]", spec_str(a)),
        Spec::OffDiag(a) => format!("offdiag({})", spec_str(a)),
        Spec::Reduce(op, a, na) => format!("{}({}, {na})", op.r_name(), spec_str(a)),
    }
}

/// Prints every sub-expression's value at element (i, j) of the root, by reference and by the backends.
fn dump(s: &Rc<Spec>, k: usize, rows: usize, depth: usize) {
    let (i, j) = (k % rows.max(1), k / rows.max(1));
    let sh = shape(s);
    let at = if sh.is_scalar() {
        0
    } else if sh.matrix {
        i + j * sh.rows as usize
    } else {
        i
    };
    let want = eval(s, &mut HashMap::new());
    let node = build(s, &mut HashMap::new());
    let mut line = format!(
        "{:indent$}{} want {}",
        "",
        graph::describe(&node),
        want.get(at).copied().unwrap_or(f64::NAN),
        indent = 2 * depth
    );
    for jit in [0.0, f64::INFINITY] {
        let mut t = config::get();
        t.jit_min_work = jit;
        config::set(t).unwrap();
        let got = plan::materialize(&build(s, &mut HashMap::new())).unwrap();
        line += &format!(
            " {} {}",
            if jit == 0.0 { "jit" } else { "interp" },
            got.get(at).copied().unwrap_or(f64::NAN)
        );
    }
    eprintln!("{line}");
    let (ci, cj) = if let Spec::Transpose(_) = &**s {
        (j, i)
    } else {
        (i, j)
    };
    let children: Vec<&Rc<Spec>> = match &**s {
        Spec::Src(..) | Spec::Const(_) | Spec::Reduce(..) => vec![],
        Spec::Dist(a) | Spec::Unary(_, a) | Spec::Transpose(a) | Spec::OffDiag(a) => vec![a],
        Spec::Binary(_, a, b) | Spec::Sweep(a, _, b, _) => vec![a, b],
    };
    for c in children {
        let cs = shape(c);
        if cs.matrix && cs.rows as usize == rows {
            dump(c, ci + cj * rows, rows, depth + 1);
        } else {
            dump(c, ci, rows.max(1), depth + 1);
        }
    }
}

/// The smallest sub-expression whose JIT values differ from the reference (for failure messages).
fn smallest_bad(s: &Rc<Spec>) -> Option<String> {
    let children: Vec<&Rc<Spec>> = match &**s {
        Spec::Src(..) | Spec::Const(_) => vec![],
        Spec::Dist(a)
        | Spec::Unary(_, a)
        | Spec::Transpose(a)
        | Spec::OffDiag(a)
        | Spec::Reduce(_, a, _) => {
            vec![a]
        }
        Spec::Binary(_, a, b) | Spec::Sweep(a, _, b, _) => vec![a, b],
    };
    for c in children {
        if let Some(bad) = smallest_bad(c) {
            return Some(bad);
        }
    }
    let want = eval(s, &mut HashMap::new());
    let node = build(s, &mut HashMap::new());
    let got = plan::materialize(&node).unwrap();
    let bad: Vec<usize> = (0..want.len())
        .filter(|&k| !agree(got[k], want[k], 0.0))
        .collect();
    (!bad.is_empty()).then(|| {
        let k = bad[0];
        if std::env::var("LZS_DIFF_DUMP").is_ok() {
            eprintln!("spec: {}", spec_str(s));
            dump(s, k, shape(s).rows as usize, 0);
        }
        format!(
            "{} (shape {:?}): element {k} is {} instead of {}; {} of {} elements differ",
            graph::describe(&node),
            shape(s),
            got[k],
            want[k],
            bad.len(),
            want.len()
        )
    })
}

struct Case {
    root: Rc<Spec>,
    reducers: Vec<(ReduceOp, bool)>,
}

fn run_case(case: &Case, jit: bool) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut t = config::get();
    t.jit_min_work = if jit { 0.0 } else { f64::INFINITY };
    config::set(t).unwrap();
    let mut memo = HashMap::new();
    let root = build(&case.root, &mut memo);
    let reds: Vec<NodeRef> = case
        .reducers
        .iter()
        .map(|&(op, na)| graph::reduce(op, &root, na))
        .collect();
    for r in &reds {
        graph::register_root(r);
    }
    let vals = reds.iter().map(reducer_value).collect();
    let all = plan::materialize(&root).unwrap();
    (vals, all)
}

#[test]
fn jit_interpreter_and_reference_agree_on_random_dags() {
    plan::set_jit(Box::new(lazyshare_jit::Jit::default()));
    config::set(Thresholds {
        chunk_rows: 64,
        exact_sums: false,
        defer_min_len: 0,
        ..Thresholds::default()
    })
    .unwrap();
    let cases: usize = std::env::var("LZS_DIFF_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let mut g = Gen {
        rng: Rng(0x9e3779b97f4a7c15),
        made: Vec::new(),
    };
    let mut checked = 0usize;
    // LZS_DIFF_FROM=k starts at case k (the cases before it are generated, not run): for debugging.
    let skip: usize = std::env::var("LZS_DIFF_FROM")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for case_no in 0..cases {
        g.made.clear();
        let sh = if g.rng.chance(0.3) {
            Shape::vector(g.rng.pick(&SIZES))
        } else if g.rng.chance(0.4) {
            let n = g.rng.pick(&SIZES);
            Shape::matrix(n, n)
        } else {
            Shape::matrix(g.rng.pick(&SIZES), g.rng.pick(&SIZES))
        };
        let depth = 1 + g.rng.below(8) as u32;
        let root = g.gen(sh, depth);
        let mut ops = vec![
            ReduceOp::Sum,
            ReduceOp::Mean,
            ReduceOp::Min,
            ReduceOp::Max,
            ReduceOp::All,
            ReduceOp::Any,
        ];
        if sh.len() <= 64 {
            ops.push(ReduceOp::Prod);
        }
        if sh.matrix {
            ops.extend([
                ReduceOp::RowSums,
                ReduceOp::RowMeans,
                ReduceOp::ColSums,
                ReduceOp::ColMeans,
                ReduceOp::RowMins,
                ReduceOp::RowMaxs,
                ReduceOp::ColMins,
                ReduceOp::ColMaxs,
            ]);
        }
        let reducers: Vec<(ReduceOp, bool)> = (0..1 + g.rng.below(4))
            .map(|_| (g.rng.pick(&ops), g.rng.chance(0.5)))
            .collect();
        let case = Case { root, reducers };
        if case_no < skip {
            continue;
        }
        let mut memo = HashMap::new();
        let want_all = eval(&case.root, &mut memo);
        let moved_all = eval_p(&case.root, &mut HashMap::new(), 1e-13);
        let (jit_vals, jit_all) = run_case(&case, true);
        let (int_vals, int_all) = run_case(&case, false);
        for (k, &(op, na)) in case.reducers.iter().enumerate() {
            let want = reduce_ref(op, &want_all, sh, na);
            let moved = reduce_ref(op, &moved_all, sh, na);
            let sc = scales(op, &want_all, sh);
            for (idx, w) in want.iter().enumerate() {
                for (who, got) in [("jit", &jit_vals[k]), ("interp", &int_vals[k])] {
                    assert!(
                        agree_sensitive(got[idx], *w, sc[idx], moved[idx]),
                        "case {case_no}: {who} {}(na.rm={na})[{idx}] = {} but reference {} (shape {sh:?})",
                        op.r_name(),
                        got[idx],
                        w
                    );
                    checked += 1;
                }
            }
        }
        for (idx, w) in want_all.iter().enumerate() {
            for (who, got) in [("jit", &jit_all), ("interp", &int_all)] {
                assert!(
                    agree_sensitive(got[idx], *w, 0.0, moved_all[idx]),
                    "case {case_no}: {who} element {idx} = {} but reference {} (shape {sh:?}); smallest failing part: {:?}",
                    got[idx],
                    w,
                    smallest_bad(&case.root)
                );
            }
        }
    }
    let stats = lazyshare_runtime::exec::COUNTERS.snapshot();
    let get = |name: &str| {
        stats
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, v)| *v)
    };
    println!(
        "{cases} random DAGs, {checked} reduced values compared; jit runs {}, interpreter runs {}, kernels compiled {}, cache hits {}, mean compile {:.3} ms",
        get("jit_runs"),
        get("interp_runs"),
        get("kernels_compiled"),
        get("cache_hits"),
        get("compile_ns") as f64 / get("kernels_compiled").max(1) as f64 / 1e6
    );
    assert!(get("kernels_compiled") > 0 && get("jit_runs") > 0 && get("interp_runs") > 0);
}
