//! Pass "collect": which reducers a force must compute. A reducer needs the pending reducers its input
//! reads (directly, not through other reducers' inputs, which those compute); a force also picks up every
//! pending reducer reachable from the nodes R holds, so that reducers over the same grid share a pass.
//! "Done" means computed, or scheduled by an earlier stage of the same plan (`done` holds their ids).

use std::collections::HashSet;
use std::sync::Arc;

use crate::graph::{self, Expr, Node, NodeRef, Reducer};

/// Whether `r` needs no computing: it has a value, or an earlier stage computes it.
pub fn is_done(r: &Reducer, done: &HashSet<u64>) -> bool {
    r.is_done() || done.contains(&r.id())
}

/// The pending reducers `node` reads directly (not through other reducers).
pub fn direct(node: &Node, done: &HashSet<u64>) -> Vec<Arc<Reducer>> {
    fn go(node: &Node, done: &HashSet<u64>, out: &mut Vec<Arc<Reducer>>, seen: &mut HashSet<u64>) {
        if !seen.insert(node.id()) {
            return;
        }
        if let Expr::Reduced(r) = &node.expr {
            if !is_done(r, done) {
                out.push(r.clone());
            }
            return;
        }
        for c in node.children() {
            go(c, done, out, seen);
        }
    }
    let mut out = Vec::new();
    go(node, done, &mut out, &mut HashSet::new());
    out
}

/// The pending reducers `r`'s input reads: what must be computed before `r`.
pub fn deps(r: &Reducer, done: &HashSet<u64>) -> Vec<Arc<Reducer>> {
    direct(&r.input, done)
}

/// Every pending reducer `r` needs, itself included, transitively.
pub fn closure(r: &Arc<Reducer>, done: &HashSet<u64>) -> Vec<Arc<Reducer>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut stack = vec![r.clone()];
    while let Some(r) = stack.pop() {
        if is_done(&r, done) || !seen.insert(r.id()) {
            continue;
        }
        stack.extend(deps(&r, done));
        out.push(r);
    }
    out
}

/// The pending reducers reachable from the nodes R holds, with their dependencies.
pub fn live() -> Vec<Arc<Reducer>> {
    let mut out = Vec::new();
    let mut seen_nodes = HashSet::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<NodeRef> = graph::live_roots();
    while let Some(n) = stack.pop() {
        if !seen_nodes.insert(n.id()) {
            continue;
        }
        if let Expr::Reduced(r) = &n.expr {
            if !r.is_done() && seen.insert(r.id()) {
                out.push(r.clone());
                stack.push(r.input.clone());
            }
            continue;
        }
        stack.extend(n.children().into_iter().cloned());
    }
    out
}
