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

/// Creates a new, empty segment without a name, readable and writable by this user only. It is sized and
/// given its header before `link` names it, so nobody ever opens a page that has no header yet; if the
/// creator fails or dies first, the file vanishes with its descriptor.
pub fn create_unnamed() -> io::Result<File> {
    let dir = CString::new(SHM_DIR).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: `dir` is a valid NUL-terminated path; open has no other preconditions.
    let fd = unsafe {
        libc::open(
            dir.as_ptr(),
            libc::O_TMPFILE | libc::O_RDWR | libc::O_CLOEXEC,
            0o600 as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a freshly opened descriptor that nothing else owns.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// Gives a segment from `create_unnamed` its name, atomically: `AlreadyExists` if the name is taken.
pub fn link(file: &File, name: &str) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let from = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let to = CString::new(format!("{SHM_DIR}/{name}"))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: both paths are valid NUL-terminated strings. Linking an O_TMPFILE file through its
    // /proc/self/fd entry needs no privilege (open(2), O_TMPFILE).
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A named segment of `len` bytes with whatever a test writes into it (fabricated or damaged pages).
#[cfg(test)]
pub fn create_for_test(name: &str, len: u64) -> io::Result<File> {
    let file = create_unnamed()?;
    file.set_len(len)?;
    link(&file, name)?;
    Ok(file)
}

/// Sizes the segment to `len` bytes and allocates every memory page of it now. tmpfs allocates pages
/// lazily, so a segment that is only `set_len` can pass a free-space check and still find the file system
/// full when a page is first touched, which is a SIGBUS in whoever touches it; allocating up front turns
/// that into an `ENOSPC` error here, before the page is published. A failed allocation is undone by the
/// kernel.
pub fn reserve(file: &File, len: u64) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let len =
        libc::off_t::try_from(len).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    loop {
        // SAFETY: `file` is open for writing; posix_fallocate has no memory arguments.
        match unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) } {
            0 => return Ok(()),
            // A signal (R's SIGCHLD, Ctrl-C) stops a long allocation; what was allocated stays, so retry.
            libc::EINTR => continue,
            e => return Err(io::Error::from_raw_os_error(e)),
        }
    }
}

/// True for the error a full file system gives.
pub fn is_no_space(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ENOSPC)
}

/// Opens an existing segment read-only. O_NONBLOCK: a FIFO planted under a page's name must not block the
/// open (glibc's shm_open already refuses symbolic links).
pub fn open(name: &str) -> io::Result<File> {
    let c = c_name(name)?;
    // SAFETY: `c` is a valid NUL-terminated string; shm_open has no other preconditions.
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

/// Bytes still free in the shared-memory file system, for a registration's first check and for the
/// message when it does not fit.
pub fn free_bytes() -> io::Result<u64> {
    let dir = CString::new(SHM_DIR).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    // SAFETY: statvfs is plain old data; statvfs fills it for a valid path.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `dir` is NUL-terminated, `st` is a valid out-pointer.
    if unsafe { libc::statvfs(dir.as_ptr(), &mut st) } != 0 {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    /// The size of the shared-memory file system: a request beyond it fails before anything is allocated.
    fn total_bytes() -> u64 {
        let dir = CString::new(SHM_DIR).unwrap();
        // SAFETY: as in `free_bytes`.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: as in `free_bytes`.
        assert_eq!(unsafe { libc::statvfs(dir.as_ptr(), &mut st) }, 0);
        st.f_blocks as u64 * st.f_frsize as u64
    }

    #[test]
    fn reserve_allocates_every_page_up_front() {
        let name = format!("lzstest{}.reserve", std::process::id());
        let len = 3 << 20;
        let file = create_unnamed().unwrap();
        reserve(&file, len).unwrap();
        let meta = file.metadata().unwrap();
        assert_eq!(meta.len(), len);
        assert!(
            meta.blocks() * 512 >= len,
            "{} of {len} bytes allocated",
            meta.blocks() * 512
        );
        let sparse = create_unnamed().unwrap();
        sparse.set_len(len).unwrap();
        assert_eq!(
            sparse.metadata().unwrap().blocks(),
            0,
            "set_len allocates nothing"
        );
        link(&file, &name).unwrap();
        assert_eq!(
            fs::metadata(format!("{SHM_DIR}/{name}")).unwrap().len(),
            len
        );
        unlink(&name).unwrap();
    }

    #[test]
    fn a_segment_appears_under_its_name_only_once_linked_and_a_name_links_once() {
        let name = format!("lzstest{}.link", std::process::id());
        let file = create_unnamed().unwrap();
        file.set_len(4096).unwrap();
        assert!(!list("lzstest").contains(&name), "unnamed until linked");
        link(&file, &name).unwrap();
        assert!(list("lzstest").contains(&name));
        let mode = fs::metadata(format!("{SHM_DIR}/{name}")).unwrap().mode();
        assert_eq!(mode & 0o777, 0o600);
        let other = create_unnamed().unwrap();
        assert_eq!(
            link(&other, &name).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        unlink(&name).unwrap();
    }

    #[test]
    fn reserving_more_than_the_file_system_holds_is_enospc() {
        let file = create_unnamed().unwrap();
        let err = reserve(&file, total_bytes() + (1 << 20)).unwrap_err();
        assert!(is_no_space(&err), "{err:?}");
        assert_eq!(
            file.metadata().unwrap().blocks(),
            0,
            "nothing stays allocated"
        );
    }
}
