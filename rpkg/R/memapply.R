# memApply and memLapply, memshare's two functions. memApply first translates FUN into one fused pass in
# this process (fuse.R); what cannot be translated runs on a PSOCK cluster whose workers read X and VARS
# from shared pages: a column reaches FUN as a view into the page, not a copy.

#' Apply a function over the rows or columns of a matrix, in parallel, without copies
#'
#' memshare's `memApply`, with its arguments and its result: a list with
#' one element per row (`MARGIN = 1`) or column (`MARGIN = 2`) of `X`,
#' named by `X`'s row or column names (`unlist()` makes it a vector like
#' `apply()`'s).
#'
#' **Fused path.** When FUN's body is built from the row or column, `VARS`
#' (numbers, and vectors as long as the row or column), constants,
#' arithmetic, comparisons, `Math` functions and the reducers `sum`, `mean`,
#' `var`, `sd`, `min`, `max`, `length`, `cor(v, y)` and `crossprod(v, y)` (nested freely,
#' with local assignments), it is translated -- never run on sample data --
#' into per-column (or per-row) reducers over `X`, computed in fused,
#' compiled passes on all cores of this process, reading `X` where it lives:
#' no worker is started and nothing is copied. Bare `sum`, `mean`, `var`,
#' `sd`, `min`, `max` and `length` translate too. `var` and `sd` take two passes (means,
#' then centred squares) and agree with R's to about 1e-15. A lazy matrix
#' (e.g. `log2(lazy(X) + 1)`) is applied over without being materialised.
#' `memApply(X, 2, mutualinfo, VARS = list(y = y, ...))` (this package's
#' [mutualinfo()], bare, with its other arguments in `VARS`) is the same
#' parallel pass over the columns as [mi_scores()], also without workers.
#'
#' **Worker path.** Otherwise (or with `FUSE = FALSE`), `X` and `VARS` are
#' registered as pages of `NAMESPACE` (unless they are pages already), and
#' the rows or columns are split into one chunk per worker of `CLUSTER`.
#' Each worker maps the pages and calls `FUN(v, <VARS by name>)`, where a
#' column `v` is a view into the page (a row is copied). `FUN` is sent to a
#' cluster once and reused while it stays the same. An error in `FUN` is an
#' error here naming the row or column; a worker that dies is an error at
#' once. Pages this call registered are released when it ends, also on error.
#' Workers on other hosts cannot map this session's pages: each other host
#' gets, once, through one of its workers, the part of `X` its workers
#' process and all of `VARS`, and its other workers map them there
#' ([lazyshare-multihost]).
#'
#' Differences from memshare: `MARGIN = 1` works (memshare iterates over
#' columns); errors in `FUN` are errors (memshare returns `NA` and prints a
#' message); the result is named by `X`'s dimnames; integer and logical
#' matrices keep their type; `FUSE`.
#'
#' @param X A numeric matrix (or numeric data frame), a shared view of one,
#'   the name of a page of `NAMESPACE` holding one, or a lazy matrix.
#' @param MARGIN 1 for rows, 2 for columns.
#' @param FUN A function whose first argument takes the row or column; its
#'   other arguments take `VARS` by name.
#' @param NAMESPACE The namespace of the pages (required when `X` or `VARS`
#'   are names); by default a namespace of this call's own.
#' @param CLUSTER A cluster from [parallel::makeCluster()] for the worker
#'   path, possibly spanning hosts (each other host then gets its part of
#'   `X` and `VARS` once; see [lazyshare-multihost]); or `"future"`, to run on the current
#'   `future` plan through future.apply; by default one of `MAX.CORES`
#'   workers is made and stopped.
#' @param VARS A named list of numeric vectors or matrices, or the names of
#'   pages of `NAMESPACE`, passed to `FUN` by name.
#' @param MAX.CORES Workers to start when `CLUSTER` is `NULL`; by default
#'   `getOption("mc.cores")`, else the number of cores.
#' @param FUSE `NA`: fuse when `FUN` translates, else use workers; `TRUE`:
#'   fuse or fail, naming what does not translate; `FALSE`: always workers.
#' @return A list of `FUN`'s results, one per row or column.
#' @seealso [memLapply()], [lazy()], [lazy_stats()] (`fused_applies`,
#'   `worker_applies`).
#' @examples
#' X <- matrix(rnorm(2000), 200, 10)
#' y <- rnorm(200)
#' s <- memApply(X, 2, sd)                                  # fused: no worker
#' all.equal(unlist(s), apply(X, 2, sd))
#' r <- memApply(X, 2, function(v, y) cor(v, y), VARS = list(y = y))
#' all.equal(unlist(r), as.vector(cor(X, y)))
#' \donttest{
#' q <- memApply(X, 2, function(v) quantile(v, 0.3)[[1]], MAX.CORES = 2)  # workers
#' }
#' @export
memApply <- function(X, MARGIN, FUN, NAMESPACE = NULL, CLUSTER = NULL, VARS = NULL, MAX.CORES = NULL,
                     FUSE = NA) {
  if (!(is.numeric(MARGIN) && length(MARGIN) == 1L && MARGIN %in% 1:2)) {
    abort(sprintf("`MARGIN` must be 1 (rows) or 2 (columns); got %s", describe_value(MARGIN)))
  }
  MARGIN <- as.integer(MARGIN)
  FUN <- check_fun(FUN)
  check_apply_options(NAMESPACE, CLUSTER, MAX.CORES, FUSE)
  target <- apply_target(X, NAMESPACE)
  on.exit(target$done(), add = TRUE)
  vars <- apply_vars(VARS, NAMESPACE)
  on.exit(vars$done(), add = TRUE)
  if (!isFALSE(FUSE)) {
    fused <- try_fused(target$data, MARGIN, FUN, vars$values, FUSE)
    if (!is.null(fused)) return(fused)
  }
  k <- dim(target$data)[MARGIN]
  out <- on_workers(list(kind = "apply", margin = MARGIN), k, target, vars, FUN, NAMESPACE, CLUSTER,
                    MAX.CORES, if (MARGIN == 2L) "column" else "row")
  names(out) <- dimnames(target$data)[[MARGIN]]
  out
}

#' Apply a function over a list of vectors or matrices, in parallel, without copies
#'
#' memshare's `memLapply`: `X` is put into one shared page (unless it is the
#' name of one), and the workers of `CLUSTER` call `FUN(el, <VARS by name>)`
#' on views of its elements. Works on R 4.2: the workers get a plain list of
#' views. Errors, cleanup, `NAMESPACE`, `CLUSTER`, `VARS` and `MAX.CORES` are
#' as in [memApply()].
#'
#' @param X A list of numeric vectors or matrices, or the name of a page of
#'   `NAMESPACE` holding one.
#' @param FUN A function whose first argument takes an element of `X`.
#' @inheritParams memApply
#' @return A list of `FUN`'s results, one per element of `X`, with `X`'s
#'   names.
#' @examples
#' \donttest{
#' L <- lapply(1:4, function(i) matrix(rnorm(100), 10, 10))
#' w <- rnorm(10)
#' r <- memLapply(L, function(el, w) el %*% w, VARS = list(w = w), MAX.CORES = 2)
#' all.equal(r, lapply(L, function(el) el %*% w))
#' }
#' @export
memLapply <- function(X, FUN, NAMESPACE = NULL, CLUSTER = NULL, VARS = NULL, MAX.CORES = NULL) {
  FUN <- check_fun(FUN)
  check_apply_options(NAMESPACE, CLUSTER, MAX.CORES, NA)
  target <- list_target(X, NAMESPACE)
  on.exit(target$done(), add = TRUE)
  vars <- apply_vars(VARS, NAMESPACE)
  on.exit(vars$done(), add = TRUE)
  out <- on_workers(list(kind = "lapply"), length(target$data), target, vars, FUN, NAMESPACE, CLUSTER,
                    MAX.CORES, "element")
  names(out) <- names(target$data)
  out
}

describe_value <- function(x) {
  if (is.numeric(x) && length(x) == 1L) format(x) else describe_object(x)
}

check_fun <- function(FUN) {
  if (is.character(FUN) && length(FUN) == 1L) FUN <- match.fun(FUN)
  if (!is.function(FUN)) {
    abort(sprintf("`FUN` must be a function; got %s", describe_object(FUN)))
  }
  FUN
}

check_apply_options <- function(NAMESPACE, CLUSTER, MAX.CORES, FUSE) {
  if (!is.null(NAMESPACE)) check_namespace(NAMESPACE, "NAMESPACE")
  if (!is.null(CLUSTER) && !inherits(CLUSTER, "cluster") && !identical(CLUSTER, "future")) {
    abort(sprintf("`CLUSTER` must be a cluster from parallel::makeCluster() or \"future\"; got %s",
                  describe_object(CLUSTER)))
  }
  if (!is.null(MAX.CORES) && !(is.numeric(MAX.CORES) && length(MAX.CORES) == 1L &&
                               !is.na(MAX.CORES) && MAX.CORES >= 1)) {
    abort(sprintf("`MAX.CORES` must be a number >= 1; got %s", describe_value(MAX.CORES)))
  }
  if (!(is.logical(FUSE) && length(FUSE) == 1L)) {
    abort(sprintf("`FUSE` must be NA, TRUE or FALSE; got %s", describe_value(FUSE)))
  }
}

require_namespace <- function(NAMESPACE, what) {
  if (is.null(NAMESPACE)) {
    abort(sprintf("%s names pages, so `NAMESPACE` must say whose", what))
  }
}

# The matrix memApply works on: its data (a matrix, view or lazy matrix), the page holding it if any
# (namespace, variable, element), and what to do when the call ends.
apply_target <- function(X, NAMESPACE) {
  if (is.character(X) && length(X) == 1L && is.null(dim(X))) {
    return(named_target(X, NAMESPACE, is.matrix, "a matrix", element = 1L))
  }
  if (is.data.frame(X)) {
    ok <- vapply(X, function(col) is.numeric(col) || is.logical(col), NA)
    if (!all(ok)) {
      abort(sprintf("`X` is a data frame with non-numeric column '%s'", names(X)[!ok][1]))
    }
    X <- as.matrix(X)
  }
  if (!is.matrix(X) || !(is.numeric(X) || is.logical(X)) || (!is.null(oldClass(X)) && !is_lazy(X))) {
    abort(sprintf("`X` must be a numeric matrix, a shared view of one, or the name of a page; got %s",
                  describe_object(X)))
  }
  info <- viewInfo(X)
  page <- if (!is.null(info) && !info$modified && page_has_shape(info, X)) {
    list(ns = info$namespace, var = info$variable, element = as.integer(info$element))
  }
  list(data = X, page = page, done = function() invisible())
}

# Whether workers retrieving the view's page get X's shape: not so for a page that is gone, or one that
# holds the data without the dimensions (a view restored from its data on another host caches only that).
page_has_shape <- function(info, X) {
  m <- tryCatch(.Call(lzs_metadata, info$namespace, info$variable), error = function(e) NULL)
  !is.null(m) && (m$kind == "list" || identical(as.numeric(m$dims), as.numeric(dim(X))))
}

# X given as the name of a page of NAMESPACE, which must hold `what` (`is_what`).
named_target <- function(X, NAMESPACE, is_what, what, element) {
  require_namespace(NAMESPACE, "`X`")
  check_var_names(X, "X")
  v <- retrieveViews(NAMESPACE, X)[[1L]]
  done <- function() releaseViews(NAMESPACE, X)
  if (!is_what(v)) {
    done()
    abort(sprintf("`X` names page '%s', which holds %s, not %s", X, describe_object(v), what))
  }
  list(data = v, page = list(ns = NAMESPACE, var = X, element = element), done = done)
}

list_target <- function(X, NAMESPACE) {
  if (is.character(X) && length(X) == 1L) {
    return(named_target(X, NAMESPACE, is.list, "a list", element = NA_integer_))
  }
  if (!is.list(X) || !is.null(oldClass(X))) {
    abort(sprintf("`X` must be a list of numeric vectors or matrices, or the name of a page; got %s",
                  describe_object(X)))
  }
  list(data = X, page = NULL, done = function() invisible())
}

# VARS as values (for translation) and as pages (for workers): a named list, or names of pages.
apply_vars <- function(VARS, NAMESPACE) {
  none <- list(values = list(), names = character(), pages_ns = NULL, done = function() invisible())
  if (is.null(VARS)) return(none)
  if (is.character(VARS)) {
    require_namespace(NAMESPACE, "`VARS`")
    check_var_names(VARS, "VARS")
    values <- retrieveViews(NAMESPACE, VARS)
    return(list(values = values, names = VARS, pages_ns = NAMESPACE,
                done = function() releaseViews(NAMESPACE, VARS)))
  }
  if (!is.list(VARS) || is.null(names(VARS)) || anyNA(names(VARS)) || !all(nzchar(names(VARS)))) {
    abort(sprintf("`VARS` must be a named list, or the names of pages of `NAMESPACE`; got %s",
                  describe_object(VARS)))
  }
  check_var_names(names(VARS), "names(VARS)")
  list(values = VARS, names = names(VARS), pages_ns = NULL, done = function() invisible())
}

try_fused <- function(data, MARGIN, FUN, vars, FUSE) {
  mi <- fused_mutualinfo(data, MARGIN, FUN, vars)
  if (!is.null(mi)) {
    .Call(lzs_note_apply, TRUE)
    return(mi)
  }
  r <- if (!is.double(data)) {
    structure(class = c("lazyshare_unfusable", "error", "condition"),
              list(message = sprintf("`X` is %s, and fused sums would be doubles", typeof(data)),
                   call = NULL))
  } else {
    tryCatch(fused_apply(lazy(data), MARGIN, FUN, vars), lazyshare_unfusable = function(e) e)
  }
  if (!inherits(r, "lazyshare_unfusable")) {
    .Call(lzs_note_apply, TRUE)
    return(r)
  }
  if (isTRUE(FUSE)) {
    abort(sprintf("`FUN` cannot be fused (FUSE = TRUE): %s", conditionMessage(r)))
  }
  NULL
}

# ---------------------------------------------------------------------------------------------------
# Worker path

# State of this package's side of memApply in each process: in the master, the function last sent to
# each cluster; in a worker, the function it was sent.
apply_state <- new.env(parent = emptyenv())

apply_counter <- local({
  n <- 0L
  function() {
    n <<- n + 1L
    n
  }
})

default_workers <- function() {
  n <- getOption("mc.cores", parallel::detectCores())
  if (!is.numeric(n) || is.na(n) || n < 1) 1L else as.integer(n)
}

# Identifies a cluster by its connections (a cluster made later may reuse them: workers check a token).
cluster_key <- function(cl) {
  paste(vapply(cl, function(node) {
    con <- node$con
    if (inherits(con, "connection")) as.character(as.integer(con)) else "?"
  }, ""), collapse = "-")
}

# Sends FUN to every worker once, with the shared-memory domain probe; later calls with the same FUN on the
# same cluster send only a token and reuse the domains found then (a worker that does not hold the token
# answers needs_fun, and both are sent again).
fun_token <- function(cl, FUN, force = FALSE) {
  bytes <- serialize(FUN, NULL)
  key <- cluster_key(cl)
  sent <- apply_state$sent[[key]]
  if (!force && !is.null(sent) && identical(sent$bytes, bytes)) return(sent)
  token <- sprintf("%d.%d.%s", Sys.getpid(), apply_counter(), format(Sys.time(), "%OS6"))
  probe <- domain_probe()
  on.exit(probe$done(), add = TRUE)
  answers <- parallel::clusterCall(cl, worker_set_fun, token, FUN, probe$ns, probe$token)
  if (is.null(apply_state$sent)) apply_state$sent <- list()
  sent <- list(bytes = bytes, token = token, domains = domains_of(answers))
  apply_state$sent[[key]] <- sent
  sent
}

# Runs in a worker.
worker_set_fun <- function(token, FUN, probe_ns, probe_token) {
  apply_state$fun <- FUN
  apply_state$token <- token
  worker_probe(probe_ns, probe_token)
}

needs_fun <- structure(list(), class = "lazyshare_needs_fun")

# What clusterApply sends: a function is sent with its code, and a small one keeps each call's message
# small (a message of a few kilobytes waits on TCP's delayed acknowledgement: ~40 ms a call).
run_chunk <- function(idx, task) apply_chunk(idx, task)

# Runs in a worker: FUN over the items `idx` (columns, rows or list elements) of the page the task
# names, with VARS from their pages. A failure is returned as a value naming the item.
apply_chunk <- function(idx, task) {
  if (!identical(apply_state$token, task$fun)) return(list(needs_fun))
  apply_items(idx, task, apply_state$fun)
}

# Runs in a worker of a `future` plan, which gets FUN with each chunk.
future_chunk <- function(idx, task, fun) apply_items(idx, task, fun)

apply_items <- function(idx, task, FUN) {
  x <- call_views(task$call, task$ns, task$var)
  if (x$release) on.exit(releaseViews(task$ns, task$var), add = TRUE)
  X <- x$views[[1L]]
  # In another domain, X's page holds only the items of that domain's chunks: where each of idx sits in
  # it, matched once for the chunk (one match per item made a chunk quadratic in its length).
  at <- if (is.null(x$items)) idx else match(idx, x$items)
  if (!is.na(task$element) && is.list(X)) X <- X[[task$element]]
  vars <- list()
  if (length(task$vars)) {
    v <- call_views(task$call, task$vars_ns, task$vars)
    if (v$release) on.exit(releaseViews(task$vars_ns, task$vars), add = TRUE)
    vars <- stats::setNames(v$views, task$vars)
  }
  item <- switch(task$kind,
    lapply = function(i) X[[i]],
    apply = if (task$margin == 1L) function(i) X[i, ] else column_of(X))
  lapply(seq_along(idx), function(k) {
    # A column that C code reads is mapped privately (copy-on-write) until R collects its view; a
    # process may hold at most vm.max_map_count (65,530) mappings, so long chunks collect now and then.
    if (k %% 4096L == 0L) gc(verbose = FALSE)
    i <- idx[[k]]
    tryCatch({
      if (is.na(at[[k]])) stop(sprintf("this worker's share of `X` does not hold item %d", i))
      do.call(FUN, c(list(item(at[[k]])), vars))
    }, error = function(e) structure(list(index = i, message = conditionMessage(e)),
                                     class = "lazyshare_apply_failure"))
  })
}

# Column i of a matrix view, as a view of the same mapping, named like X[, i].
column_of <- function(X) {
  n <- nrow(X)
  rn <- rownames(X)
  function(i) {
    v <- .Call(lzs_view_slice, X, (i - 1) * n, n)
    if (is.null(v)) return(X[, i])
    if (!is.null(rn)) names(v) <- rn
    v
  }
}

# Puts what the workers need into pages, runs the chunks, and returns FUN's results in order.
on_workers <- function(task, n_items, target, vars, FUN, NAMESPACE, CLUSTER, MAX.CORES, item_name) {
  # No rows, columns or elements: no call of FUN, as apply() and lapply() make none (and no worker).
  if (n_items == 0L) return(list())
  ns <- NAMESPACE %||% sprintf("lzs_apply_%d_%d", Sys.getpid(), apply_counter())
  registered <- character()
  on.exit(if (length(registered)) releaseVariables(ns, registered), add = TRUE)
  register <- function(values) {
    registerVariables(ns, values)
    registered <<- c(registered, names(values))
  }
  # What other shared-memory domains need: the same pages under the same names.
  pages <- list()
  page <- target$page
  if (is.null(page)) {
    name <- sprintf("lzs_X_%d", apply_counter())
    values <- stats::setNames(list(eager(target$data)), name)
    register(values)
    if (is_lazy(target$data)) {
      # Other domains get the page's data, not a second materialised copy kept for the call.
      values <- retrieveViews(ns, name)
      on.exit(releaseViews(ns, name), add = TRUE, after = FALSE)
    }
    page <- list(ns = ns, var = name, element = if (task$kind == "apply") 1L else NA_integer_)
  } else {
    values <- stats::setNames(list(target$data), page$var)
  }
  pages[[1L]] <- list(ns = page$ns, values = values)
  vars_ns <- vars$pages_ns %||% ns
  if (length(vars$values)) {
    values <- if (is.null(vars$pages_ns)) lapply(vars$values, eager) else vars$values
    if (is.null(vars$pages_ns)) register(values)
    pages[[2L]] <- list(ns = vars_ns, values = values)
  }
  task <- c(task, list(ns = page$ns, var = page$var, element = page$element, vars_ns = vars_ns,
                       vars = vars$names, call = sprintf("%d.%d", Sys.getpid(), apply_counter())))
  out <- if (identical(CLUSTER, "future")) {
    on_future(task, n_items, FUN, pages)
  } else {
    on_cluster(task, n_items, FUN, pages, CLUSTER, MAX.CORES)
  }
  failed <- Filter(function(r) inherits(r, "lazyshare_apply_failure"), out)
  if (length(failed)) {
    abort(sprintf("`FUN` failed on %s %d: %s", item_name, failed[[1L]]$index, failed[[1L]]$message),
          "lazyshare_fun_failed")
  }
  .Call(lzs_note_apply, FALSE)
  out
}

worker_failed <- function(e) {
  abort(sprintf("a worker of the cluster failed (%s); a worker that died cannot be used again",
                conditionMessage(e)), "lazyshare_worker_failed")
}

# One chunk per worker of a parallel cluster. Results are received as workers finish (clusterApplyLB), so
# that a worker that dies is an error at once, not after the workers before it have finished.
on_cluster <- function(task, n_items, FUN, pages, CLUSTER, MAX.CORES) {
  cl <- CLUSTER
  if (is.null(cl)) {
    cl <- parallel::makeCluster(if (is.null(MAX.CORES)) default_workers() else as.integer(MAX.CORES))
    on.exit(parallel::stopCluster(cl), add = TRUE)
  }
  chunks <- Filter(length, parallel::splitIndices(n_items, length(cl)))
  holders <- integer()
  run <- function(force) {
    sent <- fun_token(cl, FUN, force)
    # Cached domains can be stale (a new cluster on the same connections): a failed shipment probes again
    # once, and a retry ships again to the domains found now.
    shipped <- tryCatch(ship_to_domains(cl, sent$domains, domain_share(pages, task, chunks, sent$domains),
                                        task$call),
                        lazyshare_worker_failed = function(e) if (force) stop(e) else e)
    if (inherits(shipped, "lazyshare_worker_failed")) return(run(TRUE))
    holders <<- shipped
    task$fun <- sent$token
    tryCatch(do.call(c, parallel::clusterApplyLB(cl, chunks, run_chunk, task)), error = worker_failed)
  }
  out <- run(FALSE)
  if (any(vapply(out, inherits, NA, "lazyshare_needs_fun"))) out <- run(TRUE)
  drop_held(cl, holders)
  out
}

# What domain d of a cluster gets: the part of X its workers' chunks cover (clusterApplyLB gives chunk k to
# worker k, as there are no more chunks than workers) and VARS whole; NULL when it has no chunk.
domain_share <- function(pages, task, chunks, domains) {
  function(d) {
    nodes <- intersect(which(domains == d), seq_along(chunks))
    if (!length(nodes)) return(NULL)
    items <- unlist(chunks[nodes])
    x <- pages[[1L]]$values[[1L]]
    pages[[1L]]$values[[1L]] <- switch(task$kind,
      lapply = x[items],
      apply = if (task$margin == 1L) x[items, , drop = FALSE] else x[, items, drop = FALSE])
    list(pages = pages, items = items)
  }
}

# After a call that succeeded, the workers of other domains drop the views they held (so that the memory
# of the unlinked pages is freed now, not at their next call).
drop_held <- function(cl, holders) {
  if (length(holders)) parallel::clusterCall(cl[holders], worker_drop, collect = TRUE)
  invisible(NULL)
}

# One chunk per worker of the current `future` plan, through future.apply. A plan over a parallel cluster
# (plan(cluster, workers = cl)) is probed like a cluster and each of its other domains gets the pages once.
on_future <- function(task, n_items, FUN, pages) {
  if (!requireNamespace("future.apply", quietly = TRUE)) {
    abort("`CLUSTER = \"future\"` needs the package future.apply (and future), which is not installed")
  }
  cl <- formals(future::plan("next"))$workers
  holders <- integer()
  if (inherits(cl, "cluster")) {
    probe <- domain_probe()
    domains <- tryCatch(domains_of(parallel::clusterCall(cl, worker_probe, probe$ns, probe$token)),
                        error = worker_failed, finally = probe$done())
    # Which worker runs which chunk is future's choice: each domain gets all of X.
    holders <- ship_to_domains(cl, domains, function(d) list(pages = pages, items = NULL), task$call)
  }
  chunks <- Filter(length, parallel::splitIndices(n_items, future::nbrOfWorkers()))
  out <- tryCatch(do.call(c, future.apply::future_lapply(chunks, future_chunk, task = task, fun = FUN,
                                                         future.scheduling = 1)),
                  FutureError = worker_failed)
  drop_held(cl, holders)
  out
}
