# Benchmark of lazyshare::memApply against base apply, parallel::parApply and (when installed) memshare and
# SharedObject, on memshare's own benchmark: the standard deviation of every column of a square matrix.
#
# Run:   Rscript bench/R/memapply.R        (~10 minutes; parApply at n = 15,849 copies 2 GB into the workers)
#        LAZYSHARE_LIB=/some/lib Rscript bench/R/memapply.R   puts /some/lib first in .libPaths() of this
#        script, of its children and of their cluster workers (to measure a package snapshot installed there).
#
# Data: set.seed(1); X <- matrix(rnorm(n * n), n, n) for n = 10, 100, 1000, 10^4 and round(10^4.2) = 15,849
# (X is 2 GB at 15,849; the child builds it with dim<- so that it never holds two copies of it).
# Workloads, each timed on the same X in its own child:
#   apply              apply(X, 2, sd): base R, serial (the peer of the fused path);
#   parApply           parallel::parApply(cl, X, 2, sd) on a 2-worker PSOCK cluster (the peer of the worker
#                      path): X is split and serialised into the workers at every call;
#   lazyshare_workers  lazyshare::memApply(X, 2, sd, CLUSTER = cl, FUSE = FALSE): X is copied once into a
#                      /dev/shm page and the 2 workers get zero-copy views of its columns;
#   lazyshare_fused    lazyshare::memApply(X, 2, sd): translated into fused compiled passes in the child itself,
#                      no worker;
#   memshare, SharedObject   only when requireNamespace() finds them (otherwise skipped, and said so).
# The cluster (2 workers = the 2 cores of the bench machine) is made before timing; its start-up is reported
# separately. The child also verifies through lazy_stats() that memApply took the path it is named after.
# "Ready cluster" rows: after one warm-up call, ten calls of a FUN that cannot be fused,
# function(v) quantile(v, 0.3)[[1]], on a small X (100 x 10) on a ready 2-worker cluster: the fixed cost of a
# worker-path call (memshare's is ~30 ms), against parApply on the same kind of cluster.
#
# Method, as in dcor.R and pages.R: each (implementation, n) runs in a fresh child process
# (`Rscript memapply.R worker <impl> <n>`), which loads only what it measures, creates X, makes its cluster,
# resets its peak RSS (VmHWM, via /proc/self/clear_refs) to the current RSS, times the call (once if it takes
# >= 1 s, otherwise the median of 3 runs; Sys.time() differences, since system.time() rounds to 1 ms) and
# prints one machine-readable RESULT line. Memory of the child: peak = VmHWM over the timed runs, growth =
# peak - RSS just after creating X (and the cluster). The /dev/shm page of the worker path is not in the
# child's RSS (it is written with pwrite, not mapped); it holds one copy of X while the call runs. That copy is
# most of the worker path's time at n = 15,849, and on this VM it takes from 1 to 7 s for 2 GB, depending on
# whether the host still backs the memory it lands in (see pages.R on first touch): expect that row to vary.
# Memory of the workers, read from /proc/<pid>/smaps_rollup before and after the timed runs and summed over the
# workers: their Anonymous memory, which is where copies go (what parApply sends lands there in full), and
# Private_Clean + Private_Dirty beside it. The goal counts copies (Anonymous): "private" is decided per page by
# how many mappings map it, not by whether it is a copy, so a page of the /dev/shm segment that a column view
# reads through its own copy-on-write mapping counts as private while it is the segment's page-cache page
# itself; for the worker path the private figure overstates the copies, and depends on how many views are still
# alive when it is read. The workers are not garbage collected between the runs and the reading, so what a call
# copied is still there to be seen.
# Results: each child prints the sum and the index-weighted sum of its results (%.17g), which the parent
# compares with the apply child's (relative difference < 1e-10); at n <= 1000 (and for the small ready-cluster
# X) the child also checks all.equal(unlist(res), apply(X, 2, FUN), tolerance = 1e-10) after timing.
# The parent prints one table (ratio = peer time / lazyshare time, > 1 means lazyshare is faster), writes it to
# memapply.csv next to this script, checks that no lzs.* file of this run is left in /dev/shm, and prints the
# goal lines.
#
# Only base R, parallel, lazyshare and (optionally) memshare and SharedObject are used.

sizes <- c(10L, 100L, 1000L, 10000L, as.integer(round(10^4.2)))  # 15,849: 2 GB
workers <- 2L             # PSOCK workers of every cluster: the bench machine has 2 cores
ready_dim <- c(100L, 10L) # the small X of the ready-cluster rows
ready_calls <- 10L
memshare_ready_ms <- 30   # memshare's measured fixed cost of a memApply call on a ready cluster
agree_tol <- 1e-10

# ---------------------------------------------------------------------------------------------------------
# Helpers used by parent, child and cluster workers
# ---------------------------------------------------------------------------------------------------------

# LAZYSHARE_LIB (if set) goes first in .libPaths(), so the script measures the snapshot installed there. It is
# called in the parent, in each child, and in each cluster worker (which run `FUN` with lazyshare's code).
use_bench_lib <- function() {
  lib <- Sys.getenv("LAZYSHARE_LIB")
  if (nzchar(lib)) .libPaths(c(lib, .libPaths()))
  invisible(lib)
}
use_bench_lib()

source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))),
                 "helpers.R"))

# Private memory (Private_Clean + Private_Dirty) and anonymous memory (Anonymous) of the processes `pids`,
# each summed over them, in MB (NA: no workers). See the header on what each counts.
workers_mem <- function(pids) {
  if (!length(pids)) return(c(private = NA_real_, anon = NA_real_))
  per_pid <- vapply(pids, function(pid) {
    lines <- readLines(sprintf("/proc/%d/smaps_rollup", pid))
    kb <- function(pattern) {
      sum(as.numeric(sub("^[^0-9]*([0-9]+).*$", "\\1", grep(pattern, lines, value = TRUE))))
    }
    c(private = kb("^Private_(Clean|Dirty):"), anon = kb("^Anonymous:")) / 1024
  }, c(private = 0, anon = 0))
  rowSums(per_pid)
}

# ---------------------------------------------------------------------------------------------------------
# Child: one implementation at one n
# ---------------------------------------------------------------------------------------------------------

# Functions sent to workers are defined here, at top level: a closure made inside a function would carry
# that function's frame -- holding X -- into every worker when it is serialised.
quantile_fun <- function(v) quantile(v, 0.3)[[1]]  # not fusable: runs on workers
sd_v <- function(v) sd(v)                          # memshare wants FUN's first argument named v
shared_sd_chunk <- function(cols, S) lapply(cols, function(j) sd(S[, j]))

# SharedObject's way: share X once, send the shared object (a handle, not the data) with each chunk.
shared_object_apply <- function(X, cl, FUN) {
  S <- SharedObject::share(X)
  chunks <- parallel::splitIndices(ncol(X), length(cl))
  do.call(c, parallel::clusterApply(cl, chunks, shared_sd_chunk, S))
}

memshare_ns <- sprintf("memapplybench%d", Sys.getpid())

# Each implementation: the package its child loads (NULL: base R only), whether it needs a cluster and which
# package its workers load before timing, whether it runs on the small X of the ready-cluster rows, the
# lazy_stats() counter its call must increase ("fused", "worker" or NA), and the call.
impls <- list(
  apply             = list(pkg = NULL, cluster = FALSE, ready = FALSE, path = NA,
                           f = function(X, cl) apply(X, 2, sd)),
  parApply          = list(pkg = "parallel", cluster = TRUE, ready = FALSE, path = NA,
                           f = function(X, cl) parallel::parApply(cl, X, 2, sd)),
  lazyshare_workers = list(pkg = "lazyshare", cluster = TRUE, workers_pkg = "lazyshare", ready = FALSE,
                           path = "worker",
                           f = function(X, cl) lazyshare::memApply(X, 2, sd, CLUSTER = cl, FUSE = FALSE)),
  lazyshare_fused   = list(pkg = "lazyshare", cluster = FALSE, ready = FALSE, path = "fused",
                           f = function(X, cl) lazyshare::memApply(X, 2, sd)),
  memshare          = list(pkg = "memshare", cluster = TRUE, workers_pkg = "memshare", ready = FALSE, path = NA,
                           f = function(X, cl) memshare::memApply(X, 2, sd_v, NAMESPACE = memshare_ns,
                                                                  CLUSTER = cl)),
  SharedObject      = list(pkg = "SharedObject", cluster = TRUE, workers_pkg = "SharedObject", ready = FALSE,
                           path = NA, f = function(X, cl) shared_object_apply(X, cl, sd)),
  ready_lazyshare   = list(pkg = "lazyshare", cluster = TRUE, workers_pkg = "lazyshare", ready = TRUE,
                           path = "worker",
                           f = function(X, cl) lazyshare::memApply(X, 2, quantile_fun, CLUSTER = cl)),
  ready_parApply    = list(pkg = "parallel", cluster = TRUE, ready = TRUE, path = NA,
                           f = function(X, cl) parallel::parApply(cl, X, 2, quantile_fun)),
  ready_memshare    = list(pkg = "memshare", cluster = TRUE, workers_pkg = "memshare", ready = TRUE, path = NA,
                           f = function(X, cl) memshare::memApply(X, 2, quantile_fun, NAMESPACE = memshare_ns,
                                                                  CLUSTER = cl))
)

# Identical to matrix(rnorm(n * n), n, n), without matrix()'s second copy (two 2 GB matrices at n = 15,849).
make_square <- function(n) {
  set.seed(1)
  X <- rnorm(n * n)
  dim(X) <- c(n, n)
  X
}

make_ready <- function() {
  set.seed(1)
  matrix(rnorm(prod(ready_dim)), ready_dim[1], ready_dim[2])
}

# A ready 2-worker cluster: workers see LAZYSHARE_LIB and have loaded the package they will need, and are
# garbage collected, so that what we read of them afterwards is what the timed calls did.
make_workers <- function(workers_pkg) {
  cl <- parallel::makeCluster(workers)
  parallel::clusterCall(cl, use_bench_lib)
  if (!is.null(workers_pkg)) {
    parallel::clusterCall(cl, function(p) suppressPackageStartupMessages(loadNamespace(p)), workers_pkg)
  }
  parallel::clusterCall(cl, function() invisible(gc()))
  cl
}

# lazyshare's two counters of memApply paths (NA when lazyshare is not loaded).
apply_counters <- function() {
  if (!isNamespaceLoaded("lazyshare")) return(c(fused = NA_real_, worker = NA_real_))
  s <- lazyshare::lazy_stats()
  c(fused = s$fused_applies, worker = s$worker_applies)
}

# The timed runs: square X once if >= 1 s, else the median of 3; ready X ten calls after a warm-up, mean.
time_runs <- function(spec, X, cl) {
  if (spec$ready) {
    res <- spec$f(X, cl)  # warm-up: the first call sends FUN and loads what the workers need
    times <- vapply(seq_len(ready_calls), function(i) elapsed(res <<- spec$f(X, cl)), 0)
    return(list(res = res, times = times, time = mean(times)))
  }
  times <- elapsed(res <- spec$f(X, cl))
  if (times < 1) for (r in 2:3) times[r] <- elapsed(res <- spec$f(X, cl))
  list(res = res, times = times, time = median(times))
}

# Whether memApply took the path the implementation is named after: its counter rose by one per call
# (including the ready warm-up) and the other did not move.
path_ok <- function(spec, before, after, calls) {
  if (is.na(spec$path)) return(NA)
  d <- after - before
  other <- if (spec$path == "fused") "worker" else "fused"
  isTRUE(d[[spec$path]] == calls && d[[other]] == 0)
}

run_worker <- function(impl, n) {
  spec <- impls[[impl]]
  if (is.null(spec)) stop("unknown implementation ", impl)
  if (!is.null(spec$pkg)) suppressPackageStartupMessages(loadNamespace(spec$pkg))  # before the baseline
  X <- if (spec$ready) make_ready() else make_square(n)
  cl <- NULL
  cluster_s <- NA_real_
  if (spec$cluster) {
    cluster_s <- elapsed(cl <- make_workers(spec$workers_pkg))
    on.exit(parallel::stopCluster(cl), add = TRUE)
  }
  pids <- if (is.null(cl)) integer() else unlist(parallel::clusterCall(cl, Sys.getpid))
  invisible(gc())
  peak_reset <- reset_peak()
  rss_data <- status_mb("VmRSS")
  w_before <- workers_mem(pids)
  counters_before <- apply_counters()

  run <- time_runs(spec, X, cl)

  hwm <- status_mb("VmHWM")
  w_after <- workers_mem(pids)  # before anything else runs in the workers (or collects their garbage)
  ok_path <- path_ok(spec, counters_before, apply_counters(), length(run$times) + spec$ready)
  v <- unlist(run$res, use.names = FALSE)
  # the element-wise check costs an apply() (and its copy of X), so only where that is cheap
  check <- if (spec$ready || n <= 1000L) {
    ref <- apply(X, 2, if (spec$ready) quantile_fun else sd)
    isTRUE(all.equal(v, ref, tolerance = agree_tol))
  } else NA
  # RESULT impl n reps time_s length sum wsum rss_data_mb peak_mb peak_reset workers_before_mb
  #        workers_after_mb cluster_s path_ok check pid workers_anon_before_mb workers_anon_after_mb
  cat(paste("RESULT", impl, n, length(run$times), run$time, length(v), sprintf("%.17g", sum(v)),
            sprintf("%.17g", sum(v * seq_along(v))), rss_data, hwm, peak_reset, w_before[["private"]],
            w_after[["private"]], cluster_s, ok_path, check, Sys.getpid(), w_before[["anon"]], w_after[["anon"]],
            sep = "\t"), "\n", sep = "")
}

run_if_worker(run_worker)

# ---------------------------------------------------------------------------------------------------------
# Parent: one child per (implementation, n), then the table
# ---------------------------------------------------------------------------------------------------------

self <- script_path()
rscript <- file.path(R.home("bin"), "Rscript")
shm_before <- list.files("/dev/shm")
t_start <- Sys.time()
lib <- Sys.getenv("LAZYSHARE_LIB")
cat(sprintf("lazyshare %s (from %s), %s, %d cores, %d workers per cluster\n", packageVersion("lazyshare"),
            dirname(find.package("lazyshare")), R.version.string, parallel::detectCores(), workers))

optional <- c("memshare", "SharedObject")
present <- vapply(optional, requireNamespace, NA, quietly = TRUE)
for (p in optional[!present]) {
  cat(sprintf("%s: not installed (requireNamespace(\"%s\") is FALSE) -- skipped\n", p, p))
}
square_impls <- c("apply", "parApply", "lazyshare_workers", "lazyshare_fused", optional[present])
ready_impls <- c("ready_lazyshare", "ready_parApply", if (present[["memshare"]]) "ready_memshare")
runs <- rbind(expand.grid(impl = square_impls, n = sizes, stringsAsFactors = FALSE)[, c("impl", "n")],
              data.frame(impl = ready_impls, n = ready_dim[1], stringsAsFactors = FALSE))

run_child <- function(impl, n) {
  cat(sprintf("running %-17s n = %5d ...", impl, n))
  out <- suppressWarnings(system2(rscript, c(shQuote(self), "worker", impl, n), stdout = TRUE, stderr = TRUE))
  line <- grep("^RESULT\t", out, value = TRUE)
  if (length(line) != 1L) {
    cat(" FAILED\n", paste0("    | ", out, collapse = "\n"), "\n", sep = "")
    return(NULL)
  }
  f <- strsplit(line, "\t", fixed = TRUE)[[1L]]
  num <- function(x) if (x == "NA") NA_real_ else as.numeric(x)
  r <- data.frame(impl = f[2], n = as.integer(f[3]), reps = as.integer(f[4]), time_s = num(f[5]),
                  len = as.integer(f[6]), sum = num(f[7]), wsum = num(f[8]), rss_data_mb = num(f[9]),
                  peak_mb = num(f[10]), peak_reset = as.logical(f[11]), workers_before_mb = num(f[12]),
                  workers_after_mb = num(f[13]), cluster_s = num(f[14]), path_ok = as.logical(f[15]),
                  check = as.logical(f[16]), pid = as.integer(f[17]), workers_anon_before_mb = num(f[18]),
                  workers_anon_after_mb = num(f[19]), stringsAsFactors = FALSE)
  how <- if (grepl("^ready_", impl)) sprintf("mean of %d calls", r$reps)
         else if (r$reps > 1L) "median of 3" else "1 run"
  cluster <- if (is.na(r$cluster_s)) "" else sprintf(", cluster start-up %.2g s", r$cluster_s)
  cat(sprintf(" %.3g s (%s), peak %.0f MB%s\n", r$time_s, how, r$peak_mb, cluster))
  r
}

results <- do.call(rbind, Map(run_child, runs$impl, runs$n))
results$growth_mb <- results$peak_mb - results$rss_data_mb
results$workers_mb <- results$workers_after_mb - results$workers_before_mb
results$workers_anon_mb <- results$workers_anon_after_mb - results$workers_anon_before_mb
x_mb <- function(n) 8 * n^2 / 2^20
# As a share of X only where X is at least 1 MB: below, the workers' fixed costs (whole 4 kB pages of R's heap)
# would be thousands of per cent of a few kB of X and say nothing.
results$workers_pct <- ifelse(grepl("^ready_", results$impl) | x_mb(results$n) < 1, NA,
                              100 * results$workers_mb / x_mb(results$n))

value_of <- function(impl, n, col) {
  v <- results[[col]][results$impl == impl & results$n == n]
  if (length(v) == 1L) v else NA_real_
}

# Relative difference of two children's results: the larger of those of their sums and weighted sums.
disagreement <- function(a, b, n) {
  rel <- function(col) abs(value_of(a, n, col) - value_of(b, n, col)) / abs(value_of(b, n, col))
  max(rel("sum"), rel("wsum"))
}

# One table row: lazyshare's `ours` at n against `peer`.
row <- function(workload, ours, peer, n) {
  g <- function(impl, col) value_of(impl, n, col)
  data.frame(
    workload = workload, n = n, peer = sub("^ready_", "", peer),
    our_time_s = g(ours, "time_s"), peer_time_s = g(peer, "time_s"),
    ratio = g(peer, "time_s") / g(ours, "time_s"),
    our_peak_mb = g(ours, "peak_mb"), peer_peak_mb = g(peer, "peak_mb"),
    our_growth_mb = g(ours, "growth_mb"), peer_growth_mb = g(peer, "growth_mb"),
    our_workers_mb = g(ours, "workers_mb"), peer_workers_mb = g(peer, "workers_mb"),
    our_workers_pct = g(ours, "workers_pct"), peer_workers_pct = g(peer, "workers_pct"),
    our_workers_anon_mb = g(ours, "workers_anon_mb"), peer_workers_anon_mb = g(peer, "workers_anon_mb"),
    agree = disagreement(ours, peer, n),
    stringsAsFactors = FALSE)
}

square_peers <- setdiff(square_impls, c("lazyshare_workers", "lazyshare_fused"))
rows <- c(
  unlist(lapply(sizes, function(n) lapply(square_peers, function(p) row("sd, fused", "lazyshare_fused", p, n)))
         , recursive = FALSE),
  unlist(lapply(sizes, function(n) lapply(square_peers, function(p)
    row("sd, workers (FUSE = FALSE)", "lazyshare_workers", p, n))), recursive = FALSE),
  lapply(setdiff(ready_impls, "ready_lazyshare"), function(p)
    row(sprintf("ready cluster, quantile, X %d x %d, per call", ready_dim[1], ready_dim[2]),
        "ready_lazyshare", p, ready_dim[1])))
tab <- do.call(rbind, rows)

cat("\nTimes in seconds (median of 3 runs when a run takes < 1 s, else 1 run; ready cluster: mean of",
    ready_calls, "calls after a warm-up);\nratio = peer / lazyshare (> 1: lazyshare faster).",
    "peak = VmHWM of the child during the call (MB); growth = peak - RSS after creating X and the cluster.\n")
cat("workers = growth of the workers' summed private memory (Private_Clean + Private_Dirty) over the timed",
    "runs, MB and % of X's size\n(NA: no worker; % only where X >= 1 MB); workers_anon = the same for their",
    "anonymous memory (real copies).\nagree = relative difference of the result checksums",
    "(sum and index-weighted sum) of ours and the peer.\n\n")
shown <- tab
for (col in c("our_time_s", "peer_time_s")) shown[[col]] <- sprintf("%.3g", shown[[col]])
shown$ratio <- sprintf("%.3g", shown$ratio)
for (col in c("our_peak_mb", "peer_peak_mb")) shown[[col]] <- round(shown[[col]])
for (col in grep("(growth|workers|anon)_(mb|pct)$", names(shown), value = TRUE)) {
  shown[[col]] <- round(shown[[col]], 1)
}
shown$agree <- ifelse(is.na(tab$agree), NA, sprintf("%.1e", tab$agree))
old <- options(width = 300)
print(shown, row.names = FALSE, right = FALSE)
options(old)
startup <- results$cluster_s[!is.na(results$cluster_s)]
cat(sprintf("cluster start-up (makeCluster(%d) + loading the workers' package; not timed): %.2g-%.2g s\n",
            workers, min(startup), max(startup)))
if (!all(results$peak_reset)) {
  cat("note: VmHWM could not be reset in some children; their peak includes creating the data\n")
}

csv <- file.path(dirname(self), "memapply.csv")
write.csv(tab, csv, row.names = FALSE)
cat("\nwrote", csv, "\n")

# Checks: every result against apply's, the element-wise checks of the children, lazyshare's paths.
problems <- character()
for (n in sizes) for (impl in setdiff(square_impls, "apply")) {
  d <- disagreement(impl, "apply", n)
  if (is.na(d) || d >= agree_tol || !identical(value_of(impl, n, "len"), n)) {
    problems <- c(problems, sprintf("%s at n = %d: checksums differ from apply's by %.1e", impl, n, d))
  }
}
bad_check <- results[!is.na(results$check) & !results$check, ]
problems <- c(problems, sprintf("%s at n = %d: all.equal(unlist(res), apply(X, 2, FUN)) fails",
                                bad_check$impl, bad_check$n))
bad_path <- results[!is.na(results$path_ok) & !results$path_ok, ]
problems <- c(problems, sprintf("%s at n = %d: lazy_stats() counters show the wrong memApply path",
                                bad_path$impl, bad_path$n))
missing <- runs[!paste(runs$impl, runs$n) %in% paste(results$impl, results$n), ]
problems <- c(problems, sprintf("%s at n = %d: no result", missing$impl, missing$n))
if (length(problems)) {
  cat("WARNING:", paste(problems, collapse = "\nWARNING: "), "\n")
} else {
  cat(sprintf(paste("ok: every result agrees with apply's to < %.0e (element-wise at n <= 1000), and",
                    "lazy_stats() shows each lazyshare call on its path (fused / workers)\n"), agree_tol))
}

# No lazyshare page of this run may be left behind. memApply names the pages it makes after the process that
# calls it (namespace lzs_apply_<pid>_<k>), so pages of our children are told apart from those of other
# programs using lazyshare at the same time (a test suite, say); those are reported, but separately.
new_files <- setdiff(list.files("/dev/shm"), shm_before)
new_lzs <- grep("^lzs\\.", new_files, value = TRUE)
ours_pattern <- paste0("lzs_apply_(", paste(results$pid, collapse = "|"), ")_|memapplybench")
left_lzs <- grep(ours_pattern, new_lzs, value = TRUE)
if (length(left_lzs)) {
  cat("WARNING: leftover lazyshare pages of this run in /dev/shm:", paste(left_lzs, collapse = " "), "\n")
} else {
  cat("ok: no lzs.* file of this run left in /dev/shm\n")
}
others_lzs <- setdiff(new_lzs, left_lzs)
if (length(others_lzs)) {
  cat("WARNING: lzs.* files not named after this run's children appeared during the run (another program's?):",
      paste(others_lzs, collapse = " "), "\n")
}
other <- setdiff(new_files, new_lzs)
if (length(other)) cat("WARNING: other new files left in /dev/shm (peers?):", paste(other, collapse = " "), "\n")

# Goals
verdict <- function(ok) if (isTRUE(ok)) "met" else "not met"
cat(sprintf("\nwhole run: %.1f min\n\n", as.numeric(difftime(Sys.time(), t_start, units = "mins"))))
speed <- value_of("apply", 10000L, "time_s") / value_of("lazyshare_fused", 10000L, "time_s")
cat(sprintf(paste("goal 1: fused memApply >= 10x faster than apply(X, 2, sd) at n = 10^4",
                  "-> %.1fx (%.3g s vs %.3g s): %s\n"),
            speed, value_of("lazyshare_fused", 10000L, "time_s"), value_of("apply", 10000L, "time_s"),
            verdict(speed >= 10)))
big <- sizes[sizes >= 1000L]
par_ratio <- vapply(big, function(n) value_of("parApply", n, "time_s") / value_of("lazyshare_workers", n, "time_s"),
                    0)
cat(sprintf("goal 2: worker path no slower than parApply at every n >= 1000 -> %s: %s\n",
            paste(sprintf("n = %d: %.3g s vs %.3g s (%.2fx)", big,
                          vapply(big, value_of, 0, impl = "lazyshare_workers", col = "time_s"),
                          vapply(big, value_of, 0, impl = "parApply", col = "time_s"), par_ratio),
                  collapse = "; "),
            verdict(all(par_ratio >= 1))))
copies <- value_of("lazyshare_workers", 10000L, "workers_anon_mb")
pct <- 100 * copies / x_mb(10000)
cat(sprintf(paste("goal 3: worker path grows the workers' summed memory of copies (Anonymous) by <= 10%% of X at",
                  "n = 10^4 -> %.1f MB = %.2f%% of X's %.0f MB (private, see above: %.1f MB;",
                  "parApply's copies: %.0f MB = %.0f%%): %s\n"),
            copies, pct, x_mb(10000), value_of("lazyshare_workers", 10000L, "workers_mb"),
            value_of("parApply", 10000L, "workers_anon_mb"),
            100 * value_of("parApply", 10000L, "workers_anon_mb") / x_mb(10000), verdict(pct <= 10)))
ms <- 1000 * value_of("ready_lazyshare", ready_dim[1], "time_s")
cat(sprintf(paste("goal 4: memApply call on a ready cluster (non-fusable FUN, X %d x %d) <= 5 ms -> %.2f ms",
                  "(parApply: %.2f ms; memshare's measured: ~%.0f ms): %s\n"),
            ready_dim[1], ready_dim[2], ms, 1000 * value_of("ready_parApply", ready_dim[1], "time_s"),
            memshare_ready_ms, verdict(ms <= 5)))
