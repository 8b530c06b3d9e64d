# R's rules for the attributes of results, so that a lazy result carries exactly the attributes its eager
# value would have. The invariant: a lazy object's attributes, without its "lazyshare" class, are those
# of its eager value; materialize() restores them onto the values. Each rule below cites the R source it
# follows (R 4.2, src/main).

lazy_class <- "lazyshare"

# R's arithmetic operators: their results also take the operands' other attributes.
arith_ops <- c("+", "-", "*", "/", "^", "%%", "%/%")

# What class() says of a value without a class attribute. A lazy object's class is "lazyshare" followed by
# these (or by its eager value's own class), so that S3 methods for matrices (unique, head, summary, ...)
# and inherits() see what they would see on the eager value.
implicit_classes <- c("matrix", "array", "numeric", "integer", "logical")

implicit_class <- function(type, dim) {
  if (length(dim) == 2L) c("matrix", "array")
  else if (length(dim)) "array"
  else switch(type, double = "numeric", type)
}

# The attributes of the eager value of x.
eager_attributes <- function(x) {
  a <- attributes(x)
  if (lazy_class %in% a$class) {
    cls <- setdiff(a$class, c(lazy_class, implicit_classes))
    a$class <- if (length(cls)) cls
  }
  a
}

# All attributes but names, dim and dimnames: what copyMostAttrib (attrib.c) copies.
most_attributes <- function(a) a[setdiff(names(a), c("names", "dim", "dimnames"))]

# The attributes of `e1 op e2` for operands of lengths n1, n2 with attributes a1, a2 and a result of
# length n. Arithmetic (R_binary, arithmetic.c) and comparisons/logic (do_relop_dflt, lbinary) agree on
# dim, dimnames and names; arithmetic also copies the other attributes of each operand as long as the
# result (e2's first, so that e1's win).
binary_attributes <- function(a1, n1, a2, n2, n, most) {
  out <- list()
  # An empty result gets no other attributes (real_binary returns before copying them).
  if (most && n > 0) {
    if (n2 == n) out[names(most_attributes(a2))] <- most_attributes(a2)
    if (n1 == n) out[names(most_attributes(a1))] <- most_attributes(a1)
  }
  arr1 <- !is.null(a1$dim)
  arr2 <- !is.null(a2$dim)
  if (arr1 || arr2) {
    dims <- if (arr1 && arr2) a1$dim
            else if (arr1 && (n2 != 0 || n1 == 0)) a1$dim
            else if (arr2 && (n1 != 0 || n2 == 0)) a2$dim
    # Not when one operand is an empty array and the other longer than 1 (PR#1776).
    if (!is.null(dims) && !((arr1 && n1 == 0 && n2 > 1) || (arr2 && n2 == 0 && n1 > 1))) {
      out$dim <- dims
      out$dimnames <- if (!is.null(a1$dimnames)) a1$dimnames else a2$dimnames
    }
  } else if (!is.null(a1$names) && length(a1$names) == n) {
    out$names <- a1$names
  } else if (!is.null(a2$names) && length(a2$names) == n) {
    out$names <- a2$names
  }
  out
}

# The attributes of `e1 op e2` for R operands (lazy or not).
op_attributes <- function(op, e1, e2) {
  n1 <- length(e1)
  n2 <- length(e2)
  n <- if (n1 == 0 || n2 == 0) 0 else max(n1, n2)
  binary_attributes(eager_attributes(e1), n1, eager_attributes(e2), n2, n,
                    most = op %in% arith_ops)
}

# The attributes of `op(x)` for unary operators and Math functions: arithmetic negation and Math functions
# keep every attribute (R_unary, math1); `-` and `+` of a logical, `!` of a non-logical, is.na and
# is.finite keep only names, dim and dimnames (logical_unary, lunary, copyDimAndNames).
unary_attributes <- function(op, x) {
  a <- eager_attributes(x)
  all <- switch(op, "-" = , "+" = !is.logical(x), "!" = is.logical(x), is.na = , is.finite = FALSE, TRUE)
  if (all) a else a[intersect(names(a), c("names", "dim", "dimnames"))]
}

# The attributes of t(x) (do_transpose): dim and dimnames swapped (a vector becomes one row, its names the
# column names), and the other attributes kept.
t_attributes <- function(x) {
  a <- eager_attributes(x)
  out <- most_attributes(a)
  if (is.null(a$dim)) {
    out$dim <- c(1L, length(x))
    if (!is.null(a$names)) out$dimnames <- list(NULL, a$names)
  } else {
    out$dim <- rev(a$dim)
    if (!is.null(a$dimnames)) out$dimnames <- rev(a$dimnames)
  }
  out
}

# The attributes of rowSums/rowMeans (margin 1) or colSums/colMeans (margin 2) of x: the names of that
# margin.
margin_attributes <- function(x, margin) {
  nm <- dimnames(x)[[margin]]
  if (is.null(nm)) list() else list(names = nm)
}

# `r` (a lazy object, or an ordinary value when the result was small enough to compute at once) with the
# attributes `a` of its eager value.
dress <- function(r, a) {
  if (is_lazy(r)) {
    a$class <- c(lazy_class, if (is.null(a$class)) implicit_class(typeof(r), a$dim) else a$class)
  }
  attributes(r) <- if (length(a)) a else NULL
  r
}

# x with the attributes of its eager value: for a lazy object, one R treats as an ordinary vector (no
# class) while its values are still computed only where R reads them.
undressed <- function(x) {
  a <- eager_attributes(x)
  attributes(x) <- if (length(a)) a else NULL
  x
}
