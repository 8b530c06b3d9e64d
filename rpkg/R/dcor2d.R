# energy's dcov2d and dcor2d: distance covariance and correlation of two univariate samples.

#' Fast distance covariance and correlation of univariate samples
#'
#' energy's `dcov2d` and `dcor2d`, with the same arguments and results, by
#' the O(n log n) algorithm of Huo and Szekely in O(n) memory. Note energy's
#' conventions: `dcov2d` returns the squared distance covariance (the
#' V-statistic, or the unbiased U-statistic for `type = "U"`), and
#' `dcor2d` returns the squared distance correlation for `type = "V"` and the
#' bias-corrected distance correlation for `type = "U"`.
#'
#' @param x,y Numeric vectors of the same length (at least 4 for
#'   `type = "U"`).
#' @param type `"V"` (V-statistics) or `"U"` (unbiased U-statistics).
#' @param all.stats Also return the squared distance variances `dvarX`,
#'   `dvarY`.
#' @return `dcov2d`: the statistic, followed by `dvarX` and `dvarY` when
#'   `all.stats` is TRUE. `dcor2d`: a number.
#' @references Huo and Szekely (2016), Fast computing for distance
#'   covariance, Technometrics 58(4).
#' @examples
#' set.seed(1)
#' x <- rnorm(100)
#' y <- x^2 + rnorm(100)
#' all.equal(dcov(x, y)^2, dcov2d(x, y), check.attributes = FALSE)
#' all.equal(bcdcor(x, y), dcor2d(x, y, "U"), check.attributes = FALSE)
#' dcov2d(x, y, "U", all.stats = TRUE)
#' @export
dcov2d <- function(x, y, type = c("V", "U"), all.stats = FALSE) {
  type <- check_choice(type, c("V", "U"), "type")
  if ((!is.vector(x) || !is.vector(y)) && (NCOL(x) > 1 || NCOL(y) > 1)) {
    abort("this method is only for univariate x and y: `x` and `y` must each have one column")
  }
  x <- as.vector(x)
  y <- as.vector(y)
  if (length(x) != length(y)) {
    abort(sprintf("sample sizes must agree: `x` has %d observations, `y` has %d", length(x), length(y)))
  }
  s <- dcov_stats(x, y, 1, type == "U", "auto", "sample sizes must agree")
  # dcov_stats gives the V-statistics as square roots (dCov, dVarX, dVarY); dcov2d reports their squares.
  st <- if (type == "V") s^2 else s
  rval <- st[1]
  if (all.stats) rval <- c(rval, dvarX = st[3], dvarY = st[4])
  rval
}

#' @rdname dcov2d
#' @export
dcor2d <- function(x, y, type = c("V", "U")) {
  type <- check_choice(type, c("V", "U"), "type")
  stat <- dcov2d(x, y, type, all.stats = TRUE)
  dvarX <- stat[2]
  dvarY <- stat[3]
  R2 <- 0
  if (dvarX * dvarY > 10 * .Machine$double.eps) R2 <- stat[1] / sqrt(dvarX * dvarY)
  R2
}
