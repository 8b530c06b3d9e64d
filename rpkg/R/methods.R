# Methods for lazy objects, and lazy-aware versions of base functions that are not generic. Each method
# tries the lazy form first; where there is none (the C entry returns NULL), R computes the result from
# materialised values.

eager <- function(x) if (is_lazy(x) || inherits(x, "lazyshare_concat")) materialize(x) else x

#' @export
Ops.lazyshare <- function(e1, e2) {
  if (nargs() == 1L) {
    if (.Generic == "+") return(e1)
    r <- .Call(lzs_unary, .Generic, e1)
    if (is.null(r)) r <- get(.Generic, envir = baseenv())(eager(e1))
    return(r)
  }
  r <- .Call(lzs_binary, .Generic, e1, e2)
  if (is.null(r)) r <- get(.Generic, envir = baseenv())(eager(e1), eager(e2))
  r
}

#' @export
Math.lazyshare <- function(x, ...) {
  extra <- list(...)
  if (.Generic == "log" && length(extra) == 1L && is.numeric(extra[[1]]) && length(extra[[1]]) == 1L) {
    # As R's log(x, base): log10 and log2 for those bases, else log(x) / log(base).
    base <- extra[[1]]
    if (base == 10) return(.Call(lzs_unary, "log10", x))
    if (base == 2) return(.Call(lzs_unary, "log2", x))
    return(.Call(lzs_unary, "log", x) / log(base))
  }
  r <- if (length(extra)) NULL else .Call(lzs_unary, .Generic, x)
  if (is.null(r)) r <- get(.Generic, envir = baseenv())(eager(x), ...)
  r
}

#' @export
Summary.lazyshare <- function(..., na.rm = FALSE) {
  args <- list(...)
  if (.Generic == "range") {
    return(c(min(..., na.rm = na.rm), max(..., na.rm = na.rm)))
  }
  parts <- lapply(args, function(a) {
    r <- if (is_lazy(a)) .Call(lzs_reduce, .Generic, a, na.rm) else NULL
    if (is.null(r)) get(.Generic, envir = baseenv())(eager(a), na.rm = na.rm) else r
  })
  if (length(parts) == 1L) return(parts[[1L]])
  combine <- switch(.Generic, sum = `+`, prod = `*`, all = `&`, any = `|`,
                    min = function(a, b) min(eager(a), eager(b)),
                    max = function(a, b) max(eager(a), eager(b)))
  Reduce(combine, parts)
}

#' @export
mean.lazyshare <- function(x, trim = 0, na.rm = FALSE, ...) {
  r <- if (identical(trim, 0)) .Call(lzs_reduce, "mean", x, na.rm) else NULL
  if (is.null(r)) r <- mean(eager(x), trim = trim, na.rm = na.rm, ...)
  r
}

#' @export
is.finite.lazyshare <- function(x) .Call(lzs_unary, "is.finite", x)

#' @export
is.na.lazyshare <- function(x) .Call(lzs_unary, "is.na", x)

#' @export
t.lazyshare <- function(x) {
  r <- .Call(lzs_transpose, x)
  if (is.null(r)) t(eager(x)) else r
}

#' @export
as.matrix.lazyshare <- function(x, ...) {
  r <- .Call(lzs_as_matrix, x)
  if (is.null(r)) as.matrix(eager(x), ...) else r
}

#' @export
`[.lazyshare` <- function(x, ...) NextMethod()

#' @export
`[[.lazyshare` <- function(x, ...) NextMethod()

#' @export
as.vector.lazyshare <- function(x, mode = "any") as.vector(materialize(x), mode)

# c() of lazy objects: small results are ordinary vectors; a large one is a `lazyshare_concat`, which
# supports what code usually does with such a concatenation (length, is.finite, is.na, all/any/sum/...)
# without materialising.
#' @export
c.lazyshare <- function(...) {
  parts <- list(...)
  n <- sum(vapply(parts, function(p) as.numeric(length(p)), 0))
  if (n <= 1e6) return(do.call(c, lapply(parts, eager)))
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
  do.call(.Generic, c(parts, list(na.rm = na.rm)))
}

#' @export
as.vector.lazyshare_concat <- function(x, mode = "any") {
  as.vector(do.call(c, lapply(x$parts, eager)), mode)
}

#' @export
print.lazyshare_concat <- function(x, ...) {
  cat(sprintf("<lazyshare concatenation of %d lazy objects, %.0f elements>\n", length(x$parts), length(x)))
  invisible(x)
}

preview_limit <- 1000

#' @export
print.lazyshare <- function(x, ...) {
  if (length(x) <= preview_limit) {
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
format.lazyshare <- function(x, ...) {
  if (length(x) <= preview_limit) return(format(materialize(x), ...))
  sprintf("<lazyshare %s>", .Call(lzs_info, x)$description)
}

#' @export
str.lazyshare <- function(object, ...) {
  info <- .Call(lzs_info, object)
  shape <- if (info$dist) sprintf("dist [%.0f obs]", attr(object, "Size"))
           else if (is.matrix(object)) sprintf("[1:%.0f, 1:%.0f]", nrow(object), ncol(object))
           else sprintf("[1:%.0f]", length(object))
  cat(sprintf(" lazyshare %s %s %s\n", if (is.logical(object)) "logi" else "num", shape, info$description))
  invisible()
}

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
  if (is_lazy(x) && identical(method, "euclidean")) {
    r <- .Call(lzs_dist, x)
    if (!is.null(r)) return(r)
  }
  stats::dist(eager(x), method = method, diag = diag, upper = upper, p = p)
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
    if (!is.null(r)) return(r)
  }
  base::sweep(eager(x), MARGIN, eager(STATS), FUN, check.margin, ...)
}

row_col <- function(name, base_fun) {
  force(name)
  function(x, na.rm = FALSE, dims = 1L) {
    if (is_lazy(x) && identical(as.integer(dims), 1L)) {
      r <- .Call(lzs_reduce, name, x, na.rm)
      if (!is.null(r)) return(r)
    }
    base_fun(eager(x), na.rm = na.rm, dims = dims)
  }
}

#' @rdname lazy-aware
#' @export
rowSums <- row_col("rowSums", base::rowSums)

#' @rdname lazy-aware
#' @export
rowMeans <- row_col("rowMeans", base::rowMeans)

#' @rdname lazy-aware
#' @export
colSums <- row_col("colSums", base::colSums)

#' @rdname lazy-aware
#' @export
colMeans <- row_col("colMeans", base::colMeans)
