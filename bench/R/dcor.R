# Benchmark of lazyshare's distance correlation against the energy package.
#
# Run:   Rscript bench/R/dcor.R        (a few minutes; energy::dcor at n = 10,000 alone takes ~30 s and ~8 GB)
#
# Data as in ../shared/reference/dcor-reference.R ("time" mode): set.seed(1); x <- rnorm(n); y <- x^2 + rnorm(n).
# Workloads (both packages export `dcor`, so every call is written energy::dcor / lazyshare::dcor):
#   1. energy::dcor(x, y), which builds the two n x n distance matrices: n = 2,000, 5,000, 10,000
#      (not above 10,000: it needs O(n^2) memory, ~8 GB at 10,000);
#   2. lazyshare::dcor(x, y, method = "streaming"), the two-pass O(n^2)-time, O(n)-memory form, at the same
#      n (the like-for-like comparison with energy::dcor), and alone at n = 25,000 and 50,000;
#   3. lazyshare::dcor(x, y), method "auto" (O(n log n) for univariate x, y with index 1), at all those n and
#      at n = 10^6, against energy::dcor at n <= 10,000 and against energy's own O(n log n) energy::dcor2d at
#      every n (dcor2d returns dcor^2, so sqrt(dcor2d) is compared with our dcor);
#   4. multivariate: set.seed(1); X <- matrix(rnorm(3n), n, 3); y <- X[, 1]^2 + rnorm(n);
#      energy::dcor(X, y) vs lazyshare::dcor(X, y) (lazyshare streams here by itself) at n = 2,000 and 5,000.
#   5. permutation tests (issue 12), set.seed(2) before each call so both packages draw the same permutations:
#      energy::dcor.test(X, y, R = 199) vs lazyshare::dcor.test(X, y, R = 199) with X n x 2 (y = X[, 1]^2 + noise)
#      at n = 2,000 and 5,000, and lazyshare::dcor.test(x, y, R = 999) alone at n = 10^5 univariate (energy
#      cannot: its four n x n matrices would need 320 GB). The value compared is the p-value (identical when
#      the permutations are the same).
#      `Rscript bench/R/dcor.R tests` runs these rows alone.
# Each (implementation, n) runs in a fresh child process (`Rscript dcor.R worker <impl> <n>`) that loads only
# the package it measures, so neither package's memory is counted in the other's child. The child creates
# the data, resets its peak RSS (VmHWM) to the current RSS, times the call (once if it takes >= 1 s,
# otherwise the median of 3 runs) and prints one machine-readable RESULT line: time, peak RSS (VmHWM), the
# RSS just after creating the data, and the value (%.17g).
# Memory is compared as growth = peak RSS - RSS just after creating the data, for both packages: that is
# what the call itself needs (the data and the loaded package are the same or nearly so for both). The
# issue 3 goal "<= 1% of energy's peak memory" is checked on these growths.
# The parent prints one table (ratio = peer time / lazyshare time, > 1 means lazyshare is faster;
# mem_ratio = our growth / peer growth; agree = |ours - peer| / |peer|) and writes it to dcor.csv next to
# this script, then the goal lines, and checks that no lzs.* file is left in /dev/shm.
# Times use Sys.time() differences: system.time() rounds to 1 ms, and the O(n log n) calls take less.
#
# Only base R, energy and lazyshare are used.

energy_sizes <- c(2000L, 5000L, 10000L)              # energy::dcor: O(n^2) memory, stop at 10,000
streaming_sizes <- c(energy_sizes, 25000L, 50000L, 100000L)  # lazyshare streaming: O(n) memory
auto_sizes <- c(streaming_sizes, 1000000L)           # O(n log n): lazyshare auto and energy::dcor2d
mv_sizes <- c(2000L, 5000L)                          # multivariate X (n x 3)
test_mv_sizes <- c(2000L, 5000L)                     # dcor.test, X n x 2, R = 199, both packages
test_mv_big <- 20000L                                # the same, lazyshare only (energy: 12.8 GB of matrices)
test_uni_sizes <- 100000L                            # dcor.test, univariate, R = 999, lazyshare only
renjin_25k_s <- 1319                                 # Renjin's record for dcor at n = 25,000 (seconds)
agree_tol <- 1e-10

# ---------------------------------------------------------------------------------------------------------
# Helpers used by both parent and child
# ---------------------------------------------------------------------------------------------------------

source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))),
                 "helpers.R"))

# ---------------------------------------------------------------------------------------------------------
# Child: one implementation at one n
# ---------------------------------------------------------------------------------------------------------

# Each implementation: the package its child loads, whether it takes the multivariate data, and the call.
impls <- list(
  energy_dcor         = list(pkg = "energy",    mv = FALSE, f = function(d) energy::dcor(d$x, d$y)),
  energy_dcor2d       = list(pkg = "energy",    mv = FALSE, f = function(d) sqrt(energy::dcor2d(d$x, d$y))),
  lazyshare_streaming = list(pkg = "lazyshare", mv = FALSE,
                             f = function(d) lazyshare::dcor(d$x, d$y, method = "streaming")),
  lazyshare_auto      = list(pkg = "lazyshare", mv = FALSE, f = function(d) lazyshare::dcor(d$x, d$y)),
  energy_mv           = list(pkg = "energy",    mv = TRUE,  f = function(d) energy::dcor(d$x, d$y)),
  lazyshare_mv        = list(pkg = "lazyshare", mv = TRUE,  f = function(d) lazyshare::dcor(d$x, d$y)),
  energy_test_mv      = list(pkg = "energy",    mv = 2L,
                             f = function(d) { set.seed(2); energy::dcor.test(d$x, d$y, R = 199)$p.value }),
  lazyshare_test_mv   = list(pkg = "lazyshare", mv = 2L,
                             f = function(d) { set.seed(2); lazyshare::dcor.test(d$x, d$y, R = 199)$p.value }),
  lazyshare_test_uni  = list(pkg = "lazyshare", mv = FALSE,
                             f = function(d) { set.seed(2); lazyshare::dcor.test(d$x, d$y, R = 999)$p.value })
)

make_data <- function(n, mv) {
  set.seed(1)
  if (!isFALSE(mv)) {
    p <- if (isTRUE(mv)) 3L else mv
    X <- matrix(rnorm(p * n), n, p)
    list(x = X, y = X[, 1]^2 + rnorm(n))
  } else {
    x <- rnorm(n)
    list(x = x, y = x^2 + rnorm(n))
  }
}

run_worker <- function(impl, n) {
  spec <- impls[[impl]]
  if (is.null(spec)) stop("unknown implementation ", impl)
  suppressPackageStartupMessages(loadNamespace(spec$pkg))  # only this package; loaded before the baseline
  d <- make_data(n, spec$mv)
  invisible(gc())
  peak_reset <- reset_peak()
  rss_data <- status_mb("VmRSS")

  t1 <- elapsed(value <- spec$f(d))
  times <- t1
  if (t1 < 1) for (r in 2:3) times[r] <- elapsed(value <- spec$f(d))
  hwm <- status_mb("VmHWM")
  # RESULT impl n reps time_s value rss_data_mb peak_mb peak_reset
  cat(paste("RESULT", impl, n, length(times), median(times), sprintf("%.17g", value), rss_data, hwm,
            peak_reset, sep = "\t"), "\n", sep = "")
}

run_if_worker(run_worker)

# ---------------------------------------------------------------------------------------------------------
# Parent: one child per (implementation, n), then the table
# ---------------------------------------------------------------------------------------------------------

self <- script_path()
rscript <- file.path(R.home("bin"), "Rscript")
shm_before <- list.files("/dev/shm")
cat(sprintf("energy %s, lazyshare %s, %s, %d cores\n", packageVersion("energy"), packageVersion("lazyshare"),
            R.version.string, parallel::detectCores()))

args <- commandArgs(trailingOnly = TRUE)
tests_only <- length(args) >= 1L && args[1L] == "tests"
test_runs <- rbind(
  data.frame(impl = "lazyshare_test_mv", n = c(test_mv_sizes, test_mv_big)),
  data.frame(impl = "energy_test_mv", n = test_mv_sizes),
  data.frame(impl = "lazyshare_test_uni", n = test_uni_sizes),
  stringsAsFactors = FALSE)
runs <- if (tests_only) test_runs else rbind(
  data.frame(impl = "energy_dcor", n = energy_sizes),
  data.frame(impl = "lazyshare_streaming", n = streaming_sizes),
  data.frame(impl = "lazyshare_auto", n = auto_sizes),
  data.frame(impl = "energy_dcor2d", n = auto_sizes),
  data.frame(impl = "lazyshare_mv", n = mv_sizes),
  data.frame(impl = "energy_mv", n = mv_sizes),
  test_runs,
  stringsAsFactors = FALSE)

run_child <- function(impl, n) {
  cat(sprintf("running %-19s n = %7d ...", impl, n))
  out <- suppressWarnings(system2(rscript, c(shQuote(self), "worker", impl, n), stdout = TRUE, stderr = TRUE))
  line <- grep("^RESULT\t", out, value = TRUE)
  if (length(line) != 1L) {
    cat(" FAILED\n", paste0("    | ", out, collapse = "\n"), "\n", sep = "")
    return(NULL)
  }
  f <- strsplit(line, "\t", fixed = TRUE)[[1L]]
  r <- data.frame(impl = f[2], n = as.integer(f[3]), reps = as.integer(f[4]), time_s = as.numeric(f[5]),
                  value = as.numeric(f[6]), rss_data_mb = as.numeric(f[7]), peak_mb = as.numeric(f[8]),
                  peak_reset = as.logical(f[9]), stringsAsFactors = FALSE)
  cat(sprintf(" %.3g s (%s), peak %.0f MB\n", r$time_s, if (r$reps > 1L) "median of 3" else "1 run", r$peak_mb))
  r
}

results <- do.call(rbind, Map(run_child, runs$impl, runs$n))
results$growth_mb <- results$peak_mb - results$rss_data_mb

value_of <- function(impl, n, col) {
  v <- results[[col]][results$impl == impl & results$n == n]
  if (length(v) == 1L) v else NA_real_
}

# One table row: lazyshare's `ours` at n against `peer` (NA: no peer run at that n).
row <- function(workload, ours, peer, peer_label, n) {
  g <- function(impl, col) if (is.na(impl)) NA_real_ else value_of(impl, n, col)
  data.frame(
    workload = workload, n = n, peer = if (is.na(peer)) NA_character_ else peer_label,
    our_time_s = g(ours, "time_s"), peer_time_s = g(peer, "time_s"),
    ratio = g(peer, "time_s") / g(ours, "time_s"),
    our_peak_mb = g(ours, "peak_mb"), peer_peak_mb = g(peer, "peak_mb"),
    our_growth_mb = g(ours, "growth_mb"), peer_growth_mb = g(peer, "growth_mb"),
    mem_ratio = g(ours, "growth_mb") / g(peer, "growth_mb"),
    agree = abs(g(ours, "value") - g(peer, "value")) / abs(g(peer, "value")),
    stringsAsFactors = FALSE)
}

test_rows <- c(
  lapply(c(test_mv_sizes, test_mv_big), function(n)
    row("dcor.test (X n x 2, y), R = 199", "lazyshare_test_mv",
        if (n %in% test_mv_sizes) "energy_test_mv" else NA, "energy::dcor.test", n)),
  lapply(test_uni_sizes, function(n)
    row("dcor.test (x, y), R = 999", "lazyshare_test_uni", NA, "energy::dcor.test", n)))
rows <- if (tests_only) test_rows else c(
  lapply(streaming_sizes, function(n)
    row("streaming (x, y)", "lazyshare_streaming", if (n %in% energy_sizes) "energy_dcor" else NA,
        "energy::dcor", n)),
  lapply(energy_sizes, function(n) row("auto (x, y)", "lazyshare_auto", "energy_dcor", "energy::dcor", n)),
  lapply(auto_sizes, function(n)
    row("auto (x, y)", "lazyshare_auto", "energy_dcor2d", "sqrt(energy::dcor2d)", n)),
  lapply(mv_sizes, function(n) row("auto (X n x 3, y)", "lazyshare_mv", "energy_mv", "energy::dcor", n)),
  test_rows)
tab <- do.call(rbind, rows)

cat("\nTimes in seconds (median of 3 runs when a run takes < 1 s, else 1 run); ratio = peer / lazyshare",
    "(> 1: lazyshare faster).\n")
cat("peak = VmHWM of the child during the call (MB); growth = peak - RSS just after creating the data;",
    "mem_ratio = our growth / peer growth.\n")
cat("agree = |ours - peer| / |peer| of the dcor values. energy::dcor2d returns dcor^2: its sqrt is compared.\n\n")
shown <- tab
for (col in c("our_time_s", "peer_time_s")) shown[[col]] <- sprintf("%.3g", shown[[col]])
shown$ratio <- signif(shown$ratio, 3)
for (col in c("our_peak_mb", "peer_peak_mb")) shown[[col]] <- round(shown[[col]])
for (col in c("our_growth_mb", "peer_growth_mb")) shown[[col]] <- round(shown[[col]], 1)
shown$mem_ratio <- signif(shown$mem_ratio, 3)
shown$agree <- ifelse(is.na(tab$agree), NA, sprintf("%.1e", tab$agree))
old <- options(width = 250)
print(shown, row.names = FALSE, right = FALSE)
options(old)
if (!all(results$peak_reset)) {
  cat("note: VmHWM could not be reset in some children; their peak includes creating the data\n")
}

# Values: every compared pair must agree, and streaming must agree with auto where energy was not run.
bad <- tab[!is.na(tab$agree) & !(tab$agree < agree_tol), ]
if (nrow(bad)) {
  cat(sprintf("WARNING: %d row(s) disagree by >= %.0e:\n", nrow(bad), agree_tol))
  print(bad[, c("workload", "n", "peer", "agree")], row.names = FALSE)
} else {
  cat(sprintf("ok: all %d compared values agree to < %.0e\n", sum(!is.na(tab$agree)), agree_tol))
}
for (n in if (tests_only) integer() else setdiff(streaming_sizes, energy_sizes)) {
  s <- value_of("lazyshare_streaming", n, "value")
  a <- value_of("lazyshare_auto", n, "value")
  cat(sprintf("streaming vs auto at n = %d (no energy peer): dcor %.17g vs %.17g, |diff|/|auto| = %.1e\n",
              n, s, a, abs(s - a) / abs(a)))
}

csv <- file.path(dirname(self), if (tests_only) "dcor-tests.csv" else "dcor.csv")
write.csv(tab, csv, row.names = FALSE)
cat("\nwrote", csv, "\n")

# No lazyshare page may be left behind (dcor should not create any).
new_files <- setdiff(list.files("/dev/shm"), shm_before)
left_lzs <- grep("^lzs\\.", new_files, value = TRUE)
if (length(left_lzs)) {
  cat("WARNING: leftover lazyshare pages in /dev/shm:", paste(left_lzs, collapse = " "), "\n")
} else {
  cat("ok: no lzs.* file of this run left in /dev/shm\n")
}
other <- setdiff(new_files, left_lzs)
if (length(other)) cat("WARNING: other new files left in /dev/shm:", paste(other, collapse = " "), "\n")

# Goals
cat("\n")
if (!tests_only) {
  speed_10k <- value_of("energy_dcor", 10000L, "time_s") / value_of("lazyshare_streaming", 10000L, "time_s")
  mem_10k <- 100 * value_of("lazyshare_streaming", 10000L, "growth_mb") / value_of("energy_dcor", 10000L, "growth_mb")
  met <- !is.na(speed_10k) && !is.na(mem_10k) && speed_10k >= 20 && mem_10k <= 1
  cat(sprintf(paste("goal (issue 3): streaming dcor >= 20x faster than energy::dcor at n = 10,000 with <= 1%%",
                    "of its peak memory -> ratio %.1fx, memory %.3g%% : %s\n"),
              speed_10k, mem_10k, if (met) "met" else "NOT met"))
  cat("  (memory = growth of peak RSS over the RSS after creating the data, for both)\n")
  t_5k <- value_of("energy_dcor", 5000L, "time_s")
  speed_5k <- t_5k / value_of("lazyshare_streaming", 5000L, "time_s")
  cat(sprintf(paste("goal (issue 4): lazyshare::dcor >= 100x faster than energy::dcor at n = 5,000",
                    "-> %.0fx (auto) / %.0fx (streaming, the compiled two-pass form): %s\n"),
              t_5k / value_of("lazyshare_auto", 5000L, "time_s"), speed_5k,
              if (!is.na(speed_5k) && speed_5k >= 100) "met" else "NOT met"))
  t_25k <- value_of("lazyshare_streaming", 25000L, "time_s")
  cat(sprintf("goal (issue 4): n = 25,000 streaming in <= 2 s (Renjin's record: %d s) -> %.3g s: %s\n",
              renjin_25k_s, t_25k, if (!is.na(t_25k) && t_25k <= 2) "met" else "NOT met"))
  cat(sprintf("n = 50,000 streaming: %.3g s\n", value_of("lazyshare_streaming", 50000L, "time_s")))
  t_100k <- value_of("lazyshare_streaming", 100000L, "time_s")
  g_100k <- value_of("lazyshare_streaming", 100000L, "growth_mb")
  cat(sprintf("goal (issue 4): n = 100,000 streaming in <= 40 s with < 100 MB peak growth -> %.3g s, %.0f MB: %s\n",
              t_100k, g_100k, if (!is.na(t_100k) && t_100k <= 40 && g_100k < 100) "met" else "NOT met"))
}
t_test_5k <- value_of("lazyshare_test_mv", 5000L, "time_s")
speed_test_5k <- value_of("energy_test_mv", 5000L, "time_s") / t_test_5k
cat(sprintf("goal (issue 12): dcor.test (X n x 2, R = 199) >= 100x faster than energy at n = 5,000 -> %.1fx: %s\n",
            speed_test_5k, if (!is.na(speed_test_5k) && speed_test_5k >= 100) "met" else "NOT met"))
t_test_uni <- value_of("lazyshare_test_uni", 100000L, "time_s")
cat(sprintf("goal (issue 12): dcor.test at n = 10^5 univariate, R = 999, in <= 10 s -> %.3g s: %s\n",
            t_test_uni, if (!is.na(t_test_uni) && t_test_uni <= 10) "met" else "NOT met"))
cat("  (energy cannot run that row: its four n x n matrices would need 320 GB)\n")
