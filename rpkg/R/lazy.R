# The lazy layer's R face: making data lazy, looking at lazy objects, forcing them, and the thresholds.

#' Compute lazily: deferred expressions over data that is never copied
#'
#' `lazy(x)` wraps a numeric vector or matrix (or a shared view from
#' [retrieveViews()]) without copying it. Arithmetic, comparisons, `Math`
#' functions (`sqrt`, `abs`, `exp`, `log`, ...), [dist()], [sweep()], `t()`
#' and `as.matrix()` on lazy objects build a graph instead of computing;
#' reducers (`sum`, `mean`, `min`, `max`, `prod`, `all`, `any`, [rowSums()],
#' [rowMeans()], [colSums()], [colMeans()]) are remembered and return lazy
#' results. When R needs a value (`if`, `print`, subsetting, a function
#' that is not lazy-aware), every pending reducer over the same grid is
#' computed in one fused pass on all cores, and only what is asked for is
#' evaluated. `as.matrix(dist(lazy(z)))` for 50,000 observations is a
#' 50,000 x 50,000 matrix that costs no memory.
#'
#' Lazy values behave as the values R would have computed: types follow R's
#' rules (integer arithmetic stays integer), attributes follow R's arithmetic
#' (names, dim, dimnames, ...), NA and NaN and R's warnings come out as R
#' gives them, and `materialize()` returns a value `identical()` to the eager
#' one. Tiny results are ordinary R values. The few deliberate differences
#' (the class of unforced values, the last bits of reductions over matrices,
#' when warnings about values are given, ...) are listed in
#' [lazy-differences]. `sum`, `mean` and `prod` of lazy vectors equal R's
#' bit for bit (see `exact_sums` in [lazy_options()]); results do not depend
#' on the number of threads. Operations without a lazy form are computed by
#' R on materialised values, within `lazy_options(max_materialize = )`.
#'
#' @param x A numeric or logical vector or matrix, a numeric data frame, or a
#'   shared view; for the other functions, any object.
#' @return `lazy()`: a lazy object whose class is `"lazyshare"` followed by
#'   the class of `x` (`"numeric"`, `c("matrix", "array")`, ...), with the
#'   attributes of `x`. `is_lazy()`: `TRUE` or `FALSE`. `materialize()`: the
#'   ordinary R value with all its attributes (a `dist` object for a lazy
#'   `dist`); other objects are returned as they are (without a `"lazyshare"`
#'   class that R copied onto an ordinary vector).
#' @seealso [deferred()] to run existing code lazily, [lazy-differences],
#'   [lazy_options()], [lazy_stats()], [dcor()].
#' @examples
#' z <- matrix(rnorm(3000), 1000, 3)
#' d <- as.matrix(dist(lazy(z)))   # 1000 x 1000, nothing computed
#' dim(d)
#' m <- rowMeans(d)                 # a lazy vector
#' a <- sweep(sweep(d, 1, m), 2, m) + mean(d)
#' mean(a * a)                      # two fused passes
#' d[3, 7]
#' is_lazy(d)
#' materialize(m)[1:3]
#' @export
lazy <- function(x) {
  if (is.data.frame(x)) {
    ok <- vapply(x, function(col) is.numeric(col) || is.logical(col), logical(1))
    if (!all(ok)) {
      abort(sprintf("`x` is a data frame with non-numeric column '%s'", names(x)[!ok][1]))
    }
    x <- as.matrix(x)
  }
  if (!(is.numeric(x) || is.logical(x)) || (!is.null(oldClass(x)) && !is_lazy(x))) {
    abort(sprintf("`x` must be a numeric or logical vector or matrix; got %s", describe_object(x)))
  }
  if (is_lazy(x)) return(x)
  dress(.Call(lzs_lazy, x), attributes(x))
}

#' @rdname lazy
#' @export
is_lazy <- function(x) .Call(lzs_is_lazy, x)

#' @rdname lazy
#' @export
materialize <- function(x) {
  if (inherits(x, "lazyshare_concat")) return(concat_value(x))
  if (!is_lazy(x) && !inherits(x, lazy_class)) return(x)
  v <- if (is_lazy(x)) .Call(lzs_materialize, x) else x
  a <- eager_attributes(x)
  attributes(v) <- if (length(a)) a else NULL
  v
}

# Small lazy results become ordinary values; large ones stay lazy.
realize <- function(x, limit = 1e6) {
  if (is_lazy(x) && length(x) <= limit) return(materialize(x))
  if (is.list(x) && is.null(oldClass(x))) {
    a <- attributes(x)
    x <- lapply(x, realize, limit = limit)
    attributes(x) <- a
  }
  x
}

#' Thresholds of the lazy runtime
#'
#' `lazy_options()` returns the thresholds in force, and where each value
#' came from; named arguments change them (for this session) and, as with
#' [options()], the values before the change are returned invisibly, so that
#' `old <- lazy_options(threads = 1)` followed by `do.call(lazy_options, old)`
#' restores them.
#'
#' Every threshold can also be set before the package loads, with
#' `options(lazyshare.<name> = value)` (in `.Rprofile`, or on cluster
#' workers before they attach the package): the package reads these options
#' when it loads; a value it cannot use is ignored with a warning. Unless set
#' that way, `threads` follows R's conventions: `getOption("mc.cores")`,
#' else the `RAYON_NUM_THREADS` environment variable, else every core; at
#' most `OMP_THREAD_LIMIT` if that is set, and at most 2 under
#' `R CMD check`. `progress` is on in interactive sessions only.
#'
#' @param threads Threads for parallel passes; 0 uses every core. Results
#'   do not depend on it.
#' @param defer_min_len Elementwise results, and reductions of inputs,
#'   shorter than this whose inputs are all known are computed at once and
#'   returned as ordinary R values (the graph costs more than tiny
#'   arithmetic).
#' @param jit_min_work Estimated element-operations of a pass from which the
#'   compiled (JIT) backend runs it; `Inf` always interprets, `0` always
#'   compiles. A kernel is compiled once per shape (kernels are cached by
#'   the shape of the computation, not by sizes or data). The default, 1e7,
#'   is conservative: on the development machine a compile took about 1 ms
#'   and the interpreter about 0.4-0.6 ns per element-operation, so the
#'   JIT paid off from about 2e6; [lazy_tune()] measures yours.
#' @param max_depth Deepest expression kept deferred; deeper ones have their
#'   operands materialised (keeps loops like `x <- sqrt(x - mean(x))` cheap).
#' @param chunk_rows Rows per tile (rounded up to a multiple of 256): a
#'   pass walks each block of columns over one tile of rows at a time, so
#'   that those rows' inputs and partial sums stay in cache, and checks for
#'   interrupts between tiles. The default comes from the L2 cache size the
#'   system reports (its bytes over 96, between 1024 and 65536); a value at
#'   least a grid's number of rows walks whole columns (untiled). Results
#'   do not depend on it, bit for bit: parallel work is cut into units
#'   fixed by the shape of the pass, whose sums tiles never regroup.
#' @param max_materialize Largest result, in bytes, that may be materialised;
#'   larger requests are errors that say how much memory they would need.
#' @param progress Show progress on passes longer than about 2 seconds: on
#'   one line that updates in a terminal, as separate lines otherwise.
#' @param exact_sums `sum()`, `mean()` and `prod()` of lazy vectors equal
#'   R's results bit for bit (R accumulates in long double, in element order;
#'   these reducers then take sequential passes of their own). With `FALSE`
#'   they join the fused parallel passes (compensated sums, within about
#'   1e-15 of R's). Matrix reducers are always fused.
#' @return A named list of all thresholds, of class `lazy_options`, whose
#'   attribute `source` says where each value came from (`"default"`, an R
#'   option, an environment variable, or `"lazy_options()"`): the values in
#'   force, or, when some are set, those before (invisibly).
#' @examples
#' lazy_options()
#' old <- lazy_options(threads = 1)
#' lazy_options()$threads
#' do.call(lazy_options, old)
#' @export
lazy_options <- function(threads, defer_min_len, jit_min_work, max_depth, chunk_rows,
                         max_materialize, progress, exact_sums) {
  given <- as.list(match.call())[-1]
  if (!length(given)) return(options_in_force())
  new <- mget(names(given), envir = environment())
  old <- options_in_force()
  .Call(lzs_options, new)
  settings$source[names(new)] <- "lazy_options()"
  invisible(old)
}

#' @export
print.lazy_options <- function(x, ...) {
  src <- attr(x, "source")
  shown <- vapply(unclass(x), format, "")
  print(data.frame(value = shown, source = src[names(x)], row.names = names(x)), right = FALSE)
  invisible(x)
}

#' Counters of the lazy runtime
#'
#' @param reset If `TRUE`, the counters are set to zero after being read.
#' @return A named list: `passes` (fused passes over data), `elements`
#'   (elements visited by them), `elements_read` (elements computed outside
#'   passes, where R reads them: `x[i]`, `head()`, print previews),
#'   `materializations`, `interp_runs` and `jit_runs` (kernel runs by
#'   backend), `kernels_compiled`, `cache_hits`, `compile_ns`,
#'   `fused_applies` and `worker_applies` (the paths [memApply()] took).
#' @examples
#' lazy_stats(reset = TRUE)
#' x <- lazy(rnorm(1e5))
#' s <- sum(x) + mean(x)
#' s
#' lazy_stats()$passes
#' @export
lazy_stats <- function(reset = FALSE) {
  if (!is.logical(reset) || length(reset) != 1L || is.na(reset)) {
    abort("`reset` must be TRUE or FALSE")
  }
  .Call(lzs_stats, reset)
}

#' Run existing code lazily
#'
#' `deferred(f)` returns a function that calls `f` with lazy-aware versions
#' of [dist()], [sweep()], [rowMeans()], [colMeans()], [rowSums()] and
#' [colSums()] in scope (numeric inputs to `dist` become lazy); arithmetic,
#' `Math`, `Summary` and `mean` on the resulting lazy objects dispatch to
#' lazyshare's methods anyway. So unmodified third-party code, such as
#' energy's pure-R `DCOR`, runs in O(n) memory with fused passes. Lazy values
#' in the result with at most a million elements are returned materialised.
#'
#' @param f A function (a closure).
#' @return A function with the arguments of `f`.
#' @examples
#' Akl_mean <- function(x) {
#'   d <- as.matrix(dist(x))
#'   m <- rowMeans(d)
#'   mean(sweep(sweep(d, 1, m), 2, m) + mean(d))
#' }
#' x <- rnorm(500)
#' deferred(Akl_mean)(x)
#' Akl_mean(x)
#' @export
deferred <- function(f) {
  if (!is.function(f) || is.primitive(f)) {
    abort(sprintf("`f` must be a function written in R (a closure); got %s", describe_object(f)))
  }
  env <- new.env(parent = environment(f))
  env$dist <- function(x, method = "euclidean", diag = FALSE, upper = FALSE, p = 2) {
    if ((is.numeric(x) || is.data.frame(x)) && !is_lazy(x) && identical(method, "euclidean") &&
        (is.null(oldClass(x)) || is.data.frame(x))) {
      x <- lazy(x)
    }
    dist_as_called(x, method, diag, upper, p, match.call())
  }
  env$sweep <- lazyshare::sweep
  env$rowMeans <- lazyshare::rowMeans
  env$colMeans <- lazyshare::colMeans
  env$rowSums <- lazyshare::rowSums
  env$colSums <- lazyshare::colSums
  g <- f
  environment(g) <- env
  out <- function(...) realize(g(...))
  formals(out) <- formals(f)
  body(out) <- bquote(realize(.(g)(..(lapply(names(formals(f)), as.name)))), splice = TRUE)
  out
}
