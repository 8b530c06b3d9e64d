# Benchmark of lazyshare's partial distance correlation and its permutation test against the energy package.
#
# Run:   Rscript bench/R/pdcor.R        (about 3 minutes; energy::pdcov.test at n = 5,000 alone takes ~1 min)
#
# Data: set.seed(1); X <- matrix(rnorm(3n), n, 3); z <- rnorm(n) + X[, 1]; y <- X[, 2] * z + rnorm(n).
# Workloads:
#   1. pdcor(X, y, z): energy forms n x n matrices (n <= 5,000 here); lazyshare needs three O(n)-memory
#      passes, also run alone at n = 20,000 and 50,000;
#   2. pdcov.test(X, y, z, R = 199) after set.seed(1): both packages work on the n x n projections (O(n^2)
#      memory); lazyshare draws the same permutations and sums each replicate in energy's order, so the
#      results must be identical: the child prints the statistic, p-value and the sum of the replicates
#      (%.17g), and same_results says whether all three are the same digits.
# Each (implementation, n) runs in a fresh child process (`Rscript pdcor.R worker <impl> <n>`) that loads only
# the package it measures; it creates the data, resets its peak RSS (VmHWM), times one call and prints a
# RESULT line. Memory is reported as growth = peak RSS - RSS after creating the data.

source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))),
                 "helpers.R"))

impls <- list(
  energy_pdcor = list(pkg = "energy", f = function(d) energy::pdcor(d$X, d$y, d$z)),
  lazyshare_pdcor = list(pkg = "lazyshare", f = function(d) lazyshare::pdcor(d$X, d$y, d$z)),
  energy_pdcov.test = list(pkg = "energy", f = function(d) {
    set.seed(1); energy::pdcov.test(d$X, d$y, d$z, R = 199)
  }),
  lazyshare_pdcov.test = list(pkg = "lazyshare", f = function(d) {
    set.seed(1); lazyshare::pdcov.test(d$X, d$y, d$z, R = 199)
  })
)

# The numbers a result is compared by: the statistic, or statistic, p-value and sum of replicates of a test.
summary_of <- function(v) {
  if (inherits(v, "htest")) c(v$statistic, v$p.value, sum(v$replicates)) else c(v, NA, NA)
}

run_worker <- function(impl, n) {
  spec <- impls[[impl]]
  suppressPackageStartupMessages(loadNamespace(spec$pkg))
  set.seed(1)
  X <- matrix(rnorm(3 * n), n, 3)
  z <- rnorm(n) + X[, 1]
  d <- list(X = X, z = z, y = X[, 2] * z + rnorm(n))
  invisible(gc())
  reset_peak()
  rss_data <- status_mb("VmRSS")
  t <- elapsed(value <- spec$f(d))
  cat(paste(c("RESULT", impl, n, t, sprintf("%.17g", summary_of(value)), rss_data, status_mb("VmHWM")),
            collapse = "\t"), "\n", sep = "")
}

run_if_worker(run_worker)

self <- script_path()
rscript <- file.path(R.home("bin"), "Rscript")
cat(sprintf("energy %s, lazyshare %s, %s, %d cores\n", packageVersion("energy"), packageVersion("lazyshare"),
            R.version.string, parallel::detectCores()))
runs <- rbind(
  data.frame(impl = "energy_pdcor", n = c(1000L, 2000L, 5000L)),
  data.frame(impl = "lazyshare_pdcor", n = c(1000L, 2000L, 5000L, 20000L, 50000L)),
  data.frame(impl = "energy_pdcov.test", n = c(1000L, 2000L, 5000L)),
  data.frame(impl = "lazyshare_pdcov.test", n = c(1000L, 2000L, 5000L)),
  stringsAsFactors = FALSE)

run_child <- function(impl, n) {
  out <- suppressWarnings(system2(rscript, c(shQuote(self), "worker", impl, n), stdout = TRUE, stderr = TRUE))
  line <- grep("^RESULT\t", out, value = TRUE)
  if (length(line) != 1L) stop("child ", impl, " n = ", n, " failed:\n", paste(out, collapse = "\n"))
  f <- strsplit(line, "\t", fixed = TRUE)[[1L]]
  data.frame(impl = f[2], n = as.integer(f[3]), time_s = as.numeric(f[4]), stat = f[5], p = f[6],
             rep_sum = f[7], growth_mb = as.numeric(f[9]) - as.numeric(f[8]), stringsAsFactors = FALSE)
}
res <- do.call(rbind, Map(run_child, runs$impl, runs$n))
rownames(res) <- NULL

table <- do.call(rbind, lapply(seq_len(nrow(res)), function(k) {
  r <- res[k, ]
  if (!startsWith(r$impl, "lazyshare_")) return(NULL)
  peer <- res[res$impl == sub("^lazyshare_", "energy_", r$impl) & res$n == r$n, ]
  has_peer <- nrow(peer) == 1L
  data.frame(workload = sub("^lazyshare_", "", r$impl), n = r$n, lazyshare_s = r$time_s,
             energy_s = if (has_peer) peer$time_s else NA, speedup = if (has_peer) peer$time_s / r$time_s else NA,
             lazyshare_mb = round(r$growth_mb), energy_mb = if (has_peer) round(peer$growth_mb) else NA,
             rel_diff = if (has_peer) abs(as.numeric(r$stat) - as.numeric(peer$stat)) / abs(as.numeric(peer$stat)) else NA,
             same_results = if (has_peer && r$impl == "lazyshare_pdcov.test") {
               all(unlist(r[c("stat", "p", "rep_sum")]) == unlist(peer[c("stat", "p", "rep_sum")]))
             } else NA)
}))
print(table, digits = 3, row.names = FALSE)
utils::write.csv(table, file.path(dirname(self), "pdcor.csv"), row.names = FALSE)
