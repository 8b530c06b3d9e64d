# Distance covariance and correlation with energy's semantics, in O(n) memory.

# energy's is.dmatrix: a square, symmetric, zero-diagonal, non-negative matrix is read as distances.
is_dmatrix <- function(x, tol = 100 * .Machine$double.eps) {
  is.matrix(x) && nrow(x) == ncol(x) && max(abs(diag(x))) < tol &&
    max(abs(x - t(x))) < tol && !any(x < 0)
}

# One side of a distance covariance as lzs_dcov takes it: list(data, is_dist).
dcov_input <- function(x, arg) {
  if (is_lazy(x)) {
    info <- .Call(lzs_info, x)
    dist_like <- info$dist || (info$symmetric && info$rows == info$cols && info$rows > 1)
    if (!dist_like && info$cols == 0) no_variables(arg)
    return(list(data = x, is_dist = dist_like))
  }
  if (inherits(x, "dist")) return(list(data = as.matrix(x), is_dist = TRUE))
  if (is.factor(x)) {
    z <- as.integer(x)
    if (!is.ordered(x) && nlevels(x) > 2) {
      return(list(data = as.matrix(dist(lazy(z))) > 0, is_dist = TRUE))
    }
    return(list(data = as.numeric(z), is_dist = FALSE))
  }
  if (is.data.frame(x)) {
    ok <- vapply(x, function(col) is.numeric(col) || is.logical(col), logical(1))
    if (!all(ok)) {
      abort(sprintf("`%s` is a data frame with non-numeric column '%s'", arg, names(x)[!ok][1]))
    }
    x <- as.matrix(x)
  }
  if (!(is.numeric(x) || is.logical(x)) || (!is.null(oldClass(x)) && !is.matrix(x))) {
    abort(sprintf("`%s` must be a numeric vector or matrix, a data frame, a dist object or a factor; got %s",
                  arg, describe_object(x)))
  }
  if (!all(is.finite(x))) {
    abort(sprintf("`%s` contains missing or non-finite values (NA/NaN/Inf); distance covariance needs finite data: remove incomplete observations first",
                  arg))
  }
  if (is.matrix(x) && ncol(x) == 0L) no_variables(arg)
  if (is_dmatrix(x)) return(list(data = x, is_dist = TRUE))
  list(data = if (is.matrix(x)) x else as.numeric(x), is_dist = FALSE)
}

# A matrix without columns has no distances (stats::dist gives NA): refused rather than read as zeros.
no_variables <- function(arg) {
  abort(sprintf("`%s` has no columns; distance statistics need at least one variable", arg))
}

n_obs <- function(s) {
  if (inherits(s$data, "dist")) return(attr(s$data, "Size"))
  if (!is.null(dim(s$data))) nrow(s$data) else length(s$data)
}

check_index <- function(index) {
  if (!is.numeric(index) || length(index) != 1L || is.na(index)) {
    abort(sprintf("`index` must be a single number in (0, 2]; got %s",
                  if (is.character(index) && length(index) == 1L) encodeString(index, quote = '"')
                  else describe_object(index)))
  }
  if (!(index > 0 && index <= 2)) {
    abort(sprintf("`index` must be in (0, 2] (the exponent on distances); got %s", format(index)))
  }
  as.numeric(index)
}

dcov_stats <- function(x, y, index = 1, unbiased = FALSE, method = "auto", sizes_msg) {
  method <- check_choice(method, c("auto", "streaming"), "method")
  xs <- dcov_input(x, "x")
  ys <- dcov_input(y, "y")
  n <- n_obs(xs)
  if (n != n_obs(ys)) abort(sizes_msg)
  if (n < 1) abort("`x` and `y` must have at least one observation")
  if (unbiased && n < 4) {
    abort(sprintf("U-statistics (dcovU, bcdcor) need at least 4 observations; got %d", n))
  }
  .Call(lzs_dcov, xs$data, xs$is_dist, ys$data, ys$is_dist, index, unbiased, method == "streaming")
}

#' Distance correlation and covariance, in O(n) memory
#'
#' The same statistics as the energy package's `dcor`, `dcov`, `DCOR`,
#' `dcovU` and `bcdcor`, with the same arguments, semantics and results (to
#' about 1e-12), but without the n x n matrices: memory stays O(n) and all
#' cores are used. Univariate samples with `index = 1` use the O(n log n)
#' algorithm of Huo and Szekely (after centring, so location offsets do not
#' cost accuracy); other inputs use two fused passes over the pairs, each
#' distance recomputed from the data.
#'
#' Inputs are read as energy reads them: a vector or data frame or matrix
#' gives observations in rows; a `dist` object, or a square symmetric
#' non-negative matrix with a zero diagonal, is a distance matrix; a factor
#' becomes its integer codes (an unordered factor with more than two levels
#' gives 0/1 distances). Lazy objects and shared views are accepted too.
#' Unlike energy, missing or infinite values are an error naming the
#' argument, and `index` must be in (0, 2].
#'
#' @param x,y Samples with the same number of observations.
#' @param index Exponent on the distances, in (0, 2].
#' @param method `"auto"` (O(n log n) where it applies) or `"streaming"`
#'   (always the two-pass form; for benchmarks and cross-checks).
#' @return `dcor`, `dcov`: a number. `DCOR`: `list(dCov, dCor, dVarX,
#'   dVarY)`. `dcovU`: the unbiased estimator of dCov^2 named `dCovU` (it can
#'   be negative). `bcdcor`: the bias-corrected distance correlation named
#'   `bcdcor`.
#' @references Szekely, Rizzo and Bakirov (2007), Measuring and testing
#'   dependence by correlation of distances, Annals of Statistics 35(6).
#'   Huo and Szekely (2016), Fast computing for distance covariance,
#'   Technometrics 58(4).
#' @examples
#' set.seed(1)
#' x <- rnorm(1000)
#' y <- x^2 + rnorm(1000)
#' dcor(x, y)
#' dcov(x, y, index = 0.5)
#' DCOR(x, y)
#' bcdcor(x, y)
#' X <- matrix(rnorm(1500), 500, 3)
#' dcor(X, X[, 1] * X[, 2])
#' @export
dcor <- function(x, y, index = 1.0, method = c("auto", "streaming")) {
  index <- check_index(index)
  dcov_stats(x, y, index, FALSE, method, "Sample sizes must agree")[2]
}

#' @rdname dcor
#' @export
dcov <- function(x, y, index = 1.0, method = c("auto", "streaming")) {
  index <- check_index(index)
  dcov_stats(x, y, index, FALSE, method, "Sample sizes must agree")[1]
}

#' @rdname dcor
#' @export
DCOR <- function(x, y, index = 1.0, method = c("auto", "streaming")) {
  index <- check_index(index)
  s <- dcov_stats(x, y, index, FALSE, method, "Sample sizes must agree")
  list(dCov = s[1], dCor = s[2], dVarX = s[3], dVarY = s[4])
}

#' @rdname dcor
#' @export
dcovU <- function(x, y, method = c("auto", "streaming")) {
  c(dCovU = dcov_stats(x, y, 1, TRUE, method, "sample sizes must agree")[1])
}

#' @rdname dcor
#' @export
bcdcor <- function(x, y, method = c("auto", "streaming")) {
  c(bcdcor = dcov_stats(x, y, 1, TRUE, method, "sample sizes must agree")[2])
}
