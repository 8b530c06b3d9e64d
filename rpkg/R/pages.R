# The pages API, compatible with memshare: names, argument order and return shapes are memshare's.

attr_blob <- function(x) {
  a <- attributes(x)
  if (is.null(a)) raw(0) else serialize(a, NULL)
}

restore_attrs <- function(v, blob) {
  if (length(blob)) attributes(v) <- unserialize(blob)
  v
}

# Attributes go onto fresh views from C: `attributes<-` here would wrap each view in another ALTREP layer.
retrieve_one <- function(namespace, name) {
  r <- .Call(lzs_retrieve, namespace, name)
  # A damaged page may hold attribute bytes that do not unserialize, or attributes that do not fit.
  tryCatch({
    .Call(lzs_set_attributes, r$views, lapply(r$attrs, function(b) if (length(b)) unserialize(b)))
    if (r$kind == "array") r$views[[1L]] else restore_attrs(r$views, r$list_attrs)
  }, error = function(e) {
    abort(sprintf("page '%s.%s' is not a valid lazyshare page: its attributes cannot be restored (%s)",
                  namespace, name, conditionMessage(e)), "lazyshare_corrupt_page")
  })
}

# What lzs_register needs for one variable: its arrays and their attributes.
variable_spec <- function(x, name) {
  what <- sprintf("`variableList$%s`", name)
  if (is_plain_numeric(x)) {
    return(list(values = list(x), attrs = list(attr_blob(x)), list_attrs = raw(0), is_list = FALSE))
  }
  if (is.list(x) && is.null(oldClass(x))) {
    ok <- vapply(x, is_plain_numeric, logical(1))
    if (!all(ok)) {
      i <- which(!ok)[1]
      abort(sprintf("%s is a list, so each element must be a numeric vector or matrix; element %d is %s",
                    what, i, describe_object(x[[i]])))
    }
    return(list(values = unname(x), attrs = lapply(x, attr_blob), list_attrs = attr_blob(x),
                is_list = TRUE))
  }
  abort(sprintf("%s must be a double, integer or logical vector or matrix, or a list of them; got %s",
                what, describe_object(x)))
}

#' Register variables as shared pages
#'
#' Copies each element of `variableList` into a shared-memory page of
#' `namespace`, from where any R process of this user can map it without a
#' copy ([retrieveViews()]). The page belongs to this session: it stays until
#' [releaseVariables()], [memshare_gc()], package unload or session end.
#'
#' Each element may be a double, integer or logical vector or matrix (its
#' `dim`, `dimnames` and `names` are kept), or a plain list of them (one page
#' holding all arrays of the list). Vectors longer than 2^31 - 1 elements work.
#'
#' Differences from memshare: unnamed elements are an error (memshare renames
#' them `L1`, `L2`, ...); a name that exists already is an error naming its
#' owner's pid, unless that owner has died, in which case its page is replaced;
#' integers and logicals keep their type (memshare converts them to double).
#' Registration is all or nothing: if one element fails, none stays
#' registered.
#'
#' @section Names:
#' Namespaces and variable names are made of ASCII letters, digits, `.`,
#' `_` and `-` (as in `"my_ns"`, `"X"`, `"run-2.v1"`); a name may not be
#' `"."` or contain `".."`. Anything else (a `/`, a space, a non-ASCII
#' letter, `NA`, `""`) is refused, before anything is created, with an error
#' naming the argument: class `lazyshare_bad_name` (also a
#' `lazyshare_bad_argument`), or `lazyshare_bad_argument` for `NA` and `""`.
#' A page is the file `/dev/shm/lzs.<uid>.<namespace>.<name>`, where a `.`
#' inside a name is written `%2E`; the file name must fit in 255 bytes, so a
#' namespace and a name together may have about 240 characters (each `.`
#' counting three). Every function taking a namespace or names checks them
#' the same way.
#'
#' @param namespace A single string naming the shared space (see Names).
#' @param variableList A named list of numeric vectors or matrices, or of
#'   lists of them; its names follow the same rule (see Names).
#' @return Invisibly, the page names `"<namespace>.<name>"`.
#' @seealso [retrieveViews()], [releaseVariables()], [retrieveMetadata()]
#' @examples
#' ns <- paste0("example", Sys.getpid())
#' registerVariables(ns, list(X = matrix(rnorm(20), 5, 4), v = 1:10))
#' retrieveMetadata(ns, "X")
#' pageList()
#' releaseVariables(ns, c("X", "v"))
#' @export
registerVariables <- function(namespace, variableList) {
  check_namespace(namespace)
  if (!is.list(variableList) || !is.null(oldClass(variableList))) {
    abort(sprintf("`variableList` must be a named list of numeric vectors or matrices; got %s",
                  describe_object(variableList)))
  }
  if (length(variableList) == 0L) return(invisible(character()))
  nms <- names(variableList)
  unnamed <- if (is.null(nms)) seq_along(variableList) else which(is.na(nms) | !nzchar(nms))
  if (length(unnamed)) {
    abort(sprintf("every element of `variableList` must be named; element(s) %s have no name",
                  paste(unnamed, collapse = ", ")))
  }
  if (anyDuplicated(nms)) {
    abort(sprintf("`variableList` names must be unique; '%s' appears more than once",
                  nms[anyDuplicated(nms)]))
  }
  check_var_names(nms, "names(variableList)")
  specs <- Map(variable_spec, variableList, nms)
  done <- character()
  on.exit(if (length(done) < length(nms) && length(done)) {
    try(.Call(lzs_release_pages, namespace, done), silent = TRUE)
  })
  for (nm in nms) {
    s <- specs[[nm]]
    .Call(lzs_register, namespace, nm, s$values, s$attrs, s$list_attrs, s$is_list)
    done <- c(done, nm)
  }
  invisible(paste(namespace, nms, sep = "."))
}

#' Retrieve zero-copy views of shared variables
#'
#' Maps each named variable of `namespace` into this process as a read-only
#' ALTREP vector or matrix whose data is the shared page itself: no copy is
#' made, and memory is shared by all processes that read it. The views behave
#' as ordinary R vectors (`is.numeric`, `dim`, `dimnames`, subsetting,
#' arithmetic). Modifying a view (`v[1] <- 0`) modifies a copy-on-write copy
#' that costs only the memory pages written; the shared page never changes.
#'
#' A second retrieve of the same name in one process maps the same memory.
#' A view stays valid after [releaseViews()] and even after the owner's
#' [releaseVariables()], as long as an R object refers to it (memshare
#' crashes here). Serialising a view (e.g. sending it to a PSOCK worker)
#' writes only the page name while the page exists; restoring it where the
#' page is gone is an error, so save data to disk with `saveRDS(v[])`.
#'
#' @param namespace A single string naming the shared space: ASCII letters,
#'   digits, `.`, `_` and `-` (see the Names section of [registerVariables()]).
#' @param variableNames Names of registered variables (the same rule).
#' @return A named list of views (a list variable gives a list of views).
#' @seealso [registerVariables()], [releaseViews()], [viewInfo()]
#' @examples
#' ns <- paste0("example", Sys.getpid())
#' registerVariables(ns, list(X = matrix(as.numeric(1:6), 2, 3)))
#' v <- retrieveViews(ns, "X")
#' colSums(v$X)
#' releaseViews(ns, "X")
#' releaseVariables(ns, "X")
#' @export
retrieveViews <- function(namespace, variableNames) {
  check_namespace(namespace)
  check_var_names(variableNames, "variableNames")
  before <- .Call(lzs_view_list)
  ok <- FALSE
  on.exit(if (!ok) {
    opened <- setdiff(.Call(lzs_view_list), before)
    prefix <- paste0(namespace, ".")
    opened <- opened[startsWith(opened, prefix)]
    if (length(opened)) {
      try(.Call(lzs_release_views, namespace, substring(opened, nchar(prefix) + 1L)), silent = TRUE)
    }
  })
  out <- lapply(variableNames, retrieve_one, namespace = namespace)
  names(out) <- variableNames
  ok <- TRUE
  out
}

#' Release this process's views
#'
#' Drops this process's handles on the named views. Objects that still refer
#' to a view keep working (their memory is unmapped when they are garbage
#' collected), so releasing never invalidates data in use. Releasing a view
#' that this process does not hold is an error.
#'
#' @inheritParams retrieveViews
#' @return `invisible(NULL)`.
#' @seealso [retrieveViews()], [memshare_gc()]
#' @examples
#' ns <- paste0("example", Sys.getpid())
#' registerVariables(ns, list(v = c(1, 2, 3)))
#' v <- retrieveViews(ns, "v")$v
#' releaseViews(ns, "v")
#' sum(v) # still valid
#' releaseVariables(ns, "v")
#' @export
releaseViews <- function(namespace, variableNames) {
  check_namespace(namespace)
  check_var_names(variableNames, "variableNames")
  .Call(lzs_release_views, namespace, variableNames)
  invisible(NULL)
}

#' Release (unlink) pages owned by this process
#'
#' Removes the named pages of `namespace`. Only the owner, the process that
#' registered them, may do so; others get an error naming the owner. Views
#' already retrieved elsewhere stay valid until released; new retrieves fail
#' with an error.
#'
#' @inheritParams retrieveViews
#' @return `invisible(NULL)`.
#' @seealso [registerVariables()], [memshare_gc()]
#' @examples
#' ns <- paste0("example", Sys.getpid())
#' registerVariables(ns, list(v = c(1, 2, 3)))
#' releaseVariables(ns, "v")
#' @export
releaseVariables <- function(namespace, variableNames) {
  check_namespace(namespace)
  check_var_names(variableNames, "variableNames")
  .Call(lzs_release_pages, namespace, variableNames)
  invisible(NULL)
}

metadata_one <- function(namespace, name) {
  m <- .Call(lzs_metadata, namespace, name)
  if (m$kind == "list") return(list(type = "list", n = m$n))
  switch(as.character(length(m$dims)),
    "0" = , "1" = list(type = "vector", n = m$n),
    "2" = list(type = "matrix", nrow = m$dims[1], ncol = m$dims[2]),
    list(type = "array", dim = m$dims, n = m$n))
}

#' Describe shared variables without mapping them
#'
#' @param namespace A single string naming the shared space: ASCII letters,
#'   digits, `.`, `_` and `-` (see the Names section of [registerVariables()]).
#' @param variableName One or more variable names (the same rule).
#' @return For one name, `list(type = "matrix", nrow, ncol)`,
#'   `list(type = "vector", n)`, `list(type = "list", n)` (number of
#'   elements) or `list(type = "array", dim, n)`; for several names, a list of
#'   those named by variable. Unlike memshare, no view is opened.
#' @seealso [retrieveViews()]
#' @examples
#' ns <- paste0("example", Sys.getpid())
#' registerVariables(ns, list(X = matrix(0, 3, 2), v = 1:4))
#' retrieveMetadata(ns, "X")
#' retrieveMetadata(ns, c("X", "v"))
#' releaseVariables(ns, c("X", "v"))
#' @export
retrieveMetadata <- function(namespace, variableName) {
  check_namespace(namespace)
  check_var_names(variableName, "variableName")
  if (length(variableName) == 1L) return(metadata_one(namespace, variableName))
  out <- lapply(variableName, metadata_one, namespace = namespace)
  names(out) <- variableName
  out
}

#' List this process's pages and views
#'
#' @return A sorted character vector of `"<namespace>.<variable>"`: pages
#'   owned by this process (`pageList`) or views it holds (`viewList`).
#'   memshare returns a list of strings; `unlist()` gives the same vector.
#' @examples
#' ns <- paste0("example", Sys.getpid())
#' registerVariables(ns, list(a = 1, b = 2))
#' pageList()
#' v <- retrieveViews(ns, "a")
#' viewList()
#' memshare_gc(ns)
#' @export
pageList <- function() .Call(lzs_page_list)

#' @rdname pageList
#' @export
viewList <- function() .Call(lzs_view_list)

#' Release a whole namespace, here and on cluster workers
#'
#' Releases every view and every owned page of `namespace` in this session
#' and, when `cluster` is given, on each of its workers (which must have
#' lazyshare installed; workers that never loaded it hold nothing).
#'
#' @param namespace A single string naming the shared space: ASCII letters,
#'   digits, `.`, `_` and `-` (see the Names section of [registerVariables()]).
#' @param cluster A cluster from [parallel::makeCluster()], or `NULL`.
#' @return `invisible(NULL)`.
#' @examples
#' ns <- paste0("example", Sys.getpid())
#' registerVariables(ns, list(a = 1:3))
#' v <- retrieveViews(ns, "a")
#' memshare_gc(ns)
#' pageList()
#' @export
memshare_gc <- function(namespace, cluster = NULL) {
  check_namespace(namespace)
  if (!is.null(cluster)) {
    if (!inherits(cluster, "cluster")) {
      abort(sprintf("`cluster` must be a cluster from parallel::makeCluster() or NULL; got %s",
                    describe_object(cluster)))
    }
    parallel::clusterCall(cluster, function(ns) {
      if (isNamespaceLoaded("lazyshare")) lazyshare::memshare_gc(ns)
      NULL
    }, namespace)
  }
  .Call(lzs_gc, namespace)
  invisible(NULL)
}

#' Remove pages left behind by dead processes
#'
#' A session killed with SIGKILL, or one that crashed, cannot release its
#' pages. This removes every page of this user whose owner process no longer
#' runs (checked by pid and process start time, so a reused pid is not
#' mistaken for the owner). It runs automatically when the package loads.
#'
#' @return The removed pages as `"<namespace>.<variable>"`.
#' @examples
#' lazyshare_sweep()
#' @export
lazyshare_sweep <- function() .Call(lzs_sweep_pages)

#' Is this a shared view?
#'
#' @param x Any R object.
#' @return For a view from [retrieveViews()], `list(namespace, variable,
#'   element, modified)`, where `element` is the position in a list variable
#'   (1 otherwise) and `modified` says whether this object was written (it
#'   then holds private copies of the memory pages written; the shared page is
#'   unchanged); `NULL` for anything else.
#' @examples
#' ns <- paste0("example", Sys.getpid())
#' registerVariables(ns, list(v = c(1, 2)))
#' v <- retrieveViews(ns, "v")$v
#' viewInfo(v)
#' viewInfo(1:3)
#' memshare_gc(ns)
#' @export
viewInfo <- function(x) .Call(lzs_view_info, x)
