# Issue 15 benchmark: R-exact sums at the speed of R's own. lazyshare's `mean(lazy(x) * lazy(y))` with
# `exact_sums = TRUE` (bit-identical to R: long double, element order, R's two passes for a mean) against
# R's `mean(z)` and `sum(z)` on a z computed beforehand (R's best case: no product to evaluate).
#
# Run:   Rscript bench/R/exact_sums.R [n]     (n = 1e8 by default; needs ~3 GB; about a minute)
#
# One process: x, y ~ N(0, 1) from set.seed(1), z <- x * y. Each round runs every workload once in turn (so
# drift in the machine's speed affects all alike); the table gives the medians of 7 rounds after one warm-up
# round, the ratio ours / R's, whether the results are identical(), and the growth of peak memory over the
# data during the timed rounds (ours must not materialise x * y: 0.8 GB at 1e8).

source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))),
                 "helpers.R"))
suppressPackageStartupMessages(library(lazyshare))

args <- commandArgs(trailingOnly = TRUE)
n <- if (length(args)) as.numeric(args[1]) else 1e8
rounds <- 7L

set.seed(1)
x <- rnorm(n)
y <- rnorm(n)
z <- x * y
invisible(gc())

workloads <- list(
  "mean(x * y)" = list(ours = function() materialize(mean(lazy(x) * lazy(y))), r = function() mean(z),
                       r_label = "mean(z)"),
  "sum(x * y)" = list(ours = function() materialize(sum(lazy(x) * lazy(y))), r = function() sum(z),
                      r_label = "sum(z)")
)

old <- lazy_options(exact_sums = TRUE)
times <- lapply(workloads, function(w) list(ours = numeric(), r = numeric()))
same <- vapply(workloads, function(w) identical(w$ours(), w$r()), logical(1))
rss0 <- status_mb("VmRSS")
invisible(reset_peak())
for (k in seq_len(rounds)) {
  for (name in names(workloads)) {
    w <- workloads[[name]]
    times[[name]]$ours <- c(times[[name]]$ours, elapsed(w$ours()))
    times[[name]]$r <- c(times[[name]]$r, elapsed(w$r()))
  }
}
growth <- status_mb("VmHWM") - rss0
do.call(lazy_options, old)

cat(sprintf("R-exact sums, n = %.0e, medians of %d rounds (peak memory growth over the data: %.1f MB)\n\n",
            n, rounds, growth))
cat("| workload | lazyshare (exact_sums) s | R on precomputed z | R s | ours / R | identical |\n")
cat("|---|---|---|---|---|---|\n")
for (name in names(workloads)) {
  o <- median(times[[name]]$ours)
  r <- median(times[[name]]$r)
  cat(sprintf("| %s | %.3f | %s | %.3f | %.2f | %s |\n", name, o, workloads[[name]]$r_label, r, o / r, same[[name]]))
}
