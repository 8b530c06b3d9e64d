# memshare's per-column mutual information, memshare::mutualinfo(x, y, isYDiscrete = TRUE) (memshare 1.0.3,
# with DataVisualizations::ParetoRadius_fast and ScatterDensity::SmoothedDensitiesXY's discrete-y path), written
# in R for bench/R/mi.R, which runs it through memApply's worker path as the memshare paper did. Functions only.
#
# It follows ../../../shared/specs/algorithms.md §2.2 and §2.4 step by step, as fast as plain R makes them:
# - the Pareto radius bisects on the distance like memshare's C++ quantileDist1d, but counts the pairs within a
#   distance with findInterval() on the sorted values (vectorised, O(n log n) per step) instead of a two-pointer
#   loop, which R would run element by element; the 10,000-value sample above n = 10,000 is drawn as
#   ParetoRadius_fast draws it (ceiling(runif(10000, 0, n)), from R's RNG);
# - the Eilers smoother is the dense 512 x 512 solve() that memshare's Armadillo code does (an LU
#   factorisation per column), but its matrix I + lambda^2 D2'D2 + 2 lambda D1'D1 is built once per lambda and
#   kept (Armadillo builds it with two dense products at every call);
# - the per-class histograms are one tabulate() of (bin, class) codes.
# The data are assumed finite (ParetoRadius_fast drops non-finite values; mi.R has none).
#
# memshare_mi is a closure over a small environment (helpers and the cache of smoother matrices), not over
# the global environment, so that memApply can serialise it to its workers with everything it needs.

memshare_mi <- local({
  grid_points <- 512L    # SmoothedDensitiesXY's grid in mutualinfo: seq(min - r, max + r, length.out = 512)
  max_samples <- 10000L  # ParetoRadius_fast's maximumNrSamples
  smoothers <- new.env(parent = emptyenv())  # lambda -> I + lambda^2 D2'D2 + 2 lambda D1'D1

  # The number of pairs i < j of the sorted values `xs` with xs[j] - xs[i] <= d: findInterval(xs[i] + d, xs)
  # counts every j <= i as well (xs[j] <= xs[i] <= xs[i] + d), which the sum of 1..n takes out again.
  pairs_within <- function(xs, d) {
    n <- length(xs)
    sum(as.numeric(findInterval(xs + d, xs))) - n * (n + 1) / 2
  }

  # quantileDist1d(x, p): the p-quantile of the pairwise distances by bisection on the distance, stopping at a
  # relative bracket of 1e-9 and returning the upper end (memshare's C++, line for line, but for the count).
  quantile_dist_1d <- function(x, p = 0.18) {
    xs <- sort(x)
    n <- length(xs)
    if (n < 2L) return(NA_real_)
    k <- floor(p * (n * (n - 1) / 2))
    lo <- 0
    hi <- xs[n] - xs[1L]
    ans <- hi
    while (hi - lo > 1e-9 * (1 + hi)) {
      mid <- 0.5 * (lo + hi)
      if (pairs_within(xs, mid) > k) {
        ans <- mid
        hi <- mid
      } else {
        lo <- mid
      }
    }
    ans
  }

  # ParetoRadius_fast(x): the 18 % distance quantile of (a sample of) x, times 4 / n^0.2 above n = 1024. When
  # it is below 1e-9 (heavy ties), memshare takes the smallest positive one of the 18 %, ..., 100 % quantiles
  # of all the distances of the sample, which it materialises (dist1d); so does this, since that is its cost.
  pareto_radius_fast <- function(x) {
    n <- length(x)
    s <- if (n > max_samples) x[ceiling(stats::runif(max_samples, 0, n))] else x
    r <- quantile_dist_1d(s)
    if (r < 1e-9) {
      d <- sort(as.vector(stats::dist(s)))
      m <- length(d)
      q <- d[pmin(m, pmax(1, floor(m * (18:100 / 100 - 1e-9)) + 1))]  # quantile4LargeVectors' order statistic
      r <- min(q[q > 0])
    }
    if (!is.finite(r)) return(NaN)
    if (n > 1024) r <- r * 4 / n^0.2
    r
  }

  # Eilers' smoother matrix for `lambda`, as ScatterDensity's smooth1D_C builds it.
  smoother_matrix <- function(lambda) {
    key <- sprintf("%.17g", lambda)
    A <- smoothers[[key]]
    if (is.null(A)) {
      E <- diag(grid_points)
      D1 <- diff(E)
      D2 <- diff(D1)
      A <- E + (lambda^2 * crossprod(D2) + 2 * lambda * crossprod(D1))
      assign(key, A, envir = smoothers)
    }
    A
  }

  # SmoothedDensitiesXY(x, y, Xkernels = xs, lambda = 4, isYDiscrete = TRUE)$GridDensity: the histogram of
  # (grid bin of x, class of y) over n, each class column smoothed on the grid, then normalised so that the
  # left Riemann sum over the grid and the classes is 1. Also returns the class sizes (table(y)).
  class_densities <- function(x, y, xs) {
    x_edges <- c(-Inf, xs[-grid_points] + 0.5 * diff(xs), Inf)
    classes <- sort(unique(y))
    k <- length(classes)
    y_edges <- c(-Inf, (classes[-k] + classes[-1L]) / 2, Inf)
    bin <- findInterval(x, x_edges)
    cls <- findInterval(y, y_edges)
    H <- matrix(tabulate(bin + grid_points * (cls - 1L), grid_points * k), grid_points, k) / length(x)
    lambda <- min(length(unique(x)), 250) / 4
    Z <- solve(smoother_matrix(lambda), H)  # dense LU solve, as Armadillo's arma::solve
    Z <- Z / sum(Z[-grid_points, , drop = FALSE] * diff(xs))
    list(G = Z, counts = tabulate(cls, k))
  }

  # mutualinfo(x, y, isYDiscrete = TRUE): sum over the classes c of n_c / n * KL(q_c || p) on the grid, where
  # p = the row sums of the joint density and q_c its column c normalised to integrate to 1; grid points where
  # q_c <= eps are left out of the sum.
  function(v, y, eps = .Machine$double.eps * 1000) {
    x <- as.numeric(v)
    n <- length(x)
    if (n < 3L || stats::sd(x) < eps || stats::sd(y) < eps) return(0)
    r <- pareto_radius_fast(x)
    if (is.nan(r)) return(0)
    xs <- seq(min(x) - r, max(x) + r, length.out = grid_points)
    dens <- class_densities(x, y, xs)
    dx <- mean(diff(xs))
    p <- rowSums(dens$G)
    q <- dens$G / rep(colSums(dens$G) * dx, each = grid_points)
    keep <- q > eps
    terms <- q * log(q / p)  # p recycles down each column
    terms[!keep] <- 0
    sum(colSums(terms) * dx * dens$counts / n)
  }
})
