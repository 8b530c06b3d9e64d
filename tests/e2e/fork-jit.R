# After the parent has used the thread pool and compiled kernels, forked children (mclapply) compile,
# reuse cached kernels and run parallel passes without hanging.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
cat("fork-jit\n")
lazy_options(jit_min_work = 0)
set.seed(31); X <- matrix(rnorm(9000), 3000, 3); y <- X[, 1] * X[, 2]
parent <- lazyshare::dcor(X, y, method = "streaming")
compiled <- lazy_stats()$kernels_compiled
check(sprintf("the parent compiled kernels (%d)", compiled), compiled > 0)
kids <- parallel::mclapply(1:2, function(i) {
  same <- lazyshare::dcor(X, y, method = "streaming")
  Z <- matrix(rnorm(9000), 3000, 3)
  other <- materialize(rowMeans(as.matrix(dist(lazy(Z)))^1.5))
  list(same = same, other = length(other), stats = lazy_stats())
}, mc.cores = 2)
check("children reproduce the parent's dcor with the inherited kernels",
      all(vapply(kids, function(k) isTRUE(all.equal(k$same, parent, tolerance = 1e-14)), logical(1))))
check("children compile new kernels and run them",
      all(vapply(kids, function(k) k$other == 3000 && k$stats$kernels_compiled > compiled, logical(1))))
check("children used cached kernels", all(vapply(kids, function(k) k$stats$cache_hits > 0, logical(1))))
finish()
