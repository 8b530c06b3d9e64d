//! This process's registry of pages and views. Both the pages entries (which register and release) and the
//! view class (which reopens a page when R unserialises a view) reach it, so it sits below both.

use std::sync::{Mutex, MutexGuard};

use lazyshare_runtime::pages::Registry;

static REGISTRY: Mutex<Registry> = Mutex::new(Registry::new());

/// This process's registry. Never hold the guard across a call that can raise an R error: the longjmp
/// would skip the unlock.
pub fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// The registry unless its lock is taken (used at exit, where waiting could hang forever).
pub fn try_registry() -> Option<MutexGuard<'static, Registry>> {
    match REGISTRY.try_lock() {
        Ok(g) => Some(g),
        Err(std::sync::TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}
