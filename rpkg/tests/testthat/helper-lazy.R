# Reference values for dcor come from energy 1.7-11 (shared/reference/dcor-reference.txt, %.17g).

rel_err <- function(got, want) max(abs(got - want) / pmax(abs(want), 1e-300))

expect_rel <- function(got, want, tol) {
  got <- unname(unlist(got))
  want <- unname(unlist(want))
  testthat::expect_equal(length(got), length(want))
  err <- ifelse(want == 0, abs(got - want), abs(got - want) / abs(want))
  testthat::expect_true(all(err <= tol), info = sprintf("max relative error %.3g > %.3g; got %s",
                                                         max(err), tol, paste(format(got, digits = 17), collapse = " ")))
}

# Peak resident memory growth (bytes) of evaluating expr, measured from a reset high-water mark.
peak_growth <- function(expr) {
  status <- function(key) {
    l <- grep(paste0("^", key, ":"), readLines("/proc/self/status"), value = TRUE)
    as.numeric(gsub("[^0-9]", "", l)) * 1024
  }
  gc()
  writeLines("5", "/proc/self/clear_refs")
  before <- status("VmRSS")
  force(expr)
  status("VmHWM") - before
}
