//! `SharedVector`: an R double, integer or logical vector whose data is an array of a shared page, or a
//! stretch of one (a column, for memApply's workers). Reads go straight to the read-only mapping. A
//! request for a writable pointer (R's copy-on-modify of an unshared object, or any C code calling
//! REAL()) switches this one object to a private copy-on-write mapping of the same array: it costs nothing
//! until written, then one page per page written, and neither the page nor other views ever change.

use std::cell::OnceCell;
use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};

use lazyshare_runtime::pages::{DType, Page, PageId, PageName, PrivateArray};
use lazyshare_runtime::summary::{self, Extreme};

use crate::altclass::{inspect_line, new_object, of_class, state, unwrap, use_r_defaults, Class};
use crate::error::{RError, RResult};
use crate::guard::method;
use crate::rapi::*;
use crate::registry::registry;
use crate::travel;

/// How views serialise, for all views of this process (see `set_serialize`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serialize {
    /// The page's name and identity (a few hundred bytes): right wherever the page can be opened.
    Name = 0,
    /// The data, as R writes any vector (streamed from the mapping, no copy here): memApply ships pages
    /// so to one worker of another shared-memory domain, which registers them under their names.
    Data = 1,
    /// Name and data: where the page opens, the view maps it and the data is dropped; elsewhere (another
    /// host) the data is cached as a page there, which the same view restored again in that domain maps.
    Travel = 2,
}

static SERIALIZE: AtomicU8 = AtomicU8::new(Serialize::Name as u8);

fn serialize_mode() -> Serialize {
    match SERIALIZE.load(Ordering::SeqCst) {
        1 => Serialize::Data,
        2 => Serialize::Travel,
        _ => Serialize::Name,
    }
}

/// Sets how views serialise; returns the previous setting.
pub fn set_serialize(mode: Serialize) -> Serialize {
    let before = serialize_mode();
    SERIALIZE.store(mode as u8, Ordering::SeqCst);
    before
}

struct View {
    page: Arc<Page>,
    entry: usize,
    /// The elements `start..start + len` of the array.
    start: usize,
    len: usize,
    private: OnceCell<PrivateArray>,
    /// The data half of a travelling view's serialised state: serialises as its data in every mode.
    carrier: bool,
}

impl View {
    fn len(&self) -> usize {
        self.len
    }

    /// The byte range of this view within its array.
    fn bytes_range(&self) -> (usize, usize) {
        let size = self.page.entry(self.entry).spec.dtype.size() as usize;
        (self.start * size, self.len * size)
    }

    fn ptr(&self) -> *const u8 {
        match self.private.get() {
            Some(p) => p.as_mut_ptr(),
            // SAFETY: start + len lies within the array (checked where the view is made).
            None => unsafe {
                self.page
                    .bytes(self.entry)
                    .as_ptr()
                    .add(self.bytes_range().0)
            },
        }
    }

    /// A private copy-on-write mapping of just this view's bytes.
    fn private_copy(&self) -> RResult<PrivateArray> {
        let (start, len) = self.bytes_range();
        Ok(self.page.private_range(self.entry, start, len)?)
    }

    fn writable_ptr(&self) -> RResult<*mut u8> {
        if self.len() == 0 {
            return Ok(self.ptr() as *mut u8);
        }
        if self.private.get().is_none() {
            let _ = self.private.set(self.private_copy()?);
        }
        Ok(self.private.get().expect("just set").as_mut_ptr())
    }

    fn is_modified(&self) -> bool {
        self.private.get().is_some_and(PrivateArray::is_modified)
    }

    fn slice<T>(&self) -> &[T] {
        // SAFETY: ptr() points at len() elements of the view's type (the page layout guarantees size and
        // 4096-byte alignment) that live as long as self.
        unsafe { std::slice::from_raw_parts(self.ptr() as *const T, self.len()) }
    }
}

struct Classes {
    real: Class,
    integer: Class,
    logical: Class,
}

static CLASSES: OnceLock<Classes> = OnceLock::new();

/// Creates the three classes once per process, at package load, so that unserialising a view in a fresh
/// session finds them.
pub fn register_classes(dll: *mut DllInfo) {
    CLASSES.get_or_init(|| {
        // SAFETY: called from R_init on the main thread; the class constructors preserve their results.
        unsafe {
            let real =
                R_make_altreal_class(c"lzs_shared_real".as_ptr(), c"lazyshare".as_ptr(), dll);
            let integer =
                R_make_altinteger_class(c"lzs_shared_int".as_ptr(), c"lazyshare".as_ptr(), dll);
            let logical =
                R_make_altlogical_class(c"lzs_shared_lgl".as_ptr(), c"lazyshare".as_ptr(), dll);
            for cls in [real, integer, logical] {
                R_set_altrep_Length_method(cls, Some(length));
                R_set_altrep_Duplicate_method(cls, Some(duplicate));
                R_set_altrep_Serialized_state_method(cls, Some(serialized_state));
                R_set_altrep_Unserialize_method(cls, Some(unserialize));
                R_set_altrep_Inspect_method(cls, Some(inspect));
                R_set_altvec_Dataptr_method(cls, Some(dataptr));
                R_set_altvec_Dataptr_or_null_method(cls, Some(dataptr_or_null));
                use_r_defaults(Class(cls));
            }
            R_set_altreal_Elt_method(real, Some(real_elt));
            R_set_altreal_Get_region_method(real, Some(real_get_region));
            R_set_altreal_Sum_method(real, Some(real_sum));
            R_set_altreal_Min_method(real, Some(real_min));
            R_set_altreal_Max_method(real, Some(real_max));
            R_set_altinteger_Elt_method(integer, Some(int_elt));
            R_set_altinteger_Get_region_method(integer, Some(int_get_region));
            R_set_altinteger_Sum_method(integer, Some(int_sum));
            R_set_altinteger_Min_method(integer, Some(int_min));
            R_set_altinteger_Max_method(integer, Some(int_max));
            R_set_altlogical_Elt_method(logical, Some(int_elt));
            R_set_altlogical_Get_region_method(logical, Some(int_get_region));
            Classes {
                real: Class(real),
                integer: Class(integer),
                logical: Class(logical),
            }
        }
    });
}

/// A new R vector viewing array `entry` of `page`.
pub fn new_view(page: Arc<Page>, entry: usize) -> SEXP {
    let len = page.entry(entry).spec.len as usize;
    make(page, entry, (0, len), OnceCell::new())
}

fn make(
    page: Arc<Page>,
    entry: usize,
    (start, len): (usize, usize),
    private: OnceCell<PrivateArray>,
) -> SEXP {
    new_object(
        class_of(&page, entry),
        View {
            page,
            entry,
            start,
            len,
            private,
            carrier: false,
        },
    )
}

fn class_of(page: &Page, entry: usize) -> Class {
    let classes = CLASSES.get().expect("classes are registered at load");
    match page.entry(entry).spec.dtype {
        DType::F64 => classes.real,
        DType::I32 => classes.integer,
        DType::Lgl => classes.logical,
    }
}

/// A view of the same data as `v` that serialises as its data.
fn carrier(v: &View) -> SEXP {
    new_object(
        class_of(&v.page, v.entry),
        View {
            page: v.page.clone(),
            entry: v.entry,
            start: v.start,
            len: v.len,
            private: OnceCell::new(),
            carrier: true,
        },
    )
}

/// A view of elements `start..start + len` of the view `x` (a column of a matrix): no copy, the same
/// mapping. A view that was written is sliced from its data by R instead (NULL).
pub fn slice(x: SEXP, start: usize, len: usize) -> RResult<SEXP> {
    let v = view(unwrap(x));
    if v.is_modified() {
        return Ok(fallback());
    }
    if start.checked_add(len).is_none_or(|end| end > v.len) {
        return Err(RError::new(format!(
            "elements {} to {} are outside a view of {} elements",
            start + 1,
            start + len,
            v.len
        )));
    }
    Ok(make(
        v.page.clone(),
        v.entry,
        (v.start + start, len),
        OnceCell::new(),
    ))
}

fn view<'a>(x: SEXP) -> &'a View {
    state(x)
}

/// Is `x` one of our views (possibly inside R's attribute wrapper)? For `.Call` entries.
pub fn is_view(x: SEXP) -> bool {
    CLASSES
        .get()
        .and_then(|c| of_class(x, &[c.real, c.integer, c.logical]))
        .is_some()
}

/// (namespace, variable, entry, modified?) of a view, for `viewInfo`.
pub fn describe(x: SEXP) -> (String, String, usize, bool) {
    let v = view(unwrap(x));
    let name = v.page.name();
    (
        name.ns().to_string(),
        name.var().to_string(),
        v.entry,
        v.is_modified(),
    )
}

unsafe extern "C" fn length(x: SEXP) -> R_xlen_t {
    method(|| Ok(view(x).len() as R_xlen_t))
}

unsafe extern "C" fn dataptr(x: SEXP, writeable: Rboolean) -> *mut c_void {
    method(|| {
        let v = view(x);
        if writeable != Rboolean::FALSE {
            v.writable_ptr().map(|p| p as *mut c_void)
        } else {
            Ok(v.ptr() as *mut c_void)
        }
    })
}

unsafe extern "C" fn dataptr_or_null(x: SEXP) -> *const c_void {
    method(|| Ok(view(x).ptr() as *const c_void))
}

unsafe extern "C" fn real_elt(x: SEXP, i: R_xlen_t) -> f64 {
    method(|| Ok(view(x).slice::<f64>()[i as usize]))
}

unsafe extern "C" fn int_elt(x: SEXP, i: R_xlen_t) -> c_int {
    method(|| Ok(view(x).slice::<i32>()[i as usize]))
}

fn get_region<T: Copy>(x: SEXP, i: R_xlen_t, n: R_xlen_t, buf: *mut T) -> R_xlen_t {
    method(|| {
        let data = view(x).slice::<T>();
        let start = (i.max(0) as usize).min(data.len());
        let count = (n.max(0) as usize).min(data.len() - start);
        // SAFETY: R passes a buffer of at least n elements; count <= n.
        unsafe { std::ptr::copy_nonoverlapping(data[start..].as_ptr(), buf, count) };
        Ok(count as R_xlen_t)
    })
}

unsafe extern "C" fn real_get_region(x: SEXP, i: R_xlen_t, n: R_xlen_t, buf: *mut f64) -> R_xlen_t {
    get_region(x, i, n, buf)
}

unsafe extern "C" fn int_get_region(
    x: SEXP,
    i: R_xlen_t,
    n: R_xlen_t,
    buf: *mut c_int,
) -> R_xlen_t {
    get_region(x, i, n, buf)
}

/// C NULL tells R to compute the summary itself. We do so wherever R's own answer depends on details we
/// would have to imitate: which missing value (NA or NaN) wins, warnings on empty input or overflow.
fn fallback() -> SEXP {
    std::ptr::null_mut()
}

unsafe extern "C" fn real_sum(x: SEXP, narm: Rboolean) -> SEXP {
    method(|| {
        let s = summary::sum_f64(view(x).slice(), narm != Rboolean::FALSE);
        Ok(if s.is_nan() {
            fallback()
        } else {
            // SAFETY: allocation on the main thread.
            unsafe { Rf_ScalarReal(s) }
        })
    })
}

fn real_extreme(e: Extreme<f64>) -> SEXP {
    match e {
        // SAFETY: allocation on the main thread.
        Extreme::Value(v) => unsafe { Rf_ScalarReal(v) },
        Extreme::Missing | Extreme::Empty => fallback(),
    }
}

unsafe extern "C" fn real_min(x: SEXP, narm: Rboolean) -> SEXP {
    method(|| {
        Ok(real_extreme(summary::min_f64(
            view(x).slice(),
            narm != Rboolean::FALSE,
        )))
    })
}

unsafe extern "C" fn real_max(x: SEXP, narm: Rboolean) -> SEXP {
    method(|| {
        Ok(real_extreme(summary::max_f64(
            view(x).slice(),
            narm != Rboolean::FALSE,
        )))
    })
}

unsafe extern "C" fn int_sum(x: SEXP, narm: Rboolean) -> SEXP {
    method(|| {
        // SAFETY (all arms): allocation on the main thread.
        Ok(
            match summary::sum_i32(view(x).slice(), narm != Rboolean::FALSE) {
                None => unsafe { Rf_ScalarInteger(R_NA_INTEGER) },
                Some(s) if s > i64::from(i32::MIN) && s <= i64::from(i32::MAX) => unsafe {
                    Rf_ScalarInteger(s as c_int)
                },
                Some(_) => fallback(),
            },
        )
    })
}

fn int_extreme(e: Extreme<i32>) -> SEXP {
    match e {
        // SAFETY: allocation on the main thread.
        Extreme::Value(v) => unsafe { Rf_ScalarInteger(v) },
        // SAFETY: as above.
        Extreme::Missing => unsafe { Rf_ScalarInteger(R_NA_INTEGER) },
        Extreme::Empty => fallback(),
    }
}

unsafe extern "C" fn int_min(x: SEXP, narm: Rboolean) -> SEXP {
    method(|| {
        Ok(int_extreme(summary::min_i32(
            view(x).slice(),
            narm != Rboolean::FALSE,
        )))
    })
}

unsafe extern "C" fn int_max(x: SEXP, narm: Rboolean) -> SEXP {
    method(|| {
        Ok(int_extreme(summary::max_i32(
            view(x).slice(),
            narm != Rboolean::FALSE,
        )))
    })
}

/// A duplicate shares the page and gets its own (lazy) private copy if it is ever written. If this view
/// was written, the duplicate starts as a private mapping holding copies of just the written pages.
unsafe extern "C" fn duplicate(x: SEXP, _deep: Rboolean) -> SEXP {
    method(|| {
        let v = view(x);
        let private = OnceCell::new();
        if let Some(mine) = v.private.get().filter(|p| p.is_modified()) {
            let mut copy = v.private_copy()?;
            if mine.copy_written_into(&mut copy).is_err() {
                return Ok(fallback());
            }
            let _ = private.set(copy);
        }
        Ok(make(v.page.clone(), v.entry, (v.start, v.len), private))
    })
}

/// Serialised views carry the page's name and identity, and in `Serialize::Travel` mode their data too. A
/// view whose page is gone or replaced, or that was modified, serialises its data instead (C NULL), as do
/// all views in `Serialize::Data` mode.
unsafe extern "C" fn serialized_state(x: SEXP) -> SEXP {
    method(|| {
        let v = view(x);
        let mode = serialize_mode();
        if v.carrier || v.is_modified() || !v.page.is_current() || mode == Serialize::Data {
            return Ok(fallback());
        }
        let name = v.page.name();
        let strings = mk_strings(&[
            name.ns().to_string(),
            name.var().to_string(),
            v.page.id().to_string(),
            v.entry.to_string(),
            v.start.to_string(),
            v.len.to_string(),
        ]);
        if mode == Serialize::Name {
            return Ok(strings);
        }
        let mut p = Protect::new();
        let strings = p.keep(strings);
        let data = p.keep(carrier(v));
        Ok(mk_list(&[strings, data], &["name", "data"]))
    })
}

unsafe extern "C" fn unserialize(_class: SEXP, state: SEXP) -> SEXP {
    method(|| {
        let damaged = || RError::new("a serialized lazyshare view is damaged");
        // SAFETY: type and length queries, then reading the elements of a list of two.
        let (strings, data) = unsafe {
            if TYPEOF(state) == SEXPTYPE::VECSXP && XLENGTH(state) == 2 {
                (VECTOR_ELT(state, 0), Some(VECTOR_ELT(state, 1)))
            } else {
                (state, None)
            }
        };
        let s = arg_strings(strings, "serialized view state")?;
        let [ns, var, id, entry, start, len] = <[String; 6]>::try_from(s).map_err(|_| damaged())?;
        let number = |t: &str| t.parse::<usize>().map_err(|_| damaged());
        let id: PageId = id.parse().map_err(|_| damaged())?;
        let (entry, start, len) = (number(&entry)?, number(&start)?, number(&len)?);
        let name = PageName::new(&ns, &var)?;
        let opened = registry().open_view(&name);
        let problem = match opened {
            Ok(page)
                if page.id() == id
                    && entry < page.header().entries.len()
                    && start + len <= page.entry(entry).spec.len as usize =>
            {
                return Ok(make(page, entry, (start, len), OnceCell::new()));
            }
            Ok(_) => "the page was released and registered again with other data".to_string(),
            Err(e) => e.to_string(),
        };
        if let Some(data) = data {
            let origin = travel::Origin {
                name: &name,
                id,
                entry,
                start,
            };
            return Ok(match travel::cached_page(&origin, data)? {
                Some(page) => make(page, 0, (0, len), OnceCell::new()),
                None => data,
            });
        }
        Err(RError::new(format!(
            "cannot restore a view of '{var}' in namespace '{ns}': {problem}. A serialized view refers \
             to shared memory; to send views to another host, serialise them with their data \
             (lazyshare_view_data(TRUE)); save the data itself with saveRDS(x[])"
        )))
    })
}

unsafe extern "C" fn inspect(
    x: SEXP,
    _pre: c_int,
    _deep: c_int,
    _pvec: c_int,
    _subtree: Option<unsafe extern "C" fn(SEXP, c_int, c_int, c_int)>,
) -> Rboolean {
    method(|| {
        let v = view(x);
        inspect_line(&format!(
            " lazyshare view of '{}' [{}] from element {}, {} elements, {}\n",
            v.page.name().display(),
            v.entry,
            v.start + 1,
            v.len(),
            if v.is_modified() {
                "modified privately (copy-on-write)"
            } else {
                "shared"
            }
        ));
        Ok(Rboolean::TRUE)
    })
}
