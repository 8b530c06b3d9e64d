//! Warnings R gives about values (an integer sum beyond R's range, NaNs produced by `sqrt`, `min` of no
//! values): only computing the values reveals them, and that happens later than R would have warned. The
//! runtime records them here while it computes; the R layer raises them as R warnings once the
//! computation has returned to it. Passes finish on the thread that asked for them (R's main thread), so
//! the record is per thread.

use std::cell::RefCell;

thread_local! {
    static PENDING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Records a warning for the R layer.
pub fn warn(msg: impl Into<String>) {
    PENDING.with(|p| p.borrow_mut().push(msg.into()));
}

/// The warnings recorded on this thread since the last call, in order.
pub fn take() -> Vec<String> {
    PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()))
}
