//! Graphs the planner's tests share: sources and energy's DCOR graph.

use std::sync::Arc;

use crate::graph::{self, BinaryOp, Margin, NodeRef, ReduceOp, Reducer, Shape, Source};

pub fn src(v: Vec<f64>, shape: Shape) -> NodeRef {
    graph::source(Arc::new(Source::owned(v)), shape)
}

/// The reducer a reducer node holds.
pub fn reducer(n: &NodeRef) -> Arc<Reducer> {
    match &n.expr {
        graph::Expr::Reduced(r) => r.clone(),
        _ => panic!("not a reducer"),
    }
}

/// DCOR's graph of two noise vectors of length `n` (seeds `seed` and `seed + 1`), α = 1.
pub fn noise_dcor(n: usize, seed: u64) -> [NodeRef; 3] {
    let x = src(crate::testutil::noise(n, seed), Shape::vector(n as u64));
    let y = src(crate::testutil::noise(n, seed + 1), Shape::vector(n as u64));
    dcor_graph(x, y, 1.0)
}

/// DCOR's graph: A = d - rowMeans(d)[i] - rowMeans(d)[j] + mean(d), the same for B, then three means.
pub fn dcor_graph(x: NodeRef, y: NodeRef, alpha: f64) -> [NodeRef; 3] {
    let centred = |p: NodeRef| {
        let d = graph::binary(
            BinaryOp::Pow,
            &graph::dist(&p).unwrap(),
            &graph::constant(alpha),
        )
        .unwrap();
        let m = graph::reduce(ReduceOp::RowMeans, &d, false);
        let mm = graph::reduce(ReduceOp::Mean, &d, false);
        let a = graph::sweep(&d, Margin::Rows, &m, BinaryOp::Sub).unwrap();
        let b = graph::sweep(&a, Margin::Cols, &m, BinaryOp::Sub).unwrap();
        graph::binary(BinaryOp::Add, &b, &mm).unwrap()
    };
    let (a, b) = (centred(x), centred(y));
    let prod = |u: &NodeRef, v: &NodeRef| {
        graph::reduce(
            ReduceOp::Mean,
            &graph::binary(BinaryOp::Mul, u, v).unwrap(),
            false,
        )
    };
    [prod(&a, &b), prod(&a, &a), prod(&b, &b)]
}
