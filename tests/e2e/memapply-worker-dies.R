# A worker SIGKILLed in the middle of memApply: the master gets an R error within seconds, and the call's
# pages are gone.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
library(parallel)
cat("memapply-worker-dies\n")

X <- matrix(rnorm(1000 * 20), 1000, 20)
cl <- makeCluster(2)
on.exit(stopCluster(cl), add = TRUE)
pids <- unlist(clusterCall(cl, Sys.getpid))
slow_q30 <- function(v) {
  Sys.sleep(0.3)
  quantile(v, 0.3)[[1]]
}
system(sprintf("(sleep 1; kill -9 %d) &", pids[1]))
t0 <- Sys.time()
check_error("memApply reports the dead worker", memApply(X, 2, slow_q30, CLUSTER = cl),
            "a worker of the cluster failed")
check("within 5 seconds of the kill", as.numeric(Sys.time() - t0, units = "secs") < 6)
check("the call's pages are released", !length(pageList()) &&
        !any(grepl(sprintf("^lzs\\.[0-9]+\\.lzs_apply_%d_", Sys.getpid()), list.files("/dev/shm"))))
finish()
