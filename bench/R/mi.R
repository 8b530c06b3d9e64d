# Benchmark of lazyshare::mi_scores, the mutual-information feature selection of the memshare paper (issue 9):
# rank the 19,637 genes of 10,446 RNA-seq samples by their MI with 32 diagnoses (the paper: ~2 h and 47 GB on
# 18 cores), against memshare's approach and parmigene::knnmi, side by side in one run.
#
# Run:   Rscript bench/R/mi.R        (~1 minute; needs ~2 GB of RAM and r-cran-parmigene)
#
# Data (synthetic, of the paper's shape; set.seed(1)): X is 10,446 x 19,637 doubles (1.5 GiB), made a block of
# columns at a time (so that no temporary is larger than a block). Column j is log-expression-like:
# mean_j + sd_j * N(0, 1), mean_j ~ U(2, 12), sd_j ~ U(0.5, 2). 300 columns at random positions are informative:
# class c adds effect_j * sd_j * z_cj (z_cj ~ N(0, 1), drawn per column), with effect_j spread evenly over
# [0.05, 1] (between-class sd of the means in within-class sd's). y: 32 classes of unequal sizes (probabilities
# proportional to rank^-0.8, from ~1,300 down to ~80 samples).
#
# Workloads:
#   1. ours, full:    lazyshare::mi_scores(X, y) (method "pde"), all columns in parallel in this process;
#   2. ours, lazy:    lazyshare::mi_scores(log2(abs(lazy(X)) + 1), y): a lazy matrix over the same X, evaluated
#                     a column at a time per thread; lazy_stats()$materializations must not move;
#   3. memshare:      memshare's per-column MI written in R (memshare_mi.R: ParetoRadius_fast with its 10,000-value
#                     sample, a 512-point grid, per-class histograms, the Eilers smoother as a dense 512 x 512
#                     solve, the class-weighted KL sum), run as the paper ran it: memApply's worker path,
#                     lazyshare::memApply(X_sub, 2, memshare_mi, VARS = list(y = y), FUSE = FALSE), on 2 PSOCK
#                     workers reading X_sub from shared memory;
#   4. parmigene:     parmigene::knnmi(x, as.numeric(y), k = 3) per column (the KSG estimator), on 2 forked
#                     workers (parallel::mclapply), so that it has the 2 cores the others have.
# 3 and 4 run on a random subsample of `sub_cols` columns of X (`sub_informative` of them informative, the rest
# noise) and are extrapolated linearly to all columns (each column is independent work of the same size). The subsample is also scored by mi_scores, so that the
# table has one row of measured times against measured times too. The cluster of 3 is made before timing (its
# start-up is printed, not timed), and one warm-up call on 2 columns sends FUN to it and builds each worker's
# smoother matrix: both are one-off costs that a linear extrapolation would otherwise multiply by ~200.
#
# Method: unlike the other bench/R scripts, everything runs in this one process, because only our memory is
# measured (the peers run in workers of their own) and the 1.5 GiB X would otherwise be made twice. Each of our
# calls runs once (they take seconds) after gc(): reset VmHWM to the current RSS (helpers.R), time with
# Sys.time(), and growth = VmHWM after the call - VmRSS before it, in MB and % of X's size.
# Checks printed: where the 300 informative columns rank; that memshare_mi agrees with
# lazyshare::mutualinfo(x, y, isYDiscrete = TRUE, method = "memshare") to 1e-8 on two columns cut to 10,000
# rows (no radius sample is drawn at n <= 10,000, so both are deterministic); the lazy scores against
# mutualinfo() of the materialised expression on a few columns; the rank correlation of each peer's scores
# with ours on the subsample, and how many of its informative columns each method ranks on top of it; that memApply took the worker path; that no lzs.* page of this run is left.
# The table (ratio = peer time / our time, > 1 means lazyshare is faster) is written to mi.csv next to this
# script, then the goal lines of issue 9.
#
# Only base R, parallel, lazyshare and parmigene are used.

n_rows <- 10446L
n_cols <- 19637L
n_classes <- 32L
n_informative <- 300L
effects <- seq(0.05, 1, length.out = n_informative)  # effect sizes of the informative columns
large_effect <- 0.5                                  # "large" for the ranking check
block_cols <- 512L                                   # columns generated at a time
sub_cols <- 100L        # subsample for the peers: ~2 s of memshare_mi on 2 workers, enough to time reliably
sub_informative <- 20L  # of which informative, so that comparing the peers' scores with ours means something
workers <- 2L           # the bench machine has 2 cores
knn_k <- 3L
lazy_checks <- 3L       # columns of the lazy matrix checked against the materialised expression
parity_tol <- 1e-8
goal_s <- 30            # issue 9: the full matrix in <= 30 s
goal_pct <- 30          # issue 9: peak growth < 30 % of the data's size

self_dir <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
source(file.path(self_dir, "helpers.R"))
source(file.path(self_dir, "memshare_mi.R"))

# ---------------------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------------------

make_labels <- function() {
  prob <- (1:n_classes)^-0.8
  sample.int(n_classes, n_rows, replace = TRUE, prob = prob)
}

# X a block of columns at a time, filled in place (X is the only reference to its matrix, so `X[, cols] <-`
# does not copy it). Returns X and which columns are informative with what effect.
make_matrix <- function(y) {
  informative <- sort(sample.int(n_cols, n_informative))
  effect <- numeric(n_cols)
  effect[informative] <- sample(effects)  # effect sizes in random column order
  col_mean <- stats::runif(n_cols, 2, 12)
  col_sd <- stats::runif(n_cols, 0.5, 2)
  X <- matrix(0, n_rows, n_cols)
  for (first in seq(1L, n_cols, by = block_cols)) {
    cols <- first:min(first + block_cols - 1L, n_cols)
    B <- matrix(stats::rnorm(n_rows * length(cols)), n_rows, length(cols))
    B <- B * rep(col_sd[cols], each = n_rows) + rep(col_mean[cols], each = n_rows)
    for (k in which(effect[cols] > 0)) {
      j <- cols[k]
      class_shift <- effect[j] * col_sd[j] * stats::rnorm(n_classes)
      B[, k] <- B[, k] + class_shift[y]
    }
    X[, cols] <- B
  }
  list(X = X, informative = informative, effect = effect)
}

# ---------------------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------------------

# One timed call of ours with its memory growth (see the header), and how many materialisations it caused.
time_ours <- function(call) {
  invisible(gc())
  peak_reset <- reset_peak()
  rss_before <- status_mb("VmRSS")
  mat_before <- lazyshare::lazy_stats()$materializations
  s <- elapsed(scores <- call())
  list(scores = scores, time = s, growth_mb = status_mb("VmHWM") - rss_before, peak_reset = peak_reset,
       materializations = lazyshare::lazy_stats()$materializations - mat_before)
}

# A PSOCK cluster with lazyshare loaded and reproducible random streams (memshare_mi draws radius samples).
make_workers <- function() {
  cl <- parallel::makeCluster(workers)
  parallel::clusterCall(cl, function() suppressPackageStartupMessages(loadNamespace("lazyshare")))
  parallel::clusterSetRNGStream(cl, 1)
  cl
}

# memshare's approach on memApply's worker path (on the ready cluster `cl`, after a warm-up: see the header).
run_memshare <- function(X_sub, y, cl) {
  memshare_apply <- function(M) {
    lazyshare::memApply(M, 2, memshare_mi, VARS = list(y = y), FUSE = FALSE, CLUSTER = cl)
  }
  memshare_apply(X_sub[, seq_len(workers), drop = FALSE])
  workers_before <- lazyshare::lazy_stats()$worker_applies
  s <- elapsed(res <- memshare_apply(X_sub))
  list(scores = unlist(res, use.names = FALSE), time = s,
       worker_path = lazyshare::lazy_stats()$worker_applies - workers_before == 1)
}

run_knnmi <- function(X_sub, y) {
  y_num <- as.numeric(y)
  one <- function(j) parmigene::knnmi(X_sub[, j], y_num, k = knn_k)
  s <- elapsed(res <- parallel::mclapply(seq_len(ncol(X_sub)), one, mc.cores = workers))
  list(scores = unlist(res), time = s)
}

# ---------------------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------------------

# Where the informative columns rank among all the columns.
ranking_check <- function(s, data) {
  rank_of <- integer(n_cols)
  rank_of[attr(s, "ranking")] <- seq_len(n_cols)
  inf_rank <- rank_of[data$informative]
  large <- data$informative[data$effect[data$informative] >= large_effect]
  worst_large <- max(rank_of[large])
  noise_best <- min(rank_of[-data$informative])
  cat(sprintf(paste("ranking: %d of the %d informative columns are in the top %d; the worst of the %d with",
                    "effect >= %.2g ranks %d; the best noise column ranks %d\n"),
              sum(inf_rank <= n_informative), n_informative, n_informative, length(large), large_effect,
              worst_large, noise_best))
  missed <- data$informative[inf_rank > n_informative]
  if (length(missed)) {
    cat(sprintf("         the informative columns below the top %d have effects %.3g-%.3g (of %.3g-%.3g)\n",
                n_informative, min(data$effect[missed]), max(data$effect[missed]), min(effects), max(effects)))
  }
  list(in_top = sum(inf_rank <= n_informative), worst_large = worst_large)
}

# memshare_mi (R) against lazyshare's memshare mode, on the first 10,000 rows of an informative and a noise
# column: at n <= 10,000 no radius sample is drawn, so the two must agree to rounding.
parity_check <- function(X, y, data) {
  rows <- seq_len(10000L)
  cols <- c(data$informative[which.max(data$effect[data$informative])], setdiff(seq_len(n_cols), data$informative)[1])
  rel <- vapply(cols, function(j) {
    ours <- lazyshare::mutualinfo(X[rows, j], y[rows], isYDiscrete = TRUE, method = "memshare")
    r <- memshare_mi(X[rows, j], y[rows])
    cat(sprintf("parity: column %5d, n = 10,000: memshare_mi (R) %.17g, mutualinfo(method = \"memshare\") %.17g\n",
                j, r, ours))
    abs(r - ours) / abs(ours)
  }, 0)
  ok <- all(rel < parity_tol)
  cat(sprintf("parity: largest relative difference %.1e: %s\n", max(rel),
              if (ok) sprintf("ok (< %.0e)", parity_tol) else "WRONG: memshare_mi does not transcribe memshare"))
  ok
}

# The lazy scores against mutualinfo() of the expression materialised, on a few columns.
lazy_check <- function(lazy_scores, X, y, data) {
  cols <- c(data$informative[1:2], setdiff(seq_len(n_cols), data$informative)[1])[seq_len(lazy_checks)]
  ref <- vapply(cols, function(j) lazyshare::mutualinfo(log2(abs(X[, j]) + 1), y, isYDiscrete = TRUE), 0)
  ok <- identical(unclass(lazy_scores)[cols], ref)
  cat(sprintf("lazy: scores of columns %s equal mutualinfo(log2(abs(X[, j]) + 1), y): %s\n",
              paste(cols, collapse = ", "), if (ok) "ok" else "DIFFERENT"))
  ok
}

# ---------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------

t_start <- Sys.time()
shm_before <- list.files("/dev/shm")
invisible(suppressPackageStartupMessages({ loadNamespace("lazyshare"); loadNamespace("parmigene") }))
lazyshare::lazy_options(progress = FALSE)  # its progress lines would break up the table's output
cat(sprintf("lazyshare %s, parmigene %s, %s, %d cores\n", packageVersion("lazyshare"),
            packageVersion("parmigene"), R.version.string, parallel::detectCores()))

set.seed(1)
y <- make_labels()
gen_s <- elapsed(data <- make_matrix(y))
X <- data$X
data$X <- NULL
x_mb <- 8 * n_rows * n_cols / 2^20
sub <- sort(c(sample(data$informative, sub_informative),
              sample(setdiff(seq_len(n_cols), data$informative), sub_cols - sub_informative)))
X_sub <- X[, sub]
cat(sprintf("X: %d x %d doubles (%.0f MB), made in %.1f s; %d classes of %d-%d samples; %d informative columns\n",
            n_rows, n_cols, x_mb, gen_s, n_classes, min(tabulate(y)), max(tabulate(y)), n_informative))

cat("ours, full matrix ...")
full <- time_ours(function() lazyshare::mi_scores(X, y))
cat(sprintf(" %.1f s, peak growth %.0f MB\n", full$time, full$growth_mb))
cat("ours, lazy matrix ...")
lazy <- time_ours(function() lazyshare::mi_scores(log2(abs(lazyshare::lazy(X)) + 1), y))
cat(sprintf(" %.1f s, peak growth %.0f MB, %d materialisations\n", lazy$time, lazy$growth_mb,
            lazy$materializations))
cat(sprintf("ours, %d-column subsample ...", sub_cols))
ours_sub <- time_ours(function() lazyshare::mi_scores(X_sub, y))
cat(sprintf(" %.3g s\n", ours_sub$time))

cluster_s <- elapsed(cl <- make_workers())
cat(sprintf("memshare's approach (R) on %d memApply workers, %d columns ...", workers, sub_cols))
memshare <- run_memshare(X_sub, y, cl)
parallel::stopCluster(cl)
cat(sprintf(" %.3g s (cluster start-up, not timed: %.2g s)\n", memshare$time, cluster_s))
cat(sprintf("parmigene::knnmi on %d forked workers, %d columns ...", workers, sub_cols))
knn <- run_knnmi(X_sub, y)
cat(sprintf(" %.3g s\n\n", knn$time))

# The table
extrapolate <- function(t) t * n_cols / sub_cols
row <- function(workload, cols, ours, peer, peer_s, peer_time) {
  data.frame(workload = workload, cols = cols, our_time_s = ours$time, peer = peer, peer_time_s = peer_s,
             peer_time = peer_time, ratio = peer_s / ours$time, our_growth_mb = ours$growth_mb,
             our_growth_pct = 100 * ours$growth_mb / x_mb, stringsAsFactors = FALSE)
}
extrapolated <- function(t) sprintf("extrapolated from %d cols (%.3g s)", sub_cols, t)
memshare_peer <- "memshare's R MI via memApply workers"
knn_peer <- "parmigene::knnmi, k = 3"
tab <- rbind(
  row("mi_scores(X, y), full matrix", n_cols, full, memshare_peer, extrapolate(memshare$time),
      extrapolated(memshare$time)),
  row("mi_scores(X, y), full matrix", n_cols, full, knn_peer, extrapolate(knn$time), extrapolated(knn$time)),
  row("mi_scores(log2(abs(lazy(X)) + 1), y)", n_cols, lazy, NA, NA, NA),
  row("mi_scores(X_sub, y), subsample", sub_cols, ours_sub, memshare_peer, memshare$time, "measured"),
  row("mi_scores(X_sub, y), subsample", sub_cols, ours_sub, knn_peer, knn$time, "measured"))

cat("Times in seconds, one run each; ratio = peer / ours (> 1: lazyshare faster). Ours: all columns in parallel",
    "on", workers, "cores in this process;\npeers: on", workers, "workers, per column. growth = peak RSS",
    "(VmHWM) during our call - RSS before it; % of X's", sprintf("%.0f MB.", x_mb),
    "The growth of the subsample rows is also given as % of X.\n\n")
shown <- tab
for (col in c("our_time_s", "peer_time_s", "ratio")) shown[[col]] <- sprintf("%.3g", shown[[col]])
shown$our_growth_mb <- round(shown$our_growth_mb, 1)
shown$our_growth_pct <- sprintf("%.2f", shown$our_growth_pct)
old <- options(width = 250)
print(shown, row.names = FALSE, right = FALSE)
options(old)
if (!all(full$peak_reset, lazy$peak_reset, ours_sub$peak_reset)) {
  cat("note: VmHWM could not be reset; the peaks include creating the data\n")
}
csv <- file.path(self_dir, "mi.csv")
write.csv(tab, csv, row.names = FALSE)
cat("\nwrote", csv, "\n\n")

# Checks
rank <- ranking_check(full$scores, data)
parity_ok <- parity_check(X, y, data)
lazy_ok <- lazy_check(lazy$scores, X, y, data)
cat(sprintf("lazy: %d materialisations during the lazy call (must be 0)\n", lazy$materializations))
ours_on_sub <- unclass(full$scores)[sub]
cat(sprintf(paste("subsample: our scores of the subsample from the full run and from mi_scores(X_sub, y) are",
                  "%s; Spearman correlation with ours: memshare's R MI %.3f, knnmi %.3f\n"),
            if (identical(ours_on_sub, as.vector(unclass(ours_sub$scores)))) "identical" else "DIFFERENT",
            stats::cor(ours_on_sub, memshare$scores, method = "spearman"),
            stats::cor(ours_on_sub, knn$scores, method = "spearman")))
# How many of the subsample's informative columns each method puts in the subsample's top sub_informative.
in_top_sub <- function(v) sum(sub[order(-v)][seq_len(sub_informative)] %in% data$informative)
cat(sprintf("subsample: informative columns in its top %d: ours %d, memshare's R MI %d, knnmi %d (of %d)\n",
            sub_informative, in_top_sub(ours_on_sub), in_top_sub(memshare$scores), in_top_sub(knn$scores),
            sub_informative))
cat(sprintf("memApply: %s\n", if (isTRUE(memshare$worker_path)) "took the worker path (lazy_stats)" else
  "DID NOT take the worker path"))
new_lzs <- grep(sprintf("^lzs\\..*lzs_apply_%d_", Sys.getpid()), setdiff(list.files("/dev/shm"), shm_before),
                value = TRUE)
cat(if (length(new_lzs)) paste("WARNING: leftover pages in /dev/shm:", paste(new_lzs, collapse = " "))
    else "ok: no lzs.* page of this run left in /dev/shm", "\n")

# Goals
verdict <- function(ok) if (isTRUE(ok)) "met" else "NOT met"
full_pct <- 100 * full$growth_mb / x_mb
cat(sprintf("\nwhole run: %.1f min\n\n", as.numeric(difftime(Sys.time(), t_start, units = "mins"))))
cat(sprintf("goal: the full matrix (%d x %d, %d classes) in <= %d s -> %.1f s: %s\n", n_rows, n_cols, n_classes,
            goal_s, full$time, verdict(full$time <= goal_s)))
cat(sprintf("goal: peak growth < %d%% of the data's size -> %.0f MB = %.1f%% of %.0f MB: %s\n", goal_pct,
            full$growth_mb, full_pct, x_mb, verdict(full_pct < goal_pct)))
cat(sprintf(paste("goal: lazy matrix not materialised -> %.1f s, peak growth %.0f MB = %.1f%% of X,",
                  "%d materialisations: %s\n"), lazy$time, lazy$growth_mb, 100 * lazy$growth_mb / x_mb,
            lazy$materializations, verdict(lazy$materializations == 0 && lazy$growth_mb < 0.1 * x_mb)))
cat(sprintf(paste("goal: informative columns ranked on top -> %d of %d in the top %d, worst rank of the",
                  "effect >= %.2g ones %d\n"), rank$in_top, n_informative, n_informative, large_effect,
            rank$worst_large))
cat(sprintf("speed-up: %.0fx memshare's approach (extrapolated), %.1fx parmigene::knnmi (extrapolated)\n",
            extrapolate(memshare$time) / full$time, extrapolate(knn$time) / full$time))
