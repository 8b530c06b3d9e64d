//! A page seen from both sides: `PageWriter` creates, fills and publishes one; `Page` is a published page
//! mapped read-only. A writer that is dropped before publishing removes its segment, so an error or a
//! panic half-way through a registration leaves nothing behind.

use std::fmt;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use memmap2::{Mmap, MmapMut};

use super::private::PrivateArray;
use rayon::prelude::*;

use super::error::{PageError, Result};
use super::header::{DType, Entry, Header, PageSpec, STATE_OFFSET, STATE_READY, STATE_WRITING};
use super::name::{namespace_prefix, PageName};
use super::owner::Owner;
use super::segment;

/// What makes a page unique beyond its name: a name released and registered again is a different page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PageId {
    pub owner: Owner,
    pub created_ns: u64,
}

impl fmt::Display for PageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.owner.pid, self.owner.start, self.created_ns
        )
    }
}

impl std::str::FromStr for PageId {
    type Err = ();

    fn from_str(s: &str) -> std::result::Result<PageId, ()> {
        let mut it = s.split(':').map(|p| p.parse::<u64>().map_err(|_| ()));
        let (pid, start, created_ns) = (
            it.next().ok_or(())??,
            it.next().ok_or(())??,
            it.next().ok_or(())??,
        );
        if it.next().is_some() {
            return Err(());
        }
        Ok(PageId {
            owner: Owner {
                pid: u32::try_from(pid).map_err(|_| ())?,
                start,
            },
            created_ns,
        })
    }
}

fn io_err<'a>(op: &'static str, name: &'a PageName) -> impl FnOnce(io::Error) -> PageError + 'a {
    move |source| PageError::Io {
        op,
        name: name.display(),
        source,
    }
}

/// The variables of namespace `ns` that exist right now (any owner), sorted.
pub fn namespace_vars(ns: &str) -> Vec<String> {
    segment::list(&namespace_prefix(ns))
        .iter()
        .filter_map(|f| PageName::from_shm_file(f))
        .filter(|n| n.ns() == ns)
        .map(|n| n.var().to_string())
        .collect()
}

/// Ok if the open segment is a file of this user: anything else under a page name is refused.
fn ours(name: &PageName, file: &File) -> Result<()> {
    match segment::check_ours(file).map_err(io_err("stat", name))? {
        Ok(()) => Ok(()),
        Err(why) => Err(PageError::NotOurs {
            name: name.display(),
            why,
        }),
    }
}

fn state(map: &[u8]) -> &AtomicU32 {
    let p = map[STATE_OFFSET..STATE_OFFSET + 4].as_ptr();
    // SAFETY: the mapping is page-aligned, so offset 12 is 4-byte aligned; the four bytes lie inside it and
    // live as long as `map`. Other processes touch this word only through atomics as well.
    unsafe { &*(p as *const AtomicU32) }
}

/// A published page, mapped shared and read-only.
#[derive(Debug)]
pub struct Page {
    name: PageName,
    header: Header,
    map: Mmap,
    /// Kept open so that copy-on-write mappings can still be made after the owner unlinks the name.
    file: File,
}

impl Page {
    pub fn open(name: &PageName) -> Result<Page> {
        let file = match segment::open(name.shm()) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(PageError::NotFound {
                    ns: name.ns().to_string(),
                    var: name.var().to_string(),
                    holds: namespace_vars(name.ns()),
                })
            }
            Err(e) => return Err(io_err("open", name)(e)),
        };
        ours(name, &file)?;
        let map = segment::map_read(&file).map_err(io_err("map", name))?;
        let header = Header::parse(&map).map_err(|reason| PageError::Corrupt {
            name: name.display(),
            reason,
        })?;
        if state(&map).load(Ordering::Acquire) != STATE_READY {
            return Err(PageError::NotReady {
                ns: name.ns().to_string(),
                var: name.var().to_string(),
                owner: header.owner,
            });
        }
        if header.ns != name.ns() || header.var != name.var() {
            return Err(PageError::Corrupt {
                name: name.display(),
                reason: format!("it says it is '{}.{}'", header.ns, header.var),
            });
        }
        Ok(Page {
            name: name.clone(),
            header,
            map,
            file,
        })
    }

    pub fn name(&self) -> &PageName {
        &self.name
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn id(&self) -> PageId {
        PageId {
            owner: self.header.owner,
            created_ns: self.header.created_ns,
        }
    }

    pub fn entry(&self, i: usize) -> &Entry {
        &self.header.entries[i]
    }

    /// The bytes of array `i`.
    pub fn bytes(&self, i: usize) -> &[u8] {
        let e = self.entry(i);
        let start = e.data_off as usize;
        &self.map[start..start + e.spec.bytes() as usize]
    }

    pub fn f64s(&self, i: usize) -> &[f64] {
        assert_eq!(self.entry(i).spec.dtype, DType::F64);
        cast(self.bytes(i))
    }

    /// Array `i` mapped copy-on-write, for a copy that may be written: it costs nothing until a page of it
    /// is written, and then only that page.
    pub fn private_copy(&self, i: usize) -> Result<PrivateArray> {
        self.private_range(i, 0, self.entry(i).spec.bytes() as usize)
    }

    /// A private copy-on-write mapping of bytes `start..start + len` of array `i` only (a column's view
    /// maps its column, not the whole matrix), beginning at the memory page that holds `start`.
    pub fn private_range(&self, i: usize, start: usize, len: usize) -> Result<PrivateArray> {
        let e = self.entry(i);
        let page = super::private::page_size();
        let first = e.data_off as usize + start;
        let aligned = first - first % page;
        segment::map_private(&self.file, aligned as u64, first + len - aligned)
            .map(|m| PrivateArray::new(m, first - aligned))
            .map_err(io_err("map private", &self.name))
    }

    /// Whether the name still leads to this very page (not released, not replaced by a new registration).
    pub fn is_current(&self) -> bool {
        Page::open(&self.name).is_ok_and(|p| p.id() == self.id())
    }
}

/// Reinterprets page bytes as elements. Data offsets are 4096-aligned and lengths whole elements.
fn cast<T: Copy>(b: &[u8]) -> &[T] {
    let size = std::mem::size_of::<T>();
    assert!(
        (b.as_ptr() as usize).is_multiple_of(std::mem::align_of::<T>())
            && b.len().is_multiple_of(size)
    );
    // SAFETY: alignment and length checked above; f64 and i32 accept every bit pattern; the slice borrows
    // `b`, so the mapping outlives it.
    unsafe { std::slice::from_raw_parts(b.as_ptr() as *const T, b.len() / size) }
}

/// A page of ours that others may read. Removing it is our job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedPage {
    pub name: PageName,
    pub id: PageId,
}

impl OwnedPage {
    /// Unlinks the page. Mappings elsewhere stay valid; new opens fail.
    pub fn unlink(&self) -> Result<()> {
        segment::unlink(self.name.shm()).map_err(io_err("unlink", &self.name))
    }
}

/// How a new segment gets its memory.
#[derive(Debug, Clone, Copy)]
enum Sizing {
    /// Allocated in full at creation (`posix_fallocate`).
    Reserved,
    /// Allocated page by page as it is written.
    Sparse,
}

/// A page being written. Until `publish`, readers see it as "still being registered"; if dropped
/// unpublished, it is unlinked.
#[derive(Debug)]
pub struct PageWriter {
    name: PageName,
    header: Header,
    map: MmapMut,
    file: File,
    published: bool,
}

impl PageWriter {
    /// Creates the segment for `spec` with all its memory allocated, so that no later touch of the page
    /// (by us or by a reader) can find /dev/shm full. A name held by a dead owner is taken over; one held by
    /// a live owner is an `Exists` error naming it; too little shared memory is `NoSpace`, with nothing left
    /// behind.
    pub fn create(name: &PageName, spec: &PageSpec) -> Result<PageWriter> {
        Self::create_with(name, spec, Sizing::Reserved)
    }

    /// Like `create`, but the segment's memory is allocated only where it is written: a page of 2^31
    /// doubles costs what its writer writes. Reading an unwritten stretch of it can still need memory, so
    /// this is for tools and tests that build long-vector pages, not for registrations.
    pub fn create_sparse(name: &PageName, spec: &PageSpec) -> Result<PageWriter> {
        Self::create_with(name, spec, Sizing::Sparse)
    }

    fn create_with(name: &PageName, spec: &PageSpec, sizing: Sizing) -> Result<PageWriter> {
        let owner = Owner::current();
        let created_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let (header, meta) = Header::layout(spec, name.ns(), name.var(), owner, created_ns);
        // A name a live process holds is refused before any memory is allocated; `link` decides races.
        if let Some(holder) = Self::holder(name)?.filter(Owner::is_alive) {
            return Err(Self::exists(name, Some(holder)));
        }
        let file = segment::create_unnamed().map_err(io_err("create", name))?;
        Self::size(name, &file, header.total_len, sizing)?;
        let mut map = segment::map_write(&file).map_err(io_err("map", name))?;
        map[..meta.len()].copy_from_slice(&meta);
        Self::link(name, &file)?;
        Ok(PageWriter {
            name: name.clone(),
            header,
            map,
            file,
            published: false,
        })
    }

    /// Checks the free space first (a clear message without touching memory), then allocates, which also
    /// catches another process filling /dev/shm between the check and the allocation.
    fn size(name: &PageName, file: &File, len: u64, sizing: Sizing) -> Result<()> {
        let no_space = || -> Result<()> {
            let free = segment::free_bytes().map_err(io_err("statvfs", name))?;
            Err(PageError::NoSpace {
                var: name.var().to_string(),
                needed: len,
                free,
            })
        };
        match sizing {
            Sizing::Sparse => file.set_len(len).map_err(io_err("resize", name)),
            Sizing::Reserved => {
                if len > segment::free_bytes().map_err(io_err("statvfs", name))? {
                    return no_space();
                }
                match segment::reserve(file, len) {
                    Err(e) if segment::is_no_space(&e) => no_space(),
                    other => other.map_err(io_err("allocate", name)),
                }
            }
        }
    }

    /// Names the segment, which readers then see as "still being registered". A name held by a dead
    /// owner is taken over; one held by a live owner is an `Exists` error naming it.
    fn link(name: &PageName, file: &File) -> Result<()> {
        match segment::link(file, name.shm()) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            other => return other.map_err(io_err("link", name)),
        }
        match Self::holder(name)? {
            Some(owner) if !owner.is_alive() => {
                let _ = segment::unlink(name.shm());
                segment::link(file, name.shm()).map_err(|e| match e.kind() {
                    io::ErrorKind::AlreadyExists => {
                        Self::exists(name, Self::holder(name).ok().flatten())
                    }
                    _ => io_err("link", name)(e),
                })
            }
            holder => Err(Self::exists(name, holder)),
        }
    }

    /// The owner recorded in the page that holds `name`, if one does and its header is readable; an error
    /// when what holds the name is not a file of this user (never read, never taken over).
    fn holder(name: &PageName) -> Result<Option<Owner>> {
        let Ok(f) = segment::open(name.shm()) else {
            return Ok(None);
        };
        ours(name, &f)?;
        Ok(segment::map_read(&f)
            .ok()
            .and_then(|m| Header::parse(&m).ok())
            .map(|h| h.owner))
    }

    fn exists(name: &PageName, owner: Option<Owner>) -> PageError {
        PageError::Exists {
            ns: name.ns().to_string(),
            var: name.var().to_string(),
            owner,
        }
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The writable bytes of array `i`.
    pub fn bytes_mut(&mut self, i: usize) -> &mut [u8] {
        let e = &self.header.entries[i];
        let start = e.data_off as usize;
        &mut self.map[start..start + e.spec.bytes() as usize]
    }

    /// Writes `src` into array `i` starting `offset` bytes in, on all pool threads. `pwrite` rather than
    /// stores into the mapping: it skips a page fault per 4 KiB (measured 2.5x faster for 0.8 GB on
    /// tmpfs), and a full file system becomes an error instead of a SIGBUS.
    pub fn write_at(&mut self, i: usize, offset: u64, src: &[u8]) -> Result<()> {
        const CHUNK: usize = 16 << 20;
        let e = &self.header.entries[i];
        assert!(
            offset + src.len() as u64 <= e.spec.bytes(),
            "write past the array"
        );
        let base = e.data_off + offset;
        let file = &self.file;
        crate::pool::install(|| {
            src.par_chunks(CHUNK)
                .enumerate()
                .try_for_each(|(k, c)| file.write_all_at(c, base + (k * CHUNK) as u64))
        })
        .map_err(io_err("write", &self.name))
    }

    /// Makes the page visible to readers and hands over its ownership record.
    pub fn publish(mut self) -> OwnedPage {
        debug_assert_eq!(state(&self.map).load(Ordering::Relaxed), STATE_WRITING);
        // Data written with pwrite went through the kernel; the fence orders it before the flag for readers.
        std::sync::atomic::fence(Ordering::SeqCst);
        state(&self.map).store(STATE_READY, Ordering::Release);
        self.published = true;
        OwnedPage {
            name: self.name.clone(),
            id: PageId {
                owner: self.header.owner,
                created_ns: self.header.created_ns,
            },
        }
    }
}

impl Drop for PageWriter {
    fn drop(&mut self) {
        if !self.published {
            let _ = segment::unlink(self.name.shm());
        }
    }
}
