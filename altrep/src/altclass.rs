//! What every ALTREP class here shares: its Rust state boxed in an external pointer (data1) and dropped by
//! that pointer's finalizer, the class handles, R's attribute wrappers seen through, and the two methods
//! whose extendr defaults are wrong (they return R's NULL object instead of C NULL).

use std::os::raw::c_void;

use crate::preserve::drain_releases;
use crate::rapi::*;

/// A class handle: a preserved R object, used only on R's main thread.
#[derive(Clone, Copy)]
pub struct Class(pub R_altrep_class_t);

// SAFETY: see the type's doc: the handle is never used off the main thread.
unsafe impl Send for Class {}
// SAFETY: as above.
unsafe impl Sync for Class {}

/// A new object of `class` owning `state`.
pub fn new_object<T>(class: Class, state: T) -> SEXP {
    let mut p = Protect::new();
    // SAFETY: the external pointer owns the box until its finalizer gives it back, exactly once.
    unsafe {
        let ptr = p.keep(R_MakeExternalPtr(
            Box::into_raw(Box::new(state)) as *mut c_void,
            R_NilValue,
            R_NilValue,
        ));
        R_RegisterCFinalizerEx(ptr, Some(finalize::<T>), Rboolean::FALSE);
        R_new_altrep(class.0, ptr, R_NilValue)
    }
}

unsafe extern "C" fn finalize<T>(ptr: SEXP) {
    // SAFETY: the address is the box made in new_object for this T, or null once finalized.
    unsafe {
        let v = R_ExternalPtrAddr(ptr) as *mut T;
        if !v.is_null() {
            R_ClearExternalPtr(ptr);
            drop(Box::from_raw(v));
        }
    }
    // A state may hold graph sources that borrow R vectors; R runs finalizers on its main thread.
    drain_releases();
}

/// The state of an object of one of our classes.
///
/// R calls class methods only on objects of the class, whose data1 is the pointer made by new_object
/// with the class's state type; the caller must only pass such objects.
pub fn state<'a, T>(x: SEXP) -> &'a T {
    // SAFETY: see above; the object, and so its state, is alive while R runs the method.
    unsafe {
        let v = R_ExternalPtrAddr(R_altrep_data1(x)) as *const T;
        assert!(
            !v.is_null(),
            "a lazyshare object was used after it was finalized"
        );
        &*v
    }
}

/// Looks through R's own `wrap_*` ALTREP classes, which R puts around a vector when it adds attributes to
/// a shared object (`dim(v) <- ...`): the data is still ours.
pub fn unwrap(mut x: SEXP) -> SEXP {
    // SAFETY: ALTREP_CLASS of an ALTREP object is its class record, whose attribute pairlist starts with
    // the class name symbol; data1 of a wrapper is the wrapped vector.
    unsafe {
        while ALTREP(x) != 0 {
            let name = char_str(PRINTNAME(CAR(ATTRIB(ALTREP_CLASS(x)))));
            if !name.starts_with("wrap_") {
                break;
            }
            x = R_altrep_data1(x);
        }
    }
    x
}

/// Whether `x` (possibly wrapped) is an object of one of `classes`; returns the unwrapped object.
pub fn of_class(x: SEXP, classes: &[Class]) -> Option<SEXP> {
    let x = unwrap(x);
    // SAFETY: ALTREP and R_altrep_inherits accept any SEXP.
    let ours = unsafe {
        ALTREP(x) != 0
            && classes
                .iter()
                .any(|c| R_altrep_inherits(x, c.0) != Rboolean::FALSE)
    };
    ours.then_some(x)
}

/// C NULL: R's own coercion and subsetting, which read through Elt/Get_region/Dataptr.
pub fn use_r_defaults(class: Class) {
    unsafe extern "C" fn coerce(_x: SEXP, _to: SEXPTYPE) -> SEXP {
        std::ptr::null_mut()
    }
    unsafe extern "C" fn extract_subset(_x: SEXP, _indx: SEXP, _call: SEXP) -> SEXP {
        std::ptr::null_mut()
    }
    // SAFETY: setting methods of a class we created, on the main thread at load.
    unsafe {
        R_set_altrep_Coerce_method(class.0, Some(coerce));
        R_set_altvec_Extract_subset_method(class.0, Some(extract_subset));
    }
}

/// Prints one line for `.Internal(inspect(x))`.
pub fn inspect_line(msg: &str) {
    let c = std::ffi::CString::new(msg).unwrap_or_default();
    // SAFETY: constant format, NUL-terminated argument; main thread.
    unsafe { Rprintf(c"%s".as_ptr(), c.as_ptr()) };
}
