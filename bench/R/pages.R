# Benchmark of lazyshare's pages against the peers that share a matrix between R processes.
#
# Run:   Rscript bench/R/pages.R
#
# For square double matrices X (n x n, n = 10^3 and 10^4; 10^4 is 0.8 GB) it measures, side by side:
#   - lazyshare: registerVariables (copy of X into a /dev/shm page), retrieveViews (zero-copy ALTREP view),
#     colSums over the view, release (releaseViews + releaseVariables, then rm(view) + gc());
#   - bigmemory: as.big.matrix(X, shared = TRUE) (copy into shared memory), describe() + attach.big.matrix(),
#     colSums over the big.matrix, release (rm + gc, which runs the finalizer that frees the segment);
#   - memshare, only when installed: the same four calls as lazyshare (memshare's API is the same);
#   - plain R: colSums on the ordinary matrix X (the floor for the colSums rows).
# Release includes rm(view) + gc() for every package: lazyshare and memshare unmap a view only when it is
# garbage collected, bigmemory frees its segment only then, so without gc() we would compare deferred work
# with done work.
# Each child repeats the cycle register -> retrieve -> colSums -> release (7 times at n = 10^3, 3 times at
# 10^4) and reports the median of each step, plus the first registration on its own: the first touch of
# fresh memory is much slower on this VM (the host backs guest memory lazily), and a user registering a
# matrix once pays it.
# Each (package, n) runs in a fresh child process (`Rscript pages.R worker <package> <n> <namespace>`), so
# that its peak resident memory (VmHWM) is its own. The child prints one machine-readable RESULT line, the
# parent collects them, prints one table (ratio = peer time / lazyshare time, > 1 means lazyshare is faster)
# and writes it to pages.csv next to this script. Afterwards it checks that no lzs.* page is left in /dev/shm.
#
# Only base R, bigmemory and (optionally) memshare are used.

ns_base <- sprintf("pagesbench%d", Sys.getpid())  # the parent's pid makes the page names of this run unique
sizes <- c(1000L, 10000L)
memshare_spec_s <- 0.79  # memshare's registerVariables time for 0.8 GB, measured in the spec

# ---------------------------------------------------------------------------------------------------------
# Helpers used by both parent and child
# ---------------------------------------------------------------------------------------------------------

source(file.path(dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))),
                 "helpers.R"))

# ---------------------------------------------------------------------------------------------------------
# Child: one package at one n
# ---------------------------------------------------------------------------------------------------------

# Sum of the columns of a big.matrix. bigmemory alone has no colSums over its own memory: every R-level
# access bm[i, j] copies into an ordinary R matrix, so colSums(bm[, ]) would copy all 0.8 GB at once.
# biganalytics::colsum() sums in C++ without copying and is used when installed; otherwise we copy one block
# of 256 columns at a time (20 MB at n = 10^4) and sum it, which is what a bigmemory user writes. The copy
# cost is then part of bigmemory's colSums time (and is the honest price of reading a big.matrix from R).
bm_colsums_method <- function() {
  if (requireNamespace("biganalytics", quietly = TRUE)) "biganalytics::colsum (no copy)"
  else "256-column blocks copied into R (biganalytics is not installed)"
}
bm_colsums <- function(bm, block = 256L) {
  if (requireNamespace("biganalytics", quietly = TRUE)) return(biganalytics::colsum(bm))
  p <- ncol(bm)
  out <- numeric(p)
  for (j in seq(1L, p, by = block)) {
    cols <- j:min(j + block - 1L, p)
    out[cols] <- colSums(bm[, cols, drop = FALSE])
  }
  out
}

# One cycle register -> retrieve -> colSums -> release; returns the four elapsed times and the column sums.
# Each cycle releases what it created even when a step fails (on.exit), so no page outlives the child.
cycle_lazyshare <- function(X, ns) {
  registered <- FALSE; viewed <- FALSE
  on.exit({
    if (viewed) try(lazyshare::releaseViews(ns, "X"), silent = TRUE)
    if (registered) try(lazyshare::releaseVariables(ns, "X"), silent = TRUE)
  })
  t_reg <- elapsed(lazyshare::registerVariables(ns, list(X = X)))
  registered <- TRUE
  t_ret <- elapsed(v <- lazyshare::retrieveViews(ns, "X"))
  viewed <- TRUE
  t_cs <- elapsed(s <- colSums(v$X))
  t_api <- elapsed({ lazyshare::releaseViews(ns, "X"); lazyshare::releaseVariables(ns, "X") })
  viewed <- FALSE; registered <- FALSE
  t_rel <- t_api + elapsed({ rm(v); invisible(gc()) })
  list(times = c(t_reg, t_ret, t_cs, t_rel), sums = s, release_api = t_api)
}

cycle_memshare <- function(X, ns) {
  registered <- FALSE; viewed <- FALSE
  on.exit({
    # memshare wants views released (and no R object left on them) before the variable is released
    if (exists("v", inherits = FALSE)) rm(v)
    if (viewed) try(memshare::releaseViews(ns, "X"), silent = TRUE)
    if (registered) try(memshare::releaseVariables(ns, "X"), silent = TRUE)
  })
  t_reg <- elapsed(memshare::registerVariables(ns, list(X = X)))
  registered <- TRUE
  t_ret <- elapsed(v <- memshare::retrieveViews(ns, "X"))
  viewed <- TRUE
  t_cs <- elapsed(s <- colSums(v$X))
  t_rel <- elapsed({
    rm(v); memshare::releaseViews(ns, "X"); memshare::releaseVariables(ns, "X"); invisible(gc())
  })
  viewed <- FALSE; registered <- FALSE
  list(times = c(t_reg, t_ret, t_cs, t_rel), sums = s)
}

cycle_bigmemory <- function(X, ns) {
  # the segment of a shared big.matrix is freed by the finalizer of its last R object, so cleanup = rm + gc
  on.exit({ suppressWarnings(rm(list = intersect(c("bm", "bm2"), ls()))); invisible(gc()) })
  t_reg <- elapsed(bm <- bigmemory::as.big.matrix(X, type = "double", shared = TRUE))
  t_ret <- elapsed({ d <- bigmemory::describe(bm); bm2 <- bigmemory::attach.big.matrix(d) })
  t_cs <- elapsed(s <- bm_colsums(bm2))
  t_rel <- elapsed({ rm(bm, bm2); invisible(gc()) })
  list(times = c(t_reg, t_ret, t_cs, t_rel), sums = s)
}

cycle_base <- function(X, ns) {
  t_cs <- elapsed(s <- colSums(X))
  list(times = c(NA, NA, t_cs, NA), sums = s)
}

run_worker <- function(pkg, n, ns) {
  if (pkg != "base") suppressPackageStartupMessages(loadNamespace(pkg))
  # identical to matrix(rnorm(n * n), n), without matrix()'s second 0.8 GB copy
  set.seed(1)
  X <- rnorm(n * n)
  dim(X) <- c(n, n)
  reference <- colSums(X)
  invisible(gc())
  rss_x <- status_mb("VmRSS")
  peak_reset <- reset_peak()

  cycle <- switch(pkg, lazyshare = cycle_lazyshare, memshare = cycle_memshare,
                  bigmemory = cycle_bigmemory, base = cycle_base, stop("unknown package ", pkg))
  reps <- if (n <= 1000L) 7L else 3L
  times <- matrix(NA_real_, reps, 4L)
  api <- rep(NA_real_, reps)  # lazyshare: releaseViews + releaseVariables alone, without rm + gc
  for (r in seq_len(reps)) {
    res <- cycle(X, ns)
    if (!isTRUE(all.equal(res$sums, reference))) stop(pkg, ": colSums differ from colSums(X)")
    times[r, ] <- res$times
    if (!is.null(res$release_api)) api[r] <- res$release_api
    rm(res)
  }
  med <- apply(times, 2L, median)
  release_api <- median(api)
  hwm <- status_mb("VmHWM")
  method <- if (pkg == "bigmemory") bm_colsums_method() else ""
  # RESULT pkg n reps register_first register retrieve colSums release release_api rss_x_mb peak_mb
  #        peak_reset method
  cat(paste("RESULT", pkg, n, reps, times[1, 1], med[1], med[2], med[3], med[4], release_api, rss_x, hwm,
            peak_reset, method, sep = "\t"), "\n", sep = "")
}

args <- commandArgs(trailingOnly = TRUE)
if (length(args) >= 1L && args[1L] == "worker") {
  run_worker(args[2L], as.integer(args[3L]), args[4L])
  quit(save = "no", status = 0L)
}

# ---------------------------------------------------------------------------------------------------------
# Parent: one child per (package, n), then the table
# ---------------------------------------------------------------------------------------------------------

self <- script_path()
rscript <- file.path(R.home("bin"), "Rscript")
have_memshare <- requireNamespace("memshare", quietly = TRUE)
packages <- c("lazyshare", "bigmemory", if (have_memshare) "memshare", "base")

shm_before <- list.files("/dev/shm")

run_child <- function(pkg, n) {
  ns <- paste0(ns_base, pkg)
  cat(sprintf("running %-9s n = %5d ...", pkg, n))
  out <- suppressWarnings(system2(rscript, c(shQuote(self), "worker", pkg, n, ns), stdout = TRUE, stderr = TRUE))
  line <- grep("^RESULT\t", out, value = TRUE)
  if (length(line) != 1L) {
    cat(" FAILED\n", paste0("    | ", out, collapse = "\n"), "\n", sep = "")
    return(NULL)
  }
  f <- strsplit(line, "\t", fixed = TRUE)[[1L]]
  num <- function(x) if (x == "NA") NA_real_ else as.numeric(x)
  cat(" done\n")
  data.frame(pkg = f[2], n = as.integer(f[3]), reps = as.integer(f[4]), register_first = num(f[5]),
             register = num(f[6]), retrieve = num(f[7]), colSums = num(f[8]), release = num(f[9]),
             release_api = num(f[10]), rss_x_mb = num(f[11]), peak_mb = num(f[12]),
             peak_reset = as.logical(f[13]), method = if (length(f) >= 14L) f[14] else "",
             stringsAsFactors = FALSE)
}

results <- do.call(rbind, unlist(lapply(sizes, function(n) lapply(packages, run_child, n = n)),
                                 recursive = FALSE))
if (!have_memshare) cat("memshare: not installed (requireNamespace(\"memshare\") is FALSE) -- skipped\n")

value_of <- function(pkg, n, col) {
  v <- results[[col]][results$pkg == pkg & results$n == n]
  if (length(v) == 1L) v else NA_real_
}

peer_label <- function(pkg) if (pkg == "base") "plain R matrix" else pkg

rows <- list()
for (n in sizes) {
  for (step in c("register_first", "register", "retrieve", "colSums", "release")) {
    for (peer in setdiff(packages, "lazyshare")) {
      if (peer == "base" && step != "colSums") next
      if (!peer %in% results$pkg) next
      ours <- value_of("lazyshare", n, step)
      theirs <- value_of(peer, n, step)
      rows[[length(rows) + 1L]] <- data.frame(
        workload = if (step == "register_first") sprintf("register 10^%d, 1st run", round(log10(n)))
                   else sprintf("%s 10^%d", step, round(log10(n))),
        n = n, peer = peer_label(peer),
        our_time_s = ours, peer_time_s = theirs, ratio = theirs / ours,
        our_peak_mb = value_of("lazyshare", n, "peak_mb"), peer_peak_mb = value_of(peer, n, "peak_mb"),
        our_peak_delta_mb = value_of("lazyshare", n, "peak_mb") - value_of("lazyshare", n, "rss_x_mb"),
        peer_peak_delta_mb = value_of(peer, n, "peak_mb") - value_of(peer, n, "rss_x_mb"),
        stringsAsFactors = FALSE)
    }
  }
}
tab <- do.call(rbind, rows)

cat("\nTimes in seconds, median of", paste(sprintf("%d cycles at n = %d", tapply(results$reps, results$n, max),
                                                  sort(unique(results$n))), collapse = " and "),
    "(\"1st run\": the first registration alone). ratio = peer / lazyshare (> 1: lazyshare faster).\n")
cat("Peak = VmHWM of the child over the benchmarked steps (MB); delta = peak - RSS just after creating X.\n")
cat("RSS counts shared pages once per mapping that touched them (a view, a big.matrix), not pwrite()s;\n",
    "bigmemory's segment is mapped twice in its child (as.big.matrix and attach.big.matrix), so counted twice.\n\n",
    sep = "")
shown <- tab
for (col in c("our_time_s", "peer_time_s")) shown[[col]] <- sprintf("%.3g", shown[[col]])
shown$ratio <- round(shown$ratio, 2)
for (col in grep("_mb$", names(shown), value = TRUE)) shown[[col]] <- round(shown[[col]])
old <- options(width = 250)
print(shown, row.names = FALSE, right = FALSE)
options(old)
if ("bigmemory" %in% results$pkg) {
  cat("bigmemory's colSums:", unique(results$method[results$pkg == "bigmemory"]),
      "(see bm_colsums in the script)\n")
}
cat("lazyshare's release without rm(view) + gc() (releaseViews + releaseVariables alone):",
    paste(sprintf("%.3g s at n = %d", results$release_api[results$pkg == "lazyshare"],
                  results$n[results$pkg == "lazyshare"]), collapse = ", "), "\n")
if (!all(results$peak_reset)) {
  cat("note: VmHWM could not be reset in some children; their peak includes creating X\n")
}

csv <- file.path(dirname(self), "pages.csv")
write.csv(tab, csv, row.names = FALSE)
cat("\nwrote", csv, "\n")

# No page of this run may be left behind.
shm_after <- list.files("/dev/shm")
new_files <- setdiff(shm_after, shm_before)
left_lzs <- c(grep("^lzs\\.", new_files, value = TRUE),
              grep(paste0("^lzs\\..*\\.", ns_base), setdiff(shm_after, new_files), value = TRUE))
if (length(left_lzs)) {
  cat("WARNING: leftover lazyshare pages in /dev/shm:", paste(left_lzs, collapse = " "), "\n")
} else {
  cat("ok: no lzs.* page of this run left in /dev/shm\n")
}
other <- setdiff(new_files, left_lzs)
if (length(other)) cat("WARNING: other new files left in /dev/shm (peers?):", paste(other, collapse = " "), "\n")

t_reg <- value_of("lazyshare", 10000L, "register")
t_first <- value_of("lazyshare", 10000L, "register_first")
verdict <- function(t) if (is.na(t)) "not measured" else if (t < memshare_spec_s) "met" else "NOT met"
cat(sprintf("goal: register 0.8 GB faster than memshare's %.2f s on this machine -> lazyshare %s s (%s; median of %s)",
            memshare_spec_s, format(signif(t_reg, 3)), verdict(t_reg), value_of("lazyshare", 10000L, "reps")),
    sprintf("[1st run alone: %s s, %s]\n", format(signif(t_first, 3)), verdict(t_first)))
