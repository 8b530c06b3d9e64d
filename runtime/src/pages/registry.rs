//! This process's pages and views. The registry holds one handle per retrieved name (so a second retrieve
//! returns a view of the same mapping) and a record per page it owns (so exit and unload can unlink them).
//! R objects hold their own `Arc<Page>`; releasing a view here never unmaps memory an object still uses.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::error::{PageError, Result};
use super::name::PageName;
use super::page::{OwnedPage, Page};

#[derive(Debug, Default)]
pub struct Registry {
    owned: BTreeMap<PageName, OwnedPage>,
    views: BTreeMap<PageName, Arc<Page>>,
}

impl Registry {
    pub const fn new() -> Registry {
        Registry {
            owned: BTreeMap::new(),
            views: BTreeMap::new(),
        }
    }

    /// Records a page this process has just published.
    pub fn adopt(&mut self, page: OwnedPage) {
        self.owned.insert(page.name.clone(), page);
    }

    /// A view of `name`: the handle already held if it still names the same page, else a fresh mapping.
    pub fn open_view(&mut self, name: &PageName) -> Result<Arc<Page>> {
        let fresh = Page::open(name)?;
        if let Some(held) = self.views.get(name) {
            if held.id() == fresh.id() {
                return Ok(held.clone());
            }
        }
        let page = Arc::new(fresh);
        self.views.insert(name.clone(), page.clone());
        Ok(page)
    }

    /// Ok if this process holds a view of `name`.
    pub fn check_view(&self, name: &PageName) -> Result<()> {
        if self.views.contains_key(name) {
            return Ok(());
        }
        Err(PageError::NoView {
            ns: name.ns().to_string(),
            var: name.var().to_string(),
            holds: self
                .views
                .keys()
                .filter(|n| n.ns() == name.ns())
                .map(|n| n.var().to_string())
                .collect(),
        })
    }

    /// Drops this process's handle on `name`. Objects that still refer to the view keep working.
    pub fn release_view(&mut self, name: &PageName) -> Result<()> {
        self.check_view(name)?;
        self.views.remove(name);
        Ok(())
    }

    /// Ok if this process owns `name`; else who does, or that nobody does.
    pub fn check_owned(&self, name: &PageName) -> Result<()> {
        if self.owned.get(name).is_some_and(is_mine) {
            return Ok(());
        }
        let owner = match Page::open(name) {
            Ok(p) => p.header().owner,
            Err(PageError::NotReady { owner, .. }) => owner,
            Err(e) => return Err(e),
        };
        Err(PageError::NotOwner {
            ns: name.ns().to_string(),
            var: name.var().to_string(),
            owner,
        })
    }

    /// Unlinks a page this process owns. Views elsewhere stay valid; new retrieves fail.
    pub fn release_page(&mut self, name: &PageName) -> Result<()> {
        self.check_owned(name)?;
        if let Some(page) = self.owned.remove(name) {
            page.unlink()?;
        }
        Ok(())
    }

    /// `<ns>.<var>` of every page this process owns, sorted.
    pub fn page_names(&self) -> Vec<String> {
        self.owned
            .values()
            .filter(|p| is_mine(p))
            .map(|p| p.name.display())
            .collect()
    }

    /// `<ns>.<var>` of every view this process holds, sorted.
    pub fn view_names(&self) -> Vec<String> {
        self.views.keys().map(PageName::display).collect()
    }

    /// Releases every view and page of namespace `ns` held here; returns how many of each.
    pub fn release_namespace(&mut self, ns: &str) -> Result<(usize, usize)> {
        let before = self.views.len();
        self.views.retain(|n, _| n.ns() != ns);
        let views = before - self.views.len();
        let pages: Vec<PageName> = self
            .owned
            .values()
            .filter(|p| p.name.ns() == ns && is_mine(p))
            .map(|p| p.name.clone())
            .collect();
        for name in &pages {
            self.release_page(name)?;
        }
        Ok((views, pages.len()))
    }

    /// At exit or unload: unlinks every page this process owns and drops its view handles. Pages inherited
    /// through `fork` belong to the parent and are left alone.
    pub fn release_all(&mut self) {
        for page in self.owned.values().filter(|p| is_mine(p)) {
            let _ = page.unlink();
        }
        self.owned.clear();
        self.views.clear();
    }
}

fn is_mine(page: &OwnedPage) -> bool {
    page.id.owner.pid == std::process::id()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pages::{sweep, ArraySpec, DType, Kind, PageSpec, PageWriter};

    fn ns(test: &str) -> String {
        format!("rt{}-{test}", std::process::id())
    }

    fn f64_spec(len: u64, dims: Vec<u64>) -> PageSpec {
        PageSpec {
            kind: Kind::Array,
            arrays: vec![ArraySpec {
                dtype: DType::F64,
                len,
                dims,
                attrs: b"attrs".to_vec(),
            }],
            attrs: vec![],
        }
    }

    fn as_bytes(v: &[f64]) -> &[u8] {
        // SAFETY: f64 has no padding; the byte view borrows `v`.
        unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v)) }
    }

    fn register(reg: &mut Registry, name: &PageName, data: &[f64]) {
        let mut w = PageWriter::create(name, &f64_spec(data.len() as u64, vec![])).unwrap();
        w.write_at(0, 0, as_bytes(data)).unwrap();
        reg.adopt(w.publish());
    }

    /// Runs `f` in a forked child that exits without any cleanup, like a process killed with SIGKILL.
    fn in_child_that_dies(f: impl FnOnce()) {
        // SAFETY: the child runs `f` (no locks held across the fork are taken by it) and leaves with _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            f();
            // SAFETY: ends the child without destructors or atexit handlers.
            unsafe { libc::_exit(0) };
        }
        let mut status = 0;
        // SAFETY: waiting for our own child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    }

    #[test]
    fn register_retrieve_release_round_trip() {
        let ns = ns("roundtrip");
        let name = PageName::new(&ns, "X").unwrap();
        let data: Vec<f64> = (0..100_000).map(|i| i as f64 * 0.5).collect();
        let mut reg = Registry::new();
        register(&mut reg, &name, &data);
        assert_eq!(reg.page_names(), vec![format!("{ns}.X")]);

        let v1 = reg.open_view(&name).unwrap();
        let v2 = reg.open_view(&name).unwrap();
        assert!(
            Arc::ptr_eq(&v1, &v2),
            "a second retrieve shares the mapping"
        );
        assert_eq!(v1.f64s(0), &data[..]);
        assert_eq!(v1.entry(0).spec.attrs, b"attrs");
        assert_eq!(reg.view_names(), vec![format!("{ns}.X")]);

        match PageWriter::create(&name, &f64_spec(1, vec![])) {
            Err(PageError::Exists { owner: Some(o), .. }) => assert_eq!(o.pid, std::process::id()),
            other => panic!("expected Exists, got {other:?}"),
        }

        reg.release_page(&name).unwrap();
        assert_eq!(v1.f64s(0)[99_999], 99_999.0 * 0.5, "views outlive the page");
        match reg.open_view(&name) {
            Err(PageError::NotFound { holds, .. }) => assert!(holds.is_empty()),
            other => panic!("expected NotFound, got {other:?}"),
        }
        reg.release_view(&name).unwrap();
        assert!(matches!(
            reg.release_view(&name),
            Err(PageError::NoView { .. })
        ));
        assert!(matches!(
            reg.release_page(&name),
            Err(PageError::NotFound { .. })
        ));
        assert_eq!(v2.f64s(0)[1], 0.5);
    }

    #[test]
    fn a_released_and_reregistered_name_is_a_new_page() {
        let ns = ns("replace");
        let name = PageName::new(&ns, "X").unwrap();
        let mut reg = Registry::new();
        register(&mut reg, &name, &[1.0, 2.0]);
        let old = reg.open_view(&name).unwrap();
        reg.release_page(&name).unwrap();
        register(&mut reg, &name, &[3.0]);
        assert!(!old.is_current());
        let new = reg.open_view(&name).unwrap();
        assert_ne!(old.id(), new.id());
        assert_eq!(new.f64s(0), &[3.0]);
        assert_eq!(old.f64s(0), &[1.0, 2.0]);
        reg.release_all();
        assert!(reg.page_names().is_empty() && reg.view_names().is_empty());
    }

    #[test]
    fn private_copies_write_without_touching_the_page() {
        let ns = ns("private");
        let name = PageName::new(&ns, "X").unwrap();
        let mut reg = Registry::new();
        let data: Vec<f64> = (0..10_000).map(f64::from).collect();
        register(&mut reg, &name, &data);
        let page = reg.open_view(&name).unwrap();
        let copy = page.private_copy(0).unwrap();
        // SAFETY: reading then writing inside the private mapping of 80,000 bytes.
        let first = unsafe { std::ptr::read(copy.as_mut_ptr().add(5000 * 8) as *const f64) };
        assert_eq!(first, 5000.0);
        assert!(
            !copy.is_modified(),
            "reading does not dirty a private mapping"
        );
        // SAFETY: as above.
        unsafe { std::ptr::write(copy.as_mut_ptr().add(5000 * 8) as *mut f64, 42.0) };
        assert_eq!(copy.written_pages().unwrap(), vec![5000 * 8 / 4096]);
        assert_eq!(page.f64s(0)[5000], 5000.0);
        assert_eq!(Page::open(&name).unwrap().f64s(0)[5000], 5000.0);

        let mut dup = page.private_copy(0).unwrap();
        copy.copy_written_into(&mut dup).unwrap();
        // SAFETY: reading inside the duplicate's mapping.
        let v = unsafe { std::ptr::read(dup.as_mut_ptr().add(5000 * 8) as *const f64) };
        assert_eq!(v, 42.0);
        assert_eq!(
            dup.written_pages().unwrap().len(),
            1,
            "only the written page was copied"
        );
        reg.release_all();
    }

    #[test]
    fn unpublished_pages_are_not_ready_and_vanish_when_dropped() {
        let ns = ns("unready");
        let name = PageName::new(&ns, "X").unwrap();
        let w = PageWriter::create(&name, &f64_spec(4, vec![2, 2])).unwrap();
        assert!(matches!(Page::open(&name), Err(PageError::NotReady { .. })));
        drop(w);
        assert!(matches!(Page::open(&name), Err(PageError::NotFound { .. })));
    }

    #[test]
    fn pages_of_a_dead_owner_are_swept_and_their_names_reusable() {
        let ns = ns("dead");
        let name = PageName::new(&ns, "X").unwrap();
        in_child_that_dies(|| {
            let mut w = PageWriter::create(&name, &f64_spec(3, vec![])).unwrap();
            w.bytes_mut(0).fill(1);
            std::mem::forget(w.publish());
        });
        let page = Page::open(&name).unwrap();
        assert!(!page.header().owner.is_alive());
        // Registering over a dead owner's page takes the name over.
        let mut reg = Registry::new();
        register(&mut reg, &name, &[7.0]);
        assert_eq!(Page::open(&name).unwrap().f64s(0), &[7.0]);
        reg.release_all();

        let other = PageName::new(&ns, "Y").unwrap();
        in_child_that_dies(|| {
            let w = PageWriter::create(&other, &f64_spec(3, vec![])).unwrap();
            std::mem::forget(w.publish());
        });
        let removed = sweep();
        assert!(removed.contains(&other), "swept {removed:?}");
        assert!(matches!(
            Page::open(&other),
            Err(PageError::NotFound { .. })
        ));
    }

    #[test]
    fn a_page_larger_than_free_shared_memory_is_no_space_and_leaves_nothing() {
        let ns = ns("nospace");
        let name = PageName::new(&ns, "X").unwrap();
        let free = crate::pages::segment::free_bytes().unwrap();
        match PageWriter::create(&name, &f64_spec(free / 8 + (1 << 20), vec![])) {
            Err(PageError::NoSpace { needed, .. }) => assert!(needed > free),
            other => panic!("expected NoSpace, got {other:?}"),
        }
        assert!(matches!(Page::open(&name), Err(PageError::NotFound { .. })));
    }

    #[test]
    fn a_page_being_created_is_not_ready_never_corrupt() {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let ns = ns("racing");
        let name = PageName::new(&ns, "X").unwrap();
        let stop = AtomicBool::new(false);
        // Pages the reader found, published or not yet: the writer goes on (at least 100 cycles, at most
        // 20 s) until the reader has met some, however the threads are scheduled.
        let met = AtomicUsize::new(0);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    match Page::open(&name) {
                        Ok(_) | Err(PageError::NotReady { .. }) => {
                            met.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(PageError::NotFound { .. }) => {}
                        Err(e) => panic!("a reader saw {e}"),
                    }
                }
            });
            let start = std::time::Instant::now();
            let mut cycles = 0;
            while cycles < 100
                || (met.load(Ordering::Relaxed) == 0 && start.elapsed().as_secs() < 20)
            {
                let w = PageWriter::create(&name, &f64_spec(1 << 17, vec![])).unwrap();
                if Page::open(&name).is_ok() {
                    panic!("an unpublished page opened");
                }
                let mut reg = Registry::new();
                reg.adopt(w.publish());
                reg.release_all();
                cycles += 1;
            }
            stop.store(true, Ordering::Relaxed);
        });
        assert!(
            met.load(Ordering::Relaxed) > 0,
            "the reader never met the writer's page"
        );
    }

    #[test]
    fn long_vector_pages_are_sparse() {
        let ns = ns("long");
        let name = PageName::new(&ns, "big").unwrap();
        let len = (1u64 << 31) + 3;
        let mut w = PageWriter::create_sparse(&name, &f64_spec(len, vec![])).unwrap();
        let last = (len - 1) as usize * 8;
        w.bytes_mut(0)[last..last + 8].copy_from_slice(&2.5f64.to_le_bytes());
        let mut reg = Registry::new();
        reg.adopt(w.publish());
        let page = reg.open_view(&name).unwrap();
        let v = page.f64s(0);
        assert_eq!(v.len() as u64, len);
        assert_eq!(v[v.len() - 1], 2.5);
        assert_eq!(v[1 << 30], 0.0);
        reg.release_all();
    }
}
