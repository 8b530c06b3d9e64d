# Pages of dead owners are swept when the DLL initialises. Unloading releases what this session owns but
# keeps the DLL loaded: views still referenced by R objects need its ALTREP methods.
.onUnload <- function(libpath) {
  try(.Call(lzs_release_all), silent = TRUE)
}
