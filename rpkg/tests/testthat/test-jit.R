# The JIT backend: same values as the interpreter, compiled once per shape.

test_that("the JIT and the interpreter give the same results", {
  old <- lazy_options()
  on.exit(do.call(lazy_options, old))
  set.seed(21); X <- matrix(rnorm(4000), 1000, 4); y <- X[, 1] * X[, 2] + rnorm(1000)
  lz <- lazy(X)
  run <- function() {
    list(dcor = lazyshare::DCOR(X, y, index = 1.5),
         u = lazyshare::bcdcor(X, y, method = "streaming"),
         sweep = materialize(colSums(sweep(lz, 2, colMeans(lz))^2)),
         expr = materialize(exp(abs(lz) * -1) > 0.5),
         rows = materialize(rowMeans(as.matrix(dist(lz))^0.5)))
  }
  lazy_options(jit_min_work = Inf)
  interp <- run()
  lazy_stats(reset = TRUE)
  lazy_options(jit_min_work = 0)
  jit <- run()
  s <- lazy_stats()
  expect_gt(s$jit_runs, 0)
  expect_equal(s$interp_runs, 0)
  expect_gt(s$kernels_compiled, 0)
  expect_equal(jit, interp, tolerance = 1e-12)
  expect_identical(jit$expr, interp$expr)
})

test_that("the same computation on new data of the same shape compiles nothing new", {
  old <- lazy_options()
  on.exit(do.call(lazy_options, old))
  lazy_options(jit_min_work = 0)
  set.seed(22); X <- matrix(rnorm(3000), 1000, 3)
  invisible(lazyshare::dcor(X, X[, 1]^2, method = "streaming"))
  before <- lazy_stats()
  X2 <- matrix(rnorm(6000), 2000, 3)
  r <- lazyshare::dcor(X2, X2[, 1]^2, method = "streaming")
  after <- lazy_stats()
  expect_equal(after$kernels_compiled, before$kernels_compiled)
  expect_gt(after$cache_hits, before$cache_hits)
  lazy_options(jit_min_work = Inf)
  expect_equal(r, lazyshare::dcor(X2, X2[, 1]^2, method = "streaming"), tolerance = 1e-12)
})
