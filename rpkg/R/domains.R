# Shared-memory domains: the processes that see the same /dev/shm. A worker on another host (or in a
# container with its own /dev/shm) cannot open this process's pages; memApply sends such a domain its part
# of X and VARS once, to one worker there, which registers them under the same names for its siblings.

#' Which workers of a cluster share this session's shared memory
#'
#' Probes each worker of `cl`: this session registers a tiny page holding a
#' random token and asks every worker to open it and compare the bytes. A
#' worker that can belongs to this session's domain (0). Workers that cannot
#' are grouped by the identity of the `/dev/shm` they see (the kernel's boot
#' id and the device of the mount holding `/dev/shm`), never by host name,
#' which lies under containers: workers with the same identity share pages.
#'
#' [memApply()] and [memLapply()] use the same probe (once per cluster and
#' function, cached with it) to send each other domain its part of `X` and
#' `VARS` once; see [lazyshare-multihost].
#'
#' @param cl A cluster from [parallel::makeCluster()].
#' @return An integer vector, one per worker: 0 for workers that share this
#'   session's memory, 1, 2, ... for the other domains, numbered in the order
#'   of their first worker.
#' @examples
#' \donttest{
#' cl <- parallel::makeCluster(2)
#' lazyshare_domains(cl) # c(0, 0): both workers run on this host
#' parallel::stopCluster(cl)
#' }
#' @export
lazyshare_domains <- function(cl) {
  if (!inherits(cl, "cluster")) {
    abort(sprintf("`cl` must be a cluster from parallel::makeCluster(); got %s", describe_object(cl)))
  }
  probe <- domain_probe()
  on.exit(probe$done(), add = TRUE)
  domains_of(parallel::clusterCall(cl, worker_probe, probe$ns, probe$token))
}

# A page holding a random token, for workers to open and compare.
domain_probe <- function() {
  ns <- sprintf("lzs_probe_%d_%d", Sys.getpid(), apply_counter())
  token <- stats::runif(4)
  registerVariables(ns, list(p = token))
  list(ns = ns, token = token, done = function() releaseVariables(ns, "p"))
}

# Runs in a worker: whether it sees the master's probe page, and if not, which /dev/shm it sees.
worker_probe <- function(ns, token) {
  same <- tryCatch({
    v <- retrieveViews(ns, "p")$p
    ok <- identical(as.vector(v), token)
    releaseViews(ns, "p")
    ok
  }, error = function(e) FALSE)
  list(same = same, domain = if (!same) shm_identity(), pid = Sys.getpid())
}

# The identity of the /dev/shm this process sees: the kernel's boot id (one per machine and boot) and the
# device and root of the mount holding /dev/shm (one per tmpfs). A process that cannot read them is a
# domain of its own (its pid): then it costs a copy, never a wrong answer.
shm_identity <- function() {
  boot <- tryCatch(readLines("/proc/sys/kernel/random/boot_id", warn = FALSE)[1L], error = function(e) NA)
  mounts <- tryCatch(readLines("/proc/self/mountinfo", warn = FALSE), error = function(e) character())
  fields <- strsplit(mounts, " ", fixed = TRUE)
  point <- vapply(fields, function(f) if (length(f) >= 5L) f[5L] else "", "")
  holds <- point == "/" | point == "/dev/shm" | startsWith("/dev/shm", paste0(point, "/"))
  if (is.na(boot) || !any(holds)) return(sprintf("pid:%d", Sys.getpid()))
  # The deepest mount point holding /dev/shm; of mounts on the same point, the last one is visible.
  best <- which(holds)[order(nchar(point[holds]), which(holds), decreasing = TRUE)[1L]]
  paste(boot, fields[[best]][3L], fields[[best]][4L])
}

# Worker answers -> domain per worker (0 = the master's; then foreign domains in order of first worker).
domains_of <- function(answers) {
  same <- vapply(answers, `[[`, NA, "same")
  ids <- vapply(answers, function(a) if (a$same) "" else a$domain, "")
  foreign <- unique(ids[!same])
  ifelse(same, 0L, match(ids, foreign))
}

# Sends each foreign domain of `cl` (domain per worker in `domains`) what `share(d)` gives for domain d:
# list(pages = list of list(ns, values), items = the items (columns, rows, elements) X's page holds there,
# or NULL for all), or NULL when that domain has nothing to do. Three round trips, each to all domains at
# once: one worker per domain receives the data and registers it under the same names; every worker of
# the domain maps it and holds the views for call `call`; the first worker unlinks its pages (also when a
# step fails). From then on nothing of the call is left in another domain's /dev/shm: the memory lives as
# long as the workers' mappings, so a master that fails or is interrupted leaves nothing to release
# there, and a worker that dies takes its mappings with it.
# Returns the workers holding views (positions in `cl`), for drop_held() on success.
ship_to_domains <- function(cl, domains, share, call) {
  ds <- sort(unique(domains[domains > 0L]))
  shares <- lapply(ds, share)
  busy <- !vapply(shares, is.null, NA)
  ds <- ds[busy]
  shares <- shares[busy]
  if (!length(ds)) return(integer())
  leaders <- vapply(ds, function(d) which(domains == d)[1L], 1L)
  holders <- which(domains %in% ds)
  names_of <- lapply(shares, function(sh) lapply(sh$pages, function(p) list(ns = p$ns, names = names(p$values))))
  registered <- FALSE
  on.exit(if (registered) {
    try(parallel::clusterApply(cl[leaders], names_of, worker_release), silent = TRUE)
  }, add = TRUE)
  tryCatch({
    # Views serialise as their page's name, which means nothing in another domain: send their data.
    before <- .Call(lzs_view_serialize, "data")
    tryCatch(parallel::clusterApply(cl[leaders], lapply(shares, `[[`, "pages"), worker_register),
             finally = .Call(lzs_view_serialize, before))
    registered <- TRUE
    holds <- lapply(match(domains[holders], ds), function(j) list(names = names_of[[j]], items = shares[[j]]$items))
    rm(shares)
    parallel::clusterApply(cl[holders], holds, worker_hold, call = call)
  }, error = function(e) {
    abort(sprintf("a worker of another shared-memory domain could not take the data (%s)",
                  conditionMessage(e)), "lazyshare_worker_failed")
  })
  holders
}

# Runs in a worker of a foreign domain: registers what it was sent, then frees its private copy now.
worker_register <- function(pages) {
  done <- list()
  ok <- FALSE
  on.exit(if (!ok) worker_release(done), add = TRUE)
  for (p in pages) {
    registerVariables(p$ns, p$values)
    done[[length(done) + 1L]] <- list(ns = p$ns, names = names(p$values))
  }
  ok <- TRUE
  rm(pages, p)
  gc(verbose = FALSE)
  Sys.getpid()
}

worker_release <- function(pages) {
  for (p in pages) {
    mine <- paste(p$ns, p$names, sep = ".") %in% pageList()
    if (any(mine)) releaseVariables(p$ns, p$names[mine])
  }
  invisible(NULL)
}

# Runs in a worker of a foreign domain: maps the call's pages (`hold$names`) and keeps the views (dropping
# any held for an earlier call), for apply_items() to use after the pages are unlinked. `hold$items`: which
# items of X the domain's page of X holds (NULL: all).
worker_hold <- function(hold, call) {
  worker_drop()
  pages <- hold$names
  items <- hold$items
  views <- list()
  for (p in pages) {
    v <- retrieveViews(p$ns, p$names)
    names(v) <- paste(p$ns, p$names, sep = "\r")
    views <- c(views, v)
    releaseViews(p$ns, p$names)
  }
  apply_state$held <- list(call = call, views = views, items = items)
  invisible(NULL)
}

worker_drop <- function(collect = FALSE) {
  apply_state$held <- NULL
  if (collect) gc(verbose = FALSE)
  invisible(NULL)
}

# The views of `vars` in namespace `ns` for call `call`: those held since worker_hold(), with the items X's
# page holds (NULL: all), else retrieved now (the caller releases them: `release` says whether to).
call_views <- function(call, ns, vars) {
  held <- apply_state$held
  key <- paste(ns, vars, sep = "\r")
  if (!is.null(held) && identical(held$call, call) && all(key %in% names(held$views))) {
    return(list(views = unname(held$views[key]), release = FALSE, items = held$items))
  }
  list(views = unname(retrieveViews(ns, vars)), release = TRUE, items = NULL)
}
