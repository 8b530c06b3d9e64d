# Lazy values that R code cannot tell from eager ones: the cases issue 7 was filed with, and the rules
# behind them (types, attributes, NA and NaN, warnings), each checked against what plain R returns.

with_options <- function(..., code) {
  old <- lazy_options()
  on.exit(do.call(lazy_options, old))
  lazy_options(...)
  code
}

test_that("integer arithmetic stays integer, and overflow is R's NA with R's warning", {
  with_options(defer_min_len = 0, code = {
    r <- lazy(1:10) + 1L
    expect_true(is_lazy(r))
    expect_identical(typeof(r), "integer")
    expect_identical(materialize(r), 2:11)
    expect_identical(materialize(-lazy(c(TRUE, NA))), c(-1L, NA))
    expect_identical(materialize(lazy(1:4) / 2L), (1:4) / 2L)
    # R's integers have no negative zero: 1 / -0L is Inf.
    expect_identical(materialize(1 / -lazy(c(FALSE, TRUE))), 1 / -c(FALSE, TRUE))
    expect_identical(materialize(1 / (lazy(c(-3L, 2L)) * 0L)), 1 / (c(-3L, 2L) * 0L))
    expect_warning(o <- lazy(1:10) * .Machine$integer.max, "NAs produced by integer overflow")
    expect_identical(materialize(o), suppressWarnings(1:10 * .Machine$integer.max))
  })
})

test_that("tiny results are the plain values R computes", {
  expect_false(is_lazy(lazy(1:10) + 1L))
  expect_identical(lazy(1:10) + 1L, 2:11)
  expect_identical(lazy(c(1, 2)) * 1, c(1, 2))
  expect_identical(sum(lazy(1:10)), 55L)
})

test_that("names, dim, dimnames and other attributes follow R's arithmetic", {
  with_options(defer_min_len = 0, code = {
    expect_identical(materialize(lazy(c(a = 1, b = 2)) * 2), c(a = 2, b = 4))
    m <- matrix(1:4, 2, dimnames = list(c("a", "b"), c("c", "d")))
    attr(m, "units") <- "cm"
    lm <- lazy(m)
    expect_identical(materialize(lm * 2), m * 2)
    expect_identical(materialize(lm > 2), m > 2)
    expect_identical(materialize(sqrt(lm)), sqrt(m))
    expect_identical(materialize(t(lm)), t(m))
    expect_identical(materialize(rowSums(lm)), rowSums(m))
    expect_identical(materialize(colMeans(lm)), colMeans(m))
    expect_identical(materialize(is.na(lm)), is.na(m))
    expect_identical(class(lm), c("lazyshare", "matrix", "array"))
  })
})

test_that("str, data.frame, ifelse, range(finite = TRUE) and all.equal work as on eager values", {
  x <- c(1, -2, 3)
  expect_identical(capture.output(str(ifelse(lazy(x) > 0, 1, 0))), capture.output(str(ifelse(x > 0, 1, 0))))
  expect_identical(data.frame(a = lazy(x) * 2), data.frame(a = x * 2))
  expect_identical(local({x <- lazy(x); as.data.frame(x)}), as.data.frame(x))
  y <- c(1.5, NA, NaN, Inf, -2, 0)
  expect_identical(range(lazy(y), finite = TRUE), range(y, finite = TRUE))
  big <- rnorm(5000)
  expect_true(isTRUE(all.equal(lazy(big) * 1, big)))
  expect_equal(lazy(big) * 1, big)
})

test_that("dist() records the call that was made and the labels of the rows", {
  z <- matrix(rnorm(12), 4, dimnames = list(letters[1:4], NULL))
  d <- dist(lazy(z), diag = TRUE)
  expect_identical(attr(d, "call"), quote(dist(x = lazy(z), diag = TRUE)))
  e <- stats::dist(z, diag = TRUE)
  attr(e, "call") <- attr(d, "call")
  expect_identical(materialize(d), e)
  expect_identical(materialize(as.matrix(d)), as.matrix(e))
})

test_that("warnings about values come when the values are computed, once", {
  with_options(defer_min_len = 0, code = {
    s <- sqrt(lazy(c(4, -1, 9)))
    expect_warning(v <- materialize(s), "NaNs produced")
    expect_identical(v, suppressWarnings(sqrt(c(4, -1, 9))))
    expect_silent(materialize(s))
    expect_silent(sqrt(lazy(c(4, 1, 9))) + 0)
    m <- min(lazy(c(NA_real_, NA_real_)), na.rm = TRUE)
    expect_warning(v <- materialize(m), "no non-missing arguments to min")
    expect_identical(v, Inf)
    expect_warning(all(lazy(c(1.5, 0))), "coercing argument of type 'double' to logical")
    # Several arguments: R decides (and warns) from all of them together, and any() stops at TRUE.
    expect_silent(v <- min(lazy(c(3, 1)), lazy(NA_real_), na.rm = TRUE))
    expect_identical(v, 1)
    expect_warning(v <- max(lazy(NA_integer_), lazy(NA_integer_), na.rm = TRUE), "no non-missing")
    expect_identical(v, -Inf)
    expect_silent(expect_true(any(lazy(c(0L, 1L)), lazy(c(0.5, 0)))))
  })
})

test_that("an integer sum has the type R gives its value", {
  with_options(defer_min_len = 0, code = {
    big <- c(.Machine$integer.max, 1L)
    expect_identical(sum(lazy(big)), sum(big))
    expect_identical(typeof(sum(lazy(big))), "double")
    expect_identical(materialize(sum(lazy(1:100))), 5050L)
    expect_warning(v <- min(lazy(integer(0))), "no non-missing arguments to min")
    expect_identical(v, suppressWarnings(min(integer(0))))
  })
})

test_that("NA and NaN come out as R gives them", {
  with_options(defer_min_len = 0, code = {
    x <- c(NaN, NA, 1, NaN)
    y <- c(NA, NaN, NaN, 2)
    expect_identical(materialize(lazy(x) + lazy(y)), x + y)
    expect_identical(materialize(lazy(y) * lazy(x)), y * x)
    expect_identical(materialize(lazy(x) > 0), x > 0)
    expect_identical(materialize((!lazy(x)) + lazy(x)), (!x) + x)
    expect_identical(materialize(exp(lazy(x))), exp(x))
    expect_identical(materialize(lazy(x)^lazy(y)), x^y)
    expect_identical(materialize(sum(lazy(x))), sum(x))
    m <- cbind(c(NaN, NA), c(NA, NaN), c(Inf, -Inf))
    expect_identical(materialize(colSums(lazy(m))), colSums(m))
    expect_identical(materialize(rowMeans(lazy(m))), rowMeans(m))
    expect_identical(materialize(max(lazy(c(NaN, NA)))), max(c(NaN, NA)))
  })
})

test_that("compiled passes give R's values where values are kept", {
  with_options(defer_min_len = 0, jit_min_work = 0, code = {
    set.seed(3)
    x <- c(rnorm(200) * 10, NA, NaN, Inf, -Inf, 0)
    for (e in list(quote(x^3), quote(x^0.5), quote(abs(x)^4), quote(sin(x)), quote(log(abs(x))))) {
      lazy_val <- suppressWarnings(materialize(eval(e, list(x = lazy(x)))))
      expect_identical(lazy_val, suppressWarnings(eval(e, list(x = x))), info = deparse(e))
    }
    big <- c(1e200, -1e200, 3)
    expect_identical(materialize(as.matrix(dist(lazy(big)))), as.matrix(stats::dist(big)))
    expect_identical(max(lazy(x)^3), max(x^3))
  })
})

test_that("long lazy vectors R treats as plain ones print and format as their eager values", {
  # R prints a vector it cannot point into 512 values at a time, and R 4.2 merges the regions' double
  # formats wrongly (formatRealS): 10 significant digits and no gaps where the regions disagree.
  set.seed(1)
  x <- c(rnorm(1e5), NA, NaN, Inf, -Inf)
  xi <- c(sample(-1e6:1e6, 1e5, TRUE), NA)
  # The package's own object with its class taken off in place: no R wrapper around it.
  unwrapped <- function(op, e1, e2) {
    r <- .Call(lazyshare:::lzs_binary, op, e1, e2)
    class(r) <- NULL
    r
  }
  is_wrapper <- function(v) grepl("wrapper", capture.output(.Internal(inspect(v)))[1])
  cases <- list(
    double = list(as.numeric(lazy(x) * 2), unwrapped("*", lazy(x), 2), x * 2),
    integer = list(as.integer(lazy(xi) + 1L), unwrapped("+", lazy(xi), 1L), xi + 1L),
    logical = list(as.logical(lazy(x) > 0), unwrapped(">", lazy(x), 0), x > 0)
  )
  for (type in names(cases)) {
    eager <- cases[[type]][[3]]
    expect_true(is_wrapper(cases[[type]][[1]]), info = type)
    expect_false(is_wrapper(cases[[type]][[2]]), info = type)
    for (v in cases[[type]][1:2]) {
      expect_true(is_lazy(v), info = type)
      expect_identical(typeof(v), typeof(eager), info = type)
      expect_identical(capture.output(print(v)), capture.output(print(eager)), info = type)
      expect_identical(format(v), format(eager), info = type)
    }
  }
  named <- setNames(x, paste0("n", seq_along(x)))
  expect_identical(capture.output(print(unclass(lazy(named) * 2))), capture.output(print(named * 2)))
})
