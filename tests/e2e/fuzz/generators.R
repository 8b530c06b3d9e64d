# The R-level fuzzer's arguments and calls (sourced by tests/e2e/fuzz-api.R in its child process).
# A generator returns list(value =, label =): the label is a short description written to the call log,
# so that a crash names the call that made it. Arguments are mostly plausible for the argument they fill
# (so calls get past the first check and reach the runtime) and otherwise anything at all. Sizes stay small:
# valid arguments that ask for hours of work (R = 1e9 permutations) are not the point.

fz <- new.env()
fz$ns <- sprintf("h13cfz%d", Sys.getpid())
fz$pages <- character()   # variables of fz$ns registered (and not yet released) by this process
fz$views <- list()        # views retrieved, some of pages released since
fz$lazies <- list()       # lazy values built, some over views of released pages
fz$cluster <- NULL
fz$worker_calls <- 0L
fz$max_worker_calls <- 4L

arg <- function(value, label) list(value = value, label = label)
pick <- function(xs) xs[[sample.int(length(xs), 1L)]]
chance <- function(p) runif(1) < p

# Sprinkles NA, NaN, Inf into a double vector now and then.
spoil <- function(v) {
  if (length(v) && chance(0.25)) {
    k <- sample.int(length(v), min(length(v), sample.int(3, 1L)))
    v[k] <- pick(list(NA_real_, NaN, Inf, -Inf, 1e308, -0))
  }
  v
}

gen_dims <- function() {
  n <- pick(list(0L, 1L, 2L, 3L, sample.int(40, 1L), sample.int(40, 1L), sample.int(200, 1L)))
  p <- pick(list(0L, 1L, 1L, 2L, sample.int(5, 1L), sample.int(5, 1L)))
  c(n, p)
}

gen_matrix <- function(n = NULL, p = NULL) {
  d <- gen_dims()
  n <- n %||% d[1]
  p <- p %||% d[2]
  kind <- pick(list("double", "double", "double", "integer", "logical"))
  v <- switch(kind,
    double = spoil(rnorm(n * p)),
    integer = { x <- sample(-5:5, n * p, TRUE); if (length(x) && chance(0.2)) x[1] <- NA; x },
    logical = sample(c(TRUE, FALSE, NA), n * p, TRUE))
  m <- matrix(v, n, p)
  if (chance(0.2) && n > 0) rownames(m) <- paste0("r", seq_len(n))
  if (chance(0.2) && p > 0) colnames(m) <- paste0("c", seq_len(p))
  arg(m, sprintf("<%s %dx%d matrix>", kind, n, p))
}

gen_vector <- function(n = NULL) {
  n <- n %||% pick(list(0L, 1L, 2L, sample.int(50, 1L), sample.int(300, 1L)))
  kind <- pick(list("double", "double", "integer", "logical"))
  v <- switch(kind,
    double = spoil(rnorm(n)),
    integer = sample(-9:9, n, TRUE),
    logical = sample(c(TRUE, FALSE), n, TRUE))
  if (chance(0.1) && n > 0) names(v) <- paste0("e", seq_len(n))
  arg(v, sprintf("<%s vector[%d]>", kind, n))
}

# Values of every kind R has, none of them what a numeric argument expects (and some that are).
gen_junk <- function() {
  pick(list(
    arg(NULL, "NULL"), arg(NA, "NA"), arg(NA_real_, "NA_real_"), arg(NaN, "NaN"), arg(Inf, "Inf"),
    arg(-Inf, "-Inf"), arg(NA_character_, "NA_character_"), arg("", "\"\""), arg("abc", "\"abc\""),
    arg(c("a", "b"), "c(\"a\",\"b\")"), arg("a/b", "\"a/b\""), arg("..", "\"..\""),
    arg(strrep("x", 10000), "<10 KB string>"), arg("\u00e9t\u00e9", "<non-ASCII string>"),
    arg(factor(c("u", "v", "u")), "<factor>"),
    arg(data.frame(a = 1:3, b = c(0.5, 1, 2)), "<numeric data.frame>"),
    arg(data.frame(a = 1:3, b = c("x", "y", "z")), "<mixed data.frame>"),
    arg(data.frame(), "<empty data.frame>"),
    arg(list(), "list()"), arg(list(1, "a"), "list(1,\"a\")"), arg(list(a = 1:3, b = list(2)), "<nested list>"),
    arg(function(x) x, "<function>"), arg(sum, "<builtin sum>"), arg(new.env(), "<environment>"),
    arg(1i, "<complex>"), arg(as.raw(1:3), "<raw>"), arg(quote(x + 1), "<call>"), arg(as.name("x"), "<symbol>"),
    arg(0, "0"), arg(-1, "-1"), arg(1.5, "1.5"), arg(.Machine$integer.max, "<int max>"),
    arg(2^31, "2^31"), arg(2^53 + 2, "2^53+2"), arg(1e300, "1e300"), arg(-1e10, "-1e10"),
    arg(-.Machine$integer.max, "<-int max>"), arg(TRUE, "TRUE"), arg(FALSE, "FALSE"), arg(0L, "0L"),
    arg(c(1, 2), "c(1,2)"), arg(integer(0), "integer(0)"), arg(numeric(0), "numeric(0)"),
    arg(character(0), "character(0)"), arg(logical(0), "logical(0)"),
    arg(matrix(numeric(0), 0, 3), "<0x3 matrix>"), arg(matrix(numeric(0), 3, 0), "<3x0 matrix>"),
    arg(array(1:24, c(2, 3, 4)), "<2x3x4 array>"), arg(stats::dist(matrix(rnorm(12), 4)), "<stats::dist>"),
    arg(structure(1:3, class = "foo"), "<classed int>"), arg(as.POSIXct("2020-01-01"), "<POSIXct>"),
    arg(matrix(c("a", "b"), 1), "<character matrix>"), arg(1:3 + 0.5, "<c(1.5,2.5,3.5)>")
  ))
}

# A lazy value: over an ordinary matrix or vector, a lazy dist, an expression, or one kept from before
# (possibly over a view whose page is gone by now).
gen_lazy <- function() {
  if (length(fz$lazies) && chance(0.4)) {
    i <- sample.int(length(fz$lazies), 1L)
    return(arg(fz$lazies[[i]]$value, fz$lazies[[i]]$label))
  }
  base <- if (chance(0.6)) gen_matrix() else gen_vector()
  if (!(is.numeric(base$value) || is.logical(base$value))) return(base)
  l <- lazy(base$value)
  out <- switch(sample.int(5, 1L),
    arg(l, sprintf("lazy(%s)", base$label)),
    arg(l * 2 + 1, sprintf("lazy(%s)*2+1", base$label)),
    arg(sqrt(abs(l)), sprintf("sqrt(abs(lazy(%s)))", base$label)),
    if (is.matrix(base$value)) arg(dist(l), sprintf("dist(lazy(%s))", base$label)) else arg(-l, "-lazy"),
    if (is.matrix(base$value)) arg(as.matrix(dist(l)), sprintf("as.matrix(dist(lazy(%s)))", base$label))
    else arg(exp(l) - 1, "exp(lazy)-1"))
  remember_lazy(out)
  out
}

remember_lazy <- function(a) {
  if (!is_lazy(a$value)) return(invisible())
  fz$lazies[[length(fz$lazies) + 1L]] <- a
  if (length(fz$lazies) > 30L) fz$lazies <- fz$lazies[-1L]
  invisible()
}

gen_view <- function() {
  if (!length(fz$views)) return(gen_matrix())
  i <- sample.int(length(fz$views), 1L)
  arg(fz$views[[i]]$value, fz$views[[i]]$label)
}

# Something numeric-ish for a data argument: a matrix, vector, lazy value, view or junk.
gen_data <- function() {
  r <- runif(1)
  if (r < 0.35) gen_matrix() else if (r < 0.55) gen_vector() else if (r < 0.75) gen_lazy() else
    if (r < 0.85) gen_view() else gen_junk()
}

gen_ns <- function() {
  if (chance(0.85)) arg(fz$ns, "<fuzz ns>") else gen_junk()
}

gen_varnames <- function() {
  r <- runif(1)
  known <- c(fz$pages, "missing_var")
  if (r < 0.7) {
    k <- sample.int(min(3L, length(known)), 1L)
    v <- sample(known, k)
    arg(v, sprintf("c(%s)", paste0("\"", v, "\"", collapse = ",")))
  } else if (r < 0.8) {
    arg(c("v_a", NA), "c(\"v_a\",NA)")
  } else {
    gen_junk()
  }
}

gen_flag <- function() if (chance(0.8)) pick(list(arg(TRUE, "TRUE"), arg(FALSE, "FALSE"))) else gen_junk()

gen_count <- function(lo = 1L, hi = 30L) {
  if (chance(0.8)) { v <- sample(lo:hi, 1L); arg(v, as.character(v)) } else gen_junk()
}

gen_labels <- function(n) {
  kind <- sample.int(4, 1L)
  if (kind == 4L) return(gen_junk())
  v <- switch(kind,
    sample(1:3, n, TRUE),
    factor(sample(c("a", "b"), n, TRUE)),
    sample(c(TRUE, FALSE), n, TRUE))
  arg(v, sprintf("<labels[%d]>", n))
}

# Functions memApply can fuse (and a few it cannot, which then need FUSE = FALSE and the cluster).
fused_funs <- list(
  arg(sum, "sum"), arg(mean, "mean"), arg(sd, "sd"), arg(var, "var"), arg(max, "max"), arg("min", "\"min\""),
  arg(function(v) sum(v^2) / length(v), "function(v) sum(v^2)/length(v)"),
  arg(function(v) { m <- mean(v); sqrt(sum((v - m)^2)) }, "function(v) {m <- mean(v); sqrt(...)}"),
  arg(function(v, y) cor(v, y), "function(v, y) cor(v, y)"),
  arg(function(v, w) crossprod(v, w), "function(v, w) crossprod(v, w)"),
  arg(function(v) max(abs(v)) - min(v), "function(v) max(abs(v)) - min(v)"),
  arg(function(v) exp(mean(log1p(abs(v)))), "function(v) exp(mean(log1p(abs(v))))")
)
worker_funs <- list(
  arg(function(v) quantile(v, 0.5, names = FALSE), "function(v) quantile(v, .5)"),
  arg(function(v) length(v), "function(v) length(v)"),
  arg(function(v) stop("boom in FUN"), "function(v) stop(\"boom\")")
)

`%||%` <- function(a, b) if (is.null(a)) b else a

# ---------------------------------------------------------------------------------------------------
# Calls. Each entry makes list(fn =, args = <named list of arg()>, after = <function(result) or NULL>);
# its weight is how often it is drawn.

ops <- c("+", "-", "*", "/", "^", "%%", "%/%", "==", "<", ">=", "!=", "&", "|")
math_fns <- c("sqrt", "exp", "log", "log1p", "abs", "floor", "ceiling", "sign", "cos", "tanh", "cumsum",
              "trunc", "round", "signif", "gamma", "expm1", "log2")
summary_fns <- c("sum", "min", "max", "prod", "range", "any", "all")

call_of <- function(fn, args, after = NULL) {
  name <- if (is.character(fn)) fn else substr(paste(deparse(substitute(fn)), collapse = " "), 1, 60)
  list(fn = fn, name = name, args = args, after = after)
}

after_retrieve <- function(ns, names) {
  force(names)
  function(r) {
    for (nm in names(r)) {
      v <- r[[nm]]
      if (is.list(v)) v <- v[[1L]]
      if (!is.numeric(v) && !is.logical(v)) next
      fz$views[[length(fz$views) + 1L]] <- list(value = v, label = sprintf("<view %s>", nm))
      if (length(fz$views) > 20L) fz$views <- fz$views[-1L]
      if (length(v) && chance(0.7)) {
        lv <- if (chance(0.5)) lazy(v) * 3 - 1 else if (is.matrix(v)) colSums(lazy(v)) else cumsum(v)
        remember_lazy(arg(lv, sprintf("<lazy over view %s>", nm)))
      }
    }
  }
}

calls <- list(
  # pages
  list(w = 4, f = function() {
    name <- if (length(fz$pages) && chance(0.2)) sample(fz$pages, 1L) else paste0("v", sample.int(60, 1L))
    val <- if (chance(0.15)) {
      a <- gen_vector(); b <- gen_matrix()
      arg(list(a$value, b$value), sprintf("list(%s, %s)", a$label, b$label))
    } else gen_data()
    vl <- if (chance(0.9)) arg(stats::setNames(list(val$value), name), sprintf("list(%s = %s)", name, val$label))
          else gen_junk()
    call_of(registerVariables, list(namespace = gen_ns(), variableList = vl))
  }),
  list(w = 3, f = function() {
    nm <- gen_varnames()
    call_of(retrieveViews, list(namespace = gen_ns(), variableNames = nm),
            after = after_retrieve(fz$ns, nm$value))
  }),
  list(w = 2, f = function() call_of(releaseViews, list(namespace = gen_ns(), variableNames = gen_varnames()))),
  list(w = 2, f = function() call_of(releaseVariables, list(namespace = gen_ns(), variableNames = gen_varnames()))),
  list(w = 1.5, f = function() call_of(retrieveMetadata, list(namespace = gen_ns(), variableName = gen_varnames()))),
  list(w = 0.5, f = function() call_of(pageList, list())),
  list(w = 0.5, f = function() call_of(viewList, list())),
  list(w = 0.3, f = function() call_of(memshare_gc, list(namespace = gen_ns(),
                                                          cluster = if (chance(0.9)) arg(NULL, "NULL") else gen_junk()))),
  list(w = 0.05, f = function() call_of(lazyshare_sweep, list())),
  # Dropping remembered views and lazy values, then collecting: their finalizers unmap and release.
  list(w = 0.3, f = function() {
    if (length(fz$views) && chance(0.5)) fz$views <- fz$views[-sample.int(length(fz$views), 1L)]
    if (length(fz$lazies) && chance(0.5)) fz$lazies <- fz$lazies[-sample.int(length(fz$lazies), 1L)]
    call_of(gc, list())
  }),
  list(w = 1, f = function() call_of(viewInfo, list(x = gen_data()))),
  # lazy values
  list(w = 3, f = function() {
    x <- if (chance(0.8)) (if (chance(0.5)) gen_matrix() else gen_vector()) else gen_data()
    call_of(lazy, list(x = x), after = function(r) remember_lazy(arg(r, sprintf("lazy(%s)", x$label))))
  }),
  list(w = 6, f = function() {
    op <- sample(ops, 1L)
    a <- gen_lazy(); b <- if (chance(0.5)) gen_lazy() else gen_data()
    if (chance(0.5)) { t <- a; a <- b; b <- t }
    call_of(op, list(a, b), after = function(r) remember_lazy(arg(r, sprintf("(%s %s %s)", a$label, op, b$label))))
  }),
  list(w = 1, f = function() call_of(sample(c("-", "!"), 1L), list(gen_lazy()))),
  list(w = 4, f = function() {
    fn <- sample(math_fns, 1L)
    x <- gen_lazy()
    args <- list(x)
    if (fn %in% c("round", "signif", "log") && chance(0.5)) args[[2]] <- gen_count(0L, 4L)
    call_of(fn, args, after = function(r) remember_lazy(arg(r, sprintf("%s(%s)", fn, x$label))))
  }),
  list(w = 4, f = function() {
    fn <- sample(c(summary_fns, "mean"), 1L)
    args <- list(gen_lazy())
    if (chance(0.3)) args[[length(args) + 1L]] <- gen_data()
    if (chance(0.4)) args$na.rm <- gen_flag()
    call_of(fn, args)
  }),
  list(w = 4, f = function() {
    fn <- sample(c("rowMeans", "colSums", "rowSums", "colMeans"), 1L)
    args <- list(x = if (chance(0.8)) gen_lazy() else gen_data())
    if (chance(0.4)) args$na.rm <- gen_flag()
    if (chance(0.1)) args$dims <- gen_count(0L, 3L)
    call_of(getExportedValue("lazyshare", fn), args,
            after = function(r) remember_lazy(arg(r, sprintf("%s(%s)", fn, args$x$label))))
  }),
  list(w = 3, f = function() {
    x <- if (chance(0.85)) gen_lazy() else gen_data()
    n <- if (is.matrix(x$value)) dim(x$value)[sample.int(2, 1L)] else length(x$value)
    stats <- if (chance(0.7)) gen_vector(n) else gen_data()
    args <- list(x = x, MARGIN = if (chance(0.85)) gen_count(1L, 2L) else gen_junk(), STATS = stats)
    if (chance(0.5)) args$FUN <- if (chance(0.8)) pick(list(arg("-", "\"-\""), arg("/", "\"/\""), arg(`*`, "`*`"),
                                                         arg("+", "\"+\""), arg(max, "max"))) else gen_junk()
    call_of(lazyshare::sweep, args, after = function(r) remember_lazy(arg(r, "sweep(...)")))
  }),
  list(w = 2.5, f = function() {
    args <- list(x = if (chance(0.8)) gen_lazy() else gen_data())
    if (chance(0.2)) args$method <- pick(list(arg("euclidean", "\"euclidean\""), arg("manhattan", "\"manhattan\""),
                                              arg("minkowski", "\"minkowski\""), gen_junk()))
    if (chance(0.1)) args$p <- gen_junk()
    call_of(lazyshare::dist, args, after = function(r) remember_lazy(arg(r, sprintf("dist(%s)", args$x$label))))
  }),
  list(w = 4, f = function() {
    x <- gen_lazy()
    idx <- function() pick(list(gen_count(1L, 10L), arg(-1L, "-1"), arg(0L, "0"), arg(NA, "NA"),
                                arg(c(TRUE, FALSE), "c(T,F)"), arg(1e12, "1e12"), arg("c1", "\"c1\""),
                                arg(seq_len(5), "1:5"), gen_junk()))
    args <- if (chance(0.5)) list(x, idx()) else list(x, idx(), idx())
    if (chance(0.15)) args$drop <- gen_flag()
    call_of(if (chance(0.8)) "[" else "[[", args)
  }),
  list(w = 1.5, f = function() call_of(function(x) capture.output(print(lazy_explain(x))), list(x = gen_data()))),
  list(w = 1.5, f = function() {
    x <- gen_data()
    call_of(pick(list(materialize, function(x) capture.output(print(x)), format, as.vector, head, summary,
                      function(x) capture.output(str(x)), as.matrix, t, sort, is.na, c, length, dim)), list(x))
  }),
  # A view whose page is gone serialises as its name and fails to restore; lazy values serialise as values.
  list(w = 0.8, f = function() call_of(function(x) unserialize(serialize(x, NULL)), list(x = gen_data()))),
  list(w = 0.8, f = function() {
    f <- pick(list(
      function(x) { d <- as.matrix(dist(x)); m <- rowMeans(d); mean(sweep(sweep(d, 1, m), 2, m) + mean(d)) },
      function(x) colSums(as.matrix(dist(x))^2),
      function(x) sum(dist(x))))
    call_of(function(f, x) deferred(f)(x), list(f = arg(f, "<deferred f>"), x = gen_data()))
  }),
  list(w = 0.3, f = function() call_of(deferred, list(f = gen_junk()))),
  list(w = 1, f = function() {
    nm <- sample(c("threads", "defer_min_len", "jit_min_work", "max_depth", "chunk_rows", "max_materialize",
                   "progress", "exact_sums"), 1L)
    val <- switch(nm,
      threads = pick(list(arg(1L, "1"), arg(2L, "2"), arg(0L, "0"), gen_junk())),
      progress = pick(list(arg(FALSE, "FALSE"), gen_junk())),
      exact_sums = gen_flag(),
      jit_min_work = pick(list(arg(0, "0"), arg(Inf, "Inf"), arg(1e7, "1e7"), gen_junk())),
      max_materialize = pick(list(arg(1e9, "1e9"), arg(100, "100"), gen_junk())),
      pick(list(gen_count(1L, 5000L), gen_junk())))
    if (identical(val$value, TRUE) && nm == "progress") val <- arg(FALSE, "FALSE")
    call_of(lazy_options, stats::setNames(list(val), nm))
  }),
  list(w = 0.3, f = function() call_of(lazy_stats, list(reset = gen_flag()))),
  # statistics
  list(w = 3, f = function() {
    fn <- sample(c("dcor", "dcov", "DCOR", "dcovU", "bcdcor", "dcorT"), 1L)
    x <- gen_data()
    n <- NROW(x$value)
    y <- if (chance(0.7) && is.numeric(x$value)) (if (chance(0.5)) gen_vector(n) else gen_matrix(n)) else gen_data()
    args <- list(x = x, y = y)
    if (fn %in% c("dcor", "dcov", "DCOR") && chance(0.3)) args$index <- pick(list(arg(0.5, "0.5"), arg(2, "2"), gen_junk()))
    if (fn != "dcorT" && chance(0.2)) args$method <- pick(list(arg("streaming", "\"streaming\""), gen_junk()))
    call_of(fn, args)
  }),
  list(w = 1.5, f = function() {
    fn <- sample(c("dcor.test", "dcov.test", "dcorT.test"), 1L)
    x <- if (chance(0.8)) gen_vector(sample(2:30, 1L)) else gen_data()
    y <- if (chance(0.8)) gen_vector(NROW(x$value)) else gen_data()
    args <- list(x = x, y = y)
    if (fn != "dcorT.test") {
      args$R <- pick(list(gen_count(0L, 19L), arg(NULL, "NULL"), arg(-3, "-3"), arg(NA, "NA"), arg(2.5, "2.5"),
                          arg(Inf, "Inf"), arg(1e12, "1e12")))
      if (chance(0.2)) args$index <- gen_junk()
    }
    call_of(fn, args)
  }),
  list(w = 1.5, f = function() {
    fn <- sample(c("pdcor", "pdcov", "pdcor.test", "pdcov.test"), 1L)
    n <- sample(c(0:3, 4:25), 1L)
    d <- function() if (chance(0.85)) (if (chance(0.5)) gen_vector(n) else gen_matrix(n)) else gen_data()
    args <- list(x = d(), y = d(), z = d())
    if (grepl("test", fn)) args$R <- pick(list(gen_count(0L, 9L), arg(-1, "-1"), arg(NA, "NA"), gen_junk()))
    call_of(fn, args)
  }),
  list(w = 2, f = function() {
    fn <- sample(c("mutualinfo", "mi_scores"), 1L)
    if (fn == "mutualinfo") {
      x <- if (chance(0.8)) gen_vector(sample(0:80, 1L)) else gen_data()
      args <- list(x = x, y = if (chance(0.7)) gen_labels(length(x$value)) else gen_data())
      if (chance(0.3)) args$isXDiscrete <- gen_flag()
      if (chance(0.5)) args$isYDiscrete <- gen_flag()
    } else {
      X <- if (chance(0.8)) gen_matrix(sample(0:80, 1L)) else gen_data()
      args <- list(X = X, y = if (chance(0.8)) gen_labels(NROW(X$value)) else gen_data())
      if (chance(0.1)) args$NAMESPACE <- gen_ns()
    }
    if (chance(0.3)) args$method <- pick(list(arg("memshare", "\"memshare\""), arg("pde", "\"pde\""), gen_junk()))
    if (chance(0.2)) args$na.rm <- gen_flag()
    if (chance(0.1)) args$eps <- gen_junk()
    call_of(fn, args)
  }),
  list(w = 1.5, f = function() {
    fn <- sample(c("pde", "pareto_radius"), 1L)
    call_of(fn, list(x = if (chance(0.7)) gen_vector() else gen_data()))
  }),
  list(w = 1.5, f = function() {
    fn <- sample(c("U_center", "D_center", "dcovU_stats"), 1L)
    n <- sample(0:12, 1L)
    dm <- function() {
      r <- runif(1)
      if (r < 0.4) { m <- as.matrix(stats::dist(matrix(rnorm(n * 2), n))); arg(m, sprintf("<dist matrix %d>", n)) }
      else if (r < 0.55) arg(stats::dist(matrix(rnorm(n * 2), n)), sprintf("<dist object %d>", n))
      else if (r < 0.7) gen_lazy() else if (r < 0.8) gen_matrix(n, n) else gen_data()
    }
    call_of(fn, if (fn == "dcovU_stats") list(Dx = dm(), Dy = dm()) else list(Dx = dm()))
  }),
  # memApply
  list(w = 3, f = function() {
    X <- if (chance(0.8)) (if (chance(0.7)) gen_matrix() else gen_lazy()) else gen_data()
    n <- NROW(X$value)
    fun <- if (chance(0.9)) pick(fused_funs) else gen_junk()
    args <- list(X = X, MARGIN = if (chance(0.9)) gen_count(1L, 2L) else gen_junk(), FUN = fun,
                 FUSE = arg(TRUE, "TRUE"))
    if (chance(0.4)) {
      args$VARS <- if (chance(0.8)) {
        y <- gen_vector(if (chance(0.5)) n else ncol(X$value) %||% n)
        arg(list(y = y$value, w = y$value), sprintf("list(y = %s, w = y)", y$label))
      } else gen_junk()
    }
    if (chance(0.1)) args$NAMESPACE <- gen_ns()
    if (chance(0.05)) args$MAX.CORES <- gen_junk()
    call_of(memApply, args)
  }),
  list(w = 0.03, f = function() {
    if (fz$worker_calls >= fz$max_worker_calls) return(NULL)
    fz$worker_calls <- fz$worker_calls + 1L
    if (is.null(fz$cluster)) fz$cluster <- parallel::makeCluster(1L)
    fun <- pick(c(worker_funs, fused_funs[1:3]))
    if (chance(0.5)) {
      X <- gen_matrix(sample(0:20, 1L), sample(0:4, 1L))
      call_of(memApply, list(X = X, MARGIN = gen_count(1L, 2L), FUN = fun, CLUSTER = arg(fz$cluster, "<cluster>"),
                             FUSE = arg(FALSE, "FALSE")))
    } else {
      L <- list(rnorm(5), matrix(rnorm(6), 2), 1:4)
      call_of(memLapply, list(X = arg(L, "<list of 3>"), FUN = fun, CLUSTER = arg(fz$cluster, "<cluster>")))
    }
  })
)
call_weights <- vapply(calls, function(e) e$w, 0)
