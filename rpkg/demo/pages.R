# lazyshare demo: one matrix held once in shared memory, read by two worker processes without copies.
suppressPackageStartupMessages(library(lazyshare))
library(parallel)

private_mb <- function(pid = Sys.getpid()) {
  l <- readLines(sprintf("/proc/%d/smaps_rollup", pid))
  kb <- function(k) as.numeric(gsub("[^0-9]", "", grep(paste0("^", k, ":"), l, value = TRUE)))
  (kb("Private_Clean") + kb("Private_Dirty")) / 1024 # MiB
}

ns <- paste0("demo", Sys.getpid())
set.seed(42)
X <- matrix(rnorm(1e4 * 2e3), 1e4, 2e3)          # 153 MiB of doubles
cat(sprintf("X: %d x %d, %.0f MiB\n", nrow(X), ncol(X), 8 * length(X) / 2^20))

t_reg <- system.time(registerVariables(ns, list(X = X)))[["elapsed"]]
cat(sprintf("registerVariables: %.3f s (parallel copy into /dev/shm)\n", t_reg))
print(retrieveMetadata(ns, "X"))

cl <- makeCluster(2)
clusterExport(cl, c("ns", "private_mb"))
invisible(clusterEvalQ(cl, { library(lazyshare); for (i in 1:3) private_mb(); NULL }))
before <- unlist(clusterEvalQ(cl, private_mb()))
sums <- clusterEvalQ(cl, { v <- retrieveViews(ns, "X")$X; colSums(v) })
after <- unlist(clusterEvalQ(cl, private_mb()))
cat(sprintf("each worker's colSums equals the master's: %s\n",
            all(vapply(sums, identical, TRUE, colSums(X)))))
cat(sprintf("private memory each worker added to read all %.0f MiB: %s MiB\n", 8 * length(X) / 2^20,
            paste(sprintf("%.2f", after - before), collapse = ", ")))

v <- retrieveViews(ns, "X")$X
cat(sprintf("a view serialises to %d bytes, so sending it to a worker costs nothing\n",
            length(serialize(v, NULL))))
w <- v
w[1, 1] <- 0                                       # copy-on-write: only one 4 KiB page is copied
cat(sprintf("after w[1,1] <- 0: w[1,1] = %g, the shared page still holds %g\n", w[1, 1], v[1, 1]))

memshare_gc(ns, cl)
stopCluster(cl)
cat(sprintf("after memshare_gc: %d lazyshare segments left in /dev/shm\n",
            length(list.files("/dev/shm", pattern = paste0("^lzs.*", ns)))))
