#' lazyshare: big numeric data held once in shared memory, computed lazily
#'
#' lazyshare keeps numeric vectors and matrices in POSIX shared memory
#' ("pages") that every R process of the machine can read without copying,
#' and computes on them lazily: expressions become a graph, and the
#' reductions R asks for are fused into single compiled, parallel passes
#' over the data. The pages API is compatible with the 'memshare' package:
#' replace `library(memshare)` by `library(lazyshare)` and scripts keep
#' working. `vignette("lazyshare")` walks through all of it.
#'
#' @section Pages and views:
#' A *page* is one variable copied once into shared memory by
#' [registerVariables()], under a namespace of your choice. The process that
#' registered it owns it: the page lives until that process calls
#' [releaseVariables()] or [memshare_gc()], unloads the package or ends
#' (pages of a process that was killed are removed by [lazyshare_sweep()],
#' which also runs when the package loads). Every process, including PSOCK
#' and forked workers, gets a *view* of a page with [retrieveViews()]: an
#' ordinary-looking, read-only R vector or matrix whose memory is the page
#' itself. Views cost no memory, serialise as the page's name (sending one to
#' a worker sends a few hundred bytes), and stay valid while R holds them,
#' even after [releaseViews()] or the owner's release. Writing into a view
#' changes a private copy of the memory written, never the page.
#' [retrieveMetadata()], [pageList()], [viewList()] and [viewInfo()] describe
#' pages and views. [memApply()] and [memLapply()] apply a function over the
#' columns, rows or elements of shared data, on workers that read the pages.
#'
#' @section Lazy nodes:
#' [lazy()] wraps a vector, matrix or view without copying it. Arithmetic,
#' comparisons, `Math` functions (`sqrt`, `exp`, `abs`, ...), `t()`,
#' [dist()], [sweep()] and `as.matrix()` on a lazy object return another
#' lazy object: a *node* of a graph that records the expression but computes
#' nothing, so `as.matrix(dist(lazy(z)))` for 50,000 observations is a
#' 50,000 x 50,000 matrix that costs no memory. Reducers (`sum`, `mean`,
#' `min`, `max`, `prod`, `any`, `all`, [rowSums()], [rowMeans()], [colSums()],
#' [colMeans()]) are nodes too: pending results, each computed once and then
#' remembered. Lazy objects carry the attributes and follow the type rules of
#' the values R would have computed; [lazy-differences] lists the few places
#' where they differ on purpose. [deferred()] runs existing R code (such as
#' energy's `DCOR`) with lazy-aware functions in scope.
#'
#' @section Forcing (when values are computed, and what fuses):
#' A value is computed when R needs it: `if`, `print()`, subsetting,
#' [materialize()], or a function without a lazy form. That *force* runs
#' every reducer still pending over the same grid of data in one pass: in
#' `mean(sweep(sweep(d, 1, m), 2, m) + mean(d))` with `m <- rowMeans(d)`, the
#' row means and `mean(d)` share the first pass, and the final mean is the
#' second, each pass visiting the data once on every core. A pass whose
#' estimated work exceeds `lazy_options()$jit_min_work` is compiled to
#' native code; smaller ones are interpreted. Reading elements (`x[i]`,
#' [`head()`][utils::head], `str()`, the preview `print()` shows for big
#' objects) computes only the elements read, after the reducers they depend
#' on; `summary()` of a lazy vector materialises it once, since its
#' quantiles need every value. Nothing larger than
#' `lazy_options()$max_materialize` is materialised silently: that is an
#' error that says how much memory it would need. [lazy_explain()] shows
#' the plan of a force without running it, and [lazy_stats()] counts the
#' passes, elements and materialisations that did run.
#'
#' @section Statistics:
#' [dcor()], [dcov()], [`DCOR()`][dcor], [dcovU()] and [bcdcor()] are energy's
#' distance statistics in O(n) memory (O(n log n) time for univariate
#' samples). Their tests: [dcov.test()] and [`dcor.test()`][dcov.test]
#' (energy's permutations, the replicates fused into compiled passes),
#' [pdcor()], [`pdcov()`][pdcor] and their tests, [dcorT()] and
#' [`dcorT.test()`][dcorT], [dcov2d()], [`dcor2d()`][dcov2d], [U_center()],
#' [`D_center()`][U_center] and [dcovU_stats()]. [mi_scores()] ranks the
#' columns of a matrix by mutual information with class labels,
#' [mutualinfo()] scores one; [pde()] and [pareto_radius()] are Pareto
#' density estimation with an exact radius.
#'
#' @section Options:
#' [lazy_options()] sets the thresholds of the runtime: threads, when work
#' is deferred or compiled, rows per tile of a pass, the materialisation
#' limit, progress and R-exact sums; [lazy_tune()] measures them on this
#' machine.
#'
#' @section More than one host:
#' [memApply()] spans hosts of a PSOCK cluster or a `future` plan, one copy
#' of the data per host: see [lazyshare-multihost], [lazyshare_domains()]
#' and [lazyshare_view_data()].
#'
#' @examples
#' x <- lazy(matrix(rnorm(2e5), 2e4, 10))
#' s <- colSums(x * x)             # a pending reducer: nothing computed yet
#' m <- colMeans(x)                # a second one over the same grid
#' invisible(lazy_stats(reset = TRUE))
#' s[1:3]                          # forces both in one pass
#' m[1:3]                          # remembered: no new pass
#' lazy_stats()$passes
#' @keywords internal
#' @useDynLib lazyshare, .registration = TRUE
"_PACKAGE"
