# Methods for lazy objects, and lazy-aware versions of base functions that are not generic. Each method
# tries the lazy form first; where there is none (the C entry returns NULL), R computes the result from
# materialised values.

# The eager value of x: a lazy object materialised, a "lazyshare" class that R's own functions copied onto
# an ordinary vector (e.g. through `storage.mode<-` or `mostattributes<-`) removed; anything else as it is.
eager <- function(x) {
  if (is_lazy(x) || inherits(x, c(lazy_class, "lazyshare_concat"))) materialize(x) else x
}

#' @export
Ops.lazyshare <- function(e1, e2) {
  if (nargs() == 1L) {
    # +x is x, but +TRUE is 1L.
    r <- if (.Generic != "+") .Call(lzs_unary, .Generic, e1)
         else if (is.logical(e1) && is_lazy(e1)) .Call(lzs_binary, "+", e1, 0L)
         else return(eager_or_lazy(e1))
    if (is.null(r)) return(r_fallback(.Generic, list(eager(e1)), sys.call()))
    return(dress(r, unary_attributes(.Generic, e1)))
  }
  r <- .Call(lzs_binary, .Generic, e1, e2)
  if (is.null(r)) return(r_fallback(.Generic, list(eager(e1), eager(e2)), sys.call()))
  dress(r, op_attributes(.Generic, e1, e2))
}

# R's own `generic(args)` on eager values, for a method without a lazy form: its warnings and errors
# name the user's call (`x * 3`), not this package's internals, as they would without lazy objects.
r_fallback <- function(generic, args, call) {
  call <- user_call(call, generic)
  withCallingHandlers(
    do.call(get(generic, envir = baseenv()), args, quote = TRUE),
    warning = function(w) {
      w$call <- call
      warning(w)
      invokeRestart("muffleWarning")
    },
    error = function(e) {
      e$call <- call
      stop(e)
    }
  )
}

# The call the user wrote, from a method's sys.call() (`Ops.lazyshare(x, 3)` is `x * 3`).
user_call <- function(call, generic) {
  call[[1L]] <- as.name(generic)
  call
}

# x itself when lazy, its eager value when it only carries the class.
eager_or_lazy <- function(x) if (is_lazy(x)) x else eager(x)

#' @export
Math.lazyshare <- function(x, ...) {
  extra <- list(...)
  r <- NULL
  if (!is_lazy(x)) {
    # Only the class is left (see eager()): R computes.
  } else if (.Generic == "log" && length(extra) == 1L && is.numeric(extra[[1]]) &&
             length(extra[[1]]) == 1L && is.null(dim(extra[[1]]))) {
    # As R's log(x, base): log10 and log2 for those bases, else log(x) / log(base).
    base <- extra[[1]]
    r <- if (isTRUE(base == 10)) .Call(lzs_unary, "log10", x)
         else if (isTRUE(base == 2)) .Call(lzs_unary, "log2", x)
         else {
           l <- .Call(lzs_unary, "log", x)
           if (!is.null(l)) .Call(lzs_binary, "/", l, log(base))
         }
  } else if (!length(extra)) {
    r <- .Call(lzs_unary, .Generic, x)
  }
  if (is.null(r)) return(r_fallback(.Generic, c(list(eager(x)), extra), sys.call()))
  dress(r, unary_attributes(.Generic, x))
}

#' @export
Summary.lazyshare <- function(..., na.rm = FALSE) {
  args <- list(...)
  if (.Generic == "range") {
    finite <- isTRUE(args$finite)
    args$finite <- NULL
    if (finite || length(args) != 1L || !is_lazy(args[[1L]])) {
      return(r_fallback("range", c(lapply(args, eager), list(na.rm = na.rm, finite = finite)),
                        sys.call()))
    }
    x <- args[[1L]]
    return(c(min(x, na.rm = na.rm), max(x, na.rm = na.rm)))
  }
  if (length(args) == 1L && is_lazy(args[[1L]])) {
    x <- args[[1L]]
    if (.Generic %in% c("all", "any") && is.double(x) && length(x)) {
      warning(simpleWarning(sprintf("coercing argument of type '%s' to logical", typeof(x)),
                            user_call(sys.call(), .Generic)))
    }
    r <- .Call(lzs_reduce, .Generic, x, na.rm)
    if (!is.null(r)) return(dress(r, list()))
  } else if (length(args) > 1L) {
    # R reduces each argument and combines the results: each argument is reduced on its own (a lazy
    # one lazily, without materialising), then R combines the results (whose NAs na.rm must not drop:
    # sum(c(Inf, -Inf), 0, na.rm = TRUE) is NaN). any() and all() stop at the first argument that
    # decides them, without looking at (or warning about) the rest.
    logic <- .Generic %in% c("any", "all")
    for (k in seq_along(args)) {
      args[[k]] <- reduced_part(.Generic, args[[k]], na.rm)
      if (logic && identical(eager(args[[k]]), .Generic == "any")) return(eager(args[[k]]))
    }
    na.rm <- FALSE
  }
  r_fallback(.Generic, c(lapply(args, eager), list(na.rm = na.rm)), sys.call())
}

# One argument of a Summary call of several, reduced on its own. A min or max of an argument without
# values (all NA, with na.rm) is an empty vector of its type: whether the whole call warns, and its type,
# depend on all the arguments together.
reduced_part <- function(generic, a, na.rm) {
  if (!generic %in% c("min", "max")) return(do.call(generic, list(a, na.rm = na.rm), quote = TRUE))
  empty <- FALSE
  v <- withCallingHandlers(eager(do.call(generic, list(a, na.rm = na.rm), quote = TRUE)), warning = function(w) {
    if (startsWith(conditionMessage(w), "no non-missing arguments")) {
      empty <<- TRUE
      invokeRestart("muffleWarning")
    }
  })
  if (empty) vector(typeof(a), 0L) else v
}

#' @export
mean.lazyshare <- function(x, trim = 0, na.rm = FALSE, ...) {
  r <- if (is_lazy(x) && is.numeric(trim) && identical(as.numeric(trim), 0) && !length(list(...))) {
    .Call(lzs_reduce, "mean", x, na.rm)
  }
  if (is.null(r)) return(mean(eager(x), trim = trim, na.rm = na.rm, ...))
  dress(r, list())
}

lazy_unary_method <- function(op) {
  force(op)
  function(x) {
    r <- if (is_lazy(x)) .Call(lzs_unary, op, x)
    if (is.null(r)) return(r_fallback(op, list(eager(x)), sys.call()))
    dress(r, unary_attributes(op, x))
  }
}

#' @export
is.finite.lazyshare <- lazy_unary_method("is.finite")

#' @export
is.na.lazyshare <- lazy_unary_method("is.na")

#' @export
t.lazyshare <- function(x) {
  r <- if (is_lazy(x)) .Call(lzs_transpose, x)
  if (is.null(r)) return(t(eager(x)))
  dress(r, t_attributes(x))
}

#' @export
as.matrix.lazyshare <- function(x, ...) {
  if (!is_lazy(x)) return(as.matrix(eager(x), ...))
  if (inherits(x, "dist")) {
    # As stats' as.matrix.dist: the square matrix, named by the labels or by 1..n.
    n <- attr(x, "Size")
    labels <- attr(x, "Labels")
    if (is.null(labels)) labels <- as.character(seq_len(n))
    r <- .Call(lzs_as_matrix, x)
    return(dress(r, list(dim = c(n, n), dimnames = list(labels, labels))))
  }
  if (is.matrix(x)) return(x)
  r <- .Call(lzs_as_matrix, x)
  if (is.null(r)) return(as.matrix(eager(x), ...))
  # As as.matrix.default: one column, the names as row names.
  dress(r, c(list(dim = c(length(x), 1L)),
             if (!is.null(names(x))) list(dimnames = list(names(x), NULL))))
}

#' @export
`[.lazyshare` <- function(x, ...) NextMethod()

#' @export
`[[.lazyshare` <- function(x, ...) NextMethod()

# Assigning into a lazy object makes an ordinary one: its values first, then R's own assignment.
#' @export
`[<-.lazyshare` <- function(x, ..., value) {
  x <- eager(x)
  x[...] <- value
  x
}

#' @export
`[[<-.lazyshare` <- function(x, ..., value) {
  x <- eager(x)
  x[[...]] <- value
  x
}

#' @export
as.vector.lazyshare <- function(x, mode = "any") as.vector(eager(x), mode)

# R sorts classed vectors with x[order(x)], which keeps names that sort.int drops: sorting the eager
# value gives what R gives for it.
#' @export
sort.lazyshare <- function(x, decreasing = FALSE, ...) sort(eager(x), decreasing = decreasing, ...)

#' @export
as.data.frame.lazyshare <- function(x, row.names = NULL, optional = FALSE, ...,
                                    nm = deparse1(substitute(x))) {
  as.data.frame(eager(x), row.names = row.names, optional = optional, ..., nm = nm)
}

#' @method all.equal lazyshare
#' @export
all.equal.lazyshare <- function(target, current, ...) all.equal(eager(target), eager(current), ...)

# testthat's expect_equal (edition 3) compares with waldo, which asks for a proxy of classed objects.
#' @exportS3Method waldo::compare_proxy
compare_proxy.lazyshare <- function(x, path) {
  list(object = eager(x), path = sprintf("materialize(%s)", path))
}

# c() of lazy objects: small results are ordinary vectors; a large one is a `lazyshare_concat`, which
# supports what code usually does with such a concatenation (length, is.finite, is.na, all/any/sum/...)
# without materialising.
#' @export
c.lazyshare <- function(...) {
  parts <- list(...)
  n <- sum(vapply(parts, function(p) as.numeric(length(p)), 0))
  if (n <= 1e6) return(do.call(c, lapply(parts, eager), quote = TRUE))
  structure(list(parts = parts), class = "lazyshare_concat")
}

#' @export
length.lazyshare_concat <- function(x) sum(vapply(x$parts, function(p) as.numeric(length(p)), 0))

#' @export
is.finite.lazyshare_concat <- function(x) {
  structure(list(parts = lapply(x$parts, is.finite)), class = "lazyshare_concat")
}

#' @export
is.na.lazyshare_concat <- function(x) {
  structure(list(parts = lapply(x$parts, is.na)), class = "lazyshare_concat")
}

#' @export
Summary.lazyshare_concat <- function(..., na.rm = FALSE) {
  parts <- unlist(lapply(list(...), function(a) {
    if (inherits(a, "lazyshare_concat")) a$parts else list(a)
  }), recursive = FALSE)
  do.call(.Generic, c(parts, list(na.rm = na.rm)), quote = TRUE)
}

# The value c() would have given: the parts' values combined by R's own c(), names included.
concat_value <- function(x) do.call(c, lapply(x$parts, eager), quote = TRUE)

#' @export
as.vector.lazyshare_concat <- function(x, mode = "any") as.vector(concat_value(x), mode)

# Elements `positions` (increasing) of a concatenation, computing only the parts they fall in. Every part
# contributes, the others as zero-length subsets, so that R's c() gives the type and names it gives for
# the whole.
concat_elements <- function(x, positions) {
  lens <- vapply(x$parts, function(p) as.numeric(length(p)), 0)
  starts <- cumsum(c(0, lens[-length(lens)]))
  pieces <- Map(function(p, start, len) p[positions[positions > start & positions <= start + len] - start],
                x$parts, starts, lens)
  do.call(c, pieces, quote = TRUE)
}

#' @exportS3Method utils::head lazyshare_concat
head.lazyshare_concat <- function(x, n = 6L, ...) {
  concat_elements(x, utils::head(seq_len(length(x)), n))
}

#' @exportS3Method utils::tail lazyshare_concat
tail.lazyshare_concat <- function(x, n = 6L, ...) {
  concat_elements(x, utils::tail(seq_len(length(x)), n))
}

#' @export
summary.lazyshare_concat <- function(object, ...) summary(concat_value(object), ...)

#' @export
print.lazyshare_concat <- function(x, ...) {
  cat(sprintf("<lazyshare concatenation of %d lazy objects, %.0f elements>\n", length(x$parts), length(x)))
  invisible(x)
}

preview_limit <- 1000

#' @export
print.lazyshare <- function(x, ...) {
  if (!is_lazy(x) || length(x) <= preview_limit) {
    print(materialize(x), ...)
    return(invisible(x))
  }
  info <- .Call(lzs_info, x)
  gib <- 8 * length(x) / 2^30
  if (info$dist) {
    cat(sprintf("<lazyshare dist of %.0f observations: %s>\n", attr(x, "Size"), info$description))
    k <- min(6, attr(x, "Size"))
    print(as.matrix(x)[seq_len(k), seq_len(k)], ...)
  } else if (is.matrix(x)) {
    cat(sprintf("<lazyshare %.0f x %.0f matrix (%.2f GiB if materialised): %s>\n",
                nrow(x), ncol(x), gib, info$description))
    print(x[seq_len(min(6, nrow(x))), seq_len(min(6, ncol(x))), drop = FALSE], ...)
    cat("...\n")
  } else {
    cat(sprintf("<lazyshare vector of length %.0f (%.2f GiB if materialised): %s>\n",
                length(x), gib, info$description))
    print(x[seq_len(6)], ...)
    cat("...\n")
  }
  invisible(x)
}

#' @export
format.lazyshare <- function(x, ...) format(eager(x), ...)

#' Summaries, heads and tails of lazy objects
#'
#' `head()` and `tail()` of a lazy vector, matrix or `dist` object are R's
#' own methods, and cost only what they return: they subset, and
#' subsetting a lazy object computes just the elements it returns (after
#' the pending reducers those depend on). `head(as.matrix(dist(lazy(z))))`
#' for 50,000 observations computes 6 x 50,000 distances and materialises
#' nothing. The results are `identical()` to `head()` and `tail()` of the
#' materialised value: names, dimnames, negative `n`, `n` per dimension and
#' `keepnums` included. `lazy_stats()$elements_read` counts the values
#' computed this way.
#'
#' `summary()` needs every value, since its quantiles are order statistics.
#' Of a lazy object it materialises the value once, in one parallel pass,
#' and returns R's `summary()` of it, so the result is `identical()` to
#' R's, for vectors, matrices and `dist` objects alike. That is refused,
#' with the memory it would need, beyond `lazy_options()$max_materialize`.
#' (Taking the minimum, maximum and mean from fused reducers would not spare
#' the materialisation the quartiles need, and would add a pass.)
#'
#' Of a large concatenation of lazy objects (see [lazy-differences])
#' `head()` and `tail()` compute only the parts they show, and `summary()`
#' materialises it.
#'
#' @param object A lazy object.
#' @param ... Passed to [summary()] of the materialised value (`digits`,
#'   `quantile.type`, `maxsum`).
#' @return What [summary()] returns for the materialised value.
#' @seealso [lazy()], [lazy_stats()], [lazy-differences].
#' @examples
#' z <- rnorm(5000)
#' d <- as.matrix(dist(lazy(z)))  # 5000 x 5000, nothing computed
#' invisible(lazy_stats(reset = TRUE))
#' head(d, c(6, 4))                # the first 6 rows of the first 4 columns
#' tail(d, c(2, 3))
#' lazy_stats()$elements_read      # 6 * 4 + 2 * 3 = 30 distances
#' summary(sqrt(lazy(abs(z))))     # materialises 5000 values once
#' @aliases lazy-summary
#' @export
summary.lazyshare <- function(object, ...) summary(eager(object), ...)

# str() reads only the first few values: on the undressed object it prints exactly what it prints for
# the eager value, computing only those.
#' @export
str.lazyshare <- function(object, ...) utils::str(undressed(object), ...)

#' Lazy-aware distances, sweeps and row/column summaries
#'
#' These mask the functions of the same names in stats and base. On lazy
#' objects (see [lazy()]) they build deferred nodes: `dist(x)` is a lazy
#' `dist` object of the Euclidean distances between the rows of `x`, and
#' `as.matrix()` of it is a lazy square matrix; `sweep()` (MARGIN 1 or 2,
#' FUN `-`, `+`, `*`, `/`) and the row/column summaries stay lazy. On
#' anything else they call the stats/base function unchanged.
#'
#' @param x A lazy object, or anything the stats/base function accepts.
#' @param method,diag,upper,p As in [stats::dist()]; lazy only for
#'   `method = "euclidean"`.
#' @param MARGIN,STATS,FUN,check.margin,... As in [base::sweep()].
#' @param na.rm,dims As in [base::rowSums()].
#' @return A lazy object for lazy input, else what the masked function
#'   returns.
#' @examples
#' x <- lazy(matrix(rnorm(200), 100))
#' d <- dist(x)
#' class(d)
#' D <- as.matrix(d)
#' m <- rowMeans(D)
#' s <- sweep(D, 1, m)
#' colSums(s)[1:3]
#' dist(matrix(1:4, 2))   # not lazy: stats::dist
#' @name lazy-aware
NULL

#' @rdname lazy-aware
#' @export
dist <- function(x, method = "euclidean", diag = FALSE, upper = FALSE, p = 2) {
  dist_as_called(x, method, diag, upper, p, match.call())
}

# dist() with the `call` attribute stats::dist would record for `call`.
dist_as_called <- function(x, method, diag, upper, p, call) {
  if (is_lazy(x) && identical(method, "euclidean")) {
    r <- .Call(lzs_dist, x)
    if (!is.null(r)) {
      a <- list(Size = NROW(x), Labels = if (is.matrix(x)) rownames(x) else names(x), Diag = diag,
                Upper = upper, method = "euclidean", call = call, class = "dist")
      return(dress(r, a[!vapply(a, is.null, NA)]))
    }
  }
  d <- stats::dist(eager(x), method = method, diag = diag, upper = upper, p = p)
  attr(d, "call") <- call
  d
}

sweep_op <- function(FUN) {
  if (is.character(FUN) && length(FUN) == 1L) return(FUN)
  for (op in c("-", "+", "*", "/")) if (identical(FUN, get(op, envir = baseenv()))) return(op)
  NULL
}

#' @rdname lazy-aware
#' @export
sweep <- function(x, MARGIN, STATS, FUN = "-", check.margin = TRUE, ...) {
  op <- sweep_op(FUN)
  if (is_lazy(x) && !is.null(op) && length(MARGIN) == 1L && MARGIN %in% 1:2 && !length(list(...))) {
    r <- .Call(lzs_sweep, x, MARGIN, STATS, op)
    # As base::sweep, which computes FUN(x, <STATS spread to dim(x)>).
    n <- length(x)
    if (!is.null(r)) {
      return(dress(r, binary_attributes(eager_attributes(x), n, list(dim = dim(x)), n, n,
                                        most = op %in% arith_ops)))
    }
  }
  base::sweep(eager(x), MARGIN, eager(STATS), FUN, check.margin, ...)
}

row_col <- function(name, margin) {
  force(name)
  function(x, na.rm = FALSE, dims = 1L) {
    if (is_lazy(x) && identical(as.integer(dims), 1L) && length(dim(x)) == 2L) {
      r <- .Call(lzs_reduce, name, x, na.rm)
      if (!is.null(r)) return(dress(r, margin_attributes(x, margin)))
    }
    r_fallback(name, list(eager(x), na.rm = na.rm, dims = dims), sys.call())
  }
}

#' @rdname lazy-aware
#' @export
rowSums <- row_col("rowSums", 1)

#' @rdname lazy-aware
#' @export
rowMeans <- row_col("rowMeans", 1)

#' @rdname lazy-aware
#' @export
colSums <- row_col("colSums", 2)

#' @rdname lazy-aware
#' @export
colMeans <- row_col("colMeans", 2)
