#' lazyshare: big numeric data held once in shared memory
#'
#' lazyshare keeps numeric vectors and matrices in POSIX shared memory
#' ("pages") that every R process on the machine can read without copying.
#' The pages API is compatible with the 'memshare' package: replace
#' `library(memshare)` by `library(lazyshare)` and scripts keep working,
#' without memshare's crashes after releases and its leaked segments.
#'
#' @section Pages:
#' [registerVariables()] copies variables into pages of a namespace;
#' [retrieveViews()] maps them, in any process, as read-only ALTREP vectors;
#' [releaseViews()] and [releaseVariables()] give them back;
#' [retrieveMetadata()], [pageList()] and [viewList()] describe them;
#' [memshare_gc()] releases a whole namespace, also on cluster workers;
#' [lazyshare_sweep()] removes pages whose owner died.
#'
#' @keywords internal
#' @useDynLib lazyshare, .registration = TRUE
"_PACKAGE"
