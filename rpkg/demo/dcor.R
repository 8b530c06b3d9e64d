# lazyshare demo: distance correlation where energy::dcor would need ~10 dense n x n matrices.
suppressPackageStartupMessages(library(lazyshare))

peak_mib <- function(expr) {            # peak resident memory added while evaluating expr
  status <- function(k) as.numeric(gsub("[^0-9]", "", grep(paste0("^", k, ":"), readLines("/proc/self/status"), value = TRUE))) / 1024
  gc(); writeLines("5", "/proc/self/clear_refs"); before <- status("VmRSS")
  t <- system.time(force(expr))[["elapsed"]]
  c(seconds = t, peak_mib = status("VmHWM") - before)
}
energy_gib <- function(n) 10 * 8 * n^2 / 2^30   # energy holds ~10 n x n double matrices

set.seed(1)
n <- 1e5
x <- rnorm(n); y <- x^2 + rnorm(n)
r <- peak_mib(v <- lazyshare::dcor(x, y))
cat(sprintf("n = %.0f, univariate:  dcor = %.6f in %.2f s, peak memory +%.0f MiB (energy::dcor would need ~%.0f GiB)\n",
            n, v, r[["seconds"]], r[["peak_mib"]], energy_gib(n)))

n <- 30000
X <- matrix(rnorm(3 * n), n, 3); y <- X[, 1] * X[, 2] + rnorm(n)
r <- peak_mib(v <- lazyshare::dcor(X, y))
cat(sprintf("n = %.0f, X is n x 3: dcor = %.6f in %.2f s, peak memory +%.0f MiB (energy::dcor would need ~%.0f GiB)\n",
            n, v, r[["seconds"]], r[["peak_mib"]], energy_gib(n)))

# energy's own pure-R DCOR, unmodified, run lazily: its n x n matrices are never materialised.
if (requireNamespace("energy", quietly = TRUE)) {
  n <- 20000
  x <- rnorm(n); y <- x^2 + rnorm(n)
  lazy_stats(reset = TRUE)
  r <- peak_mib(v <- suppressWarnings(deferred(energy::DCOR)(x, y)))
  cat(sprintf("n = %.0f, deferred(energy::DCOR): dCor = %.6f in %.2f s, %d fused passes, peak memory +%.0f MiB (eager: ~%.0f GiB)\n",
              n, v$dCor, r[["seconds"]], lazy_stats()$passes, r[["peak_mib"]], energy_gib(n)))
}

# A 50,000 x 50,000 distance matrix (18.6 GiB if materialised) that costs nothing until looked at.
z <- rnorm(50000)
d <- as.matrix(dist(lazy(z)))
print(d)
cat(sprintf("rowMeans(d)[1:3] = %s\n", paste(format(materialize(rowMeans(d))[1:3], digits = 6), collapse = ", ")))
