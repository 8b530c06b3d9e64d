# pdcor, pdcov and their tests, dcorT, dcov2d/dcor2d, U_center/D_center, dcovU_stats: against energy itself
# (identical results where energy's arithmetic is reproduced, 1e-12 relative elsewhere) and on their own.

rel_err <- function(a, b) max(abs(a - b) / pmax(abs(b), .Machine$double.xmin))

set.seed(11)
nP <- 50
xP <- matrix(rnorm(nP * 3), nP)
zP <- rnorm(nP) + xP[, 2]
yP <- xP[, 1]^2 + zP + rnorm(nP)

test_that("pdcor and pdcov equal energy's, for vectors, matrices, data frames and dist objects", {
  skip_if_not_installed("energy")
  inputs <- list(list(xP, yP, zP),
                 list(xP[, 1], yP, zP),
                 list(as.data.frame(xP), yP, dist(zP)),
                 list(dist(xP), dist(yP), dist(zP)),
                 list(xP, cbind(yP, zP^2), xP[, 3]))
  for (a in inputs) {
    p <- lazyshare::pdcor(a[[1]], a[[2]], a[[3]])
    expect_named(p, "pdcor")
    expect_lt(rel_err(p, energy::pdcor(a[[1]], a[[2]], a[[3]])), 1e-12)
    v <- lazyshare::pdcov(a[[1]], a[[2]], a[[3]])
    expect_null(names(v))
    expect_lt(rel_err(v, energy::pdcov(a[[1]], a[[2]], a[[3]])), 1e-12)
  }
  # z = x: nothing of x is left once z is removed.
  expect_lt(abs(lazyshare::pdcov(xP, yP, xP)), 1e-12)
})

test_that("pdcor of a larger univariate sample equals energy's", {
  skip_if_not_installed("energy")
  set.seed(5); u <- rnorm(800); w <- rnorm(800); v <- u * w + rnorm(800)
  expect_lt(rel_err(lazyshare::pdcor(u, v, w), energy::pdcor(u, v, w)), 1e-12)
  expect_lt(rel_err(lazyshare::pdcov(u, v, w), energy::pdcov(u, v, w)), 1e-12)
})

test_that("pdcov.test and pdcor.test give energy's replicates and p-values with the same seed", {
  skip_if_not_installed("energy")
  for (case in list(list(xP, yP, zP), list(xP[, 1], yP, zP), list(rnorm(nP), rnorm(nP), zP))) {
    for (f in c("pdcov.test", "pdcor.test")) {
      set.seed(42)
      ours <- getExportedValue("lazyshare", f)(case[[1]], case[[2]], case[[3]], R = 99)
      after_ours <- runif(1)
      set.seed(42)
      theirs <- getExportedValue("energy", f)(case[[1]], case[[2]], case[[3]], R = 99)
      expect_identical(runif(1), after_ours)
      expect_s3_class(ours, "htest")
      expect_identical(names(ours), names(theirs))
      ours$call <- theirs$call <- NULL
      expect_identical(ours, theirs)
    }
  }
  set.seed(1)
  t <- lazyshare::pdcor.test(xP, yP, zP, R = 49)
  expect_identical(t$method, "pdcor test")
  expect_identical(t$data.name, "replicates 49")
  expect_length(t$replicates, 49)
  expect_true(t$p.value >= 1 / 50 && t$p.value <= 1)
})

test_that("a z that explains nothing and a degenerate projection behave as in energy", {
  skip_if_not_installed("energy")
  # x = z: the projection of x is 0, so there is no test and no replicates are drawn.
  set.seed(3)
  ours <- lazyshare::pdcov.test(zP, yP, zP, R = 19)
  after <- runif(1)
  set.seed(3)
  theirs <- energy::pdcov.test(zP, yP, zP, R = 19)
  expect_identical(runif(1), after)
  ours$call <- theirs$call <- NULL
  expect_identical(ours, theirs)
  expect_false(ours$condition)
  expect_true(is.na(ours$p.value))
})

test_that("U_center and D_center are energy's to the bit; dcovU_stats equals energy's", {
  skip_if_not_installed("energy")
  D <- as.matrix(dist(xP))
  expect_identical(lazyshare::U_center(D), energy::U_center(D))
  expect_identical(lazyshare::D_center(D), energy::D_center(D))
  expect_identical(lazyshare::U_center(dist(xP)), energy::U_center(D))
  M <- energy::U_center(D)
  expect_identical(lazyshare::U_center(M), energy::U_center(M))
  Dy <- as.matrix(dist(yP))
  s <- lazyshare::dcovU_stats(D, Dy)
  expect_identical(names(s), names(energy::dcovU_stats(D, Dy)))
  expect_lt(rel_err(s, energy::dcovU_stats(D, Dy)), 1e-12)
})

test_that("dcov2d and dcor2d equal energy's, names included", {
  skip_if_not_installed("energy")
  set.seed(9); u <- rlnorm(400); v <- u + rexp(400)
  for (type in c("V", "U")) {
    for (all in c(FALSE, TRUE)) {
      ours <- lazyshare::dcov2d(u, v, type, all.stats = all)
      theirs <- energy::dcov2d(u, v, type, all.stats = all)
      expect_identical(names(ours), names(theirs))
      expect_lt(rel_err(ours, theirs), 1e-12)
    }
    expect_identical(names(lazyshare::dcor2d(u, v, type)), names(energy::dcor2d(u, v, type)))
    expect_lt(rel_err(lazyshare::dcor2d(u, v, type), energy::dcor2d(u, v, type)), 1e-12)
  }
  expect_equal(unname(lazyshare::dcor2d(u, v)), lazyshare::dcor(u, v)^2, tolerance = 1e-12)
})

test_that("dcorT and dcorT.test equal energy's", {
  skip_if_not_installed("energy")
  set.seed(4); X <- matrix(rnorm(400), 20, 20); Y <- X + matrix(runif(400), 20, 20)
  expect_lt(rel_err(lazyshare::dcorT(X, Y), energy::dcorT(X, Y)), 1e-12)
  ours <- lazyshare::dcorT.test(X, Y)
  theirs <- energy::dcorT.test(X, Y)
  expect_identical(names(ours), names(theirs))
  for (f in c("statistic", "parameter", "p.value", "estimate")) {
    expect_identical(names(ours[[f]]), names(theirs[[f]]))
    expect_lt(rel_err(ours[[f]], theirs[[f]]), 1e-12)
  }
  expect_identical(ours[c("method", "data.name")], theirs[c("method", "data.name")])
  expect_lt(rel_err(lazyshare::dcorT(dist(X), yP[1:20]), energy::dcorT(dist(X), yP[1:20])), 1e-12)
})

test_that("energy's help-page examples give energy's results with lazyshare's functions", {
  skip_if_not_installed("energy")
  fns <- c("pdcor", "pdcov", "pdcor.test", "pdcov.test", "dcorT", "dcorT.test", "U_center", "D_center",
           "dcov2d", "dcor2d", "dcovU_stats", "dcov", "bcdcor")
  examples <- quote({
    out <- list()
    set.seed(2024)
    n <- 30; R <- 199
    x <- rnorm(n); y <- rnorm(n); z <- rnorm(n)
    out$pdcor <- pdcor(x, y, z)
    out$pdcov <- pdcov(x, y, z)
    set.seed(1); out$pdcov.test <- pdcov.test(x, y, z, R = R)
    set.seed(1); out$pdcor.test <- pdcor.test(x, y, z, R = R)
    # energy's example draws y with MASS::mvrnorm(n, rep(0, 4), diag(4)): the same distribution.
    y <- matrix(rnorm(4 * n), n) + x
    out$linear <- pdcov.test(x, y, z, R = R)
    y <- matrix(rnorm(4 * n), n) * x
    out$nonlinear <- pdcov.test(x, y, z, R = R)
    x <- matrix(rnorm(100), 10, 10); y <- matrix(runif(100), 10, 10)
    out$dcorT <- dcorT(x, y)
    out$dcorT.test <- dcorT.test(x, y)
    Dx <- as.matrix(dist(iris[1:10, 1:4]))
    M <- U_center(Dx)
    out$centre <- list(M, all.equal(M, U_center(M)), all.equal(M, D_center(M)))
    x <- rnorm(100); y <- rnorm(100)
    out$d2 <- list(all.equal(dcov(x, y)^2, dcov2d(x, y), check.attributes = FALSE),
                   all.equal(bcdcor(x, y), dcor2d(x, y, "U"), check.attributes = FALSE))
    out$dcovU_stats <- dcovU_stats(as.matrix(dist(iris[1:50, 1:4])), as.matrix(dist(iris[51:100, 1:4])))
    out
  })
  run <- function(pkg) {
    env <- list2env(mget(fns, envir = asNamespace(pkg)), parent = globalenv())
    res <- eval(examples, env)
    lapply(res, function(r) if (inherits(r, "htest")) r[names(r) != "call"] else r)
  }
  ours <- run("lazyshare")
  theirs <- run("energy")
  expect_identical(names(ours), names(theirs))
  for (k in c("pdcov.test", "pdcor.test", "linear", "nonlinear", "centre")) {
    expect_identical(ours[[k]], theirs[[k]], label = k)
  }
  expect_equal(ours, theirs, tolerance = 1e-12)
  expect_true(isTRUE(ours$d2[[1]]) && isTRUE(ours$d2[[2]]))
})

test_that("bad inputs are errors naming the argument", {
  expect_error(lazyshare::pdcor(1:10, 1:10, 1:9), "`z` must have as many observations as `x` \\(10\\); it has 9",
               class = "lazyshare_bad_argument")
  expect_error(lazyshare::pdcov(1:10, 1:8, 1:10), "`y` must have as many", class = "lazyshare_bad_argument")
  expect_error(lazyshare::pdcor(1:3, 3:1, c(1, 5, 2)), "at least 4 observations; `x` has 3",
               class = "lazyshare_bad_argument")
  expect_error(lazyshare::pdcor(c(1:9, NA), 1:10, 1:10), "`x` contains missing",
               class = "lazyshare_bad_argument")
  expect_error(lazyshare::pdcov(1:10, 1:10, c(1:9, Inf)), "`z` contains missing",
               class = "lazyshare_bad_argument")
  for (R in list(-5, NA, "10", c(5, 6))) {
    expect_error(lazyshare::pdcov.test(xP, yP, zP, R = R), "`R` must be (>= 0|a single number)",
                 class = "lazyshare_bad_argument")
  }
  expect_error(lazyshare::pdcov.test(xP, yP, zP, R = 2.5), "`R` must be a whole number",
               class = "lazyshare_bad_argument")
  expect_error(lazyshare::pdcor.test(xP, yP, zP[-1], R = 9), "`z` must have as many",
               class = "lazyshare_bad_argument")
  expect_error(lazyshare::dcorT(1:3, 1:3), "at least 4 observations", class = "lazyshare_bad_argument")
  expect_error(lazyshare::dcorT.test(1:10, 1:9), "`y` must have as many", class = "lazyshare_bad_argument")
  expect_error(lazyshare::U_center(matrix(1:6, 2)), "`Dx` must be a square numeric.*2 x 3",
               class = "lazyshare_bad_argument")
  expect_error(lazyshare::D_center(matrix(c(0, NA, NA, 0), 2)), "`Dx` contains missing",
               class = "lazyshare_bad_argument")
  expect_error(lazyshare::dcovU_stats(diag(4), diag(5)), "`Dx` and `Dy` must have the same size",
               class = "lazyshare_bad_argument")
  expect_error(lazyshare::dcovU_stats(diag(3), diag(3)), "at least 4 observations",
               class = "lazyshare_bad_argument")
  expect_error(lazyshare::dcov2d(matrix(1:10, 5), 1:5), "only for univariate",
               class = "lazyshare_bad_argument")
  expect_error(lazyshare::dcov2d(1:5, 1:6), "sample sizes must agree", class = "lazyshare_bad_argument")
  expect_error(lazyshare::dcor2d(1:3, 1:3, "U"), "at least 4 observations", class = "lazyshare_bad_argument")
})

test_that("lazy inputs give the same statistics and test results as plain ones", {
  skip_if_not_installed("energy")
  expect_lt(rel_err(lazyshare::pdcor(lazy(xP), yP, lazy(zP)), energy::pdcor(xP, yP, zP)), 1e-12)
  expect_lt(rel_err(lazyshare::pdcov(xP, lazy(yP), zP), energy::pdcov(xP, yP, zP)), 1e-12)
  set.seed(8); ours <- lazyshare::pdcor.test(lazy(xP), yP, zP, R = 29)
  set.seed(8); theirs <- energy::pdcor.test(xP, yP, zP, R = 29)
  ours$call <- theirs$call <- NULL
  expect_identical(ours, theirs)
  expect_lt(rel_err(lazyshare::dcorT(lazy(xP), yP), energy::dcorT(xP, yP)), 1e-12)
})

test_that("pdcov.test and pdcor.test without replicates return energy's statistic-only result", {
  skip_if_not_installed("energy")
  set.seed(4)
  x <- rnorm(25); y <- x + rnorm(25); z <- rnorm(25)
  strip <- function(r) { r$call <- NULL; unclass(r) }
  seed <- .Random.seed
  for (f in c("pdcov.test", "pdcor.test")) {
    ours <- getExportedValue("lazyshare", f)
    theirs <- getExportedValue("energy", f)
    expect_equal(strip(ours(x, y, z)), strip(theirs(x, y, z)), tolerance = 1e-12)
    expect_equal(strip(ours(x, y, z, R = 0)), strip(theirs(x, y, z, R = 0)), tolerance = 1e-12)
    expect_identical(ours(x, y, z)$p.value, NA)
  }
  expect_identical(.Random.seed, seed)
})
