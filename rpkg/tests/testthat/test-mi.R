# Pareto density estimation and mutual information. Reference values: ../shared/reference/
# pde-reference.txt (DataVisualizations 1.4.0 and memshare 1.0.3.1 on R 4.2.2), printed with %.17g.

set.seed(1); x_r1 <- rnorm(1000)
set.seed(1); x_r2 <- rnorm(2000)
man_example <- function() {
  set.seed(1)
  list(x = c(rnorm(1000), rnorm(2000) + 8, rnorm(1000) * 2 - 8), y = rep(1:3, c(1000, 2000, 1000)))
}

# n observations in k classes whose means are `shift` apart.
shifted <- function(n, k, shift, seed) {
  set.seed(seed)
  y <- sample.int(k, n, replace = TRUE)
  list(x = rnorm(n) + shift * y, y = y)
}

entropy <- function(y) {
  p <- table(y) / length(y)
  -sum(p * log(p))
}

test_that("the Pareto radius is DataVisualizations' exact 18 % distance", {
  expect_identical(pareto_radius(x_r1), 0.33161803669617107)
  expect_identical(pareto_radius(x_r2), 0.29143153556178203)
  set.seed(1); ties <- c(rep(0, 600), rnorm(400))
  expect_identical(pareto_radius(ties), 0.0011053516316241311)
  expect_identical(pareto_radius(c(NA, Inf, x_r1, NaN)), 0.33161803669617107)
  # Brute force over all distances, as quantile4LargeVectors takes them.
  x <- x_r1[1:300]
  d <- sort(as.vector(dist(x)))
  expect_identical(pareto_radius(x), d[floor(length(d) * (0.18 - 1e-9)) + 1])
})

test_that("pde() reproduces ParetoDensityEstimation's R1 table", {
  p <- pde(x_r1)
  expect_named(p, c("kernels", "paretoDensity", "paretoRadius"))
  expect_length(p$kernels, 140)
  expect_identical(p$paretoRadius, 0.33161803669617107)
  expect_identical(p$kernels[1:4], c(-3.0080485989204808, -3.0250000000000004, -2.9750000000000005,
                                     -2.9250000000000003))
  expect_identical(tail(p$kernels, 3), c(3.7750000000000004, 3.8250000000000002, 3.8102766807106652))
  expect_identical(p$paretoDensity[1:4], c(0.012063000064553565, 0.012063000064553565,
                                           0.012063000064553565, 0.01357087507262276))
  expect_true(is.unsorted(p$kernels))
  i <- which.max(p$paretoDensity)
  expect_equal(p$paretoDensity[i], 0.4026026271544752, tolerance = 1e-10)
  expect_identical(p$kernels[i], -0.125)
  # The density integrates to 1 over the kernels in list order (pracma::trapz).
  k <- p$kernels; d <- p$paretoDensity
  expect_equal(sum(diff(k) * (head(d, -1) + tail(d, -1)) / 2), 1, tolerance = 1e-12)
  # Fewer than 3 distinct values: Dirac spikes with radius 0.
  dirac <- pde(c(2, 2, 2))
  expect_identical(dirac$paretoRadius, 0)
  expect_identical(sum(dirac$paretoDensity), 1)
})

test_that("memshare-mode MI is memshare's (M1, the man example)", {
  m <- man_example()
  expect_equal(mutualinfo(m$x, m$y, isYDiscrete = TRUE, method = "memshare"), 1.0170223711627575,
               tolerance = 1e-12)
  expect_equal(mutualinfo(m$x, factor(m$y), method = "memshare"), 1.0170223711627575,
               tolerance = 1e-12)
})

test_that("memshare mode draws its radius sample from R's RNG as memshare does", {
  s <- shifted(10500, 3, 0.5, 4)
  set.seed(2); a <- mutualinfo(s$x, s$y, isYDiscrete = TRUE, method = "memshare"); after_a <- runif(1)
  set.seed(2); invisible(runif(10000)); after_draw <- runif(1)
  expect_identical(after_a, after_draw)
  set.seed(2); b <- mutualinfo(s$x, s$y, isYDiscrete = TRUE, method = "memshare")
  expect_identical(a, b)
  set.seed(3); c <- mutualinfo(s$x, s$y, isYDiscrete = TRUE, method = "memshare")
  expect_false(identical(a, c))
  # No draw at 10,000 observations or fewer, and none in pde mode.
  set.seed(2); invisible(mutualinfo(s$x[1:10000], s$y[1:10000], isYDiscrete = TRUE, method = "memshare"))
  r1 <- runif(1)
  set.seed(2); invisible(mutualinfo(s$x, s$y, isYDiscrete = TRUE)); r2 <- runif(1)
  set.seed(2); expect_identical(c(r1, r2), c(runif(1), { set.seed(2); runif(1) }))
})

test_that("pde-mode MI lies in [0, H(y)], is 0 for equal distributions, and ranks separation", {
  for (case in list(c(2, 0), c(3, 0.5), c(8, 2), c(32, 0.2))) {
    s <- shifted(3000, case[1], case[2], case[1])
    mi <- mutualinfo(s$x, s$y, isYDiscrete = TRUE)
    expect_gte(mi, 0)
    expect_lte(mi, entropy(s$y))
  }
  set.seed(5); base <- rnorm(500)
  x <- c(base, base, base, base); y <- rep(c("a", "b", "b", "c"), each = 500)
  expect_lt(mutualinfo(x, y), 1e-15)
  scores <- sapply(c(0, 0.2, 0.5, 1, 3), function(shift) {
    s <- shifted(2000, 3, shift, 6)
    mutualinfo(s$x, s$y, isYDiscrete = TRUE)
  })
  expect_true(all(diff(scores) > 0))
  # Well-separated classes explain nearly all of H(y).
  s <- shifted(2000, 2, 12, 7)
  expect_gt(mutualinfo(s$x, s$y, isYDiscrete = TRUE), 0.98 * entropy(s$y))
})

test_that("pde-mode MI does not depend on the order of observations or the thread count", {
  s <- shifted(5000, 4, 0.3, 8)
  mi <- mutualinfo(s$x, s$y, isYDiscrete = TRUE)
  set.seed(9); o <- sample.int(5000)
  expect_identical(mutualinfo(s$x[o], s$y[o], isYDiscrete = TRUE), mi)
  old <- lazy_options()
  on.exit(do.call(lazy_options, old))
  set.seed(10); X <- matrix(rnorm(2000 * 60), 2000) + sample(1:3, 2000, replace = TRUE) * 0.2
  y <- rep(1:3, length.out = 2000)
  lazy_options(threads = 1); a <- mi_scores(X, y); b <- mi_scores(X, y, method = "memshare")
  lazy_options(threads = 2); expect_identical(mi_scores(X, y), a)
  expect_identical(mi_scores(X, y, method = "memshare"), b)
})

test_that("discrete x and y give the plug-in MI; a discrete x swaps roles", {
  x <- c(0, 0, 0, 0, 1, 1, 1, 1); y <- c(0, 0, 1, 2, 1, 2, 2, 2)
  want <- 0.25 * log(2) + 0.125 * log(0.5) + 0.375 * log(1.5)
  expect_equal(mutualinfo(x, y, isXDiscrete = TRUE, isYDiscrete = TRUE), want, tolerance = 1e-15)
  expect_equal(mutualinfo(factor(x), as.character(y)), want, tolerance = 1e-15)
  expect_identical(mutualinfo(c(1, 1, 2, 2), c("a", "a", "b", "b"), isXDiscrete = TRUE), log(2))
  m <- man_example()
  expect_identical(mutualinfo(factor(m$y), m$x), mutualinfo(m$x, factor(m$y)))
  expect_identical(mutualinfo(m$y, m$x, isXDiscrete = TRUE), mutualinfo(m$x, factor(m$y)))
})

test_that("mi_scores equals per-column mutualinfo on a matrix, a view, an integer and a lazy matrix", {
  set.seed(11)
  y <- factor(sample(c("t", "u", "v", "w"), 400, replace = TRUE))
  X <- matrix(rexp(400 * 30), 400, 30, dimnames = list(NULL, sprintf("g%02d", 1:30)))
  X[, 3] <- X[, 3] + as.integer(y)
  per_column <- function(M, method = "pde") {
    vapply(seq_len(ncol(M)), function(j) mutualinfo(M[, j], y, method = method), 0)
  }
  s <- mi_scores(X, y)
  expect_s3_class(s, "mi_scores")
  expect_identical(as.vector(unclass(s)), per_column(X))
  expect_identical(names(s), colnames(X))
  expect_identical(attr(s, "ranking")[1], 3L)
  expect_identical(as.vector(unclass(mi_scores(X, y, method = "memshare"))), per_column(X, "memshare"))
  ns <- test_ns("mi")
  registerVariables(ns, list(X = X))
  on.exit(releaseVariables(ns, "X"))
  v <- retrieveViews(ns, "X")$X
  expect_identical(as.vector(unclass(mi_scores(v, y))), per_column(X))
  releaseViews(ns, "X")
  expect_identical(as.vector(unclass(mi_scores("X", y, NAMESPACE = ns))), per_column(X))
  Xi <- matrix(rpois(400 * 12, 4), 400)
  expect_identical(as.vector(unclass(mi_scores(Xi, y))), per_column(Xi))
  # A lazy matrix is scored a column at a time, against the same expression materialised.
  lazy_stats(reset = TRUE)
  s_lazy <- mi_scores(log2(lazy(X) + 1), y)
  expect_identical(lazy_stats()$materializations, 0)
  expect_identical(as.vector(unclass(s_lazy)), per_column(log2(X + 1)))
})

test_that("memshare-mode mi_scores draws each column's sample in column order", {
  s <- shifted(10200, 3, 0.4, 12)
  X <- cbind(s$x, s$x^2, rnorm(10200))
  X[5, 2] <- NA
  set.seed(13); got <- mi_scores(X, s$y, method = "memshare", na.rm = TRUE)
  set.seed(13)
  want <- vapply(1:3, function(j) {
    mutualinfo(X[, j], s$y, isYDiscrete = TRUE, method = "memshare", na.rm = TRUE)
  }, 0)
  expect_identical(as.vector(unclass(got)), want)
})

test_that("memApply(X, 2, mutualinfo, VARS = list(y = y)) takes the fused path", {
  set.seed(14)
  y <- sample(c("p", "q"), 300, replace = TRUE)
  X <- matrix(rnorm(300 * 8), 300, dimnames = list(NULL, letters[1:8]))
  applies <- function() unlist(lazy_stats()[c("fused_applies", "worker_applies")])
  before <- applies()
  r <- memApply(X, 2, mutualinfo, VARS = list(y = y))
  expect_identical(applies() - before, c(fused_applies = 1, worker_applies = 0))
  expect_identical(r, as.list(unclass(mi_scores(X, y)))[letters[1:8]])
  r <- memApply(X, 2, mutualinfo, VARS = list(y = y, method = "memshare"))
  expect_identical(unlist(r), setNames(vapply(1:8, function(j) mutualinfo(X[, j], y, method = "memshare"), 0),
                                       letters[1:8]))
})

test_that("degenerate columns score 0", {
  y <- rep(1:3, 40)
  X <- cbind(const = 5, two = rep(c(1, 2), 60), all_na = NA_real_, few = c(1, 2, NA),
             ok = seq_len(120) * y)
  s <- mi_scores(X, y, na.rm = TRUE)
  expect_identical(as.vector(unclass(s))[1:4], c(0, 0, 0, 0))
  expect_gt(unclass(s)[[5]], 0)
  expect_identical(mutualinfo(c(1, 1, 2, 2), c("a", "a", "b", "b")), 0)
  expect_identical(mutualinfo(c(1, 2), c("a", "b")), 0)
  expect_identical(mutualinfo(rep(3, 10), rep(1:2, 5), isYDiscrete = TRUE), 0)
})

test_that("top() and print() show the best columns, ties in column order", {
  X <- cbind(a = rep(1:3, 20), b = rep(1:3, 20) * 2, c = rnorm(60))
  y <- rep(1:3, 20)
  s <- mi_scores(X, y)
  t2 <- top(s, 2)
  expect_identical(t2$column, 1:2)
  expect_identical(t2$name, c("a", "b"))
  expect_identical(t2$mi, as.vector(unclass(s))[1:2])
  expect_output(print(s), "Mutual information \\(pde estimator, nats\\) of 3 columns with 3 classes")
  expect_error(top(s, -1), "`k` must be a single non-negative number")
})

test_that("plot() draws the four panels of Figure 3", {
  set.seed(15)
  y <- rep(1:3, 100)
  X <- matrix(rnorm(300 * 100), 300)
  X[, 1:5] <- X[, 1:5] + y
  s <- mi_scores(X, y)
  f <- tempfile(fileext = ".pdf")
  grDevices::pdf(f)
  on.exit(unlink(f))
  expect_invisible(plot(s, top = 5))
  expect_identical(graphics::par("mfrow"), c(1L, 1L))
  grDevices::dev.off()
  expect_gt(file.size(f), 5000)
})

test_that("bad input gets errors that name the argument", {
  m <- man_example()
  expect_error(mutualinfo(m$x, m$y), "`y` is continuous.*cut\\(y, breaks = 10\\).*isYDiscrete = TRUE")
  expect_error(mutualinfo(m$x, runif(4000)), "`y` is continuous")
  expect_error(mutualinfo(m$x[-1], factor(m$y)), "`x` and `y` must have the same length; got 3999 and 4000")
  expect_error(mutualinfo(c(NA, m$x[-1]), factor(m$y)), "`x` has NA, NaN or infinite values; pass na.rm = TRUE")
  expect_equal(mutualinfo(c(NA, m$x[-1]), factor(m$y), na.rm = TRUE),
               mutualinfo(m$x[-1], factor(m$y[-1])), tolerance = 0)
  expect_error(mutualinfo(m$x, factor(c(NA, m$y[-1]))), "`y` has NA values; pass na.rm = TRUE")
  expect_error(mutualinfo(m$x, rep("a", 4000)), "`y` must have at least 2 classes; got 1")
  expect_error(mutualinfo(list(1, 2), 1:2, isYDiscrete = TRUE), "`x` must be a numeric vector; got a list")
  expect_error(mutualinfo(m$x, factor(m$y), method = "knn"), "`method` must be one of")
  expect_error(mutualinfo(m$x, factor(m$y), na.rm = NA), "`na.rm` must be TRUE or FALSE")
  X <- matrix(rnorm(200), 50)
  expect_error(mi_scores(X, rep(1:2, 20)), "`y` must have one label per row of `X` \\(50\\); got 40")
  expect_error(mi_scores(X, rnorm(50)), "`y` is continuous \\(not whole numbers\\)")
  expect_error(mi_scores(X, rep(1, 50)), "`y` must have at least 2 classes; got 1")
  expect_error(mi_scores(matrix(letters[1:4], 2), 1:2), "`X` must be a numeric matrix")
  X[7, 3] <- NA
  expect_error(mi_scores(X, rep(1:2, 25)), "`X` has NA, NaN or infinite values \\(1 column, the first is column 3\\)")
  expect_error(pareto_radius(1), "`x` must have at least 2 finite values; got 1")
  expect_error(pde(c(NA, NaN)), "`x` must have at least 1 finite value; got 0")
  expect_error(pde(matrix(1:4, 2)), "`x` must be a numeric vector; got")
})
