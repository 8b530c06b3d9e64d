# memApply over a cluster spanning three shared-memory domains: the master's host (1 worker) and two
# simulated hosts (2 workers each, see hosts.R). Each other domain gets the part of X its workers process
# once (all of X once on a future plan), workers read it from pages, a host dying mid-call is an error within 5 s that leaves no segment behind, and the same
# call runs through future.apply on a cluster plan.
here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "helpers.R"))
source(file.path(here, "hosts.R"))
library(parallel)
cat("multihost\n")

# FUN is defined here, not in main(): a closure sent to workers carries its environment (main's holds X).
q30 <- function(v) quantile(v, 0.3)[[1]]
# Marks (touches `flag`) that FUN runs, and takes 10 ms a column.
make_slow_q30 <- function(flag) {
  function(v) {
    if (!file.exists(flag)) file.create(flag)
    Sys.sleep(0.01)
    quantile(v, 0.3)[[1]]
  }
}

# A view serialised by name, restored in a worker (the message itself must not hold the view: a PSOCK
# worker that cannot unserialise a message stops).
try_restore <- function(s) tryCatch({ unserialize(s); "restored" }, error = conditionMessage)

main <- function() {
  hosts <- start_hosts(2, "h14_mh")
  if (is.character(hosts)) skip_script(hosts)
  on.exit(stop_hosts(hosts), add = TRUE)
  ns <- paste0("h14_mh", Sys.getpid())
  set.seed(14)
  X <- matrix(rnorm(1e4 * 2000), 1e4, 2000)
  x_bytes <- 8 * length(X)
  expected <- apply(X, 2, q30)

  cl <- hosts_cluster(hosts, local = 1L, per_host = 2L)
  on.exit(try(stopCluster(cl), silent = TRUE), add = TRUE, after = FALSE)
  check("the probe finds the master's domain and one per simulated host",
        identical(lazyshare_domains(cl), c(0L, 1L, 1L, 2L, 2L)))
  pids <- unlist(clusterCall(cl, Sys.getpid))
  # Warm-up: FUN is sent and the domains probed once per cluster; R compiles closures on first calls.
  invisible(memApply(X[, 1:50], 2, q30, CLUSTER = cl))
  invisible(clusterEvalQ(cl, gc()))

  # One call, measured: bytes each worker received, and the private memory it holds afterwards (FUN's own
  # garbage collected: quantile sorts a copy of each column).
  measured <- function(X) {
    read0 <- vapply(pids, socket_received, 0)
    anon0 <- vapply(pids, proc_anon_bytes, 0)
    t0 <- Sys.time()
    r <- memApply(X, 2, q30, CLUSTER = cl, NAMESPACE = ns)
    took <- as.numeric(Sys.time() - t0, units = "secs")
    read <- vapply(pids, socket_received, 0) - read0
    invisible(clusterEvalQ(cl, gc()))
    list(r = r, took = took, read = read, growth = vapply(pids, proc_anon_bytes, 0) - anon0)
  }
  leaders <- c(2L, 4L)
  # Each other domain gets, once, the columns its workers process (2 of 5 chunks: 40% of X), through its
  # first worker; on a future plan (which chooses who runs which chunk) all of X.
  once_per_domain <- function(read, share = 2 / 5) {
    all(read[leaders] >= share * x_bytes & read[leaders] < 1.05 * share * x_bytes) &&
      all(read[-leaders] < 0.02 * x_bytes)
  }
  mb <- function(x) paste(sprintf("%.1f", x / 2^20), collapse = ", ")
  first <- measured(X)
  check(sprintf("memApply(X, 2, quantile 0.3) over 3 domains equals apply() (%.1f s)", first$took),
        identical(unlist(first$r), expected))
  cat(sprintf("  bytes received per worker: %s MB (X: %.0f MB)\n", mb(first$read), x_bytes / 2^20))
  check("X crossed the wire once: each other domain got its part, through one worker",
        once_per_domain(first$read))
  cat(sprintf("  first call: private (anonymous) memory growth per worker: %s MB\n", mb(first$growth)))
  # The first call of a FUN in a worker grows the worker's heap by what FUN allocates (the same FUN over
  # private columns in a plain worker grows it more); a second call, on other data, shows what the data
  # path itself costs.
  X2 <- X[, ncol(X):1]
  second <- measured(X2)
  check("a second call, on other data, is right too", identical(unlist(second$r), rev(expected)))
  check("and its X crossed the wire once again", once_per_domain(second$read))
  cat(sprintf("  second call: private memory growth per worker: %s MB (limit 10%% of X: %.1f MB)\n",
              mb(second$growth), 0.1 * x_bytes / 2^20))
  check("each worker's private memory grew by <= 10% of X", all(second$growth <= 0.1 * x_bytes))
  rm(X2)
  check("no segment of the call is left in any domain",
        !length(host_segments(NULL, ns)) && !any(vapply(hosts, function(h) length(host_segments(h, ns)), 0L)))

  w <- rnorm(200)
  L <- lapply(1:12, function(i) matrix(rnorm(2000), 200, 10))
  check("memLapply with VARS over 3 domains equals lapply()",
        identical(memLapply(L, function(el, w) crossprod(el, w), CLUSTER = cl, VARS = list(w = w)),
                  lapply(L, function(el) crossprod(el, w))))
  registerVariables(ns, list(X = X))
  check("memApply on a page of the master, by name, over 3 domains",
        identical(unlist(memApply("X", 2, q30, CLUSTER = cl, NAMESPACE = ns)), expected))
  releaseVariables(ns, "X")

  # A simulated host dies in the middle of a call: its two workers are SIGKILLed once FUN runs there.
  flag <- file.path(attr(hosts, "dir"), "started")
  killed <- file.path(attr(hosts, "dir"), "killed")
  slow_q30 <- make_slow_q30(flag)
  # The watcher gives up after 60 s, so that it never outlives a call that failed before FUN ran.
  system(sprintf(paste("(for k in $(seq 3000); do [ -f %s ] && break; sleep 0.02; done;",
                       "[ -f %s ] && { sleep 0.5; kill -9 %d %d; date +%%s.%%N > %s.tmp; mv %s.tmp %s; }) &"),
                 shQuote(flag), shQuote(flag), pids[4], pids[5], shQuote(killed), shQuote(killed),
                 shQuote(killed)))
  check_error("killing a host's workers mid-call is an R error",
              memApply(X, 2, slow_q30, CLUSTER = cl, NAMESPACE = ns), "a worker of the cluster failed")
  after <- as.numeric(Sys.time())
  latency <- if (wait_for(function() file.exists(killed), 5)) after - as.numeric(readLines(killed)) else Inf
  check(sprintf("within 5 s of the kill (%.2f s)", latency), latency < 5)
  check("no segment of the namespace remains in the domains still running",
        wait_for(function() !length(host_segments(NULL, ns)) && !length(host_segments(hosts[[1]], ns)), 5))
  check("nor on the host that died", !length(host_segments(hosts[[2]], ns)))
  try(stopCluster(cl), silent = TRUE)

  # lazyshare_sweep() on a simulated host removes what a dead owner left there.
  pidfile <- file.path(attr(hosts, "dir"), "owner.pid")
  system2(hosts[[2]]$rscript, c("-e", shQuote(sprintf(paste(
    "suppressPackageStartupMessages(library(lazyshare)); registerVariables('%s', list(left = 1:10));",
    "writeLines(as.character(Sys.getpid()), '%s'); Sys.sleep(60)"), ns, pidfile))), wait = FALSE)
  check("a process on the host registered a page there",
        wait_for(function() file.exists(pidfile) && length(host_segments(hosts[[2]], ns)) == 1L, 30))
  tools::pskill(as.integer(readLines(pidfile)), tools::SIGKILL)
  Sys.sleep(0.3)
  swept <- system2(hosts[[2]]$rscript, c("-e", shQuote(
    "suppressPackageStartupMessages(library(lazyshare)); cat(length(list.files('/dev/shm')))")),
    stdout = TRUE)
  check(sprintf("a session on that host swept it (segments left there: %s)", swept),
        identical(swept, "0") && !length(host_segments(hosts[[2]], ns)))

  cl2 <- hosts_cluster(hosts, local = 1L, per_host = 2L)
  on.exit(stopCluster(cl2), add = TRUE, after = FALSE)
  check("the next call on a fresh cluster is right",
        identical(unlist(memApply(X, 2, q30, CLUSTER = cl2, NAMESPACE = ns)), expected))

  # Views sent to workers yourself: a name means nothing on another host; with their data, each host
  # caches one page, which its second worker maps.
  V <- X[, 1:200]
  registerVariables(ns, list(V = V))
  v <- retrieveViews(ns, "V")$V
  pids2 <- unlist(clusterCall(cl2, Sys.getpid))
  msgs <- clusterCall(cl2, try_restore, serialize(v, NULL))
  check(sprintf("by name, a view on another host is a clear error (%s)", substr(msgs[[2]], 1, 60)),
        identical(msgs[[1]], "restored") && all(grepl("lazyshare_view_data", unlist(msgs[-1]))))
  invisible(clusterEvalQ(cl2, gc()))
  anon0 <- vapply(pids2, proc_anon_bytes, 0)
  old <- lazyshare_view_data(TRUE)
  clusterExport(cl2, "v", envir = environment())
  lazyshare_view_data(old)
  sums <- unlist(clusterEvalQ(cl2, { s <- sum(v); gc(); s }))
  growth <- vapply(pids2, proc_anon_bytes, 0) - anon0
  check("clusterExport of a view with its data: every worker reads the same",
        all(sums == sum(v)) && isTRUE(all.equal(sum(v), sum(V))))
  check("one cached page per other host, none added here",
        all(vapply(hosts, function(h) length(host_segments(h, ns)), 0L) == 1L) &&
          length(host_segments(NULL, ns)) == 1L)
  cat(sprintf("  private memory growth per worker after clusterExport of a %.0f MB view: %s MB\n",
              8 * length(V) / 2^20, mb(growth)))
  check("no worker keeps a private copy (growth <= 10% of the view)", all(growth <= 0.1 * 8 * length(V)))
  memshare_gc(ns, cl2)
  check("memshare_gc with the cluster releases the cached pages on every host",
        !length(host_segments(NULL, ns)) && !any(vapply(hosts, function(h) length(host_segments(h, ns)), 0L)))
  check("the workers' views stay valid", all(unlist(clusterEvalQ(cl2, sum(v))) == sums))
  rm(v, V)

  if (requireNamespace("future.apply", quietly = TRUE)) {
    future::plan(future::cluster, workers = cl2)
    read0 <- vapply(pids2, socket_received, 0)
    rf <- memApply(X, 2, q30, CLUSTER = "future")
    read <- vapply(pids2, socket_received, 0) - read0
    future::plan(future::sequential)
    check("the same memApply through future.apply on a cluster plan gives the same results",
          identical(unlist(rf), expected))
    cat(sprintf("  future: bytes received per worker: %s MB\n", mb(read)))
    check("through future, X crossed the wire once per other domain, whole", once_per_domain(read, 1))
  } else {
    cat("  [skip] future.apply is not installed\n")
  }
  check("nothing of the namespace is left anywhere",
        !length(host_segments(NULL, ns)) && !any(vapply(hosts, function(h) length(host_segments(h, ns)), 0L)))
}
main()
finish()
