# Partial distance correlation and covariance (energy's pdcor, pdcov and their permutation tests).

# The three samples of a partial distance statistic, checked: same n, at least 4 observations.
pdcor_inputs <- function(x, y, z) {
  s <- list(x = dcov_input(x, "x"), y = dcov_input(y, "y"), z = dcov_input(z, "z"))
  n <- vapply(s, n_obs, numeric(1))
  for (arg in c("y", "z")) {
    if (n[[arg]] != n[["x"]]) {
      abort(sprintf("`%s` must have as many observations as `x` (%d); it has %d", arg, n[["x"]], n[[arg]]))
    }
  }
  if (n[["x"]] < 4) {
    abort(sprintf("partial distance statistics are U-statistics and need at least 4 observations; `x` has %d",
                  n[["x"]]))
  }
  s
}

# The U-centred inner products (A.B) of two samples with (A.A) and (B.B): c(xy, xx, yy), in O(n) memory.
u_inner <- function(a, b) {
  s <- .Call(lzs_dcov, a$data, a$is_dist, b$data, b$is_dist, 1, TRUE, FALSE)
  c(xy = s[1], xx = s[3], yy = s[4])
}

# energy's partial_dcor, from the six U-centred inner products among x, y and z (three pairwise passes).
pdcor_stats <- function(s) {
  xy <- u_inner(s$x, s$y)
  xz <- u_inner(s$x, s$z)
  yz <- u_inner(s$y, s$z)
  AB <- xy[["xy"]]; AA <- xy[["xx"]]; BB <- xy[["yy"]]
  AC <- xz[["xy"]]; CC <- xz[["yy"]]; BC <- yz[["xy"]]
  eps <- .Machine$double.eps
  cor_u <- function(p, q, pq) {
    den <- sqrt(p * q)
    if (den > eps) pq / den else 0
  }
  Rxy <- cor_u(AA, BB, AB)
  Rxz <- cor_u(AA, CC, AC)
  Ryz <- cor_u(BB, CC, BC)
  den <- sqrt(1 - Rxz^2) * sqrt(1 - Ryz^2)
  pdcor <- if (den > eps) (Rxy - Rxz * Ryz) / den else 0
  # (Pxz.Pyz) with Pxz = A - c1 C and Pyz = B - c2 C, expanded into the products already at hand.
  c1 <- c2 <- 0
  if (abs(CC) > eps) {
    c1 <- AC / CC
    c2 <- BC / CC
  }
  pdcov <- AB - c2 * AC - c1 * BC + c1 * c2 * CC
  c(pdcor = pdcor, pdcov = pdcov, Rxy = Rxy, Rxz = Rxz, Ryz = Ryz)
}

# The n x n distance matrix of one checked sample, as a plain double matrix.
distance_matrix <- function(s) {
  d <- if (s$is_dist) s$data else as.matrix(dist(s$data))
  d <- as.matrix(materialize(d))
  dimnames(d) <- NULL
  storage.mode(d) <- "double"
  d
}

check_permutation_count <- function(R) {
  if (missing(R)) {
    abort("`R` (the number of permutation replicates) is missing; give a positive whole number, e.g. R = 199")
  }
  if (!is.numeric(R) || length(R) != 1L || is.na(R) || R < 1 || R != floor(R)) {
    abort(sprintf("`R` must be a positive whole number of replicates; got %s",
                  if (is.numeric(R) && length(R) == 1L) format(R) else describe_object(R)))
  }
  if (R >= .Machine$integer.max) {
    abort(sprintf("`R` must be below %d; got %s", .Machine$integer.max, format(R)))
  }
  R
}

#' Partial distance correlation and covariance
#'
#' energy's `pdcor`, `pdcov`, `pdcor.test` and `pdcov.test` with the same
#' arguments and results. `pdcor` and `pdcov` are built from the six
#' U-centred inner products among x, y and z, found by three pairwise passes
#' in O(n) memory (O(n log n) time for univariate samples), never forming an
#' n x n matrix. The tests follow energy exactly: the projections of the
#' U-centred distance matrices of x and y off that of z are n x n matrices
#' (O(n^2) memory), and each replicate permutes the rows and columns of the
#' first with a permutation drawn by `sample()`, as energy draws it; so with
#' the same seed the replicates and p-value are identical to energy's. The
#' replicates are summed in parallel.
#'
#' Inputs are read as in [dcor()]: vectors, matrices and data frames give
#' observations in rows; `dist` objects and distance matrices are distances.
#'
#' @param x,y,z Samples with the same number of observations (at least 4).
#' @param R Number of permutation replicates, a positive whole number.
#' @return `pdcor`: the partial distance correlation, named `pdcor`.
#'   `pdcov`: the partial distance covariance (an unbiased U-statistic; it can
#'   be negative). `pdcov.test`, `pdcor.test`: an `htest` object with
#'   energy's fields (`call`, `method`, `statistic`, `estimate`, `p.value`,
#'   `n`, `replicates`, `condition`, `data.name`).
#' @references Szekely and Rizzo (2014), Partial distance correlation with
#'   methods for dissimilarities, Annals of Statistics 42(6).
#' @examples
#' set.seed(1)
#' n <- 30
#' x <- rnorm(n)
#' y <- rnorm(n)
#' z <- rnorm(n)
#' pdcor(x, y, z)
#' pdcov(x, y, z)
#' set.seed(1)
#' pdcov.test(x, y, z, R = 199)
#' set.seed(1)
#' pdcor.test(x + z, y + z, z, R = 199)
#' @export
pdcor <- function(x, y, z) {
  pdcor_stats(pdcor_inputs(x, y, z))["pdcor"]
}

#' @rdname pdcor
#' @export
pdcov <- function(x, y, z) {
  unname(pdcor_stats(pdcor_inputs(x, y, z))["pdcov"])
}

#' @rdname pdcor
#' @export
pdcov.test <- function(x, y, z, R) {
  R <- check_permutation_count(R)
  s <- pdcor_inputs(x, y, z)
  Dz <- distance_matrix(s$z)
  Pxz <- .Call(lzs_projection, distance_matrix(s$x), Dz)
  Pyz <- .Call(lzs_projection, distance_matrix(s$y), Dz)
  rm(Dz)
  n <- nrow(Pxz)
  teststat <- n * .Call(lzs_u_products, Pxz, Pyz, NULL)
  den <- sqrt(.Call(lzs_u_products, Pxz, Pxz, NULL) * .Call(lzs_u_products, Pyz, Pyz, NULL))
  estimate <- if (den > 0) teststat / (n * den) else 0
  if (den > 0) {
    perms <- vapply(seq_len(R), function(k) sample(1:n), integer(n))
    replicates <- n * .Call(lzs_u_products, Pxz, Pyz, perms)
    pval <- (1 + sum(replicates > teststat)) / (1 + R)
  } else {
    pval <- NA
    replicates <- NA
  }
  names(estimate) <- "pdcor"
  names(teststat) <- "n V^*"
  structure(list(call = match.call(), method = "pdcov test", statistic = teststat, estimate = estimate,
                 p.value = pval, n = n, replicates = replicates, condition = den > 0,
                 data.name = paste0("replicates ", R)),
            class = "htest")
}

#' @rdname pdcor
#' @export
pdcor.test <- function(x, y, z, R) {
  R <- check_permutation_count(R)
  result <- pdcov.test(x, y, z, R = R)
  reps <- if (result$condition) result$replicates / (result$statistic / result$estimate) else NA
  structure(list(call = match.call(), method = "pdcor test", statistic = result$estimate,
                 estimate = result$estimate, p.value = result$p.value, n = result$n, replicates = reps,
                 condition = result$condition, data.name = result$data.name),
            class = "htest")
}
