# Pareto density estimation and mutual-information feature selection. The estimators run in Rust, a
# column at a time on every core; this file turns R values into what they take (class codes, radius
# samples drawn from R's RNG where memshare draws them) and their results into R values and errors.

#' Pareto radius and Pareto density estimation
#'
#' `pareto_radius(x)` is the radius of Ultsch's Pareto density estimation:
#' the 18 % quantile of all pairwise distances |x_i - x_j| (the order
#' statistic `floor(m * (0.18 - 1e-9))` of the m = n(n-1)/2 distances),
#' multiplied by `4 / n^0.2` when there are more than 1024 values, as
#' DataVisualizations' `ParetoRadius` computes it. It is always exact:
#' DataVisualizations samples 10,000 values above n = 10,000 (and
#' `ParetoDensityEstimation` uses an approximation from n = 5,000 on); here no
#' sampling is needed, because the order statistic is found in O(n log n)
#' time and O(n) memory without the m distances.
#'
#' `pde(x)` is DataVisualizations' `ParetoDensityEstimation(x)` with its
#' defaults and the exact radius: kernels at the midpoints of `pretty()`
#' breaks (with the data's minimum and maximum added, so the kernels are not
#' sorted), the points within the radius of each kernel counted after
#' mirroring at the data's bounds, divided by the trapezoid area. With fewer
#' than 3 distinct values it returns DataVisualizations' Dirac spikes with
#' radius 0.
#'
#' Non-finite values (NA, NaN, Inf) are left out of both, where
#' DataVisualizations warns and keeps them.
#'
#' @param x A numeric vector (an ordinary, shared or lazy one).
#' @return `pareto_radius()`: a number. `pde()`: a list with `kernels`,
#'   `paretoDensity` and `paretoRadius`, as `ParetoDensityEstimation` returns.
#' @seealso [mutualinfo()] and [mi_scores()], which estimate class-wise
#'   densities this way.
#' @examples
#' set.seed(1)
#' x <- rnorm(1000)
#' pareto_radius(x)
#' d <- pde(x)
#' plot(sort(d$kernels), d$paretoDensity[order(d$kernels)], type = "l")
#' @export
pareto_radius <- function(x) {
  .Call(lzs_pareto_radius, numeric_vector(x, "x", min_finite = 2L))
}

#' @rdname pareto_radius
#' @export
pde <- function(x) {
  .Call(lzs_pde, numeric_vector(x, "x", min_finite = 1L))
}

numeric_vector <- function(x, arg, min_finite) {
  feature_values(x, arg)
  n_finite <- sum(is.finite(x))
  if (n_finite < min_finite) {
    abort(sprintf("`%s` must have at least %d finite value%s; got %d", arg, min_finite,
                  if (min_finite > 1L) "s" else "", n_finite))
  }
  x
}

#' Mutual information of a feature with class labels
#'
#' memshare's `mutualinfo()`, with its name and arguments, in nats. For a
#' continuous `x` and discrete `y` it estimates the density of `x` in every
#' class and compares it with the density of `x` overall, in one of the two
#' ways described under Details.
#'
#' The two estimators for a continuous `x`:
#'
#' * `method = "pde"` (the default) uses Pareto density estimation (see
#'   [pde()]) with the exact radius and kernels of the whole `x`, and every
#'   class's points counted in the same Pareto spheres. The class densities
#'   are normalised with the kernels' trapezoid weights, so the estimate is
#'   the exact mutual information of a discrete joint table: it lies between
#'   0 and the entropy of `y`, is 0 when every class has the same empirical
#'   distribution, and does not depend on the order of the observations.
#' * `method = "memshare"` reproduces `memshare::mutualinfo(x, y, isYDiscrete
#'   = TRUE)`: a 512-point grid, per-class histograms smoothed with Eilers'
#'   smoother, and the approximate Pareto radius, which memshare computes from
#'   10,000 values drawn with R's random number generator when there are more
#'   than 10,000: this function draws the same values, so with the same seed
#'   the results agree (to about 1e-12).
#'
#' Discrete `x` and `y` (`isXDiscrete` and `isYDiscrete`, or factors) give the
#' plug-in estimate from their contingency table (memshare's discrete path
#' instead reports bits and leaves out one category). A discrete `x` with a
#' continuous `y` is scored with the roles swapped: mutual information is
#' symmetric.
#'
#' Two continuous variables are refused: discretise `y` first (with `cut()`),
#' or say that its values are class labels (`isYDiscrete = TRUE`).
#'
#' @param x A numeric vector: the feature (an ordinary, shared or lazy one).
#' @param y The class labels, as long as `x`: a factor, character, logical
#'   or integer vector, or numbers with `isYDiscrete = TRUE`.
#' @param isXDiscrete Whether `x` holds class labels.
#' @param isYDiscrete Whether numeric `y` holds class labels (factors,
#'   characters and logicals always do).
#' @param eps memshare's threshold: a feature whose standard deviation is
#'   below it scores 0, and grid cells with a smaller density are left out of
#'   the sum (`method = "memshare"` only).
#' @param na.rm Whether to leave out observations where `x` is not finite or
#'   `y` is NA. Without it they are an error.
#' @param method `"pde"` or `"memshare"`.
#' @return The mutual information in nats: a number between 0 and the
#'   entropy of the class labels. Features with fewer than 3 observations or
#'   fewer than 3 distinct values score 0.
#' @seealso [mi_scores()] for every column of a matrix at once.
#' @references Märte, J., Thrun, M. C. (2025), memshare: Memory Sharing for
#'   Multicore Computation in R with an Application to Feature Selection by
#'   Mutual Information using PDE. Ultsch, A. (2005), Pareto density
#'   estimation: A density estimation for knowledge discovery.
#' @examples
#' set.seed(1)
#' y <- rep(1:3, c(1000, 2000, 1000))
#' x <- c(rnorm(1000), rnorm(2000) + 8, rnorm(1000) * 2 - 8)
#' mutualinfo(x, y, isYDiscrete = TRUE)                      # near H(y) = 1.04
#' mutualinfo(x, y, isYDiscrete = TRUE, method = "memshare") # memshare's 1.017
#' mutualinfo(rnorm(4000), factor(y))                       # near 0
#' @export
mutualinfo <- function(x, y, isXDiscrete = FALSE, isYDiscrete = FALSE,
                       eps = .Machine$double.eps * 1000, na.rm = FALSE,
                       method = c("pde", "memshare")) {
  method <- check_choice(method, c("pde", "memshare"), "method")
  check_flag(isXDiscrete, "isXDiscrete")
  check_flag(isYDiscrete, "isYDiscrete")
  check_flag(na.rm, "na.rm")
  check_eps(eps)
  x_discrete <- isXDiscrete || is_label_type(x)
  y_discrete <- isYDiscrete || is_label_type(y)
  if (length(x) != length(y)) {
    abort(sprintf("`x` and `y` must have the same length; got %d and %d", length(x), length(y)))
  }
  if (x_discrete && y_discrete) {
    cx <- class_codes(x, "x", na.rm, min_classes = 1L)
    cy <- class_codes(y, "y", na.rm, min_classes = 1L)
    return(.Call(lzs_mi_discrete, cx$codes, cx$n, cy$codes, cy$n))
  }
  if (x_discrete) {
    # Mutual information is symmetric: y scored against the classes of x.
    feature_values(y, "y")
    return(mi_of_columns(y, x, TRUE, eps, na.rm, method, "y", "x"))
  }
  feature_values(x, "x")
  mi_of_columns(x, y, y_discrete, eps, na.rm, method, "x", "y")
}

# The MI of each column of X (a vector is one column) with the labels y: mutualinfo's case of a
# continuous feature, for one vector or, in memApply's fused path, every column of a matrix.
mi_of_columns <- function(X, y, y_discrete, eps, na.rm, method, x_arg, y_arg) {
  if (!y_discrete) {
    abort(sprintf(paste0("`%s` is continuous, and mutual information of two continuous variables is ",
                         "not estimated here: discretise it, e.g. %s <- cut(%s, breaks = 10), or pass ",
                         "is%sDiscrete = TRUE if its values are class labels"),
                  y_arg, y_arg, y_arg, toupper(y_arg)))
  }
  score_columns(X, class_codes(y, y_arg, na.rm), method, eps, na.rm, x_arg)$mi
}

# memApply(X, 2, mutualinfo, VARS = list(y = y, ...)) as one parallel pass of the scorer, or NULL when
# the call is not that (then memApply goes on as for any FUN).
fused_mutualinfo <- function(X, MARGIN, FUN, vars) {
  args <- formals(mutualinfo)
  if (MARGIN != 2L || !identical(FUN, mutualinfo) || !"y" %in% names(vars) ||
      !all(names(vars) %in% names(args)[-1L])) {
    return(NULL)
  }
  args[names(vars)] <- vars
  args$method <- eval(args$method)
  if (!isFALSE(args$isXDiscrete)) return(NULL)
  method <- check_choice(args$method, c("pde", "memshare"), "method")
  check_flag(args$isYDiscrete, "isYDiscrete")
  check_flag(args$na.rm, "na.rm")
  args$eps <- eval(args$eps)
  check_eps(args$eps)
  y <- args$y
  if (length(y) != nrow(X)) {
    abort(sprintf("`y` must have one label per row of `X` (%d); got %d", nrow(X), length(y)))
  }
  scores <- mi_of_columns(X, y, args$isYDiscrete || is_label_type(y), args$eps, args$na.rm, method,
                          "X", "y")
  stats::setNames(as.list(scores), colnames(X))
}

#' Rank the columns of a matrix by mutual information with class labels
#'
#' The feature selection of the memshare paper: the mutual information of
#' every column of `X` with the classes `y`, as [mutualinfo()] computes it
#' for one column, in one parallel pass over the columns. `X` is read where
#' it is: an ordinary matrix, a shared view (or the name of a page of
#' `NAMESPACE`), or a lazy matrix such as `log2(lazy(X) + 1)`, which is
#' evaluated a column at a time on each thread and never materialised whole.
#' No copy of `X` is made (an integer matrix is converted a column at a
#' time).
#'
#' @param X A numeric matrix, a shared view of one, a lazy matrix, or the
#'   name of a page of `NAMESPACE` holding one.
#' @param y The class labels, one per row of `X`: a factor, character,
#'   logical or integer vector, or whole numbers.
#' @param method `"pde"` (the default) or `"memshare"`, as in [mutualinfo()].
#' @param na.rm Whether to leave out, column by column, the observations
#'   where the column is not finite or `y` is NA. Without it they are an
#'   error.
#' @param eps memshare's threshold (`method = "memshare"` only).
#' @param NAMESPACE The namespace of the page `X` names, if it names one.
#' @return An `mi_scores` object: the scores in column order (named by the
#'   column names), with attributes `ranking` (the column indices from the
#'   highest score down, ties in column order), `method`, `classes` and
#'   `entropy` (of the class labels, the scores' upper bound). Use [top()] for
#'   the best columns and [plot()][plot.mi_scores] for their distribution.
#' @seealso [mutualinfo()], [top()], [plot.mi_scores()].
#' @examples
#' set.seed(1)
#' y <- factor(sample(c("a", "b", "c"), 300, replace = TRUE))
#' X <- matrix(rnorm(300 * 50), 300, 50, dimnames = list(NULL, paste0("g", 1:50)))
#' X[, 7] <- X[, 7] + 2 * as.integer(y)        # one informative column
#' s <- mi_scores(X, y)
#' top(s, 3)
#' all.equal(unclass(s)[[7]], mutualinfo(X[, 7], y))
#' s2 <- mi_scores(log2(lazy(abs(X)) + 1), y)  # a lazy matrix, never materialised
#' @export
mi_scores <- function(X, y, method = c("pde", "memshare"), na.rm = FALSE,
                      eps = .Machine$double.eps * 1000, NAMESPACE = NULL) {
  method <- check_choice(method, c("pde", "memshare"), "method")
  check_flag(na.rm, "na.rm")
  check_eps(eps)
  target <- apply_target(X, NAMESPACE)
  on.exit(target$done(), add = TRUE)
  X <- target$data
  if (nrow(X) != length(y)) {
    abort(sprintf("`y` must have one label per row of `X` (%d); got %d", nrow(X), length(y)))
  }
  if (is.double(y) && !is_label_type(y) && any(y != round(y), na.rm = TRUE)) {
    abort(paste0("`y` is continuous (not whole numbers): discretise it, e.g. y <- cut(y, breaks = 10), ",
                 "or give class labels as a factor"))
  }
  cy <- class_codes(y, "y", na.rm)
  scores <- score_columns(X, cy, method, eps, na.rm, "X")
  structure(scores$mi, names = colnames(X), class = "mi_scores",
            ranking = order(-scores$mi, seq_along(scores$mi)), method = method,
            classes = cy$levels, entropy = cy$entropy)
}

is_label_type <- function(y) is.factor(y) || is.character(y) || is.logical(y)

check_eps <- function(eps) {
  if (!is.numeric(eps) || length(eps) != 1L || is.na(eps) || eps < 0) {
    abort(sprintf("`eps` must be a single non-negative number; got %s", describe_object(eps)))
  }
}

feature_values <- function(x, arg) {
  if (!(is.numeric(x) || is.logical(x)) || is.factor(x) || (!is.null(dim(x)) && !is_lazy(x))) {
    abort(sprintf("`%s` must be a numeric vector; got %s", arg, describe_object(x)))
  }
}

# Class labels as 0-based integer codes (NA missing), the number of levels, the levels present and
# their entropy; errors for NA without na.rm and for fewer than `min_classes` classes.
class_codes <- function(y, arg, na.rm, min_classes = 2L) {
  if (!(is.atomic(y) && is.null(dim(y))) || is.complex(y) || is.raw(y)) {
    abort(sprintf("`%s` must be a vector of class labels; got %s", arg, describe_object(y)))
  }
  if (!na.rm && anyNA(y)) {
    abort(sprintf("`%s` has NA values; pass na.rm = TRUE to leave those observations out", arg))
  }
  f <- if (is.factor(y)) droplevels(y) else factor(y)
  counts <- tabulate(f, nlevels(f))
  if (nlevels(f) < min_classes) {
    abort(sprintf("`%s` must have at least %d classes; got %d", arg, min_classes, nlevels(f)))
  }
  p <- counts / sum(counts)
  list(codes = as.integer(f) - 1L, n = nlevels(f), levels = levels(f),
       entropy = -sum(p * log(p)))
}

# The scores of the columns of X (a vector is one column) with classes `cy`, in blocks of columns
# when memshare's radius samples have to be drawn, else in one pass. Raises the NA error and the
# dropped-class warning.
score_columns <- function(X, cy, method, eps, na.rm, arg) {
  is_matrix <- !is.null(dim(X))
  n_cols <- if (is_matrix) ncol(X) else 1L
  n_rows <- if (is_matrix) nrow(X) else length(X)
  sampled <- method == "memshare" && n_rows > 10000L
  block <- if (sampled) 256L else max(n_cols, 1L)
  parts <- lapply(seq(0L, max(n_cols - 1L, 0L), by = block), function(first) {
    count <- min(block, n_cols - first)
    samples <- if (sampled) radius_samples(X, cy$codes, first, count)
    .Call(lzs_mi_scores, X, cy$codes, cy$n, method, eps, samples, first, count)
  })
  out <- list(mi = unlist(lapply(parts, `[[`, "mi")),
              non_finite = unlist(lapply(parts, `[[`, "non_finite")),
              dropped = unlist(lapply(parts, `[[`, "dropped_classes")))
  if (!na.rm && any(out$non_finite > 0)) {
    j <- which(out$non_finite > 0)
    where <- if (is_matrix) sprintf(" (%d column%s, the first is column %d)", length(j),
                                    if (length(j) > 1L) "s" else "", j[1]) else ""
    abort(sprintf("`%s` has NA, NaN or infinite values%s; pass na.rm = TRUE to leave those observations out",
                  arg, where))
  }
  if (any(out$dropped > 0)) {
    j <- which(out$dropped > 0)
    warning(sprintf(paste0("in %d column%s (the first is %d) a class had no point within the Pareto ",
                           "radius of any kernel and was left out"),
                    length(j), if (length(j) > 1L) "s" else "", j[1]), call. = FALSE)
  }
  out
}

# memshare's ParetoRadius_fast draws ceiling(runif(10000, 0, n)) from the n usable values of each
# feature with more than 10,000 of them: drawn here in column order, one column of indices per column.
radius_samples <- function(X, codes, first, count) {
  usable <- .Call(lzs_mi_usable_pairs, X, codes, first, count)
  draws <- vapply(usable, function(n) {
    if (n > 10000) as.integer(ceiling(stats::runif(10000, 0, n))) else rep(NA_integer_, 10000)
  }, integer(10000))
  matrix(draws, nrow = 10000L)
}

#' The best-scoring columns
#'
#' @param x An [mi_scores()] result.
#' @param k How many.
#' @param ... Unused.
#' @return A data frame with the `k` best columns, from the highest score
#'   down (ties in column order): `rank`, `column` (index), `name` (if the
#'   columns have names) and `mi`.
#' @examples
#' set.seed(2)
#' y <- rep(1:2, 50)
#' X <- cbind(a = rnorm(100), b = rnorm(100) + y, c = rnorm(100))
#' top(mi_scores(X, y), 2)
#' @export
top <- function(x, k = 10, ...) UseMethod("top")

#' @rdname top
#' @export
top.mi_scores <- function(x, k = 10, ...) {
  if (!is.numeric(k) || length(k) != 1L || is.na(k) || k < 0) {
    abort(sprintf("`k` must be a single non-negative number; got %s", describe_object(k)))
  }
  idx <- utils::head(attr(x, "ranking"), k)
  out <- data.frame(rank = seq_along(idx), column = idx)
  if (!is.null(names(x))) out$name <- names(x)[idx]
  out$mi <- unclass(x)[idx]
  out
}

#' @export
print.mi_scores <- function(x, n = 10, ...) {
  cat(sprintf("Mutual information (%s estimator, nats) of %d column%s with %d classes (H(y) = %.4g)\n",
              attr(x, "method"), length(x), if (length(x) == 1L) "" else "s",
              length(attr(x, "classes")), attr(x, "entropy")))
  print(top(x, n), row.names = FALSE)
  if (length(x) > n) cat(sprintf("... %d more; top(x, k) for more\n", length(x) - n))
  invisible(x)
}

#' Plot the distribution of mutual-information scores
#'
#' The four views of the memshare paper's Figure 3 in one figure: a
#' histogram of the scores, their Pareto density estimate, a normal QQ-plot
#' and a boxplot, with the `top` best columns marked in each.
#'
#' @param x An [mi_scores()] result.
#' @param top How many of the best columns to mark.
#' @param main The figure's title.
#' @param ... Unused.
#' @return `x`, invisibly.
#' @examples
#' set.seed(3)
#' y <- rep(1:3, 100)
#' X <- matrix(rnorm(300 * 200), 300)
#' X[, 1:5] <- X[, 1:5] + y
#' plot(mi_scores(X, y), top = 5)
#' @export
plot.mi_scores <- function(x, top = 10, main = "Mutual information with the classes", ...) {
  s <- unclass(x)
  best <- utils::head(attr(x, "ranking"), top)
  mark <- "firebrick"
  old <- graphics::par(mfrow = c(2, 2), oma = c(1.5, 0, 2, 0), mar = c(4, 4, 2, 1))
  on.exit(graphics::par(old), add = TRUE)
  graphics::hist(s, breaks = 50, main = "Histogram", xlab = "MI (nats)", col = "grey85",
                 border = "grey50")
  graphics::rug(s[best], col = mark, lwd = 2)
  if (length(unique(s[is.finite(s)])) >= 3L) {
    d <- pde(s)
    o <- order(d$kernels)
    graphics::plot(d$kernels[o], d$paretoDensity[o], type = "l", main = "Pareto density (PDE)",
                   xlab = "MI (nats)", ylab = "density")
    graphics::rug(s[best], col = mark, lwd = 2)
  } else {
    graphics::plot.new()
    graphics::title("Pareto density (PDE): fewer than 3 distinct scores")
  }
  q <- stats::qqnorm(s, main = "Normal QQ-plot", xlab = "normal quantiles", ylab = "MI (nats)",
                     pch = 20, col = "grey40")
  stats::qqline(s, col = "grey20")
  graphics::points(q$x[best], q$y[best], col = mark, pch = 19)
  graphics::boxplot(s, horizontal = TRUE, main = "Boxplot", xlab = "MI (nats)", col = "grey85")
  graphics::points(s[best], rep(1, length(best)), col = mark, pch = 19)
  labels <- if (!is.null(names(x))) names(x)[best] else paste0("column ", best)
  graphics::mtext(main, outer = TRUE, cex = 1.1, font = 2)
  graphics::mtext(sprintf("marked: the %d best (%s%s)", length(best),
                          paste(utils::head(labels, 3), collapse = ", "),
                          if (length(best) > 3) ", ..." else ""),
                  outer = TRUE, line = -0.2, cex = 0.75, col = mark, side = 1)
  invisible(x)
}
