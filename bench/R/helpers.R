# What every bench/R script needs: where it is (to run itself as a child), timing, and peak memory. Each
# script sources this file from its own directory.

# The path of the running script (run with Rscript).
script_path <- function() {
  f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
  if (length(f) != 1L) stop("run this file with Rscript: Rscript bench/R/<script>.R", call. = FALSE)
  normalizePath(f)
}

# Elapsed seconds of an expression, evaluated in the caller's frame (a promise), so `v <- f()` inside it
# assigns in the caller. Sys.time() rather than system.time(), which rounds to 1 ms.
elapsed <- function(expr) {
  t0 <- Sys.time()
  force(expr)
  as.numeric(Sys.time()) - as.numeric(t0)
}

# A field of /proc/self/status in MB (VmRSS, VmHWM, ...).
status_mb <- function(field) {
  line <- grep(paste0("^", field, ":"), readLines("/proc/self/status"), value = TRUE)
  as.numeric(sub("^[^0-9]*([0-9]+).*$", "\\1", line)) / 1024
}

# Writing 5 to /proc/self/clear_refs resets VmHWM to the current RSS (Linux >= 4.0), so the peak read at the
# end covers only the benchmarked work, not the temporary vectors of creating the data.
reset_peak <- function() {
  tryCatch({ writeLines("5", "/proc/self/clear_refs"); TRUE },
           error = function(e) FALSE, warning = function(w) FALSE)
}

# Each measurement runs in a fresh process, the script started again as `Rscript <script> worker <impl>
# <n>`: when started that way, runs `run_worker(impl, n)` and exits.
run_if_worker <- function(run_worker) {
  args <- commandArgs(trailingOnly = TRUE)
  if (length(args) >= 1L && args[1L] == "worker") {
    run_worker(args[2L], as.integer(args[3L]))
    quit(save = "no", status = 0L)
  }
}
