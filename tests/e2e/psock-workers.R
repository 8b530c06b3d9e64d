# Two PSOCK workers share one page with the master: zero-copy reads, release semantics, ownership.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
library(parallel)
ns <- paste0("e2e", Sys.getpid())
cat("psock-workers\n")

set.seed(3)
X <- matrix(rnorm(2000 * 500), 2000, 500)
data_bytes <- 8 * length(X)
registerVariables(ns, list(X = X))
mine <- retrieveViews(ns, "X")$X
master_cs <- colSums(mine)
check("master's colSums over the view equal colSums(X)", identical(master_cs, colSums(X)))

cl <- makeCluster(2)
on.exit(stopCluster(cl), add = TRUE)
clusterExport(cl, c("ns", "private_bytes"))
# Warm-up: R compiles a closure on its first calls, which costs a few MB that have nothing to do with pages.
invisible(clusterEvalQ(cl, {
  suppressPackageStartupMessages(library(lazyshare))
  for (i in 1:3) private_bytes()
  gc()
  NULL
}))

# Step 1: every worker maps the page and reads all of it; step 2 (after all have): memory is measured.
res <- clusterEvalQ(cl, {
  before <- private_bytes()
  v <- retrieveViews(ns, "X")$X
  cs <- colSums(v)
  list(cs = cs, before = before)
})
growth <- unlist(clusterEvalQ(cl, private_bytes())) - vapply(res, `[[`, 0, "before")
check("both workers' colSums equal the master's",
      all(vapply(res, function(r) identical(r$cs, master_cs), logical(1))))
cat(sprintf("  worker private memory growth: %s KB (data %.0f KB; limit 5%% = %.0f KB)\n",
            paste(round(growth / 1024), collapse = ", "), data_bytes / 1024, 0.05 * data_bytes / 1024))
check("each worker's private memory grew by < 5% of the data", all(growth < 0.05 * data_bytes))

# A view sent to a worker travels as a page reference, not as data.
sent <- length(serialize(mine, NULL))
check(sprintf("a serialized view is small (%d bytes)", sent), sent < 4096)
check("a view sent to a worker reads the same data",
      identical(clusterCall(cl, function(v) sum(v), mine)[[1]], sum(X)))

# releaseViews in the worker: the object it still holds stays valid.
check("worker: released view still reads correctly",
      all(unlist(clusterEvalQ(cl, { releaseViews(ns, "X"); gc(); identical(colSums(v), cs) }))))

# The owner releases the page while workers hold views.
releaseVariables(ns, "X")
check("worker: view still correct after the owner released the page",
      all(unlist(clusterEvalQ(cl, identical(colSums(v), cs)))))
msgs <- clusterEvalQ(cl, tryCatch({ retrieveViews(ns, "X"); "no error" }, error = conditionMessage))
check(sprintf("worker: a new retrieve is a clear error (%s)", msgs[[1]]),
      all(grepl("'X' not found in namespace", unlist(msgs))))

# Ownership: workers may add names; nobody may take an existing one.
registerVariables(ns, list(Y = 1:10))
clusterExport(cl, "ns")
msgs <- clusterEvalQ(cl, tryCatch({ registerVariables(ns, list(Y = 1)); "no error" },
                                  error = conditionMessage))
check(sprintf("worker: re-registering the master's name names the owner (%s)", msgs[[1]]),
      all(grepl(sprintf("already exists.*owned by pid %d", Sys.getpid()), unlist(msgs))))
wpids <- unlist(clusterEvalQ(cl, Sys.getpid()))
invisible(clusterApply(cl, seq_along(cl), function(i) {
  registerVariables(ns, setNames(list(as.numeric(i) * 1:3), paste0("fromWorker", i)))
  NULL
}))
got <- retrieveViews(ns, c("fromWorker1", "fromWorker2"))
check("master retrieves pages registered by workers",
      identical(got$fromWorker1, c(1, 2, 3)) && identical(got$fromWorker2, c(2, 4, 6)))
check_error("master: re-registering a worker's name names the worker",
            registerVariables(ns, list(fromWorker1 = 0)), sprintf("owned by pid (%s)", paste(wpids, collapse = "|")))
check_error("master: releasing a worker's page is refused",
            releaseVariables(ns, "fromWorker1"), "only its owner can release it")

memshare_gc(ns, cl)
check("memshare_gc released the namespace on master and workers", length(shm_files(ns)) == 0 &&
        !any(startsWith(c(pageList(), viewList()), ns)))
check("worker objects survive memshare_gc", all(unlist(clusterEvalQ(cl, identical(colSums(v), cs)))))
check("the master's view survives everything", identical(colSums(mine), master_cs))
finish()
