/* The package's init routine lives in the Rust static library; this reference makes the linker keep it. */
#include <R_ext/Rdynload.h>

void lazyshare_init(DllInfo *dll);

void R_init_lazyshare(DllInfo *dll) { lazyshare_init(dll); }
