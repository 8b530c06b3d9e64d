# energy's U_center, D_center and dcovU_stats: functions of n x n distance matrices.

# A square numeric matrix (or a dist object) as a plain double matrix, checked.
square_matrix <- function(D, arg) {
  if (inherits(D, "dist")) D <- as.matrix(D)
  if (is_lazy(D)) D <- materialize(D)
  if (is.data.frame(D)) D <- as.matrix(D)
  if (!is.matrix(D) || !(is.numeric(D) || is.logical(D)) || nrow(D) != ncol(D)) {
    abort(sprintf("`%s` must be a square numeric (distance) matrix or a dist object; got %s", arg,
                  if (is.matrix(D)) sprintf("a %d x %d %s matrix", nrow(D), ncol(D), typeof(D))
                  else describe_object(D)))
  }
  if (!all(is.finite(D))) abort(sprintf("`%s` contains missing or non-finite values (NA/NaN/Inf)", arg))
  dimnames(D) <- NULL
  storage.mode(D) <- "double"
  D
}

#' Double centring and U-centring of distance matrices
#'
#' energy's `U_center` and `D_center`, with energy's arithmetic (the results
#' are identical to energy's). `D_center` gives
#' `a_ij - a_i./n - a_.j/n + a_../n^2`; `U_center` gives
#' `a_ij - a_i./(n-2) - a_.j/(n-2) + a_../((n-1)(n-2))` off the diagonal and
#' 0 on it. `dcovU_stats` gives energy's unbiased statistics of two distance
#' matrices: `dCovU` (which can be negative), `bcdcor`, `dVarXU`, `dVarYU`,
#' computed without forming the centred matrices.
#'
#' These take and return n x n matrices; for the statistics of samples use
#' [dcor()], [dcovU()], [bcdcor()] or [pdcor()], which need O(n) memory.
#'
#' @param Dx,Dy Square numeric matrices (distance matrices) of the same size,
#'   or `dist` objects.
#' @return `U_center`, `D_center`: the centred n x n matrix.
#'   `dcovU_stats`: `c(dCovU, bcdcor, dVarXU, dVarYU)`.
#' @examples
#' x <- iris[1:10, 1:4]
#' Dx <- as.matrix(dist(x))
#' M <- U_center(Dx)
#' all.equal(M, U_center(M))
#' all.equal(M, D_center(M))
#' Dy <- as.matrix(dist(iris[11:20, 1:4]))
#' dcovU_stats(Dx, Dy)
#' @export
U_center <- function(Dx) {
  .Call(lzs_centre, square_matrix(Dx, "Dx"), TRUE)
}

#' @rdname U_center
#' @export
D_center <- function(Dx) {
  .Call(lzs_centre, square_matrix(Dx, "Dx"), FALSE)
}

#' @rdname U_center
#' @export
dcovU_stats <- function(Dx, Dy) {
  Dx <- square_matrix(Dx, "Dx")
  Dy <- square_matrix(Dy, "Dy")
  if (nrow(Dx) != nrow(Dy)) abort(sprintf("`Dx` and `Dy` must have the same size; they are %d and %d", nrow(Dx), nrow(Dy)))
  if (nrow(Dx) < 4) abort(sprintf("U-statistics need at least 4 observations; `Dx` is %d x %d", nrow(Dx), nrow(Dx)))
  s <- .Call(lzs_dcov, Dx, TRUE, Dy, TRUE, 1, TRUE, FALSE)
  c(dCovU = s[1], bcdcor = s[2], dVarXU = s[3], dVarYU = s[4])
}
