//! The slice of R's C API this crate uses beyond extendr-ffi's bindings, and the small helpers every entry
//! point needs: a PROTECT scope, string conversion both ways, and argument readers whose errors name the
//! argument.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int};

pub use extendr_ffi::*;

use crate::error::{RError, RResult};

// SEXPREC is opaque to Rust, as in extendr-ffi's own declarations.
#[allow(improper_ctypes)]
extern "C" {
    pub fn Rf_ScalarReal(x: f64) -> SEXP;
    pub fn Rf_ScalarLogical(x: c_int) -> SEXP;
    pub fn Rf_translateCharUTF8(x: SEXP) -> *const c_char;
    pub fn Rf_getCharCE(x: SEXP) -> cetype_t;
    pub fn ATTRIB(x: SEXP) -> SEXP;
    pub fn Rf_installChar(x: SEXP) -> SEXP;
    pub fn Rf_asInteger(x: SEXP) -> c_int;
    pub fn Rf_asLogical(x: SEXP) -> c_int;
    pub fn Rf_asReal(x: SEXP) -> f64;
    pub fn MARK_NOT_MUTABLE(x: SEXP);
    pub fn R_ToplevelExec(
        fun: Option<unsafe extern "C" fn(*mut std::ffi::c_void)>,
        data: *mut std::ffi::c_void,
    ) -> Rboolean;
    pub fn R_CheckUserInterrupt();
    pub fn Rf_eval(expr: SEXP, env: SEXP) -> SEXP;
    pub fn R_FindNamespace(info: SEXP) -> SEXP;
    pub fn Rf_ScalarString(x: SEXP) -> SEXP;
    pub fn Rf_onintr();
    pub fn R_tryCatchError(
        body: Option<unsafe extern "C" fn(*mut std::ffi::c_void) -> SEXP>,
        bdata: *mut std::ffi::c_void,
        handler: Option<unsafe extern "C" fn(SEXP, *mut std::ffi::c_void) -> SEXP>,
        hdata: *mut std::ffi::c_void,
    ) -> SEXP;
}

pub const R_NA_INTEGER: c_int = i32::MIN;

/// Evaluates the package's R function `fun(args...)` in its namespace and returns its value: how the
/// crate hands R work that R does best (classed conditions, progress output).
///
/// # Safety
/// Main thread. The function may unwind R's stack: callers own nothing that needs dropping, or run this
/// inside `toplevel`.
pub unsafe fn call_package(fun: &str, args: &[SEXP]) -> SEXP {
    let mut p = Protect::new();
    // SAFETY: allocations on the main thread, each protected until the call is evaluated.
    unsafe {
        for &a in args {
            p.keep(a);
        }
        let pkg = p.keep(Rf_ScalarString(mk_char("lazyshare")));
        let ns = p.keep(R_FindNamespace(pkg));
        let mut call = R_NilValue;
        for &a in args.iter().rev() {
            call = p.keep(Rf_cons(a, call));
        }
        let name = std::ffi::CString::new(fun).unwrap_or_default();
        let call = p.keep(Rf_lcons(Rf_install(name.as_ptr()), call));
        drop(name);
        Rf_eval(call, ns)
    }
}

/// Runs `f` so that an R error or interrupt inside it ends `f` but goes no further: returns whether `f`
/// completed. `f` must own nothing that needs dropping when R unwinds it.
pub fn toplevel(mut f: impl FnMut()) -> bool {
    unsafe extern "C" fn trampoline<F: FnMut()>(data: *mut std::ffi::c_void) {
        // SAFETY: `data` is the `&mut F` passed below, alive for the whole R_ToplevelExec call.
        unsafe { (*(data as *mut F))() }
    }
    // SAFETY: the trampoline matches the closure's type; R_ToplevelExec catches every longjmp.
    unsafe {
        R_ToplevelExec(
            Some(trampoline::<&mut dyn FnMut()>),
            &mut (&mut f as &mut dyn FnMut()) as *mut &mut dyn FnMut() as *mut std::ffi::c_void,
        ) != Rboolean::FALSE
    }
}

/// Runs `f`, stopping an R error raised inside it there: `Err` with R's message. Unlike `toplevel`, the
/// error is not printed, and an interrupt is not caught. `f` must own nothing that needs dropping when R
/// unwinds it.
pub fn catch_r_error(mut f: impl FnMut()) -> Result<(), String> {
    unsafe extern "C" fn body<F: FnMut()>(data: *mut std::ffi::c_void) -> SEXP {
        // SAFETY: `data` is the `&mut F` passed below, alive for the whole R_tryCatchError call.
        unsafe { (*(data as *mut F))() };
        // SAFETY: reading R's NULL.
        unsafe { R_NilValue }
    }
    unsafe extern "C" fn handler(cond: SEXP, _: *mut std::ffi::c_void) -> SEXP {
        cond
    }
    // SAFETY: the trampoline matches the closure's type; R_tryCatchError returns the body's NULL or the
    // handler's condition, whose first element is its message when it is one of R's errors.
    unsafe {
        let mut f: &mut dyn FnMut() = &mut f;
        let cond = R_tryCatchError(
            Some(body::<&mut dyn FnMut()>),
            &mut f as *mut &mut dyn FnMut() as *mut std::ffi::c_void,
            Some(handler),
            std::ptr::null_mut(),
        );
        if cond == R_NilValue {
            return Ok(());
        }
        let msg = if TYPEOF(cond) == SEXPTYPE::VECSXP && XLENGTH(cond) > 0 {
            let m = VECTOR_ELT(cond, 0);
            if TYPEOF(m) == SEXPTYPE::STRSXP && XLENGTH(m) > 0 {
                char_str(STRING_ELT(m, 0))
            } else {
                String::new()
            }
        } else {
            String::new()
        };
        Err(msg)
    }
}

/// PROTECTs objects for the lifetime of the scope, in LIFO order as R requires.
pub struct Protect {
    n: c_int,
}

impl Protect {
    pub fn new() -> Protect {
        Protect { n: 0 }
    }

    pub fn keep(&mut self, x: SEXP) -> SEXP {
        // SAFETY: x is a live SEXP just returned by R; protecting it is always allowed on the main thread.
        unsafe { Rf_protect(x) };
        self.n += 1;
        x
    }
}

impl Drop for Protect {
    fn drop(&mut self) {
        // SAFETY: unprotects exactly what this scope protected.
        unsafe { Rf_unprotect(self.n) };
    }
}

/// A CHARSXP holding `s` as UTF-8.
pub fn mk_char(s: &str) -> SEXP {
    // SAFETY: the pointer and length describe `s`; R copies the bytes.
    unsafe {
        Rf_mkCharLenCE(
            s.as_ptr() as *const c_char,
            s.len() as c_int,
            cetype_t::CE_UTF8,
        )
    }
}

/// A character vector of `items`.
pub fn mk_strings<S: AsRef<str>>(items: &[S]) -> SEXP {
    let mut p = Protect::new();
    // SAFETY: allocation on the main thread; the result is protected while it is filled.
    unsafe {
        let v = p.keep(Rf_allocVector(SEXPTYPE::STRSXP, items.len() as R_xlen_t));
        for (i, s) in items.iter().enumerate() {
            SET_STRING_ELT(v, i as R_xlen_t, mk_char(s.as_ref()));
        }
        v
    }
}

/// A list of `items` (already protected by the caller, or freshly made and not yet exposed to GC).
pub fn mk_list(items: &[SEXP], names: &[&str]) -> SEXP {
    let mut p = Protect::new();
    // SAFETY: as in `mk_strings`.
    unsafe {
        let v = p.keep(Rf_allocVector(SEXPTYPE::VECSXP, items.len() as R_xlen_t));
        for (i, &x) in items.iter().enumerate() {
            SET_VECTOR_ELT(v, i as R_xlen_t, x);
        }
        if !names.is_empty() {
            Rf_setAttrib(v, R_NamesSymbol, mk_strings(names));
        }
        v
    }
}

/// The string of a CHARSXP, as UTF-8. A string marked "bytes" has no encoding to translate from (R would
/// raise an error, a longjmp through Rust frames): its bytes are read as they are, invalid UTF-8 replaced.
pub fn char_str(c: SEXP) -> String {
    // SAFETY: c is a CHARSXP; R_CHAR and the translation are NUL-terminated and live until the call ends.
    unsafe {
        let p = if Rf_getCharCE(c) == cetype_t::CE_BYTES {
            R_CHAR(c)
        } else {
            Rf_translateCharUTF8(c)
        };
        CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// Reads a character vector argument with no NA.
pub fn arg_strings(x: SEXP, arg: &str) -> RResult<Vec<String>> {
    // SAFETY: type and length queries are valid for any SEXP.
    unsafe {
        if TYPEOF(x) != SEXPTYPE::STRSXP {
            return Err(RError::new(format!(
                "`{arg}` must be a character vector; got {}",
                type_name(x)
            )));
        }
        (0..XLENGTH(x))
            .map(|i| {
                let c = STRING_ELT(x, i);
                if c == R_NaString {
                    Err(RError::new(format!("`{arg}` must not contain NA")))
                } else {
                    Ok(char_str(c))
                }
            })
            .collect()
    }
}

/// Reads a single-string argument.
pub fn arg_string(x: SEXP, arg: &str) -> RResult<String> {
    let v = arg_strings(x, arg).map_err(|_| {
        RError::new(format!(
            "`{arg}` must be a single string; got {}",
            type_name(x)
        ))
    })?;
    match <[String; 1]>::try_from(v) {
        Ok([s]) => Ok(s),
        Err(v) => Err(RError::new(format!(
            "`{arg}` must be a single string; got {} strings",
            v.len()
        ))),
    }
}

/// R's name for the type of `x`, for error messages.
pub fn type_name(x: SEXP) -> &'static str {
    // SAFETY: TYPEOF is valid for any SEXP.
    match unsafe { TYPEOF(x) } {
        SEXPTYPE::NILSXP => "NULL",
        SEXPTYPE::LGLSXP => "a logical vector",
        SEXPTYPE::INTSXP => "an integer vector",
        SEXPTYPE::REALSXP => "a double vector",
        SEXPTYPE::CPLXSXP => "a complex vector",
        SEXPTYPE::STRSXP => "a character vector",
        SEXPTYPE::VECSXP => "a list",
        SEXPTYPE::RAWSXP => "a raw vector",
        SEXPTYPE::CLOSXP | SEXPTYPE::BUILTINSXP | SEXPTYPE::SPECIALSXP => "a function",
        SEXPTYPE::ENVSXP => "an environment",
        _ => "an unsupported object",
    }
}

/// The bytes of a raw vector.
pub fn raw_bytes<'a>(x: SEXP, arg: &str) -> RResult<&'a [u8]> {
    // SAFETY: checked to be a RAWSXP; the slice lives as long as the caller keeps x protected.
    unsafe {
        if TYPEOF(x) != SEXPTYPE::RAWSXP {
            return Err(RError::new(format!("`{arg}` must be a raw vector")));
        }
        let n = XLENGTH(x) as usize;
        if n == 0 {
            return Ok(&[]);
        }
        Ok(std::slice::from_raw_parts(RAW(x), n))
    }
}

/// A raw vector holding `b`.
pub fn mk_raw(b: &[u8]) -> SEXP {
    // SAFETY: allocation on the main thread, then a copy into its fresh payload.
    unsafe {
        let v = Rf_allocVector(SEXPTYPE::RAWSXP, b.len() as R_xlen_t);
        if !b.is_empty() {
            std::ptr::copy_nonoverlapping(b.as_ptr(), RAW(v), b.len());
        }
        v
    }
}

/// R's invisible NULL for entry points that return nothing.
pub fn nil() -> SEXP {
    // SAFETY: reading a global R initialises before any package loads.
    unsafe { R_NilValue }
}
