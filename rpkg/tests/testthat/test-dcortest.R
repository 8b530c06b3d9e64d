# dcov.test / dcor.test against energy run live with the same seed: the same permutations, so the same
# p-values, replicates equal to rounding, and .Random.seed left where energy leaves it.
dcov.test <- lazyshare::dcov.test
dcor.test <- lazyshare::dcor.test

# Runs energy's and our test from the same seed; returns both results and both final seeds.
side_by_side <- function(fun, ...) {
  set.seed(42); want <- getExportedValue("energy", fun)(...); seed_want <- .Random.seed
  set.seed(42); got <- getExportedValue("lazyshare", fun)(...); seed_got <- .Random.seed
  list(got = got, want = want, seeds = identical(seed_got, seed_want))
}

expect_same_test <- function(r, tol = 1e-12) {
  got <- r$got; want <- r$want
  expect_s3_class(got, "htest")
  expect_identical(names(unclass(got)), names(unclass(want)))
  expect_identical(got$p.value, want$p.value)
  expect_true(r$seeds)
  expect_identical(names(got$statistic), names(want$statistic))
  expect_rel(unname(got$statistic), unname(want$statistic), tol)
  expect_rel(got$estimates, want$estimates, tol)
  expect_identical(names(got$estimates), names(want$estimates))
  expect_identical(length(got$replicates), length(want$replicates))
  # Computed another way (O(n log n) or streamed), so equal to rounding rather than bit for bit.
  expect_equal(got$replicates, want$replicates, tolerance = 1e-10)
  for (f in c("method", "n", "data.name")) expect_identical(got[[f]], want[[f]])
  if (!is.null(want$estimate)) expect_rel(unname(got$estimate), unname(want$estimate), tol)
}

test_that("univariate tests equal energy's: same permutations, p-values, replicates", {
  skip_if_not_installed("energy")
  set.seed(3); u <- rnorm(300); v <- u^2 + rnorm(300); w <- rnorm(300)
  expect_same_test(side_by_side("dcov.test", u, v, R = 199))
  expect_same_test(side_by_side("dcor.test", u, v, R = 199))
  r <- side_by_side("dcor.test", u, w, R = 99)
  expect_same_test(r)
  expect_gt(r$got$p.value, 0.01)
  r <- side_by_side("dcov.test", u[1:60], v[1:60], index = 0.5, R = 99)
  expect_same_test(r)
  expect_lt(r$got$p.value, 0.05)
})

test_that("multivariate, data frame and dist inputs equal energy's", {
  skip_if_not_installed("energy")
  set.seed(4); X <- matrix(rnorm(240), 80, 3); y <- X[, 1] * X[, 2] + rnorm(80)
  Y <- data.frame(a = y, b = rnorm(80))
  expect_same_test(side_by_side("dcov.test", X, y, R = 99))
  expect_same_test(side_by_side("dcor.test", X, Y, R = 199))
  expect_same_test(side_by_side("dcor.test", dist(X), y, index = 1.5, R = 99))
  expect_same_test(side_by_side("dcov.test", X, as.matrix(dist(Y)), R = 99))
})

test_that("energy's help-page examples give energy's results", {
  skip_if_not_installed("energy")
  x <- iris[1:50, 1:4]
  y <- iris[51:100, 1:4]
  expect_same_test(side_by_side("dcor.test", dist(x), dist(y), R = 199))
  expect_same_test(side_by_side("dcov.test", x, y, R = 199))
  set.seed(1); r <- dcor.test(dist(x), dist(y), R = 199)
  expect_identical(r$p.value, 0.955)
})

test_that("no replicates: energy's statistic-only result", {
  skip_if_not_installed("energy")
  set.seed(5); u <- rnorm(50); v <- rnorm(50)
  for (R in list(NULL, 0, 0.5)) {
    got <- dcov.test(u, v, R = R); want <- energy::dcov.test(u, v, R = R)
    expect_identical(got$p.value, NA)
    expect_identical(got[c("method", "replicates", "n", "data.name")], want[c("method", "replicates", "n", "data.name")])
    expect_rel(unname(got$statistic), unname(want$statistic), 1e-12)
  }
  # A fractional R is rounded down, as energy does.
  r <- side_by_side("dcov.test", u, v, R = 19.7)
  expect_same_test(r)
  expect_length(r$got$replicates, 19)
})

test_that("zero correlation draws no permutation and gives p-value 1", {
  skip_if_not_installed("energy")
  set.seed(6); v <- rnorm(20)
  r <- side_by_side("dcov.test", rep(1, 20), v, R = 9)
  expect_identical(r$got$p.value, 1)
  expect_identical(r$got$replicates, rep(0, 9))
  expect_same_test(r)
})

test_that("bad input errors name the argument", {
  u <- rnorm(20)
  expect_error(dcov.test(u, u, R = -1), "`R` must be >= 0", class = "lazyshare_bad_argument")
  expect_error(dcor.test(u, u, R = -1), "`R` must be >= 0", class = "lazyshare_bad_argument")
  expect_error(dcov.test(u, u, R = NA), "`R` must be a single number", class = "lazyshare_bad_argument")
  expect_error(dcov.test(u, u, R = "9"), "`R` must be a single number", class = "lazyshare_bad_argument")
  expect_error(dcov.test(u, u, R = 1:2), "`R` must be a single number", class = "lazyshare_bad_argument")
  expect_error(dcov.test(u, u[-1], R = 9), "Sample sizes must agree", class = "lazyshare_bad_argument")
  expect_error(dcor.test(c(u[-1], NA), u, R = 9), "`x` contains missing", class = "lazyshare_bad_argument")
  expect_error(dcor.test(u, c(u[-1], Inf), R = 9), "`y` contains missing", class = "lazyshare_bad_argument")
  expect_error(dcov.test(u, u, index = 3, R = 9), "`index` must be in \\(0, 2\\]", class = "lazyshare_bad_argument")
  expect_error(dcov.test(u, letters[1:20], R = 9), "`y` must be a numeric", class = "lazyshare_bad_argument")
})

test_that("lazy inputs give the same test as plain ones", {
  set.seed(7); u <- rnorm(60); v <- sin(u) + rnorm(60, sd = 0.3); X <- cbind(u, rnorm(60))
  set.seed(8); want <- dcor.test(u, v, R = 49)
  set.seed(8); got <- dcor.test(lazyshare::lazy(u), lazyshare::lazy(v), R = 49)
  expect_identical(got$p.value, want$p.value)
  expect_equal(got$replicates, want$replicates, tolerance = 1e-12)
  set.seed(8); want <- dcov.test(X, v, R = 49)
  set.seed(8); got <- dcov.test(lazyshare::lazy(X), v, R = 49)
  expect_identical(got$p.value, want$p.value)
  expect_equal(got$replicates, want$replicates, tolerance = 1e-12)
})

test_that("dcor.test without replicates (R missing or 0) returns energy's statistic-only result", {
  skip_if_not_installed("energy")
  set.seed(3)
  u <- rnorm(30)
  v <- u + rnorm(30)
  seed <- .Random.seed
  for (R in list(0, 0.5)) {
    expect_equal(unclass(dcor.test(u, v, R = R)), unclass(energy::dcor.test(u, v, R = R)), tolerance = 1e-12)
  }
  ours <- dcor.test(u, v)
  expect_equal(unclass(ours), unclass(energy::dcor.test(u, v)), tolerance = 1e-12)
  expect_identical(ours$p.value, NA)
  expect_identical(ours$method, "Specify the number of replicates R>0 for an independence test")
  expect_identical(dcov.test(u, v)$method, "Specify the number of replicates R (R > 0) for an independence test")
  expect_identical(.Random.seed, seed)
})

test_that("over many seeds the p-values, the RNG state and the replicates follow energy's", {
  skip_if_not_installed("energy")
  # Replicates are summed in another order than energy's n x n loops: equal to rounding, not bit for bit.
  worst <- 0
  for (s in 1:12) for (kind in c("uni", "multi", "dist")) {
    set.seed(s)
    n <- 40 + s
    x <- if (kind == "uni") rnorm(n) else matrix(rnorm(2 * n), n)
    y <- if (kind == "uni") x^2 + rnorm(n, sd = 0.5) else x[, 1] * rnorm(n)
    if (kind == "dist") {
      x <- dist(x)
      y <- dist(cbind(y, rnorm(n)))
    }
    for (f in c("dcov.test", "dcor.test")) {
      set.seed(100 + s)
      ours <- getExportedValue("lazyshare", f)(x, y, R = 99)
      after_ours <- .Random.seed
      set.seed(100 + s)
      theirs <- getExportedValue("energy", f)(x, y, R = 99)
      expect_identical(ours$p.value, theirs$p.value, label = paste(f, kind, s))
      expect_identical(after_ours, .Random.seed, label = paste(f, kind, s))
      worst <- max(worst, abs(ours$replicates - theirs$replicates) / abs(theirs$replicates))
    }
  }
  expect_lt(worst, 1e-12)
})
