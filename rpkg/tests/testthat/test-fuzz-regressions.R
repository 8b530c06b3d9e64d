# Bugs the R-level fuzzer (tests/e2e/fuzz-api.R) found, each pinned by the call that showed it.

test_that("distances between rows without coordinates are R's NA, not zeros or an internal error", {
  for (m in list(matrix(numeric(0), 3, 0), matrix(logical(0), 21, 0))) {
    want <- stats::dist(m)
    got <- dist(lazy(m))
    expect_identical(as.vector(got), as.vector(want))
    expect_identical(unname(as.matrix(got)), unname(as.matrix(want)))
    expect_identical(sum(got), NA_real_)
  }
  expect_identical(as.vector(dist(lazy(matrix(0, 0, 2)))), numeric(0))
})

test_that("memApply's fused min and max over empty rows or columns give R's values", {
  expect_identical(memApply(matrix(0, 3, 0), 2, "min", FUSE = TRUE), list())
  expect_identical(memApply(matrix(0, 0, 1), 1, "min", FUSE = TRUE), list())
  expect_identical(memApply(lazy(matrix(0, 0, 0)), 1, max, FUSE = TRUE), list())
  expect_identical(memApply(matrix(0, 9, 0), 2, function(v) max(abs(v)) - min(v), FUSE = TRUE), list())
  expect_identical(suppressWarnings(memApply(matrix(0, 0, 2), 2, "min", FUSE = TRUE)), list(Inf, Inf))
  expect_identical(suppressWarnings(memApply(matrix(0, 3, 0), 1, "max", FUSE = TRUE)), list(-Inf, -Inf, -Inf))
})

test_that("row and column extremes of empty integer margins are left to R, which gives doubles", {
  reduce <- function(op, m, na.rm = FALSE) .Call(lazyshare:::lzs_reduce, op, lazy(m), na.rm)
  expect_null(reduce("colMins", matrix(0L, 0, 2)))
  expect_null(reduce("rowMaxs", matrix(0L, 2, 0)))
  expect_null(reduce("colMaxs", matrix(c(NA, 1L), 2, 1), na.rm = TRUE))
  expect_length(materialize(reduce("colMins", matrix(0L, 3, 0))), 0)
  expect_identical(suppressWarnings(materialize(reduce("colMins", matrix(0, 0, 2)))), c(Inf, Inf))
  expect_identical(materialize(reduce("rowMins", matrix(c(2L, 5L, 1L, 7L), 2))), c(1L, 5L))
})

test_that("distance statistics refuse matrices without columns, naming the argument", {
  z <- matrix(0, 20, 0)
  y <- rnorm(20)
  expect_error(dcor(z, y), "`x` has no columns", class = "lazyshare_bad_argument")
  expect_error(dcov(y, z), "`y` has no columns", class = "lazyshare_bad_argument")
  expect_error(dcor.test(y, lazy(z), R = 5), "`y` has no columns", class = "lazyshare_bad_argument")
  expect_error(pdcor(y, rnorm(20), z), "`z` has no columns", class = "lazyshare_bad_argument")
})

test_that("argument errors have one message, also for vectors of the wrong length", {
  e <- tryCatch(dcor(matrix(rnorm(20), 10), rnorm(10), index = character(0)), error = identity)
  expect_s3_class(e, "lazyshare_bad_argument")
  expect_length(conditionMessage(e), 1L)
  expect_match(conditionMessage(e), "`index` must be a single number")
  e <- tryCatch(dcor(1:5, 1:5, index = c("a", "b")), error = identity)
  expect_length(conditionMessage(e), 1L)
})

test_that("pdcov.test and pdcor.test refuse replicate counts R cannot hold, naming R", {
  x <- rnorm(10); y <- rnorm(10); z <- rnorm(10)
  for (R in list(Inf, 1e300, 2^31, .Machine$integer.max)) {
    expect_error(pdcov.test(x, y, z, R = R), "`R` must be", class = "lazyshare_bad_argument")
    expect_error(pdcor.test(x, y, z, R = R), "`R` must be", class = "lazyshare_bad_argument")
  }
})

test_that("language objects given to lazy methods are values, as in base R, never evaluated", {
  x <- c(3, 1, 2)
  for (f in c("min", "max", "sum", "range")) {
    want <- tryCatch(do.call(f, list(x, as.name("nowhere_defined")), quote = TRUE), error = conditionMessage)
    expect_match(want, "invalid 'type'")
    expect_error(do.call(f, list(lazy(x), as.name("nowhere_defined")), quote = TRUE), want, fixed = TRUE)
  }
  expect_error(mean(lazy(x), trim = new.env()), "'trim' must be numeric of length one")
})

test_that("memApply and memLapply over nothing return an empty list, not a worker failure", {
  cl <- parallel::makeCluster(1)
  on.exit(parallel::stopCluster(cl))
  f <- function(v) length(v)
  expect_identical(memApply(matrix(0, 0, 3), 1, f, CLUSTER = cl, FUSE = FALSE), list())
  expect_identical(memApply(matrix(0, 3, 0), 2, f, CLUSTER = cl, FUSE = FALSE), list())
  expect_identical(memApply(matrix(0, 0, 2), 2, f, CLUSTER = cl, FUSE = FALSE), list(0L, 0L))
  expect_identical(memLapply(list(), f, CLUSTER = cl), list())
  # Nothing was registered for them.
  expect_false(any(startsWith(pageList(), sprintf("lzs_apply_%d_", Sys.getpid()))))
})

test_that("method and type arguments that are not one of the choices are errors naming the argument", {
  x <- rnorm(10); y <- rnorm(10)
  for (bad in list(sum, new.env(), "nope", NA_character_, c("auto", "x"), 1)) {
    expect_error(dcor(x, y, method = bad), "`method` must be one of \"auto\", \"streaming\"",
                 class = "lazyshare_bad_argument")
    expect_error(mutualinfo(x, y, method = bad), "`method` must be one of \"pde\", \"memshare\"",
                 class = "lazyshare_bad_argument")
    expect_error(dcov2d(x, y, type = bad), "`type` must be one of \"V\", \"U\"", class = "lazyshare_bad_argument")
  }
  # As match.arg: the default vector is the first choice, and unique partial names match.
  expect_identical(dcor(x, y, method = "stream"), dcor(x, y, method = "streaming"))
  expect_identical(dcor(x, y, method = c("auto", "streaming")), dcor(x, y))
  expect_identical(mi_scores(cbind(x, y), rep(1:2, 5), method = "mem"),
                   mi_scores(cbind(x, y), rep(1:2, 5), method = "memshare"))
})
