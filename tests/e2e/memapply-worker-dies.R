# A worker SIGKILLed in the middle of memApply: the master gets an R error within seconds of the kill, the
# call leaves no page and no view behind, and the next memApply on a fresh cluster works.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
library(parallel)
cat("memapply-worker-dies\n")

set.seed(13)
X <- matrix(rnorm(1000 * 20), 1000, 20)
slow_q30 <- function(v) {
  Sys.sleep(0.3)
  quantile(v, 0.3)[[1]]
}
expected <- apply(X, 2, function(v) quantile(v, 0.3)[[1]])
call_ns <- sprintf("^lzs\\.[0-9]+\\.lzs_apply_%d_", Sys.getpid())

cl <- makeCluster(2)
pids <- unlist(clusterCall(cl, Sys.getpid))
killed_at <- tempfile()
# The shell records when the kill happened, so the latency is measured from the kill itself.
system(sprintf("(sleep 1; kill -9 %d; date +%%s.%%N > %s) &", pids[1], killed_at))
err <- tryCatch({ memApply(X, 2, slow_q30, CLUSTER = cl); NULL }, error = function(e) e)
failed_at <- as.numeric(Sys.time())
check(sprintf("memApply reports the dead worker (%s: %s)", class(err)[1],
              if (is.null(err)) "no error" else conditionMessage(err)),
      inherits(err, "lazyshare_worker_failed") && grepl("a worker of the cluster failed", conditionMessage(err)))
check("the kill happened", wait_for(function() file.exists(killed_at) && length(readLines(killed_at)) == 1, 5))
latency <- failed_at - as.numeric(readLines(killed_at))
cat(sprintf("  error %.2f s after the kill (limit 5 s)\n", latency))
check("the error came within 5 seconds of the kill", latency >= 0 && latency < 5)
check("no page of the call is left in /dev/shm", !any(grepl(call_ns, list.files("/dev/shm"))))
check("the master holds no page and no view of the call",
      !any(grepl("^lzs_apply_", c(pageList(), viewList()))))
try(stopCluster(cl), silent = TRUE)
check("the surviving worker exits", wait_for(function() !file.exists(sprintf("/proc/%d", pids[2])), 10) ||
        grepl("^Z", sub(".*\\) ", "", readLines(sprintf("/proc/%d/stat", pids[2])))))

cl2 <- makeCluster(2)
again <- memApply(X, 2, slow_q30, CLUSTER = cl2)
check("the next memApply on a fresh cluster gives apply()'s result", identical(unlist(again), expected))
stopCluster(cl2)
check("and leaves nothing either", !any(grepl(call_ns, list.files("/dev/shm"))) &&
        !any(grepl("^lzs_apply_", c(pageList(), viewList()))))
unlink(killed_at)
finish()
