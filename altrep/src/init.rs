//! Package load: ALTREP classes, `.Call` routines, a sweep of dead owners' pages, and the exit hook that
//! unlinks what this process owns.

use std::os::raw::c_void;

use crate::dcor_api::*;
use crate::dcortest_api::*;
use crate::explain_api::*;
use crate::guard::install_panic_hook;
use crate::lazy_api::*;
use crate::mi_api::*;
use crate::options_api::*;
use crate::pages_api::*;
use crate::pdcor_api::*;
use crate::rapi::*;
use crate::registry::try_registry;
use crate::{lazy, progress, view};

macro_rules! routines {
    ($($f:ident / $n:expr),* $(,)?) => {
        vec![
            $(R_CallMethodDef {
                name: concat!(stringify!($f), "\0").as_ptr() as *const std::os::raw::c_char,
                // SAFETY: R calls the routine with exactly $n SEXP arguments, matching its definition;
                // the registration API stores every routine as a nullary function pointer.
                fun: Some(unsafe {
                    std::mem::transmute::<*const (), unsafe extern "C" fn() -> *mut c_void>(
                        $f as *const (),
                    )
                }),
                numArgs: $n,
            },)*
            R_CallMethodDef { name: std::ptr::null(), fun: None, numArgs: 0 },
        ]
    };
}

/// Called by R_init_lazyshare (rpkg/src/entrypoint.c).
///
/// # Safety
/// `dll` must be the DllInfo R passes to the package's init routine, and the call must come from R's
/// main thread.
#[no_mangle]
pub unsafe extern "C" fn lazyshare_init(dll: *mut DllInfo) {
    install_panic_hook();
    view::register_classes(dll);
    lazy::register_classes(dll);
    progress::install();
    install_trace();
    lazyshare_runtime::plan::set_jit(Box::new(lazyshare_jit::Jit::default()));
    let table = routines![
        lzs_register / 6,
        lzs_retrieve / 2,
        lzs_set_attributes / 2,
        lzs_release_views / 2,
        lzs_release_pages / 2,
        lzs_metadata / 2,
        lzs_page_list / 0,
        lzs_view_list / 0,
        lzs_gc / 1,
        lzs_sweep_pages / 0,
        lzs_check_names / 3,
        lzs_release_all / 0,
        lzs_view_info / 1,
        lzs_view_slice / 3,
        lzs_view_serialize / 1,
        lzs_note_apply / 1,
        lzs_lazy / 1,
        lzs_is_lazy / 1,
        lzs_unary / 2,
        lzs_binary / 3,
        lzs_sweep / 4,
        lzs_transpose / 1,
        lzs_dist / 1,
        lzs_as_matrix / 1,
        lzs_reduce / 3,
        lzs_materialize / 1,
        lzs_info / 1,
        lzs_options / 1,
        lzs_stats / 1,
        lzs_dcov / 7,
        lzs_dcov_test / 6,
        lzs_explain / 1,
        lzs_explain_only / 1,
        lzs_explained / 0,
        lzs_pareto_radius / 1,
        lzs_pde / 1,
        lzs_mi_discrete / 4,
        lzs_mi_usable_pairs / 4,
        lzs_mi_scores / 8,
        lzs_centre / 2,
        lzs_projection / 2,
        lzs_u_products / 3,
    ];
    // R keeps a pointer to the table for the life of the DLL.
    let table: &'static [R_CallMethodDef] = Box::leak(table.into_boxed_slice());
    // SAFETY: called once per load from R_init on the main thread with R's DllInfo; the table is
    // null-terminated and leaked, so it outlives the DLL.
    unsafe {
        R_registerRoutines(
            dll,
            std::ptr::null(),
            table.as_ptr(),
            std::ptr::null(),
            std::ptr::null(),
        );
        R_useDynamicSymbols(dll, Rboolean::FALSE);
        R_forceSymbols(dll, Rboolean::TRUE);
    }
    lazyshare_runtime::pages::sweep();
    register_exit_hook();
}

fn register_exit_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a plain function with no captured state.
        unsafe { libc::atexit(release_at_exit) };
    });
}

/// Runs at process exit (also after q() in R). No R calls: R is shutting down. A lock still held means
/// R was stopped in the middle of a call; then the sweep of a later session cleans up instead.
extern "C" fn release_at_exit() {
    let _ = std::panic::catch_unwind(|| {
        if let Some(mut reg) = try_registry() {
            reg.release_all();
        }
    });
}
