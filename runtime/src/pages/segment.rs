//! POSIX shared-memory segments through raw `shm_open` and `memmap2`. We own the lifecycle: nothing here
//! unlinks on drop; pages are removed only by their owner, by sweeping, or by a writer that never published.

use std::ffi::CString;
use std::fs::{self, File};
use std::io;
use std::os::fd::FromRawFd;

use memmap2::{Mmap, MmapMut, MmapOptions};

/// Where glibc keeps POSIX shared memory on Linux; listing it is how namespaces are enumerated and swept.
pub const SHM_DIR: &str = "/dev/shm";

fn c_name(name: &str) -> io::Result<CString> {
    CString::new(format!("/{name}")).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

/// Creates a new segment of `len` bytes, readable and writable by this user only. Fails with
/// `AlreadyExists` if the name is taken.
pub fn create(name: &str, len: u64) -> io::Result<File> {
    let c = c_name(name)?;
    // SAFETY: `c` is a valid NUL-terminated string; shm_open has no other preconditions.
    let fd = unsafe {
        libc::shm_open(
            c.as_ptr(),
            libc::O_CREAT | libc::O_EXCL | libc::O_RDWR | libc::O_CLOEXEC,
            0o600 as libc::mode_t,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a freshly opened descriptor that nothing else owns.
    let file = unsafe { File::from_raw_fd(fd) };
    if let Err(e) = file.set_len(len) {
        let _ = unlink(name);
        return Err(e);
    }
    Ok(file)
}

/// Opens an existing segment read-only. O_NONBLOCK: a FIFO planted under a page's name must not block the
/// open (glibc's shm_open already refuses symbolic links).
pub fn open(name: &str) -> io::Result<File> {
    let c = c_name(name)?;
    // SAFETY: as in `create`.
    let fd = unsafe {
        libc::shm_open(
            c.as_ptr(),
            libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NONBLOCK,
            0,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a freshly opened descriptor that nothing else owns.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// Why an open segment is not one of this user's pages, if it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Foreign {
    /// Owned by another user: another user's data, or a file planted under one of our names.
    User(u32),
    /// A directory, FIFO or device, not a file.
    NotAFile,
}

/// Checks that `file` is a regular file owned by this process's user. Pages are created 0600 by their
/// user, so anything else under a page name was put there by someone else, and is neither read, taken
/// over nor removed.
pub fn check_ours(file: &File) -> io::Result<std::result::Result<(), Foreign>> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata()?;
    if !meta.file_type().is_file() {
        return Ok(Err(Foreign::NotAFile));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    Ok(if meta.uid() == me {
        Ok(())
    } else {
        Err(Foreign::User(meta.uid()))
    })
}

pub fn unlink(name: &str) -> io::Result<()> {
    let c = c_name(name)?;
    // SAFETY: `c` is a valid NUL-terminated string.
    if unsafe { libc::shm_unlink(c.as_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Bytes still free in the shared-memory file system. Writing into a mapping past that raises SIGBUS, so
/// writers check first.
pub fn free_bytes(file: &File) -> io::Result<u64> {
    use std::os::fd::AsRawFd;
    // SAFETY: statvfs is plain old data; fstatvfs fills it for a valid descriptor.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `file` is open, `st` is a valid out-pointer.
    if unsafe { libc::fstatvfs(file.as_raw_fd(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st.f_bavail as u64 * st.f_frsize as u64)
}

/// Names (without '/') in the shared-memory directory that start with `prefix`, sorted.
pub fn list(prefix: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(SHM_DIR)
        .map(|rd| {
            rd.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Seconds since the segment's status last changed (its creation, for pages that are never resized).
pub fn age_secs(name: &str) -> Option<u64> {
    let meta = fs::metadata(format!("{SHM_DIR}/{name}")).ok()?;
    meta.modified().ok()?.elapsed().ok().map(|d| d.as_secs())
}

/// The whole segment, shared and read-only.
pub fn map_read(file: &File) -> io::Result<Mmap> {
    // SAFETY: the mapping is read-only; published pages are never written again, and an owner can only
    // unlink (not truncate) a page, so the mapped range stays valid for the mapping's lifetime.
    unsafe { Mmap::map(file) }
}

/// The whole segment, shared and writable: only the creator maps it this way, before publishing.
pub fn map_write(file: &File) -> io::Result<MmapMut> {
    // SAFETY: the creator has just sized the segment and is its only writer until it publishes.
    unsafe { MmapMut::map_mut(file) }
}

/// `len` bytes at `offset` mapped copy-on-write: reads share the page cache, each written page becomes
/// private to this mapping.
pub fn map_private(file: &File, offset: u64, len: usize) -> io::Result<MmapMut> {
    // SAFETY: MAP_PRIVATE never writes back to the segment; the range lies inside the segment (checked by
    // the header parser before any entry is mapped).
    unsafe {
        MmapOptions::new()
            .offset(offset)
            .len(len.max(1))
            .map_copy(file)
    }
}
