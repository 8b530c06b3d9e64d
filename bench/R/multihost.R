# memApply over 1, 2 and 3 shared-memory domains against parallel::parApply on the same cluster, side by
# side in one run.
#
# Run:   Rscript bench/R/multihost.R      (~3 minutes; needs root for the simulated hosts, see below)
#
# Hosts: the master's host plus 0, 1 or 2 simulated hosts (tests/e2e/hosts.R: a mount namespace with its own
# tmpfs on /dev/shm per host; its workers cannot open the master's pages, as on another machine; the
# "network" is loopback TCP). 2 PSOCK workers per domain, so 2, 4 and 6 workers (on a machine of 2 cores:
# compute does not scale with workers here; what differs is what is sent and copied).
# Workloads (FUNs not fusable: both run them on workers, column by column):
#   q30    X <- matrix(rnorm(1e4 * 2000), 1e4) (153 MB), FUN = function(v) quantile(v, 0.3)[[1]];
#   proj   X <- matrix(rnorm(1e4 * 400), 1e4) (31 MB) and VARS Y <- matrix(rnorm(1e4 * 100), 1e4) (8 MB)
#          that FUN needs whole for every column: FUN = function(v, Y) quantile(crossprod(Y, v), 0.3)[[1]].
#   memApply   memApply(X, 2, FUN, CLUSTER = cl, VARS = ...): X and Y are pages here, sent once to one worker
#              per other domain;
#   parApply   parallel::parApply(cl, X, 2, FUN, Y = Y): X split, each worker gets its share (X crosses the
#              wire once per call, in pieces), and Y goes whole with every worker's share.
# Each (domains, implementation) is timed 3 times on a ready cluster (after a warm-up call on a small X); the
# table gives the median time. Bytes sent = what the workers received over their sockets during one call
# (from `ss`, summed over workers). Peak memory = per worker, its peak RSS during the call (VmHWM, reset
# before via /proc/<pid>/clear_refs) minus its RSS before; the table gives the largest over workers and the
# sum over workers. RSS counts the shared pages a worker maps as well as its private copies.
# Results are checked identical to apply(X, 2, FUN) for every call. Writes multihost.csv next to this script.

here <- dirname(normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))))
suppressPackageStartupMessages(library(lazyshare))
library(parallel)
source(file.path(here, "..", "..", "tests", "e2e", "hosts.R"))

q30 <- function(v) quantile(v, 0.3)[[1]]
proj <- function(v, Y) quantile(crossprod(Y, v), 0.3)[[1]]
runs <- 3L

status_kb <- function(pid, key) {
  st <- readLines(sprintf("/proc/%d/status", pid))
  as.numeric(sub(sprintf("^%s:\\s*([0-9]+) kB$", key), "\\1", grep(paste0("^", key, ":"), st, value = TRUE)))
}

# One timed call: seconds, bytes the workers received, and peak RSS growth per worker.
measure <- function(cl, pids, call) {
  for (p in pids) cat("5", file = sprintf("/proc/%d/clear_refs", p))
  rss0 <- vapply(pids, status_kb, 0, key = "VmRSS")
  recv0 <- vapply(pids, socket_received, 0)
  t0 <- Sys.time()
  r <- call()
  secs <- as.numeric(Sys.time() - t0, units = "secs")
  recv <- sum(vapply(pids, socket_received, 0) - recv0)
  peak <- (vapply(pids, status_kb, 0, key = "VmHWM") - rss0) * 1024
  invisible(clusterEvalQ(cl, gc()))
  list(r = r, secs = secs, bytes = recv, peak_max = max(peak), peak_sum = sum(peak))
}

main <- function() {
  hosts <- start_hosts(2, "h14_bench")
  if (is.character(hosts)) stop(hosts)
  on.exit(stop_hosts(hosts), add = TRUE)
  set.seed(1)
  work <- list(
    q30 = list(X = matrix(rnorm(1e4 * 2000), 1e4), FUN = q30, VARS = NULL),
    proj = list(X = matrix(rnorm(1e4 * 400), 1e4), FUN = proj, VARS = list(Y = matrix(rnorm(1e4 * 100), 1e4))))
  for (w in names(work)) {
    work[[w]]$expected <- do.call(apply, c(list(work[[w]]$X, 2, work[[w]]$FUN), work[[w]]$VARS))
  }
  rows <- list()
  for (d in 1:3) {
    cl <- hosts_cluster(hosts[seq_len(d - 1L)], local = 2L, per_host = 2L)
    pids <- unlist(clusterCall(cl, Sys.getpid))
    stopifnot(identical(lazyshare_domains(cl), rep(seq_len(d) - 1L, each = 2L)))
    for (w in names(work)) {
      X <- work[[w]]$X
      FUN <- work[[w]]$FUN
      VARS <- work[[w]]$VARS
      invisible(memApply(X[, 1:20], 2, FUN, CLUSTER = cl, VARS = VARS))
      invisible(do.call(parApply, c(list(cl, X[, 1:20], 2, FUN), VARS)))
      impls <- list(memApply = function() unlist(memApply(X, 2, FUN, CLUSTER = cl, VARS = VARS)),
                    parApply = function() do.call(parApply, c(list(cl, X, 2, FUN), VARS)))
      for (impl in names(impls)) {
        m <- lapply(seq_len(runs), function(k) measure(cl, pids, impls[[impl]]))
        for (x in m) stopifnot(identical(x$r, work[[w]]$expected))
        rows[[length(rows) + 1L]] <- data.frame(
          workload = w, data_mb = 8 * (length(X) + sum(lengths(VARS))) / 2^20,
          domains = d, workers = length(cl), impl = impl,
          secs = stats::median(vapply(m, `[[`, 0, "secs")),
          sent_mb = stats::median(vapply(m, `[[`, 0, "bytes")) / 2^20,
          peak_max_mb = max(vapply(m, `[[`, 0, "peak_max")) / 2^20,
          peak_sum_mb = max(vapply(m, `[[`, 0, "peak_sum")) / 2^20)
        cat(sprintf("  %-4s %d domain(s), %-8s %.2f s\n", w, d, impl, rows[[length(rows)]]$secs))
      }
    }
    stopCluster(cl)
  }
  res <- do.call(rbind, rows)
  utils::write.csv(res, file.path(here, "multihost.csv"), row.names = FALSE)
  ours <- res[res$impl == "memApply", ]
  peer <- res[res$impl == "parApply", ]
  table <- data.frame(
    workload = sprintf("%s (%.0f MB), %d dom., %d workers", ours$workload, ours$data_mb, ours$domains,
                       ours$workers),
    ours_s = round(ours$secs, 2), parApply_s = round(peer$secs, 2),
    ratio = round(peer$secs / ours$secs, 2),
    ours_sent_MB = round(ours$sent_mb, 1), parApply_sent_MB = round(peer$sent_mb, 1),
    ours_peak_MB = sprintf("%.0f / %.0f", ours$peak_max_mb, ours$peak_sum_mb),
    parApply_peak_MB = sprintf("%.0f / %.0f", peer$peak_max_mb, peer$peak_sum_mb))
  cat("\nratio = parApply time / memApply time (> 1: memApply faster); peak = worker RSS growth during a call,",
      "max / sum over workers\n")
  print(table, row.names = FALSE, right = FALSE)
}
main()
