//! Removing pages nobody will ever release: their owner died (kill -9, a crash) or never finished
//! writing them. memshare leaks these forever and then refuses the name.

use super::header::Header;
use super::name::{user_prefix, PageName};
use super::segment;

/// A page still unreadable after this long was abandoned by its writer, not caught mid-creation.
const ABANDONED_AFTER_SECS: u64 = 60;

/// Removes this user's pages whose owner is dead; returns their names.
pub fn sweep() -> Vec<PageName> {
    let mut removed = Vec::new();
    for file in segment::list(&user_prefix()) {
        let Some(name) = PageName::from_shm_file(&file) else {
            continue;
        };
        let header = segment::open(&file)
            .and_then(|f| segment::map_read(&f))
            .map_err(|e| e.to_string())
            .and_then(|m| Header::parse(&m));
        let stale = match header {
            Ok(h) => !h.owner.is_alive(),
            Err(_) => segment::age_secs(&file).is_some_and(|s| s >= ABANDONED_AFTER_SECS),
        };
        if stale && segment::unlink(&file).is_ok() {
            removed.push(name);
        }
    }
    removed
}
