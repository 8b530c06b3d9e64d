# memApply's fused path: FUN's code (never FUN run on data) is translated into the lazy graph, so that
# the whole apply becomes per-column (or per-row) reducers over X's grid, planned, fused and compiled
# like every other pass: memApply(X, 2, sd) is two parallel passes over X where it lives, with no worker,
# no copy and no serialisation.
#
# While FUN's body is translated, each value has a kind:
#   "full"   the values for every margin at once: a lazy matrix shaped like X (what `v` is);
#   "margin" one value per margin: a vector of length K, the number of margins (what sum(v) is);
#   "side"   a vector along the margin, the same for every margin: a VARS vector as long as `v`;
#   "const"  one number for every margin.
# Anything outside this vocabulary stops the translation with the reason, and memApply uses workers.

unfusable <- function(fmt, ...) {
  stop(structure(class = c("lazyshare_unfusable", "error", "condition"),
                 list(message = sprintf(fmt, ...), call = NULL)))
}

# Base functions FUN may be given as, bare: memApply(X, 2, sd) translates as function(v) sd(v).
bare_functions <- function() {
  list(sum = base::sum, mean = base::mean, var = stats::var, sd = stats::sd, length = base::length,
       min = base::min, max = base::max, prod = base::prod)
}

# FUN as the name of its first argument, its body and the environment its free variables come from.
margin_function <- function(FUN) {
  bare <- bare_functions()
  for (nm in names(bare)) {
    if (identical(FUN, bare[[nm]])) return(list(arg = "v", body = call(nm, quote(v)), env = baseenv()))
  }
  if (is.primitive(FUN)) unfusable("FUN is a built-in function without a fused form")
  f <- formals(FUN)
  if (!length(f) || names(f)[1] == "...") unfusable("FUN has no first argument to take the row or column")
  list(arg = names(f)[1], body = body(FUN), env = environment(FUN))
}

kinded <- function(kind, x, ...) list(kind = kind, x = x, ...)

# A lazy or small result of an operation on lazy values; a large eager one would mean materialising.
kept_lazy <- function(r, what) {
  if (!is_lazy(r) && length(r) >= lazy_options()$defer_min_len) {
    unfusable("%s has no lazy form here", what)
  }
  r
}

# `op(a, b)` for two translated values.
combine <- function(op, a, b, cx) {
  kinds <- c(a$kind, b$kind)
  f <- get(op, envir = baseenv())
  if (all(kinds %in% c("const", "side"))) {
    return(kinded(if ("side" %in% kinds) "side" else "const", f(a$x, b$x)))
  }
  if (all(kinds %in% c("const", "margin"))) return(kinded("margin", f(a$x, b$x)))
  if (all(kinds %in% c("const", "full"))) return(kinded("full", kept_lazy(f(a$x, b$x), sprintf("`%s`", op))))
  if (all(kinds %in% c("margin", "side"))) {
    unfusable("`%s` combines a value per %s with a vector along it", op, cx$margin_name)
  }
  # One full operand, and a vector that is spread across it: per margin, or along the margin.
  full_first <- a$kind == "full"
  full <- if (full_first) a else b
  other <- if (full_first) b else a
  along <- if (other$kind == "margin") cx$margin else 3L - cx$margin
  spread <- function(x, o) {
    kept_lazy(.Call(lzs_sweep, x, along, other$x, o) %||% unfusable("`%s` with a vector has no lazy form", o),
              sprintf("`%s`", o))
  }
  if (full_first) return(kinded("full", spread(full$x, op)))
  swapped <- c("+" = "+", "*" = "*", "==" = "==", "!=" = "!=", "&" = "&", "|" = "|",
               "<" = ">", ">" = "<", "<=" = ">=", ">=" = "<=")
  if (op %in% names(swapped)) return(kinded("full", spread(full$x, swapped[[op]])))
  # s - v is (-v) + s, exactly.
  if (op == "-") return(kinded("full", spread(-full$x, "+")))
  unfusable("`%s` with the row or column on its right has no fused form", op)
}

`%||%` <- function(a, b) if (is.null(a)) b else a

# Row or column sums and means of a full value, one per margin.
margin_sums <- function(x, cx, na.rm = FALSE) {
  if (cx$margin == 2L) colSums(x, na.rm = na.rm) else rowSums(x, na.rm = na.rm)
}
margin_means <- function(x, cx, na.rm = FALSE) {
  if (cx$margin == 2L) colMeans(x, na.rm = na.rm) else rowMeans(x, na.rm = na.rm)
}

# min() or max() of the values of each margin.
margin_extreme <- function(fn, x, cx, na.rm) {
  op <- paste0(if (cx$margin == 2L) "col" else "row", if (fn == "min") "Mins" else "Maxs")
  .Call(lzs_reduce, op, x, na.rm) %||% unfusable("%s() of these values has no fused form", fn)
}

# var() of the values of each margin, in two passes (means, then centred squares), as R's var is.
margin_var <- function(x, cx) {
  if (cx$len < 2L) return(kinded("const", NA_real_))
  d <- kept_lazy(.Call(lzs_sweep, x, cx$margin, margin_means(x, cx), "-"), "centring")
  kinded("margin", margin_sums(d * d, cx) / (cx$len - 1L))
}

# cor(v, y) for each margin, with R's clamp to [-1, 1] and its NA for a constant margin.
margin_cor <- function(x, y, cx) {
  if (length(y) != cx$len) unfusable("cor() needs a vector as long as the %s", cx$margin_name)
  cv <- kept_lazy(.Call(lzs_sweep, x, cx$margin, margin_means(x, cx), "-"), "centring")
  cy <- y - mean(y)
  num <- margin_sums(kept_lazy(.Call(lzs_sweep, cv, 3L - cx$margin, cy, "*"), "`*`"), cx)
  den <- sqrt(margin_sums(cv * cv, cx) * sum(cy * cy))
  num <- materialize(num)
  den <- materialize(den)
  r <- pmax(pmin(num / den, 1), -1)
  if (any(den == 0, na.rm = TRUE)) {
    warning("the standard deviation is zero", call. = FALSE)
    r[den == 0] <- NA_real_
  }
  kinded("margin", unname(r))
}

# A constant argument such as na.rm = TRUE.
flag_arg <- function(args, name, default = FALSE) {
  v <- args[[name]]
  if (is.null(v)) return(default)
  if (!(is.logical(v) && length(v) == 1L && !is.na(v))) unfusable("`%s` must be TRUE or FALSE", name)
  v
}

reduce_value <- function(fn, args, cx) {
  nms <- names(args) %||% rep("", length(args))
  na.rm <- flag_arg(args, "na.rm")
  extra <- setdiff(nms, c("", "na.rm"))
  if (length(extra)) unfusable("%s() with argument `%s` has no fused form", fn, extra[1])
  vals <- lapply(args[nms == ""], translate_expr, cx = cx)
  if (length(vals) != (if (fn %in% c("cor", "crossprod")) 2L else 1L)) {
    unfusable("%s() of %d values has no fused form", fn, length(vals))
  }
  x <- vals[[1L]]
  if (x$kind %in% c("const", "side") && length(vals) == 1L) {
    # The same value for every margin: R computes it once.
    return(kinded("const", if (fn == "length") length(x$x) else get(fn)(x$x, na.rm = na.rm)))
  }
  switch(fn,
    length = kinded("const", if (x$kind == "full") cx$len else 1L),
    sum = if (x$kind == "full") kinded("margin", margin_sums(x$x, cx, na.rm))
          else if (!na.rm) x else unfusable("sum(na.rm = TRUE) of one value per %s", cx$margin_name),
    mean = if (x$kind == "full") kinded("margin", margin_means(x$x, cx, na.rm))
           else if (!na.rm) x else unfusable("mean(na.rm = TRUE) of one value per %s", cx$margin_name),
    min = , max = if (x$kind == "full") kinded("margin", margin_extreme(fn, x$x, cx, na.rm))
                  else if (!na.rm) x else unfusable("%s(na.rm = TRUE) of one value per %s", fn, cx$margin_name),
    var = , sd = {
      if (x$kind != "full" || na.rm) unfusable("%s() with na.rm, or of one value, has no fused form", fn)
      v <- margin_var(x$x, cx)
      if (fn == "sd") kinded(v$kind, sqrt(v$x)) else v
    },
    cor = , crossprod = {
      kinds <- vapply(vals, `[[`, "", "kind")
      if (!setequal(kinds, c("full", "side"))) {
        unfusable("%s() needs the row or column and a VARS vector as long as it", fn)
      }
      full <- vals[[which(kinds == "full")]]$x
      side <- vals[[which(kinds == "side")]]$x
      if (fn == "cor") margin_cor(full, side, cx)
      else kinded("margin", margin_sums(combine("*", kinded("full", full), kinded("side", side), cx)$x, cx),
                  one_by_one = TRUE)
    },
    unfusable("%s() has no fused per-%s form", fn, cx$margin_name))
}

reducers <- c("sum", "mean", "var", "sd", "length", "cor", "crossprod", "min", "max", "prod")
arith <- c("+", "-", "*", "/", "^", "==", "!=", "<", "<=", ">", ">=", "&", "|")
elementwise <- c("sqrt", "abs", "exp", "log", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan",
                 "floor", "ceiling", "trunc", "sign", "is.na", "is.finite", "!")

# A symbol: the row or column, a local, a VARS variable, or a number FUN's environment holds.
translate_symbol <- function(name, cx) {
  if (name == cx$arg) return(kinded("full", cx$x))
  if (!is.null(cx$locals[[name]])) return(cx$locals[[name]])
  if (name %in% names(cx$vars)) return(vector_value(cx$vars[[name]], name, cx))
  v <- get0(name, envir = cx$env, inherits = TRUE)
  if (is.numeric(v) || is.logical(v)) return(vector_value(v, name, cx))
  unfusable("`%s` is not the row or column, a VARS variable or a number", name)
}

vector_value <- function(v, name, cx) {
  if (!is.null(oldClass(v)) && !is_lazy(v)) unfusable("`%s` is an object of class %s", name, class(v)[1])
  if (!is.null(dim(v)) && length(v) != 1L) unfusable("`%s` is a matrix", name)
  if (length(v) == 1L) return(kinded("const", as.vector(v)))
  if (length(v) == cx$len) return(kinded("side", as.vector(eager(v))))
  unfusable("`%s` has length %d; only numbers and vectors as long as the %s are fused", name,
            length(v), cx$margin_name)
}

translate_expr <- function(e, cx) {
  if (is.numeric(e) || is.logical(e)) {
    if (length(e) != 1L) unfusable("a constant vector")
    return(kinded("const", e))
  }
  if (is.symbol(e)) return(translate_symbol(as.character(e), cx))
  if (!is.call(e) || !is.symbol(e[[1L]])) unfusable("`%s` has no fused form", deparse1(e))
  fn <- as.character(e[[1L]])
  args <- as.list(e)[-1L]
  if (fn == "(") return(translate_expr(args[[1L]], cx))
  if (fn == "{") return(translate_block(args, cx))
  if (fn == "return") return(translate_expr(args[[1L]], cx))
  if (fn %in% reducers) return(reduce_value(fn, args, cx))
  if (fn %in% arith && length(args) == 2L) {
    return(combine(fn, translate_expr(args[[1L]], cx), translate_expr(args[[2L]], cx), cx))
  }
  if ((fn %in% elementwise && length(args) == 1L) || (fn %in% c("-", "+") && length(args) == 1L)) {
    x <- translate_expr(args[[1L]], cx)
    r <- get(fn, envir = baseenv())(x$x)
    return(kinded(x$kind, if (x$kind == "full") kept_lazy(r, sprintf("%s()", fn)) else r))
  }
  unfusable("%s() has no fused form", fn)
}

# `{ a <- ...; b <- ...; expr }`: assignments to local names, then the last value.
translate_block <- function(stmts, cx) {
  if (!length(stmts)) unfusable("FUN's body is empty")
  for (s in stmts[-length(stmts)]) {
    if (!(is.call(s) && as.character(s[[1L]]) %in% c("<-", "=") && is.symbol(s[[2L]]))) {
      unfusable("FUN's body does more than assign names before its result")
    }
    cx$locals[[as.character(s[[2L]])]] <- translate_expr(s[[3L]], cx)
  }
  translate_expr(stmts[[length(stmts)]], cx)
}

# memApply's result from a fused translation of FUN, or an error of class "lazyshare_unfusable" saying
# why there is none. X is a lazy double matrix; VARS a named list.
fused_apply <- function(X, MARGIN, FUN, VARS) {
  fun <- margin_function(FUN)
  other <- setdiff(names(VARS), fun$arg)
  cx <- new.env(parent = emptyenv())
  cx$x <- X
  cx$margin <- as.integer(MARGIN)
  cx$margin_name <- if (MARGIN == 2) "column" else "row"
  cx$len <- dim(X)[3L - MARGIN]
  cx$arg <- fun$arg
  cx$vars <- VARS[other]
  cx$env <- fun$env
  cx$locals <- list()
  v <- translate_expr(fun$body, cx)
  k <- dim(X)[MARGIN]
  out <- switch(v$kind,
    margin = as.list(materialize(v$x)),
    const = rep(list(v$x), k),
    side = rep(list(v$x), k),
    full = {
      m <- materialize(v$x)
      lapply(seq_len(k), function(i) if (MARGIN == 2) m[, i] else m[i, ])
    })
  if (length(out) != k) unfusable("FUN's result is not one value per %s", cx$margin_name)
  if (isTRUE(v$one_by_one)) out <- lapply(out, matrix, 1L, 1L)
  names(out) <- dimnames(X)[[MARGIN]]
  out
}
