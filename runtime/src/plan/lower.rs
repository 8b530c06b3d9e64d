//! Lowering: graph nodes to a kernel's SSA list. Each node is lowered in a context saying which loop
//! variables index its rows and columns (a transpose swaps them, a sweep's statistics see only one), with
//! CSE over identical instructions, shared data slots per memory block, and reducer values as parameters.
//! A function that can turn numbers into NaN (R's `sqrt(-1)` warns "NaNs produced") also gets an output
//! counting the elements where it did, unless bounds prove it cannot.

use std::collections::HashMap;
use std::sync::Arc;

use super::rewrites::Rewrite;
use crate::exec::OutValue;
use crate::graph::{
    self, BinaryOp, Expr, Margin, NodeRef, ReduceOp, Reducer, Shape, UnaryOp, NA_REAL,
};
use crate::kernel::{Data, Domain, Idx, Inst, Kernel, OutKind, Output, Value};

/// Which loop variables index a node's rows and columns, and the shape whose leading dimension locates
/// an element (a vector read as a matrix of equal length uses the matrix's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Ctx {
    r: Idx,
    c: Idx,
    shape: Shape,
}

pub struct Lowerer {
    domain: Domain,
    insts: Vec<Inst>,
    data: Vec<Data>,
    params: Vec<f64>,
    outputs: Vec<Output>,
    cse: HashMap<Inst, Value>,
    data_slots: HashMap<(usize, usize), u32>,
    /// Nodes lowered so far, by structural key and context: structurally equal nodes (`graph::same`)
    /// are lowered once.
    nodes: HashMap<(u64, Ctx), Vec<(NodeRef, Value)>>,
    /// Row-sum outputs already emitted, by (value, skip_nan): a total of the same values is their sum.
    row_sums: HashMap<(Value, bool), usize>,
    nan_checks: NanChecks,
    rewrites: Vec<Rewrite>,
    /// Instructions found already present (CSE).
    cse_hits: usize,
    /// Lower reducers that are not computed yet as placeholders of their shape (for a plan that is only
    /// shown, whose earlier stages have not run).
    explaining: bool,
}

/// Outputs counting the elements where a node turned a number into NaN, and the nodes.
#[derive(Default)]
pub struct NanChecks(Vec<(usize, NodeRef)>);

impl NanChecks {
    /// Raises "NaNs produced" for each node that did so in a pass with these outputs.
    pub fn report(&self, outs: &[OutValue]) {
        self.raise(&self.fired(outs));
    }

    /// Which checks found a NaN made in a pass with these outputs (any thread may ask).
    pub fn fired(&self, outs: &[OutValue]) -> Vec<usize> {
        (0..self.0.len())
            .filter(|&k| outs[self.0[k].0].scalar() > 0.0)
            .collect()
    }

    /// Raises "NaNs produced" for the nodes of these checks (on the thread that reports to R).
    pub fn raise(&self, fired: &[usize]) {
        for &k in fired {
            self.0[k].1.warn_nan_produced();
        }
    }
}

/// A kernel writing every value of `node` (whose reducers must be computed, unless the kernel is only
/// `explaining`), column-major, and its "NaNs produced" checks.
pub(super) fn store_kernel(node: &NodeRef, explaining: bool) -> (Kernel, NanChecks) {
    let domain = Domain {
        rows: node.shape.rows,
        cols: node.shape.cols,
        symmetric: false,
    };
    let mut lw = if explaining {
        Lowerer::explaining(domain)
    } else {
        Lowerer::new(domain)
    };
    lw.store(node);
    let (kernel, checks, _) = lw.finish();
    (kernel, checks)
}

impl Lowerer {
    pub fn new(domain: Domain) -> Lowerer {
        Lowerer {
            domain,
            insts: Vec::new(),
            data: Vec::new(),
            params: Vec::new(),
            outputs: Vec::new(),
            cse: HashMap::new(),
            data_slots: HashMap::new(),
            nodes: HashMap::new(),
            row_sums: HashMap::new(),
            nan_checks: NanChecks::default(),
            rewrites: Vec::new(),
            cse_hits: 0,
            explaining: false,
        }
    }

    /// A lowerer for a plan that is shown, not run (see the `explaining` field).
    pub fn explaining(domain: Domain) -> Lowerer {
        Lowerer {
            explaining: true,
            ..Lowerer::new(domain)
        }
    }

    /// The kernel, its NaN checks and the rewrites lowering applied.
    pub fn finish(mut self) -> (Kernel, NanChecks, Vec<Rewrite>) {
        if self.cse_hits > 0 {
            self.rewrites.push(Rewrite::Cse {
                merged: self.cse_hits,
            });
        }
        let mut kernel = Kernel {
            domain: self.domain,
            insts: self.insts,
            outputs: self.outputs,
            data: self.data,
            params: self.params,
        };
        let hoisted = super::hoist::hoist_column_terms(&mut kernel);
        if hoisted > 0 {
            self.rewrites
                .push(Rewrite::HoistColumnTerms { count: hoisted });
        }
        (kernel, self.nan_checks, self.rewrites)
    }

    fn push(&mut self, inst: Inst) -> Value {
        if let Some(&v) = self.cse.get(&inst) {
            self.cse_hits += 1;
            return v;
        }
        let v = self.insts.len() as Value;
        self.insts.push(inst);
        self.cse.insert(inst, v);
        v
    }

    fn param(&mut self, x: f64) -> Value {
        self.params.push(x);
        let v = self.insts.len() as Value;
        self.insts.push(Inst::Param(self.params.len() as u32 - 1));
        v
    }

    fn data_slot(&mut self, d: Data) -> u32 {
        let vals = d.values();
        let key = (vals.as_ptr() as usize, vals.len());
        if let Some(&s) = self.data_slots.get(&key) {
            return s;
        }
        self.data.push(d);
        let s = self.data.len() as u32 - 1;
        self.data_slots.insert(key, s);
        s
    }

    /// The value of `node` at each element of the domain.
    pub fn value(&mut self, node: &NodeRef) -> Value {
        let ctx = Ctx {
            r: Idx::I,
            c: Idx::J,
            shape: node.shape,
        };
        self.lower(node, ctx)
    }

    fn lower(&mut self, node: &NodeRef, ctx: Ctx) -> Value {
        let key = (graph::structural_key(node), ctx);
        if let Some(&(_, v)) = self
            .nodes
            .get(&key)
            .and_then(|seen| seen.iter().find(|(n, _)| graph::same(n, node)))
        {
            return v;
        }
        let v = self.lower_new(node, ctx);
        self.nodes.entry(key).or_default().push((node.clone(), v));
        v
    }

    fn scalar_ctx() -> Ctx {
        Ctx {
            r: Idx::Zero,
            c: Idx::Zero,
            shape: Shape::scalar(),
        }
    }

    /// The context of an operand of a node of shape `parent`, following the recycling graph::binary allows.
    fn operand_ctx(operand: Shape, parent: Shape, ctx: Ctx) -> Ctx {
        if operand.is_scalar() {
            Lowerer::scalar_ctx()
        } else if operand.len() == parent.len() {
            ctx
        } else {
            Ctx {
                r: ctx.r,
                c: Idx::Zero,
                shape: operand,
            }
        }
    }

    fn load(&mut self, d: Data, ctx: Ctx) -> Value {
        let len = d.values().len();
        if len == 1 {
            let x = d.values()[0];
            return self.param(x);
        }
        let data = self.data_slot(d);
        self.push(Inst::Load {
            data,
            row: ctx.r,
            col: ctx.c,
            ld: ctx.shape.rows,
        })
    }

    fn lower_new(&mut self, node: &NodeRef, ctx: Ctx) -> Value {
        match &node.expr {
            Expr::Const(x) => self.param(*x),
            Expr::Source(s) => self.load(Data::Source(s.clone()), ctx),
            Expr::Reduced(r) => {
                let memo = match r.value() {
                    Some(v) => v.clone(),
                    None if self.explaining => Arc::from(vec![f64::NAN; node.shape.len() as usize]),
                    None => unreachable!("reducers are computed before the kernels that use them"),
                };
                self.load(Data::Memo(memo), ctx)
            }
            Expr::Dist(points) => {
                let src = points.as_source().expect("dist of a source").clone();
                let data = self.data_slot(Data::Source(src));
                self.push(Inst::Dist {
                    data,
                    p: points.shape.cols as u32,
                    ld: points.shape.rows,
                })
            }
            Expr::Unary(op, a) => {
                let av = self.lower(a, ctx);
                let v = self.push(Inst::Unary(*op, av));
                let v = self.integral_zero(node, v);
                if !super::bounds::never_produces_nan(*op, a) {
                    let produced = self.push(Inst::Unary(UnaryOp::IsNa, v));
                    let given = self.push(Inst::Unary(UnaryOp::IsNa, av));
                    let number = self.push(Inst::Unary(UnaryOp::Not, given));
                    let new_nan = self.push(Inst::Binary(BinaryOp::And, produced, number));
                    let o = self.output(OutKind::Sum, new_nan, false);
                    self.nan_checks.0.push((o, node.clone()));
                }
                v
            }
            Expr::Binary(op, a, b) => {
                let av = self.lower(a, Lowerer::operand_ctx(a.shape, node.shape, ctx));
                let bv = match (op, b.as_const()) {
                    (BinaryOp::Pow, Some(e)) => self.push(Inst::Const(e.to_bits())),
                    _ => self.lower(b, Lowerer::operand_ctx(b.shape, node.shape, ctx)),
                };
                let v = self.push(Inst::Binary(*op, av, bv));
                self.integral_zero(node, v)
            }
            Expr::Sweep {
                x,
                margin,
                stats,
                op,
            } => {
                let xv = self.lower(x, ctx);
                let idx = match margin {
                    Margin::Rows => ctx.r,
                    Margin::Cols => ctx.c,
                };
                let sctx = Ctx {
                    r: idx,
                    c: Idx::Zero,
                    shape: stats.shape,
                };
                let sctx = if stats.shape.is_scalar() {
                    Lowerer::scalar_ctx()
                } else {
                    sctx
                };
                let sv = self.lower(stats, sctx);
                let v = self.push(Inst::Binary(*op, xv, sv));
                self.integral_zero(node, v)
            }
            Expr::Transpose(x) => self.lower(
                x,
                Ctx {
                    r: ctx.c,
                    c: ctx.r,
                    shape: x.shape,
                },
            ),
            Expr::OffDiag(x) => {
                let v = self.lower(x, ctx);
                self.push(Inst::OffDiag(v))
            }
        }
    }

    /// `v`, the value of an integer or logical `node`, without a negative zero: R's integers have none
    /// (`-0L` is 0, and 1 / (-3L * 0L) is Inf), but negating or multiplying doubles makes one.
    fn integral_zero(&mut self, node: &NodeRef, v: Value) -> Value {
        let may_be_negative_zero = match &node.expr {
            Expr::Unary(op, _) => *op == UnaryOp::Neg,
            Expr::Binary(op, ..) | Expr::Sweep { op, .. } => *op == BinaryOp::Mul,
            _ => false,
        };
        if !(node.rtype.is_integral() && may_be_negative_zero) {
            return v;
        }
        let zero = self.push(Inst::Const(0f64.to_bits()));
        self.push(Inst::Binary(BinaryOp::Add, v, zero))
    }

    fn output(&mut self, kind: OutKind, value: Value, skip_nan: bool) -> usize {
        self.outputs.push(Output {
            kind,
            value,
            skip_nan,
        });
        self.outputs.len() - 1
    }

    /// Adds the outputs that compute `r`; returns how to finish them into its value.
    pub fn reducer(&mut self, r: &Arc<Reducer>) -> Finish {
        let sym = self.domain.symmetric;
        let v = self.value(&r.input);
        let skip = r.na_rm;
        let len = r.input.shape.len() as f64;
        // A total of values whose row sums this pass computes anyway is the sum of those row sums: one
        // accumulator less in the loop (dcor's first pass needs both rowMeans(d) and mean(d)).
        let rows = self.row_sums.get(&(v, skip)).copied();
        let total = match (r.op, rows) {
            (ReduceOp::Sum, Some(s)) if !skip => Some(Finish::RowTotal(s, 1.0)),
            (ReduceOp::Mean, Some(s)) if !skip => Some(Finish::RowTotal(s, len)),
            _ => None,
        };
        if let Some(total) = total {
            self.rewrites.push(Rewrite::TotalFromRowSums {
                reducer: graph::describe_reducer(r),
            });
            return total;
        }
        match r.op {
            ReduceOp::Sum => Finish::Scalar(self.output(OutKind::Sum, v, skip)),
            ReduceOp::Prod => Finish::Scalar(self.output(OutKind::Prod, v, skip)),
            ReduceOp::Min | ReduceOp::Max => {
                let min = r.op == ReduceOp::Min;
                let e = self.output(if min { OutKind::Min } else { OutKind::Max }, v, skip);
                // Values left: those not NaN with na.rm, else all of them.
                let count = skip.then(|| self.output(OutKind::Count, v, false));
                Finish::Extreme {
                    out: e,
                    count,
                    len,
                    min,
                }
            }
            ReduceOp::Mean => {
                let s = self.output(OutKind::Sum, v, skip);
                if skip {
                    Finish::Ratio(s, self.output(OutKind::Count, v, false))
                } else {
                    Finish::Scaled(s, len)
                }
            }
            ReduceOp::All | ReduceOp::Any => {
                let zero = self.param(0.0);
                let truth = self.push(Inst::Binary(BinaryOp::Ne, v, zero));
                let kind = if r.op == ReduceOp::All {
                    OutKind::Min
                } else {
                    OutKind::Max
                };
                let e = self.output(kind, truth, true);
                let c = self.output(OutKind::Count, truth, false);
                Finish::Logical {
                    all: r.op == ReduceOp::All,
                    extreme: e,
                    count: c,
                    len,
                    na_rm: skip,
                }
            }
            ReduceOp::RowMins | ReduceOp::RowMaxs | ReduceOp::ColMins | ReduceOp::ColMaxs => {
                let rows = r.op.margin() == Some(Margin::Rows);
                let min = matches!(r.op, ReduceOp::RowMins | ReduceOp::ColMins);
                let (kind, count) = match (rows, min) {
                    (true, true) => (OutKind::RowMin, OutKind::RowCount),
                    (true, false) => (OutKind::RowMax, OutKind::RowCount),
                    (false, true) => (OutKind::ColMin, OutKind::ColCount),
                    (false, false) => (OutKind::ColMax, OutKind::ColCount),
                };
                let out = self.output(kind, v, skip);
                let len = if rows {
                    r.input.shape.cols
                } else {
                    r.input.shape.rows
                } as f64;
                Finish::VectorExtreme {
                    out,
                    count: skip.then(|| self.output(count, v, false)),
                    len,
                    min,
                }
            }
            ReduceOp::RowSums | ReduceOp::RowMeans | ReduceOp::ColSums | ReduceOp::ColMeans => {
                let rows = matches!(r.op, ReduceOp::RowSums | ReduceOp::RowMeans) || sym;
                let (sum, count) = if rows {
                    (OutKind::RowSum, OutKind::RowCount)
                } else {
                    (OutKind::ColSum, OutKind::ColCount)
                };
                let s = self.output(sum, v, skip);
                if sum == OutKind::RowSum {
                    self.row_sums.insert((v, skip), s);
                }
                let other = if matches!(r.op, ReduceOp::RowSums | ReduceOp::RowMeans) {
                    r.input.shape.cols
                } else {
                    r.input.shape.rows
                };
                match r.op {
                    ReduceOp::RowSums | ReduceOp::ColSums => Finish::Vector(s),
                    _ if skip => Finish::VectorRatio(s, self.output(count, v, false)),
                    _ => Finish::VectorScaled(s, other as f64),
                }
            }
        }
    }

    /// Adds a Store of `node`'s values.
    pub fn store(&mut self, node: &NodeRef) {
        let v = self.value(node);
        self.output(OutKind::Store, v, false);
    }
}

/// R's warning for min or max of no values (each row or column without values gives one, as apply's
/// calls would).
fn warn_no_values(min: bool) {
    crate::warn::warn(if min {
        "no non-missing arguments to min; returning Inf"
    } else {
        "no non-missing arguments to max; returning -Inf"
    });
}

/// How a reducer's value is made from kernel outputs.
#[derive(Debug, Clone, Copy)]
pub enum Finish {
    Scalar(usize),
    /// min or max: of no values (or none but NA with na.rm) it is R's ±Inf with R's warning.
    Extreme {
        out: usize,
        count: Option<usize>,
        len: f64,
        min: bool,
    },
    Scaled(usize, f64),
    Ratio(usize, usize),
    Logical {
        all: bool,
        extreme: usize,
        count: usize,
        len: f64,
        na_rm: bool,
    },
    Vector(usize),
    /// min or max of each row or column; of no values it is R's ±Inf with R's warning.
    VectorExtreme {
        out: usize,
        count: Option<usize>,
        len: f64,
        min: bool,
    },
    VectorScaled(usize, f64),
    VectorRatio(usize, usize),
    /// The compensated sum of a row-sum output's elements, divided by the given count.
    RowTotal(usize, f64),
}

impl Finish {
    /// The kernel outputs the value is made from, so that a plan can say which SSA value feeds which
    /// reducer.
    pub fn outputs(&self) -> Vec<usize> {
        match *self {
            Finish::Scalar(o)
            | Finish::Scaled(o, _)
            | Finish::Vector(o)
            | Finish::VectorScaled(o, _)
            | Finish::RowTotal(o, _) => vec![o],
            Finish::Ratio(a, b) | Finish::VectorRatio(a, b) => vec![a, b],
            Finish::Extreme { out, count, .. } | Finish::VectorExtreme { out, count, .. } => {
                std::iter::once(out).chain(count).collect()
            }
            Finish::Logical { extreme, count, .. } => vec![extreme, count],
        }
    }

    pub fn apply(&self, outs: &[OutValue]) -> Arc<[f64]> {
        match *self {
            Finish::Scalar(s) => Arc::from(vec![outs[s].scalar()]),
            Finish::Extreme {
                out,
                count,
                len,
                min,
            } => {
                if count.map_or(len, |c| outs[c].scalar()) == 0.0 {
                    warn_no_values(min);
                }
                Arc::from(vec![outs[out].scalar()])
            }
            Finish::VectorExtreme {
                out,
                count,
                len,
                min,
            } => {
                let counts = count.map(|c| outs[c].vector());
                for k in 0..outs[out].vector().len() {
                    if counts.as_ref().map_or(len, |c| c[k]) == 0.0 {
                        warn_no_values(min);
                    }
                }
                Arc::from(outs[out].vector())
            }
            Finish::Scaled(s, n) => Arc::from(vec![outs[s].scalar_div(n)]),
            Finish::Ratio(s, c) => Arc::from(vec![outs[s].scalar_div(outs[c].scalar())]),
            Finish::Logical {
                all,
                extreme,
                count,
                len,
                na_rm,
            } => {
                let e = outs[extreme].scalar();
                let missing = outs[count].scalar() < len && !na_rm;
                let v = if all {
                    if e == 0.0 {
                        0.0
                    } else if missing {
                        NA_REAL
                    } else {
                        1.0
                    }
                } else if e != 0.0 && e != f64::NEG_INFINITY {
                    1.0
                } else if missing {
                    NA_REAL
                } else {
                    0.0
                };
                Arc::from(vec![v])
            }
            Finish::Vector(s) => Arc::from(outs[s].vector()),
            Finish::RowTotal(s, n) => {
                let mut total = crate::summary::Neumaier::default();
                match &outs[s] {
                    OutValue::Sums(rows) => rows.iter().for_each(|r| total.merge(*r)),
                    other => other.vector().iter().for_each(|&x| total.add(x)),
                }
                Arc::from(vec![total.div(n)])
            }
            Finish::VectorScaled(s, n) => Arc::from(outs[s].vector_div(|_| n)),
            Finish::VectorRatio(s, c) => {
                let counts = outs[c].vector();
                Arc::from(outs[s].vector_div(|k| counts[k]))
            }
        }
    }
}
