# lazy_explain(): what a lazy computation will do, shown before it is done. The runtime plans a force
# with the same passes it runs and keeps what they decided; in explain-only mode the first computation
# that needs a pass is refused and its plan returned instead, so an expression (memApply's fused path, a
# deferred function) can be explained without running it.

#' Show what a lazy computation will do, without doing it
#'
#' Like Polars' `explain()` or DelayedArray's `showtree()`: prints the graph
#' under a lazy value and the plan a force of it would run -- its stages, and
#' for each fused kernel its domain (and whether it is symmetric, visiting
#' only i <= j), the reducers it computes, the rewrites that fired (the
#' finiteness shortcut, R-exact sums, reducers computed once, totals taken
#' from row sums, common subexpressions), its estimated element-operations,
#' the backend it would run on and why (`lazy_options(jit_min_work)`), whether
#' the JIT has its compiled form cached already, and its instructions. For an
#' expression it also shows the kernel that computes its
#' elements when R reads them. Nothing is computed: `lazy_stats()$passes` does
#' not change.
#'
#' `x` may also be an expression that would compute, such as
#' `memApply(X, 2, sd)`: it is evaluated in explain-only mode, where the first
#' computation that needs a pass is not run but explained, and evaluation
#' stops there. Values decided from bounds alone (such as
#' `all(is.finite(dist(x)))`) and results too small to be deferred are still
#' computed, since code branches on them.
#'
#' Setting the environment variable `LAZYSHARE_TRACE=1` prints every stage
#' of every force this way, as it runs.
#'
#' @param x A lazy value, a list of them (such as the result of
#'   `deferred(energy::DCOR)(x, y)`), or an expression that computes.
#' @return An object of class `lazy_explanation`, invisibly after printing
#'   it: a list with `parts` (one per lazy value explained, each a list of
#'   `text`, `graph` (the lines of the tree), `forces` (per force: `target` and
#'   `stages`, each stage with `grid`, `rewrites` and `kernel`: `domain`,
#'   `symmetric`, `elements`, `reducers`, `rewrites`, `work`, `backend`,
#'   `reason`, `cached` (whether the JIT holds its compiled form already),
#'   `ssa`) and `elements` (the store kernel, or `NULL`)), and
#'   `stopped` (`TRUE` when `x` was an expression stopped at its first pass).
#' @seealso [lazy_stats()], [lazy_options()], [deferred()].
#' @examples
#' x <- rnorm(500); y <- rnorm(500)
#' d <- as.matrix(dist(lazy(x)))
#' A <- sweep(sweep(d, 1, rowMeans(d)), 2, rowMeans(d)) + mean(d)
#' lazy_explain(mean(A * A))
#' X <- matrix(rnorm(2e4), 200)
#' e <- lazy_explain(memApply(X, 2, sd))
#' e$parts[[1]]$forces[[1]]$stages[[1]]$kernel$reducers
#' @export
lazy_explain <- function(x) {
  expr <- substitute(x)
  env <- parent.frame()
  was <- .Call(lzs_explain_only, TRUE)
  on.exit(.Call(lzs_explain_only, was))
  stopped <- NULL
  value <- tryCatch(eval(expr, env), error = function(e) {
    stopped <<- .Call(lzs_explained)
    if (is.null(stopped)) stop(e)
    NULL
  })
  .Call(lzs_explain_only, was)
  parts <- if (!is.null(stopped)) list(stopped) else explain_values(value)
  out <- structure(list(parts = parts, stopped = !is.null(stopped)), class = "lazy_explanation")
  print(out)
  invisible(out)
}

# The explanations of a lazy value, or of the lazy elements of a list (named like them).
explain_values <- function(value) {
  if (is_lazy(value)) return(list(.Call(lzs_explain, value)))
  if (is.list(value)) {
    lazy <- vapply(value, is_lazy, NA)
    return(lapply(value[lazy], function(v) .Call(lzs_explain, v)))
  }
  list()
}

#' @export
print.lazy_explanation <- function(x, ...) {
  if (!length(x$parts)) {
    cat("nothing lazy: the value is computed already\n")
    return(invisible(x))
  }
  if (x$stopped) cat("stopped before the first computation that needs a pass; it would run:\n")
  shown <- character()
  nms <- names(x$parts)
  for (k in seq_along(x$parts)) {
    p <- x$parts[[k]]
    if (!is.null(nms) && nzchar(nms[k])) cat(sprintf("$%s\n", nms[k]))
    if (p$text %in% shown) {
      cat(sprintf("  (the same as $%s)\n", nms[match(p$text, shown)]))
      next
    }
    cat(p$text)
    shown[k] <- p$text
  }
  invisible(x)
}
