# energy's distance correlation t-test for high dimension (dcorT, dcorT.test).

# The bias-corrected distance correlation of energy's BCDCOR and n: BCDCOR takes dist() of anything that
# is not a dist object, so a square matrix is data here even when it looks like distances.
bcdcor_n <- function(x, y) {
  side <- function(v, arg) {
    s <- dcov_input(v, arg)
    if (is.matrix(v) && !is_lazy(v)) s$is_dist <- FALSE
    s
  }
  s <- list(x = side(x, "x"), y = side(y, "y"))
  n <- n_obs(s$x)
  if (n != n_obs(s$y)) abort(sprintf("`y` must have as many observations as `x` (%d); it has %d", n, n_obs(s$y)))
  if (n < 4) abort(sprintf("the dcor t-test uses U-statistics and needs at least 4 observations; `x` has %d", n))
  u <- .Call(lzs_dcov, s$x$data, s$x$is_dist, s$y$data, s$y$is_dist, 1, TRUE, FALSE)
  list(bcR = u[1] / sqrt(u[3] * u[4]), n = n)
}

#' Distance correlation t-test for high dimension
#'
#' energy's `dcorT` and `dcorT.test`: the bias-corrected distance
#' correlation R* turned into `T = sqrt(M - 1) R* / sqrt(1 - R*^2)` with
#' `M = n(n - 3)/2`, which under independence is approximately Student t
#' with `M - 1` degrees of freedom when the dimension is high. R* is found in
#' O(n) memory (O(n log n) time for univariate samples); energy forms n x n
#' matrices. Unlike energy, a square matrix that is not a `dist` object is
#' data, as in energy's own BCDCOR.
#'
#' @param x,y Samples with the same number of observations (at least 4), or
#'   `dist` objects.
#' @return `dcorT`: the statistic T. `dcorT.test`: an `htest` object with
#'   energy's fields (`statistic` T, `parameter` df, `p.value`, `estimate`
#'   the bias-corrected dcor, `method`, `data.name`).
#' @references Szekely and Rizzo (2013), The distance correlation t-test of
#'   independence in high dimension, Journal of Multivariate Analysis 117.
#' @examples
#' set.seed(1)
#' x <- matrix(rnorm(100), 10, 10)
#' y <- matrix(runif(100), 10, 10)
#' dcorT(x, y)
#' dcorT.test(x, y)
#' @export
dcorT <- function(x, y) {
  r <- bcdcor_n(x, y)
  M <- r$n * (r$n - 3) / 2
  sqrt(M - 1) * r$bcR / sqrt(1 - r$bcR^2)
}

#' @rdname dcorT
#' @export
dcorT.test <- function(x, y) {
  dname <- paste(deparse(substitute(x)), "and", deparse(substitute(y)))
  r <- bcdcor_n(x, y)
  M <- r$n * (r$n - 3) / 2
  df <- c(df = M - 1)
  tstat <- c(T = unname(sqrt(M - 1) * r$bcR / sqrt(1 - r$bcR^2)))
  structure(list(statistic = tstat, parameter = df, p.value = 1 - stats::pt(tstat, df = df),
                 estimate = c(`Bias corrected dcor` = unname(r$bcR)),
                 method = "dcor t-test of independence for high dimension", data.name = dname),
            class = "htest")
}
