# energy's permutation tests of independence, with energy's permutations and O(n) memory.

# R as energy reads it: missing, NULL or 0 means no test (the statistic only, p-value NA, as energy
# returns it); what energy would silently misread (negative, NA, not a number) is refused. `whole`: a
# fraction is an error too (pdcov.test, where energy would divide by the fractional R + 1) rather than
# rounded down (dcov.test, as energy does).
check_replicates <- function(R, whole = FALSE) {
  if (is.null(R)) return(0)
  if (!is.numeric(R) || length(R) != 1L || is.na(R) || !is.finite(R)) {
    abort(sprintf("`R` must be a single number of replicates; got %s", describe_object(R)))
  }
  if (R < 0) abort(sprintf("`R` must be >= 0 (the number of replicates; 0 for no test); got %s", format(R)))
  if (whole && R != floor(R)) abort(sprintf("`R` must be a whole number of replicates; got %s", format(R)))
  if (R >= .Machine$integer.max) abort(sprintf("`R` must be below %d; got %s", .Machine$integer.max, format(R)))
  R <- floor(R)
  if (R < 1) 0 else R
}

# energy's dCOVtest: list(estimates = c(dCov, dCor, dVarX, dVarY), replicates = dCov per permutation, n).
dcov_permutations <- function(x, y, index, R) {
  # energy takes an index within all.equal's tolerance of 1 as 1.
  if (isTRUE(all.equal(index, 1))) index <- 1
  xs <- dcov_input(x, "x")
  ys <- dcov_input(y, "y")
  n <- n_obs(xs)
  if (n != n_obs(ys)) abort("Sample sizes must agree")
  if (n < 1) abort("`x` and `y` must have at least one observation")
  res <- .Call(lzs_dcov_test, xs$data, xs$is_dist, ys$data, ys$is_dist, index, R)
  res$n <- as.integer(n)
  res
}

#' Permutation tests of independence by distance covariance and correlation
#'
#' energy's `dcov.test` and `dcor.test`, with the same arguments and the
#' same `htest` results: with the same `set.seed()`, the same permutations,
#' hence the same replicates (to rounding) and the same p-value. Each
#' replicate is computed without an n x n matrix: univariate samples with
#' `index = 1` take the O(n log n) path, the replicates spread over all
#' cores; other samples stream each replicate through two fused passes over
#' the pairs (O(n) memory; a distance-matrix input is held once, permuted
#' per replicate).
#'
#' The permutations are drawn on R's main thread from R's generator,
#' exactly as energy's C code draws them, and advance `.Random.seed` as
#' energy does. As in energy, no permutation is drawn when the sample
#' distance correlation is 0 (the p-value is then 1).
#'
#' Inputs are read as in [dcor()]: vectors, matrices and data frames give
#' observations in rows; `dist` objects and square symmetric zero-diagonal
#' matrices are distances. Missing or infinite values are an error naming
#' the argument.
#'
#' @param x,y Samples with the same number of observations.
#' @param index Exponent on the distances, in (0, 2].
#' @param R Number of permutation replicates. `NULL`, missing or 0
#'   (energy's default) computes the statistic only, with `p.value` `NA`
#'   and a `method` asking for `R > 0`, as energy returns it. Fractions are
#'   rounded down, as in energy; a negative or missing (`NA`) `R` is an
#'   error.
#' @return An `htest` list as energy returns it. `dcov.test`: `statistic`
#'   (`nV^2`, n times dCov^2), `method`, `estimate` (`dCov`), `estimates`
#'   (dCov, dCor, dVarX, dVarY), `p.value`, `replicates` (the statistic of
#'   each permutation), `n`, `data.name`. `dcor.test`: `method`,
#'   `statistic` (`dCor`), `estimates` (named), `p.value`, `replicates` (dCor
#'   of each permutation), `n`, `data.name`.
#' @references Szekely, Rizzo and Bakirov (2007), Measuring and testing
#'   dependence by correlation of distances, Annals of Statistics 35(6).
#' @examples
#' x <- iris[1:50, 1:4]
#' y <- iris[51:100, 1:4]
#' set.seed(1)
#' dcor.test(dist(x), dist(y), R = 19)
#' set.seed(1)
#' dcov.test(x, y, R = 19)
#' set.seed(2)
#' u <- rnorm(200)
#' dcor.test(u, u^2 + rnorm(200), R = 19)$p.value
#' @export
dcov.test <- function(x, y, index = 1.0, R = NULL) {
  R <- check_replicates(R)
  index <- check_index(index)
  res <- dcov_permutations(x, y, index, R)
  est <- res$estimates
  n <- res$n
  stat <- c("nV^2" = n * est[1]^2)
  p.value <- if (R < 1) NA else if (est[2] > 0) (1 + sum(res$replicates >= est[1])) / (1 + R) else 1
  e <- list(statistic = stat,
            method = if (R > 0) "dCov independence test (permutation test)"
                     else "Specify the number of replicates R (R > 0) for an independence test",
            estimate = c(dCov = est[1]),
            estimates = est,
            p.value = p.value,
            # energy hands its C code a one-element buffer when R is 0.
            replicates = n * (if (R > 0) res$replicates else 0)^2,
            n = n,
            data.name = paste("index ", index, ", replicates ", R, sep = ""))
  class(e) <- "htest"
  e
}

#' @rdname dcov.test
#' @export
dcor.test <- function(x, y, index = 1.0, R) {
  R <- if (missing(R)) 0 else check_replicates(R)
  res <- dcov.test(x, y, index = index, R = R)
  estimates <- res$estimates
  names(estimates) <- c("dCov", "dCor", "dVar(X)", "dVar(Y)")
  stat <- c(dCor = res$estimates[2])
  reps <- if (R > 0) sqrt(res$replicates / res$n) / sqrt(estimates[[3]] * estimates[[4]]) else NA
  e <- list(method = if (R > 0) "dCor independence test (permutation test)"
                     else "Specify the number of replicates R>0 for an independence test",
            statistic = stat,
            estimates = estimates,
            p.value = if (R > 0) (1 + sum(reps >= stat)) / (1 + R) else NA,
            replicates = reps,
            n = res$n,
            data.name = paste("index ", index, ", replicates ", R, sep = ""))
  class(e) <- "htest"
  e
}
