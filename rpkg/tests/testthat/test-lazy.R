# Lazy objects behave like the values they stand for, and compute only what R looks at.

set.seed(11)
X <- matrix(rnorm(600 * 40), 600, 40)
v <- rnorm(5000)

test_that("arithmetic, comparisons and Math functions give R's values", {
  lx <- lazy(X)
  lv <- lazy(v)
  expect_true(is_lazy(lx) && inherits(lx, "lazyshare") && is.matrix(lx))
  expect_identical(dim(lx), dim(X))
  expect_identical(materialize(lx * 2 + 1), X * 2 + 1)
  expect_identical(materialize(lx / lx[1, 1]), X / X[1, 1])
  expect_identical(materialize(-lv), -v)
  expect_identical(materialize(abs(lv)^0.5), abs(v)^0.5)
  expect_identical(materialize(lv^2), v^2)
  expect_identical(materialize(lv^3), v^3)
  for (f in list(sqrt, exp, log1p, sin, cos, floor, ceiling, trunc, sign, abs, expm1)) {
    expect_identical(materialize(f(abs(lv))), f(abs(v)))
  }
  expect_identical(materialize(log(abs(lv), 10)), log(abs(v), 10))
  cmp <- lv > 0
  expect_true(is.logical(cmp) && is_lazy(cmp))
  expect_identical(materialize(cmp), v > 0)
  expect_identical(materialize(!(lv > 0) | lv < -1), !(v > 0) | v < -1)
  expect_identical(materialize(lx + seq_len(nrow(X))), X + seq_len(nrow(X)))
  expect_identical(materialize(lv %% 1), v %% 1)
  expect_error(lx + matrix(1, 2, 2), "non-conformable")
})

test_that("vector sums, means and products equal R's bit for bit", {
  set.seed(14); v <- rnorm(1e5) * 10^runif(1e5, -3, 3)
  lv <- lazy(v)
  expect_identical(materialize(sum(lv)), sum(v))
  expect_identical(materialize(mean(lv)), mean(v))
  expect_identical(materialize(mean(lv * 2 - 1)), mean(v * 2 - 1))
  expect_identical(materialize(prod(lazy(v[1:50]))), prod(v[1:50]))
  v[3] <- NA
  expect_identical(materialize(mean(lazy(v), na.rm = TRUE)), mean(v, na.rm = TRUE))
  expect_identical(materialize(sum(lazy(v), na.rm = TRUE)), sum(v, na.rm = TRUE))
})

test_that("reducers are lazy, memoised and match R", {
  lx <- lazy(X)
  s <- sum(lx)
  expect_true(is_lazy(s))
  expect_equal(materialize(s), sum(X), tolerance = 1e-14)
  expect_equal(materialize(mean(lx)), mean(X), tolerance = 1e-14)
  expect_identical(materialize(max(lx)), max(X))
  expect_identical(materialize(min(lx)), min(X))
  expect_equal(materialize(rowMeans(lx)), rowMeans(X), tolerance = 1e-14)
  expect_equal(materialize(colSums(lx)), colSums(X), tolerance = 1e-14)
  expect_equal(materialize(rowSums(lx)), rowSums(X), tolerance = 1e-14)
  expect_equal(materialize(colMeans(lx)), colMeans(X), tolerance = 1e-14)
  expect_equal(materialize(prod(lazy(c(1.5, 2, -3)))), -9)
  expect_identical(materialize(all(lx > -100)), TRUE)
  expect_identical(materialize(any(lx > 100)), FALSE)
  expect_identical(range(lx), range(X))
  y <- X; y[5] <- NA
  ly <- lazy(y)
  expect_identical(materialize(sum(ly)), NA_real_)
  expect_equal(materialize(sum(ly, na.rm = TRUE)), sum(y, na.rm = TRUE), tolerance = 1e-14)
  expect_equal(materialize(mean(ly, na.rm = TRUE)), mean(y, na.rm = TRUE), tolerance = 1e-14)
  expect_equal(materialize(colMeans(ly, na.rm = TRUE)), colMeans(y, na.rm = TRUE), tolerance = 1e-14)
  expect_identical(materialize(all(ly > -100)), NA)
  expect_identical(materialize(all(ly > -100, na.rm = TRUE)), TRUE)
  expect_error(rowSums(lazy(1:3)), "at least two dimensions")
})

test_that("sweep, t and as.matrix stay lazy and match R", {
  lx <- lazy(X)
  cm <- colMeans(lx)
  centred <- sweep(lx, 2, cm)
  expect_true(is_lazy(centred))
  expect_equal(materialize(centred), sweep(X, 2, colMeans(X)), tolerance = 1e-13)
  # Dividing by row sums of mixed signs amplifies their last-bit differences without bound; positive
  # values keep the comparison about sweep, not about conditioning.
  expect_equal(materialize(sweep(abs(lx), 1, rowSums(abs(lx)), "/")),
               sweep(abs(X), 1, rowSums(abs(X)), "/"), tolerance = 1e-13)
  expect_lt(max(abs(materialize(rowSums(lx)) - rowSums(X)) / rowSums(abs(X))), 64 * .Machine$double.eps)
  expect_equal(materialize(sweep(lx, 2, 1:40, `*`)), sweep(X, 2, 1:40, `*`))
  expect_identical(materialize(t(lx)), t(X))
  expect_identical(dim(t(lx)), rev(dim(X)))
  expect_equal(materialize(colSums(t(lx) * 2)), colSums(t(X) * 2), tolerance = 1e-13)
  expect_identical(sweep(X, 2, 1:40), base::sweep(X, 2, 1:40))
})

test_that("dist and as.matrix(dist()) are lazy and read like stats::dist", {
  z <- matrix(rnorm(300), 100, 3)
  d <- dist(lazy(z))
  expect_true(inherits(d, "dist") && is_lazy(d))
  expect_identical(attr(d, "Size"), 100L)
  expect_equal(length(d), 100 * 99 / 2)
  expect_equal(as.vector(materialize(d)), as.vector(stats::dist(z)), tolerance = 1e-14)
  expect_equal(d[c(1, 17, 4950)], as.vector(stats::dist(z))[c(1, 17, 4950)], tolerance = 1e-14)
  D <- as.matrix(d)
  expect_identical(dim(D), c(100L, 100L))
  expect_equal(materialize(D), as.matrix(stats::dist(z)), tolerance = 1e-14)
  expect_equal(D[3, 7], as.matrix(stats::dist(z))[3, 7], tolerance = 1e-14)
  expect_equal(materialize(sum(d)), sum(stats::dist(z)), tolerance = 1e-13)
  expect_equal(materialize(mean(d)), mean(stats::dist(z)), tolerance = 1e-13)
  expect_equal(materialize(max(d)), max(stats::dist(z)), tolerance = 1e-14)
  expect_equal(materialize(d^2 / 2), stats::dist(z)^2 / 2, tolerance = 1e-13, ignore_attr = TRUE)
})

test_that("a 50,000 x 50,000 distance matrix costs no memory and computes only what is asked", {
  set.seed(12); z <- rnorm(50000)
  g <- peak_growth({
    d <- as.matrix(dist(lazy(z)))
    a <- d[3, 7]
    r <- rowMeans(d)[1]
    out <- capture.output(print(d))
  })
  expect_identical(dim(d), c(50000L, 50000L))
  expect_equal(length(d), 2.5e9)
  expect_equal(a, abs(z[3] - z[7]))
  expect_equal(r, c(`1` = mean(abs(z[1] - z))), tolerance = 1e-13)
  expect_lt(g, 50 * 2^20)
  expect_match(out[1], "50000 x 50000 matrix \\(18.63 GiB if materialised\\)")
  expect_error(materialize(d), "50000 x 50000 lazy matrix needs 18.63 GiB \\(limit 4.00 GiB: lazy_options\\(max_materialize")
  expect_error(as.vector(d), "18.63 GiB")
})

test_that("Renjin's runaway loop stays cheap and equals eager R", {
  set.seed(13); x0 <- rnorm(1e5)
  x <- lazy(x0)
  e <- x0
  for (i in 1:300) {
    x <- sqrt(abs(x - mean(x)))
    e <- sqrt(abs(e - mean(e)))
  }
  # The loop is chaotic (a one-ulp change in one mean changes everything after ~50 iterations), so this
  # holds only because lazy means equal R's bit for bit.
  expect_identical(materialize(x), e)
})

test_that("a lazy object built on a view still works after the view and page are released", {
  ns <- test_ns("lazyview")
  registerVariables(ns, list(V = X))
  v <- retrieveViews(ns, "V")$V
  lx <- lazy(v) * 2
  releaseViews(ns, "V")
  releaseVariables(ns, "V")
  rm(v); gc()
  expect_identical(materialize(lx), X * 2)
  expect_length(shm_files(ns), 0)
})

test_that("options are validated and named", {
  old <- lazy_options()
  on.exit(do.call(lazy_options, old))
  expect_named(old, c("threads", "defer_min_len", "jit_min_work", "max_depth", "chunk_rows",
                      "max_materialize", "progress", "exact_sums"))
  lazy_options(max_materialize = 1000)
  expect_error(materialize(lazy(X) + 1), "needs 187.5 KiB|limit")
  expect_error(lazy_options(chunk_rows = 3), "`chunk_rows` must be between 64")
  expect_error(lazy_options(threads = -1), "`threads` must be a whole number")
  expect_error(lazy_options(progress = NA), "`progress` must be TRUE or FALSE")
  expect_error(lazy(letters), "`x` must be a numeric or logical vector")
  expect_error(lazy(data.frame(a = "x")), "non-numeric column 'a'")
  expect_named(lazy_stats(), c("passes", "elements", "elements_read", "materializations", "interp_runs",
                               "jit_runs", "kernels_compiled", "cache_hits", "compile_ns", "fused_applies",
                               "worker_applies"))
})

test_that("print and str describe without computing everything; format gives R's strings", {
  x <- matrix(rnorm(2e6), 2000)
  lx <- lazy(x)
  lazy_stats(reset = TRUE)
  out <- capture.output(print(lx * 2))
  expect_match(out[1], "<lazyshare 2000 x 1000 matrix")
  expect_identical(capture.output(str(sqrt(abs(lx)))), capture.output(str(sqrt(abs(x)))))
  expect_equal(lazy_stats()$materializations, 0)
  expect_identical(format(lazy(x[1:20]) * 2), format(x[1:20] * 2))
  expect_identical(capture.output(print(lazy(c(1.5, 2)))), capture.output(print(c(1.5, 2))))
})
