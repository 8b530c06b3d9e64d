# Views sent to processes that cannot open their pages (workers on other hosts): the serialisation mode
# of views, and the help page on using lazyshare over more than one host.

#' Serialise views with their data, for workers on other hosts
#'
#' A view serialises as its page's name (a few hundred bytes), which is
#' all a process that can open the page needs, and meaningless on another
#' host. After `lazyshare_view_data(TRUE)`, every view this session
#' serialises (e.g. with [parallel::clusterExport()] or as an argument of
#' [parallel::clusterCall()]) carries its page's name and its data:
#'
#' * restored where the page opens (this host), it maps the page and the
#'   data that came with it is dropped;
#' * restored where it does not (another host, or another `/dev/shm`), the
#'   data is cached there as a page owned by the restoring process, named
#'   after the original page (`<variable>-<identity>` in the same namespace);
#'   the next process of that domain restoring the same view maps that page,
#'   so the data is held once per host however many workers receive it.
#'
#' The data still crosses the wire once per worker: [memApply()] and
#' [memLapply()] do better (once per host) and need no setting. Cached pages
#' are released by [memshare_gc()] with the cluster, when their worker ends,
#' or by [lazyshare_sweep()] on that host after it died.
#'
#' @param on `TRUE` to serialise views with their data, `FALSE` (the
#'   default when the package loads) for names only.
#' @return The previous setting, invisibly.
#' @seealso [lazyshare-multihost], [lazyshare_domains()]
#' @examples
#' ns <- paste0("example", Sys.getpid())
#' registerVariables(ns, list(x = as.numeric(1:1000)))
#' v <- retrieveViews(ns, "x")$x
#' length(serialize(v, NULL))        # the name: a few hundred bytes
#' old <- lazyshare_view_data(TRUE)
#' length(serialize(v, NULL))        # name and data: ~8 kB
#' lazyshare_view_data(old)
#' memshare_gc(ns)
#' @export
lazyshare_view_data <- function(on = TRUE) {
  check_flag(on, "on")
  invisible(.Call(lzs_view_serialize, if (on) "travel" else "name") == "travel")
}

#' Using lazyshare over more than one host
#'
#' Shared memory ends at the host boundary (more exactly: at the `/dev/shm`
#' a process sees; containers may have their own). lazyshare works over a
#' PSOCK cluster spanning hosts, or a `future` plan over one, keeping one
#' copy of the data per host, none on the master's host.
#'
#' **Set-up.** Make the cluster as usual, e.g.
#' `cl <- parallel::makePSOCKcluster(c("localhost", "node1", "node1", "node2", "node2"))`;
#' every host needs lazyshare installed. Nothing else: [memApply()] and
#' [memLapply()] find out which workers share memory with this session.
#'
#' **Domains.** A probe (once per cluster and `FUN`, cached with `FUN`)
#' tells which workers can open this session's pages: a tiny page holding a
#' random token that every worker opens and compares. The others are
#' grouped by the identity of their `/dev/shm` (boot id and mount), never by
#' host name. [lazyshare_domains()] shows the grouping.
#'
#' **What travels, how often.** For a call of [memApply()] / [memLapply()]:
#' * `FUN`: once per worker, the first time it is used on the cluster.
#' * `X`: not at all to workers of this host (they map the page). Each
#'   other domain gets, once, through its first worker, the columns (rows,
#'   elements) its workers' chunks cover: over all domains, `X` crosses the
#'   wire at most once. `VARS`: whole, once per other domain. The receiving
#'   worker registers them there under the same names, every worker of the
#'   domain maps them, and the receiving worker unlinks them: nothing is left
#'   in that host's `/dev/shm` during or after the call, and the memory is
#'   freed when its workers drop their views (at the end of the call; a
#'   worker that dies takes its mappings with it).
#' * On a `future` plan, which chooses the worker of each chunk, each other
#'   domain gets all of `X` once.
#' * Per chunk: a task of a few hundred bytes; results as with `parallel`.
#'
#' **Costs.** Per other domain: its part of `X` and all of `VARS` on the
#' wire (serialised here, one transient private copy in the receiving worker
#' while it writes the page; for `MARGIN = 1` and lists, also a transient
#' copy of that part here), one page of that size in that host's shared
#' memory for the duration of the call, and three short round trips.
#' `parApply()` sends the same bytes of `X` (split among the workers) but
#' `VARS`-like extra arguments to every worker, and the workers keep their
#' shares as private copies; `bench/R/multihost.R` measures both.
#'
#' **Failures.** A worker that dies is an R error at once (results are
#' received as workers finish); the session releases its own pages on
#' error and interrupt, other hosts hold none. A worker killed while it
#' writes a page leaves it behind: [lazyshare_sweep()] on that host (it
#' also runs when the package loads) removes pages of dead owners.
#'
#' **future.** `memApply(..., CLUSTER = "future")` runs the chunks through
#' `future.apply` on the current plan (one chunk per worker). An explicit
#' value rather than "whatever plan is set when `CLUSTER` is `NULL`": `NULL`
#' already means "start `MAX.CORES` local workers", and a plan set elsewhere
#' (by a package, or left over) should not silently move a call onto other
#' machines. On `plan(cluster, workers = cl)` with a cluster object, the
#' other domains of `cl` get `X` and `VARS` once each as above; on
#' `plan(multisession)` all workers share this host's memory.
#'
#' **Views.** A view passed to workers yourself (`clusterExport`,
#' `clusterCall`) is its page's name; for workers on other hosts, see
#' [lazyshare_view_data()].
#'
#' @name lazyshare-multihost
#' @seealso [memApply()], [lazyshare_domains()], [lazyshare_view_data()],
#'   [memshare_gc()], [lazyshare_sweep()]
NULL
