//! Views that travel: a view serialised with its data (`Serialize::Travel`) and restored where its page
//! cannot be opened (another host) leaves its data there as a page of this process, named after the
//! original page's identity, so that the same view restored again in that shared-memory domain (by a
//! sibling worker, or later here) maps it instead of holding another copy.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lazyshare_runtime::pages::{
    ArraySpec, DType, Kind, Page, PageError, PageId, PageName, PageSpec, PageWriter,
};

use crate::error::{RError, RResult};
use crate::rapi::*;
use crate::registry::registry;

/// Where a travelling view's data comes from: array `entry` of the page `name` with identity `id`, from
/// element `start`.
pub struct Origin<'a> {
    pub name: &'a PageName,
    pub id: PageId,
    pub entry: usize,
    pub start: usize,
}

/// How long a restore waits for a sibling that is writing the same cache page.
const WAIT_FOR_SIBLING: Duration = Duration::from_secs(5);

/// The page caching `data` (a plain R vector, the data of the view from `origin`): the existing one of
/// this domain, else one made now from `data`. None where no page can be had (the cache name would be too
/// long, /dev/shm is full, ...): the view is then restored as `data` itself, correct but private.
pub fn cached_page(origin: &Origin, data: SEXP) -> RResult<Option<Arc<Page>>> {
    // SAFETY: type and length queries.
    let (dtype, len) = unsafe {
        let dtype = match TYPEOF(data) {
            SEXPTYPE::REALSXP => DType::F64,
            SEXPTYPE::INTSXP => DType::I32,
            SEXPTYPE::LGLSXP => DType::Lgl,
            _ => return Err(RError::new("a serialized lazyshare view is damaged")),
        };
        (dtype, XLENGTH(data) as usize)
    };
    let id = origin.id;
    let var = format!(
        "{}-{}-{}-{}-{}-{}-{}",
        origin.name.var(),
        id.owner.pid,
        id.owner.start,
        id.created_ns,
        origin.entry,
        origin.start,
        len
    );
    let Ok(name) = PageName::new(origin.name.ns(), &var) else {
        return Ok(None);
    };
    let fits = |page: &Page| {
        page.header().entries.len() == 1
            && page.entry(0).spec.dtype == dtype
            && page.entry(0).spec.len as usize == len
    };
    // SAFETY: `data` is a plain vector R just unserialised (protected by R while the hook runs).
    let ptr = unsafe { DATAPTR_OR_NULL(data) } as *const u8;
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: R's data pointer covers len elements of dtype's size.
    let bytes = unsafe { std::slice::from_raw_parts(ptr, len * dtype.size() as usize) };
    let deadline = Instant::now() + WAIT_FOR_SIBLING;
    loop {
        if let Ok(page) = registry().open_view(&name) {
            return Ok(fits(&page).then_some(page));
        }
        match create(&name, dtype, len, bytes) {
            Ok(()) => {}
            // A sibling holds the name: wait until its page is ready.
            Err(PageError::Exists { .. } | PageError::NotReady { .. })
                if Instant::now() <= deadline =>
            {
                std::thread::sleep(Duration::from_millis(10))
            }
            // No page can be had here (no space, a file that is not ours, ...): keep the data private.
            Err(_) => return Ok(None),
        }
    }
}

fn create(name: &PageName, dtype: DType, len: usize, bytes: &[u8]) -> Result<(), PageError> {
    let spec = PageSpec {
        kind: Kind::Array,
        arrays: vec![ArraySpec {
            dtype,
            len: len as u64,
            dims: vec![],
            attrs: vec![],
        }],
        attrs: vec![],
    };
    let mut writer = PageWriter::create(name, &spec)?;
    writer.write_at(0, 0, bytes)?;
    registry().adopt(writer.publish());
    Ok(())
}
