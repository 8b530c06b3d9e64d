//! `.Call` entry points of the pages API (registerVariables & co). The R wrappers in rpkg/R/pages.R check
//! the shape of user input and word the errors; these entries re-check every SEXP they read, so no call
//! from R can crash the session.

use std::os::raw::c_int;

use lazyshare_runtime::pages::{
    shown_name, sweep, validate_part, ArraySpec, DType, Kind, NameKind, Page, PageError, PageName,
    PageSpec, PageWriter, Registry, NAME_RULE,
};
use lazyshare_runtime::plan;

use crate::error::{Kind as ErrorKind, RError, RResult};
use crate::guard::entry;
use crate::rapi::*;
use crate::registry::registry;
use crate::view::{self, describe, is_view, new_view};

fn page_name(ns: SEXP, var: &str) -> RResult<PageName> {
    let ns = arg_string(ns, "namespace")?;
    Ok(PageName::new(&ns, var)?)
}

/// One R array argument: its type, length, dimensions and, when R has it in memory, its data.
struct Source {
    x: SEXP,
    spec: ArraySpec,
}

fn source(x: SEXP, attrs: &[u8], what: &str) -> RResult<Source> {
    // SAFETY: type, length and attribute queries are valid for any SEXP.
    unsafe {
        let dtype = match TYPEOF(x) {
            SEXPTYPE::REALSXP => DType::F64,
            SEXPTYPE::INTSXP => DType::I32,
            SEXPTYPE::LGLSXP => DType::Lgl,
            _ => {
                return Err(RError::new(format!(
                    "{what} must be a double, integer or logical vector or matrix; got {}",
                    type_name(x)
                )))
            }
        };
        let dim = Rf_getAttrib(x, R_DimSymbol);
        let dims = match TYPEOF(dim) {
            SEXPTYPE::NILSXP => vec![],
            SEXPTYPE::INTSXP => (0..XLENGTH(dim))
                .map(|i| INTEGER_ELT(dim, i).max(0) as u64)
                .collect(),
            SEXPTYPE::REALSXP => (0..XLENGTH(dim))
                .map(|i| REAL_ELT(dim, i).max(0.0) as u64)
                .collect(),
            _ => return Err(RError::new(format!("{what} has an invalid dim attribute"))),
        };
        Ok(Source {
            x,
            spec: ArraySpec {
                dtype,
                len: XLENGTH(x) as u64,
                dims,
                attrs: attrs.to_vec(),
            },
        })
    }
}

/// Copies `data` into array `i` in slices, polled like a pass: a registration of gigabytes shows progress
/// and stops at Ctrl-C (the writer, dropped unpublished, removes the half-written page).
fn copy_polled(w: &mut PageWriter, i: usize, data: &[u8]) -> RResult<()> {
    const SLICE: usize = 256 << 20;
    let copied = plan::run_steps(data.len().div_ceil(SLICE), |steps| {
        for (k, part) in data.chunks(SLICE).enumerate() {
            if steps.cancelled() {
                return None;
            }
            if let Err(e) = w.write_at(i, (k * SLICE) as u64, part) {
                return Some(Err(e));
            }
            steps.advance(1);
        }
        Some(Ok(()))
    })?;
    Ok(copied?)
}

/// Copies the R data of `src` into array `i` of the page: in parallel from memory when R has the data in
/// memory, else (an ALTREP vector without a data pointer) region by region.
fn copy_into(w: &mut PageWriter, i: usize, src: &Source) -> RResult<()> {
    let bytes = src.spec.bytes() as usize;
    if bytes == 0 {
        return Ok(());
    }
    // SAFETY: x is protected by the caller (it is an element of a .Call argument).
    let ptr = unsafe { DATAPTR_OR_NULL(src.x) } as *const u8;
    if !ptr.is_null() {
        // SAFETY: R's data pointer covers length × element size bytes; R does not run while we copy.
        let data = unsafe { std::slice::from_raw_parts(ptr, bytes) };
        return copy_polled(w, i, data);
    }
    const REGION: usize = 1 << 20;
    let mut buf = vec![0u8; REGION * 8];
    let mut done = 0usize;
    let n = src.spec.len as usize;
    while done < n {
        let want = REGION.min(n - done);
        let size = src.spec.dtype.size() as usize;
        // SAFETY: the buffer holds REGION elements of up to 8 bytes; R fills at most `want` of them.
        let got = unsafe {
            match src.spec.dtype {
                DType::F64 => REAL_GET_REGION(
                    src.x,
                    done as R_xlen_t,
                    want as R_xlen_t,
                    buf.as_mut_ptr() as *mut f64,
                ),
                DType::I32 => INTEGER_GET_REGION(
                    src.x,
                    done as R_xlen_t,
                    want as R_xlen_t,
                    buf.as_mut_ptr() as *mut c_int,
                ),
                DType::Lgl => LOGICAL_GET_REGION(
                    src.x,
                    done as R_xlen_t,
                    want as R_xlen_t,
                    buf.as_mut_ptr() as *mut c_int,
                ),
            }
        } as usize;
        if got == 0 {
            return Err(RError::new("the source vector returned no data"));
        }
        w.write_at(i, (done * size) as u64, &buf[..got * size])?;
        done += got;
    }
    Ok(())
}

/// Registers one variable: `values` is a list of arrays (one for a vector/matrix variable), `attrs` a list
/// of their serialized attributes, `list_attrs` those of the list itself, `is_list` which kind it is.
#[no_mangle]
pub extern "C" fn lzs_register(
    ns: SEXP,
    var: SEXP,
    values: SEXP,
    attrs: SEXP,
    list_attrs: SEXP,
    is_list: SEXP,
) -> SEXP {
    entry(|| {
        let var_name = arg_string(var, "variable name")?;
        let name = page_name(ns, &var_name)?;
        // SAFETY: type and length queries on .Call arguments.
        let (n, is_list) = unsafe {
            if TYPEOF(values) != SEXPTYPE::VECSXP
                || TYPEOF(attrs) != SEXPTYPE::VECSXP
                || XLENGTH(values) != XLENGTH(attrs)
                || TYPEOF(is_list) != SEXPTYPE::LGLSXP
                || XLENGTH(is_list) != 1
            {
                return Err(RError::new("lzs_register: malformed arguments"));
            }
            (XLENGTH(values) as usize, LOGICAL_ELT(is_list, 0) == 1)
        };
        if !is_list && n != 1 {
            return Err(RError::new("lzs_register: an array variable has one value"));
        }
        let mut sources = Vec::with_capacity(n);
        for i in 0..n {
            // SAFETY: i < length of both lists.
            let (x, a) = unsafe {
                (
                    VECTOR_ELT(values, i as R_xlen_t),
                    VECTOR_ELT(attrs, i as R_xlen_t),
                )
            };
            let what = if is_list {
                format!("element {} of '{var_name}'", i + 1)
            } else {
                format!("'{var_name}'")
            };
            sources.push(source(x, raw_bytes(a, "attrs")?, &what)?);
        }
        let spec = PageSpec {
            kind: if is_list { Kind::List } else { Kind::Array },
            arrays: sources.iter().map(|s| s.spec.clone()).collect(),
            attrs: raw_bytes(list_attrs, "list_attrs")?.to_vec(),
        };
        let mut writer = PageWriter::create(&name, &spec)?;
        for (i, s) in sources.iter().enumerate() {
            copy_into(&mut writer, i, s)?;
        }
        registry().adopt(writer.publish());
        Ok(mk_strings(&[name.display()]))
    })
}

/// A view of a variable: `list(kind, views, attrs, list_attrs)`; R puts the attributes back on.
#[no_mangle]
pub extern "C" fn lzs_retrieve(ns: SEXP, var: SEXP) -> SEXP {
    entry(|| {
        let name = page_name(ns, &arg_string(var, "variableNames")?)?;
        let page = registry().open_view(&name)?;
        let mut p = Protect::new();
        let n = page.header().entries.len();
        // SAFETY: allocations on the main thread, each protected while the next is made.
        unsafe {
            let views = p.keep(Rf_allocVector(SEXPTYPE::VECSXP, n as R_xlen_t));
            let attrs = p.keep(Rf_allocVector(SEXPTYPE::VECSXP, n as R_xlen_t));
            for i in 0..n {
                SET_VECTOR_ELT(views, i as R_xlen_t, new_view(page.clone(), i));
                SET_VECTOR_ELT(attrs, i as R_xlen_t, mk_raw(&page.entry(i).spec.attrs));
            }
            let kind = p.keep(mk_strings(&[kind_name(page.header().kind)]));
            let list_attrs = p.keep(mk_raw(&page.header().attrs));
            Ok(mk_list(
                &[kind, views, attrs, list_attrs],
                &["kind", "views", "attrs", "list_attrs"],
            ))
        }
    })
}

/// Sets attributes on freshly retrieved views in place: `attributes<-` from R would see a referenced
/// object and wrap it in another ALTREP layer. `attrs[[i]]` is a named list of attributes or NULL.
#[no_mangle]
pub extern "C" fn lzs_set_attributes(views: SEXP, attrs: SEXP) -> SEXP {
    entry(|| {
        // SAFETY: every SEXP read is type-checked first; the views are ours and not yet seen by the user.
        unsafe {
            if TYPEOF(views) != SEXPTYPE::VECSXP
                || TYPEOF(attrs) != SEXPTYPE::VECSXP
                || XLENGTH(views) != XLENGTH(attrs)
            {
                return Err(RError::new("lzs_set_attributes: malformed arguments"));
            }
            for i in 0..XLENGTH(views) {
                let a = VECTOR_ELT(attrs, i);
                if TYPEOF(a) != SEXPTYPE::VECSXP {
                    continue;
                }
                let names = Rf_getAttrib(a, R_NamesSymbol);
                if TYPEOF(names) != SEXPTYPE::STRSXP || XLENGTH(names) != XLENGTH(a) {
                    return Err(RError::of(
                        ErrorKind::CorruptPage,
                        "the attributes stored with the page are not named",
                    ));
                }
            }
        }
        // A damaged page may store attributes R refuses (a `dim` that does not fit, a class that does not
        // apply): R's error is caught here rather than unwinding through this entry.
        catch_r_error(|| {
            // SAFETY: as above; every attribute list was checked to be named.
            unsafe {
                for i in 0..XLENGTH(views) {
                    let (v, a) = (VECTOR_ELT(views, i), VECTOR_ELT(attrs, i));
                    if TYPEOF(a) != SEXPTYPE::VECSXP {
                        continue;
                    }
                    let names = Rf_getAttrib(a, R_NamesSymbol);
                    for j in 0..XLENGTH(a) {
                        let sym = Rf_installChar(STRING_ELT(names, j));
                        Rf_setAttrib(v, sym, VECTOR_ELT(a, j));
                    }
                }
            }
        })
        .map_err(|msg| {
            RError::of(
                ErrorKind::CorruptPage,
                format!("the attributes stored with the page do not fit its data ({msg})"),
            )
        })?;
        Ok(nil())
    })
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Array => "array",
        Kind::List => "list",
    }
}

/// Applies `op` to every name, after checking that it would succeed for all of them: a call either
/// releases everything it names or nothing.
fn release_each(
    ns: SEXP,
    vars: SEXP,
    check: impl Fn(&Registry, &PageName) -> Result<(), PageError>,
    op: impl Fn(&mut Registry, &PageName) -> Result<(), PageError>,
) -> RResult<SEXP> {
    let vars = arg_strings(vars, "variableNames")?;
    let names = vars
        .iter()
        .map(|v| page_name(ns, v))
        .collect::<RResult<Vec<_>>>()?;
    {
        let reg = registry();
        for n in &names {
            check(&reg, n)?;
        }
    }
    let mut reg = registry();
    for n in &names {
        op(&mut reg, n)?;
    }
    drop(reg);
    Ok(nil())
}

#[no_mangle]
pub extern "C" fn lzs_release_views(ns: SEXP, vars: SEXP) -> SEXP {
    entry(|| {
        release_each(
            ns,
            vars,
            |reg, n| reg.check_view(n),
            |reg, n| reg.release_view(n),
        )
    })
}

#[no_mangle]
pub extern "C" fn lzs_release_pages(ns: SEXP, vars: SEXP) -> SEXP {
    entry(|| {
        release_each(
            ns,
            vars,
            |reg, n| reg.check_owned(n),
            |reg, n| reg.release_page(n),
        )
    })
}

/// `list(kind, dims, len, n)`: the page's shape without mapping a view into the registry.
#[no_mangle]
pub extern "C" fn lzs_metadata(ns: SEXP, var: SEXP) -> SEXP {
    entry(|| {
        let name = page_name(ns, &arg_string(var, "variableName")?)?;
        let page = Page::open(&name)?;
        let h = page.header();
        let kind = h.kind;
        let (dims, len) = match kind {
            Kind::Array => (h.entries[0].spec.dims.clone(), h.entries[0].spec.len as f64),
            Kind::List => (vec![], h.entries.len() as f64),
        };
        drop(page);
        let mut p = Protect::new();
        // SAFETY: allocations on the main thread, protected until assembled.
        unsafe {
            let kind = p.keep(mk_strings(&[kind_name(kind)]));
            let d = p.keep(Rf_allocVector(SEXPTYPE::REALSXP, dims.len() as R_xlen_t));
            for (i, &v) in dims.iter().enumerate() {
                SET_REAL_ELT(d, i as R_xlen_t, v as f64);
            }
            let len = p.keep(Rf_ScalarReal(len));
            Ok(mk_list(&[kind, d, len], &["kind", "dims", "n"]))
        }
    })
}

#[no_mangle]
pub extern "C" fn lzs_page_list() -> SEXP {
    entry(|| {
        let names = registry().page_names();
        Ok(mk_strings(&names))
    })
}

#[no_mangle]
pub extern "C" fn lzs_view_list() -> SEXP {
    entry(|| {
        let names = registry().view_names();
        Ok(mk_strings(&names))
    })
}

/// Releases every view and page of a namespace held by this process; returns `c(views, pages)`.
#[no_mangle]
pub extern "C" fn lzs_gc(ns: SEXP) -> SEXP {
    entry(|| {
        let ns = arg_string(ns, "namespace")?;
        PageName::new(&ns, "x")?;
        let (views, pages) = registry().release_namespace(&ns)?;
        // SAFETY: allocation on the main thread.
        unsafe {
            let v = Rf_allocVector(SEXPTYPE::REALSXP, 2);
            SET_REAL_ELT(v, 0, views as f64);
            SET_REAL_ELT(v, 1, pages as f64);
            Ok(v)
        }
    })
}

/// Removes pages of dead owners; returns their `<ns>.<var>` names.
#[no_mangle]
pub extern "C" fn lzs_sweep_pages() -> SEXP {
    entry(|| {
        let removed: Vec<String> = sweep().iter().map(PageName::display).collect();
        Ok(mk_strings(&removed))
    })
}

/// Checks names before anything is done with them: an error naming the argument `arg` (a string) if any
/// element of `names` breaks the naming rule. `namespace` (TRUE/FALSE) says which part they are.
#[no_mangle]
pub extern "C" fn lzs_check_names(names: SEXP, arg: SEXP, namespace: SEXP) -> SEXP {
    entry(|| {
        let arg = arg_string(arg, "arg")?;
        // SAFETY: Rf_asLogical accepts any SEXP.
        let kind = if unsafe { Rf_asLogical(namespace) } == 1 {
            NameKind::Namespace
        } else {
            NameKind::Variable
        };
        for name in arg_strings(names, &arg)? {
            validate_part(kind, &name).map_err(|e| {
                let msg = match e {
                    PageError::BadName { name, problem, .. } => {
                        format!("`{arg}` {} {problem}; {NAME_RULE}", shown_name(&name))
                    }
                    PageError::NameTooLong { name, len, max, .. } => format!(
                        "`{arg}` {} is too long: its shared-memory name would be at least {len} bytes and the system allows {max} (each '.' inside a name takes 3)",
                        shown_name(&name)
                    ),
                    other => other.to_string(),
                };
                RError::of(ErrorKind::BadName, msg)
            })?;
        }
        Ok(nil())
    })
}

/// Unlinks everything this process owns (package unload).
#[no_mangle]
pub extern "C" fn lzs_release_all() -> SEXP {
    entry(|| {
        registry().release_all();
        Ok(nil())
    })
}

/// Elements `start + 1 .. start + len` of the view `x` as a view of the same mapping (memApply gives
/// workers' FUN each column so); NULL where R should subset instead.
#[no_mangle]
pub extern "C" fn lzs_view_slice(x: SEXP, start: SEXP, len: SEXP) -> SEXP {
    entry(|| {
        if !is_view(x) {
            return Ok(nil());
        }
        let whole = |v: SEXP, name: &str| -> RResult<usize> {
            // SAFETY: reading a numeric scalar.
            let f = unsafe { Rf_asReal(v) };
            if !(f >= 0.0 && f.fract() == 0.0 && f < 2f64.powi(53)) {
                return Err(RError::new(format!("`{name}` must be a whole number >= 0")));
            }
            Ok(f as usize)
        };
        view::slice(x, whole(start, "start")?, whole(len, "len")?)
    })
}

/// Sets how views serialise: "name", "data" or "travel" (see `view::Serialize`); returns the previous
/// setting. memApply's shipments to other shared-memory domains use "data" for their duration.
#[no_mangle]
pub extern "C" fn lzs_view_serialize(mode: SEXP) -> SEXP {
    entry(|| {
        let mode = match arg_string(mode, "mode")?.as_str() {
            "name" => view::Serialize::Name,
            "data" => view::Serialize::Data,
            "travel" => view::Serialize::Travel,
            other => {
                return Err(RError::new(format!(
                    "`mode` must be \"name\", \"data\" or \"travel\"; got \"{other}\""
                )))
            }
        };
        Ok(mk_strings(&[match view::set_serialize(mode) {
            view::Serialize::Name => "name",
            view::Serialize::Data => "data",
            view::Serialize::Travel => "travel",
        }]))
    })
}

/// `list(namespace, variable, element, modified)` for a view, NULL for anything else.
#[no_mangle]
pub extern "C" fn lzs_view_info(x: SEXP) -> SEXP {
    entry(|| {
        if !is_view(x) {
            return Ok(nil());
        }
        let (ns, var, element, modified) = describe(x);
        let mut p = Protect::new();
        // SAFETY: allocations on the main thread, protected until assembled.
        unsafe {
            let items = [
                p.keep(mk_strings(&[ns])),
                p.keep(mk_strings(&[var])),
                p.keep(Rf_ScalarReal(element as f64 + 1.0)),
                p.keep(Rf_ScalarLogical(c_int::from(modified))),
            ];
            Ok(mk_list(
                &items,
                &["namespace", "variable", "element", "modified"],
            ))
        }
    })
}
