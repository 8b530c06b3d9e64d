# Pages of dead owners are swept when the DLL initialises; the thresholds are set from R's options when
# the namespace loads. Unloading releases what this session owns but keeps the DLL loaded: views still
# referenced by R objects need its ALTREP methods.
.onLoad <- function(libname, pkgname) {
  load_options()
}

.onUnload <- function(libpath) {
  try(.Call(lzs_release_all), silent = TRUE)
}
