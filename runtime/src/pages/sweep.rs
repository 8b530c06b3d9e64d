//! Removing pages nobody will ever release: their owner died (kill -9, a crash) or never finished
//! writing them. memshare leaks these forever and then refuses the name.

use super::header::Header;
use super::name::{user_prefix, PageName};
use super::segment;

/// A page still unreadable after this long was abandoned by its writer, not caught mid-creation.
const ABANDONED_AFTER_SECS: u64 = 60;

/// Removes this user's pages whose owner is dead; returns their names. A file under one of our names
/// that belongs to another user (root sweeping /dev/shm, say) or is not a regular file is left alone.
pub fn sweep() -> Vec<PageName> {
    let mut removed = Vec::new();
    for file in segment::list(&user_prefix()) {
        let Some(name) = PageName::from_shm_file(&file) else {
            continue;
        };
        let Ok(opened) = segment::open(&file) else {
            continue;
        };
        if !matches!(segment::check_ours(&opened), Ok(Ok(()))) {
            continue;
        }
        let header = segment::map_read(&opened)
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileExt;
    use std::process::{Child, Command};

    use super::*;
    use crate::pages::header::{ArraySpec, DType, Kind, PageSpec, STATE_OFFSET, STATE_READY};
    use crate::pages::owner::{process_start, Owner};
    use crate::pages::segment::SHM_DIR;
    use crate::pages::{Page, PageError, PageWriter};

    fn name(var: &str) -> PageName {
        PageName::new(&format!("rt{}-h13a_sweep", std::process::id()), var).unwrap()
    }

    /// Writes a published page whose header claims `owner`, as a process with that pid and start time
    /// would have.
    fn plant(name: &PageName, owner: Owner) -> std::fs::File {
        let spec = PageSpec {
            kind: Kind::Array,
            arrays: vec![ArraySpec {
                dtype: DType::F64,
                len: 4,
                dims: vec![],
                attrs: vec![],
            }],
            attrs: vec![],
        };
        let (h, meta) = Header::layout(&spec, name.ns(), name.var(), owner, 1);
        let file = segment::create_for_test(name.shm(), h.total_len).unwrap();
        file.write_all_at(&meta, 0).unwrap();
        file.write_all_at(&STATE_READY.to_le_bytes(), STATE_OFFSET as u64)
            .unwrap();
        file
    }

    fn exists(name: &PageName) -> bool {
        std::path::Path::new(SHM_DIR).join(name.shm()).exists()
    }

    struct Sleeper(Child);

    impl Drop for Sleeper {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn a_live_pid_with_another_start_time_is_a_reused_pid_and_its_page_is_swept() {
        let sleeper = Sleeper(Command::new("sleep").arg("60").spawn().unwrap());
        let pid = sleeper.0.id();
        let start = process_start(pid).unwrap();
        let reused = name("reused");
        let live = name("live");
        let mine = name("mine");
        plant(
            &reused,
            Owner {
                pid,
                start: start + 1,
            },
        );
        plant(&live, Owner { pid, start });
        plant(&mine, Owner::current());
        sweep();
        assert!(
            !exists(&reused),
            "a page whose owner's pid was reused is swept"
        );
        assert!(exists(&live), "a live owner's page is kept");
        assert!(exists(&mine), "this process's page is kept");
        assert!(Page::open(&live).is_ok());
        for n in [&live, &mine] {
            segment::unlink(n.shm()).unwrap();
        }
    }

    /// As root, a file of another user under one of our names (planted, or chowned) is never swept, read
    /// or taken over, even when its header says its owner is dead.
    #[test]
    fn another_users_file_is_never_swept_read_or_replaced() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: needs root to give a file to another user");
            return;
        }
        let foreign = name("foreign");
        let mut child = Command::new("true").spawn().unwrap();
        let dead = Owner {
            pid: child.id(),
            start: process_start(child.id()).unwrap_or(0),
        };
        child.wait().unwrap();
        let file = plant(&foreign, dead);
        std::os::unix::fs::fchown(&file, Some(65534), Some(65534)).unwrap();
        sweep();
        assert!(exists(&foreign), "another user's page survives the sweep");
        match Page::open(&foreign) {
            Err(PageError::NotOurs {
                why: segment::Foreign::User(65534),
                ..
            }) => {}
            other => panic!("expected NotOurs, got {other:?}"),
        }
        let spec = PageSpec {
            kind: Kind::Array,
            arrays: vec![],
            attrs: vec![],
        };
        assert!(matches!(
            PageWriter::create(&foreign, &spec),
            Err(PageError::NotOurs { .. })
        ));
        assert!(exists(&foreign), "registering over it does not remove it");
        segment::unlink(foreign.shm()).unwrap();
    }

    #[test]
    fn a_directory_under_a_page_name_is_refused_not_swept() {
        let dir = name("dir");
        let path = std::path::Path::new(SHM_DIR).join(dir.shm());
        std::fs::create_dir(&path).unwrap();
        sweep();
        let opened = Page::open(&dir);
        let still = path.is_dir();
        std::fs::remove_dir(&path).unwrap();
        assert!(still);
        assert!(matches!(
            opened,
            Err(PageError::NotOurs {
                why: segment::Foreign::NotAFile,
                ..
            })
        ));
    }
}
