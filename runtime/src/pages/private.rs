//! Private copy-on-write mappings of a page's array, and which of their memory pages were written.
//!
//! R asks for a writable data pointer far more often than it writes (much C code reads through REAL()),
//! so "has a private mapping" says little. The kernel knows better: in a MAP_PRIVATE file mapping a page
//! that was written is anonymous memory, an unwritten one is still the shared file page. Reading that from
//! /proc/self/pagemap (8 bytes per 4 KiB page) lets a duplicate copy only written pages and lets an
//! unmodified object still serialise as a reference to its page.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use memmap2::MmapMut;

/// pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst).
const PM_PRESENT: u64 = 1 << 63;
const PM_SWAPPED: u64 = 1 << 62;
const PM_FILE: u64 = 1 << 61;

pub struct PrivateArray {
    map: MmapMut,
    /// Taken with `as_mut_ptr` while the map was uniquely borrowed; valid while `map` lives.
    ptr: *mut u8,
    /// Where the array (or the stretch of it this mapping is for) starts within the mapping, which
    /// starts on a memory page boundary.
    offset: usize,
}

impl std::fmt::Debug for PrivateArray {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateArray({} bytes)", self.map.len())
    }
}

impl PrivateArray {
    pub(crate) fn new(mut map: MmapMut, offset: usize) -> PrivateArray {
        let ptr = map.as_mut_ptr();
        PrivateArray { map, ptr, offset }
    }

    /// Where the array's bytes start; writable.
    pub fn as_mut_ptr(&self) -> *mut u8 {
        // SAFETY: offset lies inside the mapping (see `Page::private_range`).
        unsafe { self.ptr.add(self.offset) }
    }

    /// Indices of the memory pages of this mapping that were written (now private to it).
    pub fn written_pages(&self) -> io::Result<Vec<usize>> {
        let page = page_size();
        let base = self.ptr as usize;
        debug_assert_eq!(base % page, 0, "private mappings start on a page boundary");
        let n = self.map.len().div_ceil(page);
        let pagemap = File::open("/proc/self/pagemap")?;
        let mut written = Vec::new();
        const BATCH: usize = 1 << 16;
        let mut buf = vec![0u8; BATCH * 8];
        let mut first = 0;
        while first < n {
            let count = BATCH.min(n - first);
            let bytes = &mut buf[..count * 8];
            pagemap.read_exact_at(bytes, ((base / page + first) * 8) as u64)?;
            for (k, e) in bytes.chunks_exact(8).enumerate() {
                let e = u64::from_le_bytes(e.try_into().expect("8 bytes"));
                let private = (e & PM_PRESENT != 0 && e & PM_FILE == 0) || e & PM_SWAPPED != 0;
                if private {
                    written.push(first + k);
                }
            }
            first += count;
        }
        Ok(written)
    }

    /// True if any page was written, or if the kernel cannot tell us (then we must assume so).
    pub fn is_modified(&self) -> bool {
        self.written_pages().map_or(true, |w| !w.is_empty())
    }

    /// Copies the pages written in `self` into `to`, a fresh private mapping of the same array: the result
    /// equals `self` and costs only those pages.
    pub fn copy_written_into(&self, to: &mut PrivateArray) -> io::Result<()> {
        assert_eq!(self.map.len(), to.map.len(), "same array");
        let page = page_size();
        for p in self.written_pages()? {
            let start = p * page;
            let end = (start + page).min(self.map.len());
            to.map[start..end].copy_from_slice(&self.map[start..end]);
        }
        Ok(())
    }
}

pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let ps = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if ps > 0 {
        ps as usize
    } else {
        4096
    }
}
