# head(), tail() and summary() of lazy objects: R's exact results, and only the work they need.

counted <- function(expr) {
  lazy_stats(reset = TRUE)
  value <- expr
  s <- lazy_stats()
  list(value = value, passes = s$passes, read = s$elements_read, materialized = s$materializations)
}

# `f(lazy_value)` is identical to `f(eager_value)` and computes exactly `read` elements, without a
# materialisation or a pass.
expect_reads_only <- function(f, lazy_value, eager_value, read = length(f(eager_value))) {
  r <- counted(f(lazy_value))
  expect_identical(r$value, f(eager_value))
  expect_equal(r$read, read)
  expect_equal(r$materialized, 0)
  expect_equal(r$passes, 0)
}

test_that("head and tail of a lazy vector compute only the elements they return", {
  set.seed(11)
  x <- stats::setNames(rnorm(1e5), paste0("e", 1:1e5))
  v <- sqrt(abs(lazy(x))) + 1
  e <- sqrt(abs(x)) + 1
  expect_true(is_lazy(v))
  for (n in list(6L, 10, 0L, -99990L, 2e5, -2e5)) {
    expect_reads_only(function(a) head(a, n), v, e)
    expect_reads_only(function(a) tail(a, n), v, e)
  }
  expect_reads_only(head, lazy(1:1e5) * 2L, (1:1e5) * 2L)
  expect_reads_only(tail, lazy(x) > 0, x > 0)
  expect_error(head(v, c(1, 2)), "must have length one")
})

test_that("head and tail of a lazy matrix follow R's rules for n, dimnames and keepnums", {
  set.seed(12)
  X <- matrix(rnorm(2000 * 50), 2000, 50, dimnames = list(paste0("r", 1:2000), paste0("c", 1:50)))
  lx <- lazy(X) * 2 + 1
  ex <- X * 2 + 1
  expect_reads_only(head, lx, ex)
  expect_reads_only(tail, lx, ex)
  expect_reads_only(function(a) head(a, c(3, -47)), lx, ex)
  expect_reads_only(function(a) tail(a, c(-1998, 2)), lx, ex)
  expect_reads_only(function(a) head(a, c(NA, 2)), lx, ex)
  expect_reads_only(function(a) tail(a, 4, keepnums = FALSE), lx, ex)
  # Without dimnames, tail() of a matrix names the rows by their numbers (keepnums).
  Y <- unname(X)
  ly <- lazy(Y) - 1
  expect_reads_only(function(a) tail(a, c(3, 2)), ly, Y - 1)
  expect_identical(rownames(tail(ly, 2)), c("[1999,]", "[2000,]"))
  expect_reads_only(function(a) tail(a, c(3, 2), keepnums = FALSE), ly, Y - 1)
})

test_that("head of an expression with pending reducers runs their pass, then reads only its elements", {
  set.seed(13)
  z <- rnorm(3000)
  d <- as.matrix(dist(lazy(z)))
  s <- sweep(d, 1, rowMeans(d))
  ez <- as.matrix(stats::dist(z))
  es <- sweep(ez, 1, base::rowMeans(ez))
  r <- counted(head(s, c(6, 5)))
  expect_equal(r$value, head(es, c(6, 5)), tolerance = 1e-12)
  expect_equal(r$passes, 1)
  expect_equal(r$read, 30)
  expect_equal(r$materialized, 0)
  # The lazy n x n distance matrix and its dist form, exactly.
  expect_reads_only(function(a) head(a, c(4, 3)), d, ez)
  expect_reads_only(tail, dist(lazy(z)), stats::dist(z))
  expect_reads_only(function(a) head(a, 20), dist(lazy(z)), stats::dist(z))
})

test_that("summary of a lazy object is R's summary of its value, from one materialisation", {
  set.seed(14)
  x <- rnorm(1e5)
  x[c(5, 500, 5e4)] <- NA
  v <- lazy(x) * 3 - 1
  e <- x * 3 - 1
  r <- counted(summary(v))
  expect_identical(r$value, summary(e))
  expect_equal(r$materialized, 1)
  expect_equal(r$read, 0)
  expect_identical(summary(v, digits = 3, quantile.type = 6), summary(e, digits = 3, quantile.type = 6))
  expect_identical(summary(lazy(1:1e5) * 2L), summary((1:1e5) * 2L))
  expect_identical(summary(lazy(x) > 0), summary(x > 0))
  X <- matrix(rnorm(5000 * 4), 5000, 4, dimnames = list(NULL, c("a", "b", "c", "d")))
  expect_identical(summary(lazy(X) / 2), summary(X / 2))
  z <- rnorm(200)
  expect_identical(summary(dist(lazy(z))), summary(stats::dist(z)))
})

test_that("summary beyond max_materialize is an error that says what it would need", {
  old <- lazy_options()
  on.exit(do.call(lazy_options, old))
  lazy_options(max_materialize = 1e5)
  v <- lazy(rnorm(1e5)) + 1
  expect_error(summary(v), "KiB|limit")
  expect_identical(head(v, 3), materialize(v[1:3]))
})

test_that("head and tail of a large concatenation compute only the parts they show", {
  a <- lazy(as.numeric(1:1e6)) / 4
  b <- lazy(stats::setNames(1:5000, paste0("b", 1:5000))) * 2L
  cc <- c(a, b)
  expect_s3_class(cc, "lazyshare_concat")
  whole <- c(as.numeric(1:1e6) / 4, stats::setNames(1:5000, paste0("b", 1:5000)) * 2L)
  expect_identical(materialize(cc), whole)
  expect_reads_only(head, cc, whole)
  expect_reads_only(tail, cc, whole)
  expect_reads_only(function(x) head(x, -1004993), cc, whole)
  expect_reads_only(function(x) tail(x, 5003), cc, whole)
  expect_identical(summary(cc), summary(whole))
})
