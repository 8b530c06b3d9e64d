# dcor & co. against energy's reference values (section letters as in dcor-reference.txt).
dcor <- lazyshare::dcor
dcov <- lazyshare::dcov
DCOR <- lazyshare::DCOR
dcovU <- lazyshare::dcovU
bcdcor <- lazyshare::bcdcor

set.seed(1); xA <- rnorm(1000); yA <- xA^2 + rnorm(1000)

test_that("A: univariate V-statistics for every index, both methods", {
  ref <- list(`1` = c(0.32967125980707879, 0.4021193887178991, 0.65289788702537077, 1.0294538566840084),
              `0.5` = c(0.15816537357117641, 0.42801825335566268, 0.33597549335333904, 0.40643457111149967),
              `1.5` = c(0.51901359732703256, 0.30061300051950535, 1.1683980267801353, 2.551238968597243),
              `2` = c(0.078515452054430696, 0.020413905614758501, 2.139959489344442, 6.9127764739268107))
  for (ix in names(ref)) {
    for (m in c("auto", "streaming")) {
      expect_rel(DCOR(xA, yA, index = as.numeric(ix), method = m), ref[[ix]], 1e-12)
    }
  }
  expect_rel(dcor(xA, yA), 0.4021193887178991, 1e-12)
  expect_rel(dcov(xA, yA), 0.32967125980707879, 1e-12)
  expect_rel(dcor(xA, yA)^2, 0.16170000278286301, 1e-12)
  expect_rel(dcor(xA, yA, index = 2), abs(cor(xA, yA)), 1e-12)
})

test_that("A: U-statistics", {
  for (m in c("auto", "streaming")) {
    expect_rel(dcovU(xA, yA, method = m), 0.1055287003955426, 1e-10)
    expect_rel(bcdcor(xA, yA, method = m), 0.1575130278855883, 1e-10)
  }
  expect_named(dcovU(xA, yA), "dCovU")
  expect_named(bcdcor(xA, yA), "bcdcor")
})

test_that("B: multivariate samples, data frames", {
  set.seed(2); X <- matrix(rnorm(1500), 500, 3); yb <- X[, 1] * X[, 2] + rnorm(500); Y2 <- cbind(yb, X[, 3]^2)
  expect_rel(DCOR(X, yb), c(0.16967253027951343, 0.22373015699832186, 0.69933170070554063, 0.82241458331573503), 1e-12)
  expect_rel(DCOR(X, Y2), c(0.24162384232955614, 0.31264627825500807, 0.69933170070554063, 0.85406284898844442), 1e-12)
  expect_rel(DCOR(X, yb, 0.5), c(0.082566507624314209, 0.26982490684697569, 0.25355507593167359, 0.3692933182614303), 1e-12)
  expect_rel(DCOR(X, Y2, 0.5), c(0.1079366510584726, 0.38033616853175728, 0.25355507593167359, 0.31763643629113159), 1e-12)
  expect_rel(DCOR(X, yb, 1.5), c(0.32012792509213661, 0.19093192702038103, 1.594556042614417, 1.7629915075668054), 1e-12)
  expect_rel(DCOR(X, Y2, 1.5), c(0.46319223263293957, 0.25009135934952703, 1.594556042614417, 2.15122271054714), 1e-12)
  expect_rel(bcdcor(X, yb), 0.036820310358685111, 1e-10)
  expect_rel(dcovU(X, yb), 0.020906387521446693, 1e-10)
  expect_rel(bcdcor(X, Y2), 0.078249380701644722, 1e-10)
  expect_rel(dcor(data.frame(X), yb), 0.22373015699832186, 1e-12)
})

test_that("C: tiny cases", {
  x5 <- c(1, 2, 3, 4, 5); y5 <- x5^2
  expect_rel(DCOR(x5, y5), c(2.7011108825814611, 0.98691604405374833, 1.1027239001672178, 6.7929375089132096), 1e-12)
  expect_rel(dcov(x5, y5)^2, 7.2959999999999994, 1e-12)
  expect_rel(dcovU(x5, y5), 6.4000000000000057, 1e-10)
  expect_rel(bcdcor(x5, y5), 0.99312706632284153, 1e-10)
  x4 <- c(0, 1, 3, 7); y4 <- c(2, 0, 1, 5)
  expect_rel(DCOR(x4, y4), c(1.6201851746019651, 0.89534220722549185, 2.1830311495716224, 1.5), 1e-12)
  expect_rel(bcdcor(x4, y4), -0.5, 1e-10)
  expect_rel(DCOR(c(1, 2), c(3, 5)), c(0.70710678118654757, 1, 0.5, 1), 1e-12)
  expect_identical(unname(unlist(DCOR(1, 2))), c(0, 0, 0, 0))
  expect_error(bcdcor(1:3, c(1, 5, 2)), "at least 4 observations; got 3")
})

test_that("D: edge cases", {
  expect_rel(DCOR(rep(3, 10), 1:10), c(0, 0, 0, 2.134010309253449), 1e-12)
  expect_identical(unname(bcdcor(rep(3, 10), 1:10)), 0)
  set.seed(3); xt <- sample(1:5, 200, TRUE); yt <- xt + sample(0:2, 200, TRUE)
  expect_rel(DCOR(xt, yt), c(0.99131209515467733, 0.85116143398094957, 1.1309674133235059, 1.19935249614103), 1e-12)
  expect_rel(bcdcor(xt, yt), 0.72183243411822706, 1e-10)
  # energy loses ~8e-9 here (dcov2d(x + 1e6, y) = 0.10868314043); the data itself is rounded at ~1e-10.
  expect_rel(dcov(xA + 1e6, yA)^2, 0.10868313954278941, 1e-9)
  expect_identical(dcor(xA * 1e-9, yA * 1e-9), 0)
  expect_rel(DCOR(xA * 1e-9, yA * 1e-9), c(3.2967125980708989e-10, 0, 6.5289788702536504e-10, 1.0294538566840096e-09), 1e-12)
  expect_identical(unname(bcdcor(xA * 1e-9, yA * 1e-9)), 0)
  set.seed(4); xi <- rnorm(1000); yi <- rnorm(1000)
  expect_rel(DCOR(xi, yi), c(0.0350826759680418, 0.056138380568308867, 0.61722036362011168, 0.63274018584113689), 1e-12)
  expect_rel(bcdcor(xi, yi), 2.4277977415772306e-05, 1e-10)
  f <- factor(sample(c("a", "b", "c"), 1000, TRUE))
  expect_rel(dcor(f, xA), 0.042187950120190887, 1e-12)
  m3 <- matrix(c(0, 1, 2, 1, 0, 3, 2, 3, 0), 3)
  expect_rel(DCOR(m3, c(1, 5, 2)), c(1.0183501544346312, 0.79500045830193611, 1.0886621079036347, 1.5071844406945039), 1e-12)
  # dist() of its rows is a distance matrix between them ("same rows as observations").
  ref_rows <- c(1.2607424730545822, 0.79510594876099772, 1.6681548421806511, 1.5071844406945039)
  expect_rel(DCOR(stats::dist(m3), c(1, 5, 2)), ref_rows, 1e-12)
  expect_rel(DCOR(dist(lazy(m3)), c(1, 5, 2)), ref_rows, 1e-12)
})

test_that("bad input is an error naming the argument", {
  xna <- xA[1:10]; xna[3] <- NA
  expect_error(dcor(xna, yA[1:10]), "`x` contains missing or non-finite")
  expect_error(dcor(yA[1:10], c(1:9, Inf)), "`y` contains missing or non-finite")
  expect_error(bcdcor(c(NaN, 1:9), 1:10), "`x` contains missing")
  expect_error(dcor(letters[1:5], 1:5), "`x` must be a numeric vector.*character vector")
  expect_error(dcor(1:5, list(1, 2)), "`y` must be a numeric")
  expect_error(dcor(1:5, 1:6), "Sample sizes must agree")
  expect_error(bcdcor(1:5, 1:6), "sample sizes must agree")
  expect_error(dcor(1:5, 1:5, index = "a"), "`index` must be a single number")
  expect_error(dcor(1:5, 1:5, index = 3), "`index` must be in \\(0, 2\\]")
  expect_error(dcor(numeric(0), numeric(0)), "at least one observation")
  expect_error(dcor(data.frame(a = 1:3, b = letters[1:3]), 1:3), "non-numeric column 'b'")
})

test_that("dcor accepts lazy objects and shared views", {
  expect_rel(dcor(lazy(xA), yA), 0.4021193887178991, 1e-12)
  d <- as.matrix(dist(lazy(xA)))
  expect_rel(dcor(d, yA), 0.4021193887178991, 1e-12)
  expect_rel(dcor(dist(lazy(xA)), yA), 0.4021193887178991, 1e-12)
  ns <- test_ns("dcorview")
  registerVariables(ns, list(x = xA, y = yA))
  on.exit(memshare_gc(ns))
  v <- retrieveViews(ns, c("x", "y"))
  expect_rel(dcor(v$x, v$y), 0.4021193887178991, 1e-12)
})

test_that("results do not depend on the thread count", {
  old <- lazy_options()
  on.exit(do.call(lazy_options, old))
  set.seed(7); X <- matrix(rnorm(3000), 1000, 3); y <- X[, 1] * X[, 2]
  lazy_options(threads = 1)
  r1 <- list(DCOR(X, y), bcdcor(X, y), dcor(xA, yA, method = "streaming"), dcor(xA, yA))
  lazy_options(threads = 2)
  r2 <- list(DCOR(X, y), bcdcor(X, y), dcor(xA, yA, method = "streaming"), dcor(xA, yA))
  expect_identical(r1, r2)
})

test_that("dcor at n = 30,000 runs in O(n) memory", {
  set.seed(9); x <- rnorm(30000); y <- x^2 + rnorm(30000)
  g1 <- peak_growth(r1 <- dcor(x, y))
  g2 <- peak_growth(r2 <- dcor(x, y, method = "streaming"))
  expect_lt(g1, 300 * 2^20)
  expect_lt(g2, 300 * 2^20)
  expect_rel(r2, r1, 1e-12)
})
