# memApply / memLapply: memshare's contract, the fused path (no worker) and the worker path. Values are
# checked against base R's apply/lapply on the same data.

set.seed(7)
Xa <- matrix(rnorm(3000 * 40), 3000, 40, dimnames = list(NULL, sprintf("g%02d", 1:40)))
ya <- rnorm(3000)

applies <- function() unlist(lazy_stats()[c("fused_applies", "worker_applies")])

test_that("fusable FUNs run in one fused pass, start no worker and equal apply()", {
  before <- applies()
  expect_rel(memApply(Xa, 2, sd), apply(Xa, 2, sd), 1e-12)
  expect_identical(names(memApply(Xa, 2, sd)), colnames(Xa))
  expect_rel(memApply(Xa, 1, sd), apply(Xa, 1, sd), 1e-12)
  expect_rel(memApply(Xa, 2, function(v, y) cor(v, y), VARS = list(y = ya)), cor(Xa, ya), 1e-10)
  a <- rnorm(3000); b <- runif(1)
  score <- function(v, a, b) sum((v - a)^2) / (1 + b)
  expect_rel(memApply(Xa, 2, score, VARS = list(a = a, b = b)), apply(Xa, 2, score, a = a, b = b), 1e-12)
  centred <- function(v) { m <- mean(v); sum((v - m)^2) / (length(v) - 1) }
  expect_rel(memApply(Xa, 2, centred), apply(Xa, 2, var), 1e-12)
  expect_rel(memApply(Xa, 2, function(v) mean(abs(v)) + 1), apply(Xa, 2, function(v) mean(abs(v)) + 1), 1e-14)
  expect_equal(applies() - before, c(fused_applies = 7, worker_applies = 0))
})

test_that("min and max of each column or row are fused, with R's NA, NaN and empty columns", {
  X <- Xa[1:200, 1:8]
  X[5, 3] <- NA
  X[7, 4] <- NaN
  X[8, 4] <- NA
  X[, 6] <- NA
  before <- applies()
  for (f in list(max, min, function(v) max(v, na.rm = TRUE), function(v) max(v) - min(v))) {
    expect_identical(unlist(suppressWarnings(memApply(X, 2, f))), suppressWarnings(apply(X, 2, f)))
    expect_identical(unlist(suppressWarnings(memApply(X, 1, f))), suppressWarnings(apply(X, 1, f)))
  }
  expect_equal(applies() - before, c(fused_applies = 8, worker_applies = 0))
  expect_warning(memApply(X, 2, function(v) min(v, na.rm = TRUE)), "no non-missing arguments to min")
})

test_that("the fused path reads a shared view and a lazy matrix where they are", {
  registerVariables("memapply_t", list(X = Xa))
  on.exit(releaseVariables("memapply_t", "X"))
  expect_rel(memApply("X", 2, mean, NAMESPACE = "memapply_t"), colMeans(Xa), 1e-14)
  v <- retrieveViews("memapply_t", "X")$X
  expect_rel(memApply(v, 2, sd), apply(Xa, 2, sd), 1e-12)
  releaseViews("memapply_t", "X")
  lx <- log2(abs(lazy(Xa)) + 1)
  lazy_stats(reset = TRUE)
  expect_rel(memApply(lx, 2, sd), apply(log2(abs(Xa) + 1), 2, sd), 1e-12)
  # Two passes over X (means, centred squares); only the 40 results are materialised.
  expect_equal(lazy_stats()$elements, 2 * length(Xa))
  expect_equal(lazy_stats()$materializations, 1)
})

test_that("FUSE = TRUE says what does not translate; FUSE = FALSE uses workers", {
  expect_error(memApply(Xa, 2, function(v) quantile(v, 0.3)[[1]], FUSE = TRUE),
               "cannot be fused \\(FUSE = TRUE\\): .*quantile|\\[\\[")
  expect_error(memApply(Xa, 2, prod, FUSE = TRUE), "prod\\(\\) has no fused per-column form")
  expect_error(memApply(Xa, 3, sd), "`MARGIN` must be 1 \\(rows\\) or 2 \\(columns\\); got 3")
  expect_error(memApply(Xa, 2, "no_such_function_here"), "no_such_function_here")
  expect_error(memApply(Xa, 2, sd, FUSE = "yes"), "`FUSE` must be NA, TRUE or FALSE")
  expect_error(memApply("X", 2, sd), "`NAMESPACE` must say whose")
  expect_error(memApply(list(1, 2), 2, sd), "`X` must be a numeric matrix")
})

test_that("FUNs that do not translate run on workers, with views, errors and cleanup as promised", {
  cl <- parallel::makeCluster(2)
  on.exit(parallel::stopCluster(cl))
  q30 <- function(v) quantile(v, 0.3)[[1]]
  before <- applies()
  expect_equal(memApply(Xa, 2, q30, CLUSTER = cl), as.list(apply(Xa, 2, q30)))
  expect_equal(unlist(memApply(Xa[1:50, ], 1, q30, CLUSTER = cl)), apply(Xa[1:50, ], 1, q30))
  expect_equal(unlist(memApply(Xa, 2, function(v, y) cor(v, y), VARS = list(y = ya), CLUSTER = cl,
                               FUSE = FALSE)),
               setNames(as.vector(cor(Xa, ya)), colnames(Xa)))
  # FUN sees a zero-copy view of the column: a view of the page, named by the row names.
  info <- memApply(Xa, 2, function(v) !is.null(viewInfo(v)), CLUSTER = cl)
  expect_true(all(unlist(info)))
  expect_equal(applies() - before, c(fused_applies = 0, worker_applies = 4))
  expect_error(memApply(Xa, 2, function(v) if (v[1] > 1) stop("too big") else 1, CLUSTER = cl),
               "`FUN` failed on column [0-9]+: too big")
  expect_identical(pageList(), character(0))
  expect_identical(unlist(parallel::clusterCall(cl, function() length(lazyshare::viewList()))), c(0L, 0L))
  L <- lapply(1:7, function(i) matrix(rnorm(100), 10, 10))
  names(L) <- letters[1:7]
  w <- rnorm(10)
  expect_equal(memLapply(L, function(el, w) el %*% w, VARS = list(w = w), CLUSTER = cl),
               lapply(L, function(el) el %*% w))
  expect_identical(pageList(), character(0))
})

test_that("pages named in NAMESPACE serve as X and VARS, and stay registered", {
  registerVariables("memapply_n", list(X = Xa, y = ya))
  on.exit(releaseVariables("memapply_n", c("X", "y")))
  r <- memApply("X", 2, function(v, y) sum(v * y > 0), NAMESPACE = "memapply_n", VARS = "y",
                MAX.CORES = 2, FUSE = FALSE)
  expect_equal(unlist(r), colSums(Xa * ya > 0))
  expect_setequal(pageList(), c("memapply_n.X", "memapply_n.y"))
})
