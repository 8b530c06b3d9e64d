#' Where lazy values differ from eager ones
#'
#' A lazy value (see [lazy()]) is meant to be indistinguishable from the value
#' R would have computed: its type follows R's rules (logical < integer <
#' double; integer `+`, `-`, `*` stay integer, `/` and `^` give doubles,
#' comparisons give logicals), its attributes are those R's arithmetic gives
#' (names, dim, dimnames, and the rest as R copies them; `dist()`'s Size,
#' Labels, Diag, Upper, method and call), NA and NaN come out as R gives
#' them, and R's warnings are raised. [materialize()] returns a value
#' `identical()` to the eager one. A differential test in the package's test
#' suite checks this on 5,000 random base-R expressions per run (arithmetic,
#' comparisons, logic, `Math` and `Summary` functions, subsetting,
#' assignment, coercion, and functions such as `str`, `summary`, `head`,
#' `data.frame`, `ifelse`, `sort`, `order`, `table`, `quantile`, `%*%`,
#' `apply`, `split`, `format`), evaluated eagerly, with lazy inputs and
#' through [deferred()], by the interpreter and by the compiled backend. The
#' differences below are deliberate; the suite accepts exactly these.
#'
#' @section The class:
#' An unforced lazy value has class `"lazyshare"` followed by the class its
#' eager value has (`c("lazyshare", "matrix", "array")`, `c("lazyshare",
#' "dist")`), so that S3 methods for matrices, and `inherits()`, see what they
#' would see on the eager value. `class()`, `oldClass()`, `attributes()`,
#' `data.class()` and `identical()` see the extra class. Use `materialize(x)`
#' for the eager value; `all.equal(lazy, eager)` and testthat's
#' `expect_equal()` compare values (`all.equal(eager, lazy)`, with the lazy
#' value second, reports the class: R's `all.equal` dispatches on its first
#' argument). Results that are already computed and shorter than
#' `lazy_options()$defer_min_len` (4096 by default) are ordinary R values, as
#' are those of [deferred()] up to a million elements.
#'
#' @section Reductions over matrices:
#' `sum()` and `mean()` of a lazy matrix, and `rowSums()`, `colSums()`,
#' `rowMeans()` and `colMeans()`, over at least
#' `lazy_options()$defer_min_len` elements are fused, parallel passes with
#' compensated sums, not R's sequential long double loops, and may differ
#' from R's results in the last bits (the test suite allows a relative
#' 1e-13; typical differences are one unit in the last place). This is what
#' lets the sums of an n x n computation share one pass on every core. A
#' result that is not finite is recomputed R's way (R's long double does not
#' overflow where doubles do, and R's order decides between NA and NaN).
#' Smaller ones, `sum()` and `mean()` of vectors, and every `prod()` equal
#' R's bit for bit (see `exact_sums` in [lazy_options()]).
#'
#' @section Warnings about values:
#' Warnings that depend on the values (`"NaNs produced"` from `sqrt`, `log`,
#' `sin`, ...; `"no non-missing arguments to min; returning Inf"`) are given
#' when the values are computed, not when the expression is written: at the
#' first use, once per lazy value, and without a call. Values that are never
#' computed give none: `sqrt(x)[1]` computes one value, `is.infinite()` of a
#' logical reads none. R's `(-Inf)^y` and `Inf^y` for `|y|` beyond 2^53 warn
#' "probable complete loss of accuracy in modulus" (from R's internal
#' modulus); lazy powers give the same values without it.
#'
#' @section Printing:
#' `print()` of a lazy object of more than 1,000 elements shows a preview
#' headed by its expression, so that printing a 2.5e9-element lazy matrix
#' computes 36 values. Smaller ones print exactly as R prints their values.
#' `str()` prints what it prints for the eager value (computing only the
#' values it shows); `format()` returns R's strings. `head()` and `tail()`
#' compute only the values they return, and `summary()` materialises the
#' value once (see [summary.lazyshare()]); both give R's exact results. A lazy
#' double vector R treats as a plain one (after `as.numeric()` or
#' `unclass()`) is materialised when R reads it whole (`print()`, `sum()`,
#' `sort()`) if it has at most 2^20 elements: R 4.2 prints a vector it reads
#' 512 values at a time with digits and widths the eager one does not have.
#' A longer one stays lazy, and its `print()` may show those digits; print
#' `materialize(x)` or the lazy object itself instead.
#'
#' @section R's own paths for classed objects:
#' Some base functions treat classed arguments differently from plain ones.
#' `pmin()` and `pmax()` then work element by element (logicals stay logical
#' instead of becoming integers, a NaN becomes NA, attributes come from the
#' first argument). Functions that copy attributes onto a new vector
#' (`pmin`, `pmax`, `storage.mode<-`, `mostattributes<-`) leave the class
#' `"lazyshare"` on an ordinary vector: lazyshare's methods treat such a
#' vector as the ordinary value it is, and `materialize()` removes the class.
#' `c()` of lazy objects with more than a million elements in all is a
#' `"lazyshare_concat"` list that supports `length`, `is.finite`, `is.na` and
#' the `Summary` functions without materialising; `materialize()` or
#' `as.vector()` gives the vector.
#'
#' @section Computed when called, or by R:
#' Some results are not deferred, but computed at once with R's semantics:
#' an integer `sum()` that may exceed R's integer range (R makes it a double
#' then) and `min()`/`max()` of integers with `na.rm = TRUE` (of nothing they
#' are the double `Inf`) are computed when called; integer arithmetic that
#' bounds cannot prove free of overflow, `%%` and `%/%`, arithmetic that
#' recycles unequal lengths, `dist()` of data with NA or infinite values and
#' functions without a lazy form are computed by R on the materialised
#' values, within `lazy_options()$max_materialize`.
#'
#' @name lazy-differences
#' @aliases lazy_differences
#' @seealso [lazy()], [materialize()], [deferred()], [lazy_options()]
#' @examples
#' x <- lazy(c(a = 1L, b = 2L, c = NA))
#' x + 1L                              # small: a plain integer vector with names
#' big <- lazy(seq_len(1e5))
#' class(big * 2L)                     # lazy: "lazyshare" "integer"
#' identical(materialize(big * 2L), seq_len(1e5) * 2L)
#' all.equal(big * 2L, seq_len(1e5) * 2L)
#' s <- sqrt(lazy(c(4, -1, rep(9, 5000))))
#' v <- materialize(s)                 # "NaNs produced", here
NULL
