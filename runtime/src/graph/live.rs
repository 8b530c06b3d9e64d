//! The roots the planner searches: every node an R object currently holds. When one reducer is forced,
//! all pending reducers reachable from these roots that share its loop are computed in the same pass.

use std::sync::{Mutex, Weak};

use super::{Node, NodeRef};

static ROOTS: Mutex<Vec<Weak<Node>>> = Mutex::new(Vec::new());

/// Records a node that an R object now holds.
pub fn register_root(node: &NodeRef) {
    let mut roots = ROOTS.lock().unwrap_or_else(|e| e.into_inner());
    if roots.len() >= 1024 && roots.len().is_power_of_two() {
        roots.retain(|w| w.strong_count() > 0);
    }
    roots.push(NodeRef::downgrade(node));
}

/// The nodes still held, pruning those that are gone.
pub fn live_roots() -> Vec<NodeRef> {
    let mut roots = ROOTS.lock().unwrap_or_else(|e| e.into_inner());
    roots.retain(|w| w.strong_count() > 0);
    roots.iter().filter_map(Weak::upgrade).collect()
}
