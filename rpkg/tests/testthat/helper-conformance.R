# Differential conformance harness for lazyshare.
#
# A seeded generator builds random base-R expressions (language objects over symbols bound to random
# inputs). Each expression is evaluated eagerly on plain inputs and again with a random non-empty
# subset of its inputs wrapped in lazyshare::lazy() (and, for a fraction, through
# lazyshare::deferred()). Results are compared after recursive materialisation with identical(), and
# so are warnings, errors and printed output. Only base, stats, utils and lazyshare are used.
#
# Entry points: run_conformance(n, seed) -> data.frame of records; summarise_conformance(records);
# categorise_conformance(records) -> differences by family and kind, with examples;
# conformance_case(id, seed) + check_conformance_case(case) to replay one expression; the list
# conformance_explanations holds the predicates for deliberate, documented differences.

# The harness lives in its own environment, so that its many small helpers cannot collide with (or be
# replaced by) those of other helper files in the same test directory; the entry points are copied
# out at the end.
lazyshare_conformance <- local({

  # ------------------------------------------------------------------------------------------------
  # Random helpers

  # One element of a vector or list (sample() misbehaves on length-one numerics).
  pick <- function(x) x[[sample.int(length(x), 1L)]]

  coin <- function(p) stats::runif(1) < p

  # A weighted choice among names: pick_w(c(a = 2, b = 1)).
  pick_w <- function(w) names(w)[sample.int(length(w), 1L, prob = w)]

  # A literal operand; negative numbers are parenthesised so deparse() reads back correctly
  # (call("^", -2, x) deparses as "-2^x", which R parses as -(2^x)).
  lit <- function(v) {
    if (is.numeric(v) && length(v) == 1L && !is.na(v) && v < 0) call("(", v) else v
  }

  # ------------------------------------------------------------------------------------------------
  # Leaves: random inputs

  big_ints <- c(.Machine$integer.max, .Machine$integer.max - 1L, -.Machine$integer.max, 46341L,
                -46341L, 65536L, 1000000L)

  # `n` random values of `type`; `prof` says whether NA and/or NaN may appear (a scenario keeps the
  # two apart most of the time, so that NA-vs-NaN differences stay attributable).
  gen_values <- function(type, n, prof) {
    if (n == 0L) return(vector(type, 0L))
    special_rate <- pick(c(0, 0.1, 0.25))
    hit <- stats::runif(n) < special_rate
    if (type == "logical") {
      v <- sample(c(TRUE, FALSE), n, replace = TRUE)
      if (prof$na) v[hit] <- NA
      return(v)
    }
    if (type == "integer") {
      v <- switch(pick(c("small", "small", "wide", "big")),
        small = sample(-20:20, n, replace = TRUE),
        wide  = sample(-100000:100000, n, replace = TRUE),
        big   = sample(c(-3:3, big_ints), n, replace = TRUE))
      specials <- c(0L, if (prof$na) NA_integer_, big_ints[1:3])
    } else {
      v <- switch(pick(c("normal", "normal", "ints", "ties", "wide")),
        normal = round(stats::rnorm(n) * 10, 2),
        ints   = as.double(sample(-10:10, n, replace = TRUE)),
        ties   = sample(-6:6, n, replace = TRUE) + 0.5,
        wide   = signif(sample(c(-1, 1), n, TRUE) * 10^stats::runif(n, -300, 300), 3))
      specials <- c(0, -0, Inf, -Inf, 1e308, if (prof$na) NA_real_, if (prof$nan) NaN)
    }
    v[hit] <- sample(specials, sum(hit), replace = TRUE)
    v
  }

  gen_names <- function(n) {
    if (n > 26L || coin(0.6)) return(sprintf("%s%d", pick(letters), seq_len(n)))
    sample(c(letters[1:4], ""), n, TRUE)  # duplicated and empty names too
  }

  # One input: a vector of length `len` or, when `dims` is given, a matrix; with random optional
  # attributes (names / dimnames, and a user attribute).
  gen_input <- function(prof, len = NULL, dims = NULL, type = NULL, attr_p = 0.3) {
    type <- if (is.null(type)) pick_w(c(integer = 3.5, double = 4.5, logical = 2)) else type
    n <- if (is.null(dims)) len else prod(dims)
    x <- gen_values(type, n, prof)
    if (!is.null(dims)) {
      dim(x) <- dims
      if (coin(attr_p)) {
        dn <- list(if (coin(0.8)) sprintf("r%d", seq_len(dims[1])),
                   if (coin(0.7)) sprintf("c%d", seq_len(dims[2])))
        if (coin(0.3)) names(dn) <- c("rows", "cols")
        dimnames(x) <- dn
      }
    } else if (n > 0L && coin(attr_p)) {
      names(x) <- gen_names(n)
    }
    if (coin(attr_p * 0.6)) attr(x, "units") <- "cm"
    x
  }

  # ------------------------------------------------------------------------------------------------
  # Scenarios: a base shape and every input an expression over it may use.
  #   x, y  base shape (same length / same dims)     s  length one
  #   v     a vector to recycle against the base (sometimes a non-multiple length)
  #   z     a matrix that does not conform to the base (for errors)
  #   w     a matrix conformable for base %*% w      i  an integer index vector
  #   xp, yp, sp  plain copies of x, y, s that are never made lazy (identity family)

  gen_scenario <- function(shape = c("any", "matrix", "vector")) {
    shape <- match.arg(shape)
    prof <- switch(pick_w(c(clean = 3, na = 3, nan = 2, both = 2)),
      clean = list(na = FALSE, nan = FALSE), na = list(na = TRUE, nan = FALSE),
      nan = list(na = FALSE, nan = TRUE), both = list(na = TRUE, nan = TRUE))
    is_matrix <- switch(shape, any = coin(0.4), matrix = coin(0.9), vector = FALSE)
    long <- coin(0.06)
    if (is_matrix) {
      dims <- if (long) c(1000L, 5L)
              else if (coin(0.03)) c(0L, sample(1:3, 1L))
              else sample(1:5, 2L, TRUE)
      n <- prod(dims)
      x <- gen_input(prof, dims = dims)
      y <- gen_input(prof, dims = dims)
      v_len <- pick(c(dims[1], dims[1], dims[2], n, n + 1L, 2L, 3L))
      z_dims <- if (dims[1] != dims[2]) rev(dims) else dims + c(1L, 0L)
      w <- gen_input(prof, dims = c(dims[2], sample(1:3, 1L)), attr_p = 0.2)
    } else {
      dims <- NULL
      n <- if (long) 5000L else pick(c(0L, 1L, 1L, 1L, 2:12, 2:12, 2:12))
      x <- gen_input(prof, len = n)
      y <- gen_input(prof, len = n)
      v_len <- pick(unique(c(1L, n + 1L, max(n - 1L, 1L), 3L, if (n %% 2L == 0L && n > 0L) n %/% 2L)))
      z_dims <- c(2L, 2L)
      w <- gen_input(prof, len = n, attr_p = 0.2)
    }
    s <- gen_input(prof, len = 1L, attr_p = 0.1)
    inputs <- list(x = x, y = y, s = s, v = gen_input(prof, len = v_len, attr_p = 0.2),
                   z = gen_input(prof, dims = z_dims, attr_p = 0.1), w = w,
                   i = sample(seq_len(max(n, 1L) + 1L), sample(1:3, 1L), replace = TRUE),
                   xp = x, yp = y, sp = s)
    list(is_matrix = is_matrix, n = n, dims = dims, prof = prof, inputs = inputs,
         lazyable = setdiff(names(inputs), c("xp", "yp", "sp")))
  }

  # ------------------------------------------------------------------------------------------------
  # Expression building blocks

  arith_ops <- c("+", "-", "*", "/", "^", "%%", "%/%")
  compare_ops <- c("==", "!=", "<", "<=", ">", ">=")
  math_fns <- c("abs", "sqrt", "exp", "log", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan",
                "floor", "ceiling", "trunc", "sign")

  gen_const <- function(prof) {
    switch(pick_w(c(integer = 4, double = 4, logical = 1)),
      integer = pick(c(0L, 1L, 2L, 3L, -1L, -5L, 1000L, .Machine$integer.max, if (prof$na) NA_integer_)),
      double = pick(c(0, 0.5, 1, 2, -1.5, 2.5, 3, 1e300, Inf, -Inf, if (prof$na) NA_real_,
                      if (prof$nan) NaN)),
      logical = pick(c(TRUE, FALSE, if (prof$na) NA)))
  }

  # An expression with the base shape: x or y, or an elementwise composition of them (depth levels).
  gen_elem <- function(sc, depth) {
    if (depth <= 0L || coin(0.25)) return(as.name(pick(c("x", "x", "y"))))
    d <- depth - 1L
    switch(pick_w(c(arith = 4, compare = 1.5, logic = 1, math = 2, neg = 0.5, not = 0.5, round = 0.5)),
      arith   = maybe_swap(call(pick(arith_ops), gen_elem(sc, d), elem_or_scalar(sc, d))),
      compare = maybe_swap(call(pick(compare_ops), gen_elem(sc, d), elem_or_scalar(sc, d))),
      logic   = call(pick(c("&", "|")), gen_elem(sc, d), elem_or_scalar(sc, d)),
      math    = call(pick(math_fns), gen_elem(sc, d)),
      neg     = call("-", gen_elem(sc, d)),
      not     = call("!", gen_elem(sc, d)),
      round   = call("round", gen_elem(sc, d), pick(0:2)))
  }

  elem_or_scalar <- function(sc, depth) {
    switch(pick_w(c(elem = 6, s = 2.5, const = 1.5)),
      elem = gen_elem(sc, depth), s = quote(s), const = lit(gen_const(sc$prof)))
  }

  maybe_swap <- function(e) {
    if (coin(0.3)) e[2:3] <- e[3:2]
    e
  }

  # Right operand of a top-level binary operator: same shape, scalar, literal, a recycled vector
  # (possibly a non-multiple length: R warns) or a non-conformable matrix (R errors).
  second_operand <- function(sc, depth) {
    switch(pick_w(c(elem = 45, s = 20, const = 15, v = 13, z = 7)),
      elem = gen_elem(sc, depth), s = quote(s), const = lit(gen_const(sc$prof)), v = quote(v),
      z = quote(z))
  }

  # An operand for a one-argument function: mostly an input, sometimes a small composition (where a
  # lazy graph, not a leaf, reaches the function).
  operand <- function(sc, p_compose = 0.35) {
    if (coin(p_compose)) gen_elem(sc, sample(1:2, 1L)) else as.name(pick(c("x", "x", "y")))
  }

  na_rm_arg <- function(e, p = 0.6) {
    if (coin(p)) e$na.rm <- coin(0.5)
    e
  }

  # Index literals for a vector of length n.
  gen_index <- function(n, names = NULL) {
    k <- function() sample.int(max(n, 1L), 1L)
    switch(pick_w(c(one = 3, two = 2, neg = 2, zero = 0.5, oob = 1, na = 0.5, dbl = 0.5, lgl = 1.5,
                    cond = 2, input = 1.5, name = 1)),
      one = k(), two = c(k(), k()), neg = -k(), zero = 0L, oob = n + 2L, na = NA_integer_,
      dbl = k() + 0.9, lgl = pick(list(TRUE, c(TRUE, FALSE), NA)),
      cond = call(pick(c(">", "<=")), quote(x), lit(pick(c(0L, 1L, 0.5)))), input = quote(i),
      name = if (length(names) && coin(0.8)) pick(names[nzchar(names)] %||% "zz") else "zz")
  }

  `%||%` <- function(a, b) if (length(a)) a else b

  # The first element of a literal index; symbols and calls unchanged.
  first_of <- function(idx) if (is.atomic(idx)) idx[1] else idx

  # ------------------------------------------------------------------------------------------------
  # Families: each a shape preference plus a generator sc -> call.

  gen_arith <- function(sc) {
    if (coin(0.1)) return(call("-", operand(sc)))
    maybe_swap(call(pick(arith_ops), gen_elem(sc, sample(0:1, 1L)),
                    second_operand(sc, sample(0:1, 1L))))
  }

  gen_compare <- function(sc) {
    maybe_swap(call(pick(compare_ops), gen_elem(sc, sample(0:1, 1L)),
                    second_operand(sc, sample(0:1, 1L))))
  }

  gen_logic <- function(sc) {
    a <- if (coin(0.5)) call(pick(compare_ops), quote(x), lit(gen_const(sc$prof))) else operand(sc, 0.2)
    switch(pick_w(c(and = 3, or = 3, not = 2, xor = 1.5)),
      and = maybe_swap(call("&", a, second_operand(sc, 0L))),
      or  = maybe_swap(call("|", a, second_operand(sc, 0L))),
      not = call("!", a),
      xor = call("xor", a, second_operand(sc, 0L)))
  }

  gen_math <- function(sc) {
    a <- operand(sc, 0.3)
    switch(pick_w(c(unary = 8, cum = 2, round = 1.5, signif = 1, logbase = 1.5)),
      unary   = call(pick(math_fns), a),
      cum     = call(pick(c("cumsum", "cumprod", "cummax", "cummin")), a),
      round   = call("round", a, lit(pick(c(0L, 1L, 2L, -1L)))),
      signif  = call("signif", a, pick(1:3)),
      logbase = if (coin(0.5)) call("log", a, pick(list(2, 10, 3, quote(exp(1)), 0.5)))
                else call("log", a, base = pick(c(2, 10, 3))))
  }

  gen_summary <- function(sc) {
    f <- pick(c("sum", "prod", "min", "max", "range", "all", "any"))
    a <- operand(sc, 0.3)
    e <- switch(pick_w(c(one = 6, two = 2, scalar = 1)),
      one = call(f, a), two = call(f, a, quote(y)), scalar = call(f, a, quote(s)))
    if (f == "range" && coin(0.3)) e$finite <- TRUE
    na_rm_arg(e)
  }

  gen_mean <- function(sc) {
    e <- call("mean", operand(sc, 0.35))
    if (coin(0.35)) e$trim <- pick(c(0.1, 0.25, 0.5))
    na_rm_arg(e)
  }

  gen_rowcol <- function(sc) {
    a <- if (coin(0.75)) quote(x) else gen_elem(sc, 1L)
    e <- na_rm_arg(call(pick(c("rowSums", "rowMeans", "colSums", "colMeans")), a), 0.7)
    if (coin(0.1)) e$dims <- 1L
    e
  }

  gen_isna <- function(sc) {
    f <- pick(c("is.na", "is.nan", "is.finite", "is.infinite", "anyNA"))
    call(f, operand(sc, 0.35))
  }

  gen_subset <- function(sc) {
    nm <- if (sc$is_matrix) rownames(sc$inputs$x) else names(sc$inputs$x)
    if (sc$is_matrix && coin(0.75)) return(gen_matrix_subset(sc))
    src <- if (coin(0.8)) quote(x) else gen_elem(sc, 1L)
    switch(pick_w(c(single = 7, double = 2, empty = 0.5)),
      single = call("[", src, gen_index(sc$n, nm)),
      double = call("[[", src, if (coin(0.75)) sample.int(max(sc$n, 1L) + coin(0.2), 1L)
                               else first_of(gen_index(sc$n, nm))),
      empty  = as.call(list(as.name("["), src, quote(expr = ))))
  }

  gen_matrix_subset <- function(sc) {
    nr <- sc$dims[1]; nc <- sc$dims[2]
    # one or two positive indices, or one negative
    idx <- function(m) {
      if (coin(0.8)) sample.int(max(m, 1L), sample(1:2, 1L), TRUE) else -sample.int(max(m, 1L), 1L)
    }
    ri <- function() idx(nr)
    ci <- function() idx(nc)
    e <- switch(pick_w(c(ij = 3, row = 2, col = 2, linear = 1, cond = 1, cell = 1, name = 1, mat = 0.5)),
      ij     = as.call(list(as.name("["), quote(x), ri(), ci())),
      row    = as.call(list(as.name("["), quote(x), ri(), quote(expr = ))),
      col    = as.call(list(as.name("["), quote(x), quote(expr = ), ci())),
      linear = call("[", quote(x), gen_index(sc$n)),
      cond   = call("[", quote(x), call(">", quote(x), 0L)),
      cell   = call("[[", quote(x), sample.int(max(nr, 1L), 1L), sample.int(max(nc, 1L), 1L)),
      name   = as.call(list(as.name("["), quote(x), pick(c("r1", "r2", "zz")), quote(expr = ))),
      mat    = call("[", quote(x), call("cbind", sample.int(max(nr, 1L), 2L, TRUE),
                                           sample.int(max(nc, 1L), 2L, TRUE))))
    if (e[[1]] == as.name("[") && length(e) == 4L && coin(0.35)) e$drop <- FALSE
    e
  }

  # Subassignment: `{ <target> <- <value>; x }`, evaluated in a per-evaluation environment.
  gen_subassign <- function(sc) {
    n <- sc$n
    val <- lit(if (coin(0.3)) quote(s) else gen_const(sc$prof))
    k <- sample.int(max(n, 1L), 1L)
    lhs_val <- switch(pick_w(c(index = 4, double = 1, cond = 1.5, extend = 1, names = 1.5, dim = 1.5,
                               attr = 1, length = 1, is_na = 1, storage = 1, row = 1)),
      index   = list(call("[", quote(x), first_of(gen_index(n))), val),
      double  = list(call("[[", quote(x), k), val),
      cond    = list(call("[", quote(x), call(">", quote(x), 0L)), val),
      extend  = list(call("[", quote(x), n + 2L), val),
      names   = list(quote(names(x)), if (coin(0.8)) quote(paste0("n", seq_along(x))) else NULL),
      # c(1, n), c(n, 1) or (often wrong) c(1, 1) / c(n, n); c(2, 3) fits no short length but 6
      dim     = list(quote(dim(x)),
                     if (coin(0.7) && n > 0L) call("c", pick(c(1L, n)), n %/% pick(c(1L, n))) else c(2L, 3L)),
      attr    = list(quote(attr(x, "units")), "kg"),
      length  = list(quote(length(x)), n + pick(c(-1L, 2L))),
      is_na   = list(quote(is.na(x)), k),
      storage = list(quote(storage.mode(x)), pick(c("double", "integer", "logical"))),
      row     = if (sc$is_matrix) list(as.call(list(as.name("["), quote(x), 1L, quote(expr = ))), val)
                else list(call("[", quote(x), call("seq_len", 2L)), quote(y)))
    call("{", call("<-", lhs_val[[1]], lhs_val[[2]]), quote(x))
  }

  gen_coerce <- function(sc) {
    a <- operand(sc, 0.35)
    f <- pick(c("as.integer", "as.double", "as.numeric", "as.logical", "as.character", "as.vector",
                "as.vector(mode)", "as.matrix", "as.list", "unclass", "t", "as.complex", "c"))
    if (f == "as.vector(mode)") call("as.vector", a, pick(c("list", "integer", "character", "numeric")))
    else call(f, a)
  }

  gen_nested <- function(sc) {
    e <- gen_elem(sc, sample(2:4, 1L))
    switch(pick_w(c(plain = 5, reduce = 2, wrap = 2)),
      plain  = e,
      reduce = na_rm_arg(call(pick(c("sum", "mean", "max", "min", "prod")), e), 0.4),
      wrap   = call(pick(c("rev", "cumsum", "t", "is.na", "which", "sort", "as.integer", "sqrt")), e))
  }

  gen_stats <- function(sc) {
    a <- operand(sc, 0.3)
    switch(pick_w(c(summary = 2, quantile = 2, median = 2, var = 2, sd = 1, table = 2, fivenum = 1,
                    IQR = 0.5, cor = 0.5, weighted = 0.5, scale = 0.5)),
      summary  = call("summary", a),
      quantile = { e <- call("quantile", a)
                   if (coin(0.4)) e$probs <- c(0.1, 0.5, 0.9)
                   if (coin(0.3)) e$names <- FALSE
                   if (coin(0.3)) e$type <- pick(1:9)
                   na_rm_arg(e, 0.7) },
      median   = na_rm_arg(call("median", a)),
      var      = na_rm_arg(if (coin(0.3)) call("var", a, quote(y)) else call("var", a)),
      sd       = na_rm_arg(call("sd", a)),
      table    = { e <- call("table", if (coin(0.5)) a else call(">", a, 0L))
                   if (coin(0.4)) e$useNA <- "ifany"
                   e },
      fivenum  = call("fivenum", a),
      IQR      = call("IQR", a, na.rm = TRUE),
      cor      = call("cor", quote(x), quote(y)),
      weighted = call("weighted.mean", quote(x), call("abs", quote(y))),
      scale    = call("scale", quote(x)))
  }

  gen_struct <- function(sc) {
    a <- operand(sc, 0.3)
    switch(pick_w(c(head = 2, tail = 2, rev = 1, sort = 2, order = 1.5, unique = 1, duplicated = 1,
                    which = 1.5, which.max = 1, match = 1, in_ = 1, seq_along = 0.5, length = 0.5,
                    dim = 0.5, names = 0.5, c = 1.5, cbind = 1, rbind = 1, data.frame = 1.5,
                    as.data.frame = 1, split = 1, diff = 0.5, rep = 0.5, append = 0.5, setops = 0.5)),
      head       = call("head", a, lit(pick(c(3L, -2L, 1L)))),
      tail       = call("tail", a, lit(pick(c(3L, -2L, 1L)))),
      rev        = call("rev", a),
      sort       = { e <- call("sort", a)
                     if (coin(0.4)) e$decreasing <- TRUE
                     if (coin(0.3)) e$na.last <- pick(c(TRUE, FALSE))
                     e },
      order      = if (coin(0.6)) call("order", a)
                   else call("order", quote(x), quote(y), decreasing = TRUE),
      unique     = call("unique", a),
      duplicated = call(pick(c("duplicated", "anyDuplicated")), a),
      which      = call("which", if (coin(0.5)) call(">", a, 0L) else a),
      which.max  = call(pick(c("which.max", "which.min")), a),
      match      = call("match", a, quote(y)),
      in_        = call("%in%", a, quote(y)),
      seq_along  = call("seq_along", a),
      length     = call("length", a),
      dim        = call(pick(c("dim", "nrow", "NCOL")), a),
      names      = call(pick(c("names", "dimnames")), a),
      c          = call("c", a, if (coin(0.5)) quote(y) else quote(s)),
      cbind      = call("cbind", a, quote(y)),
      rbind      = call("rbind", a, quote(y)),
      data.frame = if (coin(0.6)) call("data.frame", a = a) else call("data.frame", a = a, b = quote(y)),
      as.data.frame = call("as.data.frame", a),
      split      = call("split", a, call(">", quote(y), 0L)),
      diff       = call("diff", a),
      rep        = call("rep", a, pick(c(2L, 0L))),
      append     = call("append", a, quote(s), after = 1L),
      setops     = call(pick(c("union", "intersect", "setdiff")), a, quote(y)))
  }

  gen_apply <- function(sc) {
    a <- operand(sc, 0.25)
    switch(pick_w(c(apply = 2, vapply = 2, sapply = 1.5, lapply = 1, mapply = 0.7, reduce = 0.5,
                    filter = 0.5, ifelse = 2.5, pmax = 1.5, outer = 0.5)),
      apply  = call("apply", quote(x), pick(list(1L, 2L, c(1L, 2L))),
                    pick(list(quote(sum), quote(max), quote(range), quote(function(r) r * 2L)))),
      vapply = call("vapply", a,
                    pick(list(quote(function(e) e * 2), quote(is.na), quote(function(e) e + 1L))),
                    pick(list(quote(numeric(1)), quote(logical(1)), quote(integer(1))))),
      sapply = call("sapply", a, pick(list(quote(abs), quote(function(e) e + 1L), quote(is.na)))),
      lapply = call("lapply", a, pick(list(quote(identity), quote(sqrt), quote(function(e) -e)))),
      mapply = call("mapply", quote(function(a, b) a + b), quote(x), quote(y)),
      reduce = call("Reduce", "+", a, accumulate = coin(0.5)),
      filter = call("Filter", quote(function(e) !is.na(e) && e > 0), a),
      ifelse = call("ifelse", pick(list(call(">", a, 0L), call("is.na", a), quote(s > 0))),
                    pick(list(quote(x), 0L, "a")), pick(list(quote(y), NA, -1, "b"))),
      pmax   = na_rm_arg(call(pick(c("pmax", "pmin")), a, pick(list(quote(y), quote(s), 0L))), 0.3),
      outer  = if (sc$n <= 12L) call("outer", quote(x), quote(y)) else call("outer", quote(s), quote(s)))
  }

  gen_output <- function(sc) {
    a <- operand(sc, 0.4)
    small <- sc$n <= 500L
    switch(pick_w(c(str = 3, print = if (small) 3 else 0.5, format = 2, toString = 1, nchar = 1,
                    paste = 1, sprintf = 0.5, cat = 0.5, print_df = if (small) 0.7 else 0,
                    str_list = 0.5)),
      str      = if (coin(0.2)) call("str", a, give.attr = FALSE) else call("str", a),
      print    = if (coin(0.3)) call("print", a, digits = 3L) else call("print", a),
      format   = { e <- call("format", a)
                   if (coin(0.3)) e$nsmall <- 2L
                   if (coin(0.2)) e$width <- 8L
                   e },
      toString = call("toString", a),
      nchar    = call("nchar", call("format", a)),
      paste    = if (coin(0.5)) call("paste", a) else call("paste0", "v", a, collapse = "+"),
      sprintf  = call("sprintf", pick(c("%d", "%5.2f", "%s")), a),
      cat      = call("cat", a, sep = " "),
      print_df = call("print", call("data.frame", a = a)),
      str_list = call("str", call("list", a = a, b = 1L)))
  }

  gen_linalg <- function(sc) {
    small <- sc$n <= 100L
    fun_w <- c(matmul = 3, crossprod = 2, tcrossprod = if (small) 1 else 0, inner = 1, nonconf = 1,
               diag = 1, sweep = 4, dist = 3, dist_matrix = if (small) 1 else 0)
    switch(pick_w(fun_w),
      matmul     = if (coin(0.7)) quote(x %*% w) else quote(t(w) %*% t(x)),
      crossprod  = if (coin(0.5)) call("crossprod", quote(x)) else call("crossprod", quote(x), quote(y)),
      tcrossprod = call("tcrossprod", quote(x)),
      inner      = call("%*%", quote(x), quote(y)),
      nonconf    = call("%*%", quote(x), quote(z)),
      diag       = call("diag", call("crossprod", quote(x))),
      sweep      = { stat <- pick(list(quote(rowMeans(x)), quote(colMeans(x)), quote(v), quote(s), 1L,
                                       0.5))
                     e <- call("sweep", quote(x), pick(c(1L, 2L)), stat)
                     if (coin(0.7)) e$FUN <- pick(c("-", "/", "*", "+", "^"))
                     e },
      dist       = { e <- call("dist", if (coin(0.8)) quote(x) else gen_elem(sc, 1L))
                     if (coin(0.25)) e$method <- pick(c("manhattan", "maximum", "canberra"))
                     if (coin(0.15)) { e$diag <- TRUE; e$upper <- TRUE }
                     e },
      dist_matrix = call("as.matrix", call("dist", quote(x))))
  }

  # x, y, s inside `e` replaced by their never-lazy copies xp, yp, sp.
  plain_twin <- function(e) {
    do.call(substitute, list(e, list(x = quote(xp), y = quote(yp), s = quote(sp))))
  }

  gen_identity <- function(sc) {
    e <- gen_elem(sc, sample(1:3, 1L))
    if (coin(0.3)) e <- call(pick(c("sum", "rev", "cumsum", "t", "mean", "range")), e)
    switch(pick_w(c(identical = 3, all_equal = 2, is_true = 2)),
      identical = bquote(identical(lazyshare::materialize(.(e)), .(plain_twin(e)))),
      all_equal = call("all.equal", e, plain_twin(e)),
      is_true   = call("isTRUE", call("all.equal", e, plain_twin(e))))
  }

  conformance_families <- list(
    arith     = list(shape = "any",    gen = gen_arith),
    compare   = list(shape = "any",    gen = gen_compare),
    logic     = list(shape = "any",    gen = gen_logic),
    math      = list(shape = "any",    gen = gen_math),
    summary   = list(shape = "any",    gen = gen_summary),
    mean      = list(shape = "any",    gen = gen_mean),
    rowcol    = list(shape = "matrix", gen = gen_rowcol),
    isna      = list(shape = "any",    gen = gen_isna),
    subset    = list(shape = "any",    gen = gen_subset),
    subassign = list(shape = "any",    gen = gen_subassign),
    coerce    = list(shape = "any",    gen = gen_coerce),
    nested    = list(shape = "any",    gen = gen_nested),
    stats     = list(shape = "any",    gen = gen_stats),
    struct    = list(shape = "any",    gen = gen_struct),
    apply     = list(shape = "any",    gen = gen_apply),
    output    = list(shape = "any",    gen = gen_output),
    linalg    = list(shape = "matrix", gen = gen_linalg),
    identity  = list(shape = "any",    gen = gen_identity)
  )

  # ------------------------------------------------------------------------------------------------
  # Cases: one expression with its inputs and which of them are made lazy. Every case has its own seed,
  # so case `id` of run `seed` can be rebuilt alone.

  case_seed <- function(seed, id) as.integer((as.numeric(seed) * 100003 + id) %% .Machine$integer.max)

  # Runs `code` with the RNG seeded, leaving the caller's RNG state as it was.
  with_seed <- function(seed, code) {
    old <- get0(".Random.seed", envir = globalenv(), inherits = FALSE)
    on.exit(if (is.null(old)) rm(".Random.seed", envir = globalenv())
            else assign(".Random.seed", old, envir = globalenv()))
    set.seed(seed)
    code
  }

  conformance_case <- function(id, seed, control = FALSE, deferred_p = 0.15,
                               families = names(conformance_families)) {
    with_seed(case_seed(seed, id), {
      family <- pick(families)
      sc <- gen_scenario(conformance_families[[family]]$shape)
      expr <- conformance_families[[family]]$gen(sc)
      used <- intersect(names(sc$inputs), all.vars(expr))
      lazyable <- intersect(used, sc$lazyable)
      wrap <- character()
      if (!control && length(lazyable)) {
        while (!length(wrap)) wrap <- lazyable[stats::runif(length(lazyable)) < 0.5]
      }
      deferred <- !control && coin(deferred_p)
      list(id = id, seed = seed, family = family, expr = expr, inputs = sc$inputs[used], wrap = wrap,
           defer_min_len = pick(c(0, 4096)), jit = coin(0.25), deferred = deferred,
           # deferred() is meant to be handed plain data too (its dist() makes them lazy).
           deferred_wrap = if (deferred && coin(0.5)) character() else wrap)
    })
  }

  # ------------------------------------------------------------------------------------------------
  # Evaluation

  masked_names <- c("dist", "sweep", "rowSums", "rowMeans", "colSums", "colMeans")

  # Function scopes for the two sides. Both have the attached packages as parent, skipping the global
  # and test environments, so that no helper or global variable of the tests can leak into an
  # expression. The eager side binds the names lazyshare masks to the base/stats originals; the lazy
  # side binds lazyshare's, whether or not the package is attached.
  conformance_envs <- function() {
    eager <- new.env(parent = parent.env(globalenv()))
    eager$dist <- stats::dist
    eager$sweep <- base::sweep
    eager$rowSums <- base::rowSums
    eager$rowMeans <- base::rowMeans
    eager$colSums <- base::colSums
    eager$colMeans <- base::colMeans
    lazy <- new.env(parent = parent.env(globalenv()))
    for (nm in masked_names) assign(nm, getExportedValue("lazyshare", nm), envir = lazy)
    list(eager = eager, lazy = lazy)
  }

  # A fresh copy in new memory, so nothing lazy() does to its argument can reach the eager inputs.
  fresh_copy <- function(x) unserialize(serialize(x, NULL))

  # Materialises lazy values, recursively inside lists (data frames included) and attributes.
  deep_materialize <- function(x) {
    if (lazyshare::is_lazy(x) || inherits(x, c("lazyshare", "lazyshare_concat"))) return(lazyshare::materialize(x))
    if (is.list(x) && length(x)) {
      a <- attributes(x)
      x <- lapply(unclass(x), deep_materialize)
      attributes(x) <- a
    }
    a <- attributes(x)
    if (length(a) && any(vapply(a, lazyshare::is_lazy, NA))) attributes(x) <- lapply(a, deep_materialize)
    x
  }

  # deferred(function(<inputs>) <expr>)(<inputs>)
  run_deferred <- function(expr, values, fun_env) {
    args <- rep(alist(a = ), length(values))
    names(args) <- names(values)
    f <- as.function(c(args, expr), envir = fun_env)
    do.call(lazyshare::deferred(f), values)
  }

  # One side of a comparison: evaluates (after wrapping `wrap` inputs in lazy()) and materialises,
  # collecting warnings and messages (muffled), the error if any, and everything printed.
  eval_side <- function(expr, values, fun_env, wrap = character(), deferred = FALSE) {
    warnings <- character()
    messages <- character()
    value <- NULL
    error <- NULL
    output <- utils::capture.output(
      error <- tryCatch(
        withCallingHandlers({
          for (nm in wrap) values[[nm]] <- lazyshare::lazy(fresh_copy(values[[nm]]))
          value <- if (deferred) run_deferred(expr, values, fun_env)
                   else eval(expr, list2env(values, parent = fun_env))
          value <- deep_materialize(value)
          NULL
        },
        warning = function(w) {
          warnings <<- c(warnings, conditionMessage(w))
          invokeRestart("muffleWarning")
        },
        message = function(m) {
          messages <<- c(messages, conditionMessage(m))
          invokeRestart("muffleMessage")
        }),
        error = function(e) e))
    list(value = value, error = error, warnings = sort(unique(warnings)),
         messages = sort(unique(messages)), output = output)
  }

  # ------------------------------------------------------------------------------------------------
  # Comparison

  # Kinds of difference, most severe first; a record's outcome is the first of its kinds.
  #   error          only the lazy side failed          missing_error  only the eager side failed
  #   error_message  both failed, differently           type           typeof() differs (anywhere)
  #   value          the values differ                  attributes     attributes differ (anywhere)
  #   na_nan         values differ only by NA vs NaN    output         printed output differs
  #   warning, message  the sets of condition messages differ
  kind_order <- c("error", "missing_error", "error_message", "type", "value", "attributes", "na_nan",
                  "output", "warning", "message")

  type_differs <- function(a, b) {
    if (!identical(typeof(a), typeof(b))) return(TRUE)
    if (is.list(a) && length(a) == length(b)) {
      return(any(vapply(seq_along(a), function(k) type_differs(a[[k]], b[[k]]), NA)))
    }
    FALSE
  }

  strip_attrs <- function(x) {
    if (is.list(x)) x <- lapply(unclass(x), strip_attrs)
    if (is.atomic(x) || is.list(x)) attributes(x) <- NULL
    x
  }

  attr_tree <- function(x) {
    if (is.list(x)) list(attributes(x), lapply(unclass(x), attr_tree)) else attributes(x)
  }

  # TRUE when a and b (attribute-free) differ only by NA where the other has NaN.
  na_nan_only <- function(a, b) {
    if (is.double(a) && is.double(b) && length(a) == length(b)) {
      return(identical(is.na(a), is.na(b)) && identical(a[!is.na(a)], b[!is.na(b)]))
    }
    if (is.list(a) && is.list(b) && length(a) == length(b)) {
      same_or_na_nan <- function(k) identical(a[[k]], b[[k]]) || na_nan_only(a[[k]], b[[k]])
      return(all(vapply(seq_along(a), same_or_na_nan, NA)))
    }
    FALSE
  }

  # Kinds of difference between two values (character(0) when identical()).
  value_kinds <- function(a, b) {
    if (identical(a, b)) return(character())
    if (type_differs(a, b)) return("type")
    sa <- strip_attrs(a)
    sb <- strip_attrs(b)
    kinds <- character()
    if (!identical(sa, sb)) kinds <- if (na_nan_only(sa, sb)) "na_nan" else "value"
    if (!identical(attr_tree(a), attr_tree(b))) kinds <- c(kinds, "attributes")
    if (!length(kinds)) kinds <- "value"
    kinds
  }

  # Names of top-level attributes that differ.
  differing_attrs <- function(a, b) {
    aa <- attributes(a)
    ab <- attributes(b)
    nms <- union(names(aa), names(ab))
    nms[!vapply(nms, function(n) identical(aa[[n]], ab[[n]]), NA)]
  }

  compare_sides <- function(e, l) {
    kinds <- character()
    if (!is.null(e$error) || !is.null(l$error)) {
      if (is.null(l$error)) kinds <- "missing_error"
      else if (is.null(e$error)) kinds <- "error"
      else if (!identical(conditionMessage(e$error), conditionMessage(l$error)) ||
               !identical(class(e$error), class(l$error))) kinds <- "error_message"
    } else {
      kinds <- value_kinds(e$value, l$value)
    }
    if (!identical(e$output, l$output)) kinds <- c(kinds, "output")
    if (!identical(e$warnings, l$warnings)) kinds <- c(kinds, "warning")
    if (!identical(e$messages, l$messages)) kinds <- c(kinds, "message")
    kinds[order(match(kinds, kind_order))]
  }

  # ------------------------------------------------------------------------------------------------
  # Reporting helpers

  one_line <- function(e) {
    if (is.call(e) && identical(e[[1]], as.name("{"))) {
      return(paste0("{ ", paste(vapply(as.list(e)[-1], one_line, ""), collapse = "; "), " }"))
    }
    paste(deparse(e, width.cutoff = 500L), collapse = " ")
  }

  clip <- function(s, n = 160L) ifelse(nchar(s) > n, paste0(substr(s, 1L, n - 3L), "..."), s)

  # Details fit one line of a report.
  one_line_text <- function(s) clip(gsub("\\s*\n\\s*", " ", s), 400L)

  fmt_elems <- function(v, digits = 15L) {
    if (is.list(v)) return(vapply(v, function(e) clip(describe_value(e), 40L), ""))
    vapply(seq_along(v), function(k) {
      e <- v[[k]]
      if (is.double(e) && is.nan(e)) "NaN" else if (is.na(e)) "NA"
      else if (is.character(e)) encodeString(e, quote = "\"")
      else if (is.integer(e)) paste0(e, "L")
      else format(e, digits = digits)
    }, "")
  }

  # Drops S3 classes before looking inside a value: a result may still carry class "lazyshare"
  # without being lazy, and the package's methods (e.g. as.vector) can then recurse without end.
  bare <- function(x) if (is.object(x)) unclass(x) else x

  # "int[3] 1L 2L NA {names}" / "dbl[2x3] ..." / "list[2] (...)"
  describe_value <- function(x, k = 6L) {
    at <- names(attributes(x))
    df <- is.data.frame(x)
    x <- bare(x)
    if (is.null(x)) return("NULL")
    if (is.function(x)) return("<function>")
    if (!(is.atomic(x) || is.list(x))) return(paste0("<", typeof(x), ">"))
    ty <- switch(typeof(x), logical = "lgl", integer = "int", double = "dbl", character = "chr",
                 complex = "cplx", list = if (df) "data.frame" else "list", typeof(x))
    shape <- if (!is.null(dim(x))) paste(dim(x), collapse = "x") else length(x)
    first <- seq_len(min(k, length(x)))
    vals <- fmt_elems(if (is.list(x)) x[first] else as.vector(x)[first])
    sprintf("%s[%s] %s%s%s", ty, shape, paste(vals, collapse = " "), if (length(x) > k) " ..." else "",
            if (length(at)) paste0(" {", paste(at, collapse = ","), "}") else "")
  }

  # "x=int[2x3]{dimnames,units} (lazy); s=dbl[1]"
  describe_inputs <- function(case, wrap) {
    one <- function(nm) {
      v <- case$inputs[[nm]]
      ty <- c(logical = "lgl", integer = "int", double = "dbl")[[typeof(v)]]
      shape <- if (is.null(dim(v))) length(v) else paste(dim(v), collapse = "x")
      at <- setdiff(names(attributes(v)), "dim")
      paste0(nm, "=", ty, "[", shape, "]", if (length(at)) paste0("{", paste(at, collapse = ","), "}"),
             if (nm %in% wrap) " (lazy)")
    }
    paste(vapply(names(case$inputs), one, ""), collapse = "; ")
  }

  # Short inputs, deparsed, so a report line can be replayed by hand.
  input_values <- function(case) {
    small <- Filter(function(v) length(v) <= 12L, case$inputs)
    assignment <- function(nm) {
      paste(nm, "<-", paste(deparse(small[[nm]], width.cutoff = 500L), collapse = " "))
    }
    clip(paste(vapply(names(small), assignment, ""), collapse = "; "), 600L)
  }

  side_text <- function(s) {
    if (!is.null(s$error)) return(paste("Error:", clip(conditionMessage(s$error), 120L)))
    describe_value(s$value)
  }

  first_diff_pos <- function(a, b) {
    a <- as.vector(bare(a))
    b <- as.vector(bare(b))
    if (!is.atomic(a) || !is.atomic(b) || length(a) != length(b)) return(NA_integer_)
    same <- mapply(function(p, q) identical(p, q), a, b)
    if (all(same)) NA_integer_ else which(!same)[1]
  }

  # "attr names: eager c("a", "b") | lazy NULL", looking into the first list element that differs
  # when the top-level attributes agree.
  attr_details <- function(a, b, where = "") {
    d <- differing_attrs(a, b)
    if (!length(d) && is.list(a) && is.list(b)) {
      k <- which(!vapply(seq_len(min(length(a), length(b))),
                         function(j) identical(attr_tree(a[[j]]), attr_tree(b[[j]])), NA))[1]
      if (!is.na(k)) return(attr_details(a[[k]], b[[k]], sprintf("%s[[%d]] ", where, k)))
    }
    show <- function(v, n) clip(paste(deparse(attr(v, n, exact = TRUE)), collapse = ""), 60L)
    one <- function(n) sprintf("%sattr %s: eager %s | lazy %s", where, n, show(a, n), show(b, n))
    paste(vapply(d, one, ""), collapse = "; ")
  }

  diff_details <- function(kind, e, l) {
    switch(kind,
      error = , missing_error = , error_message = ,
      type = , value = , na_nan = {
        pos <- if (kind %in% c("value", "na_nan")) first_diff_pos(e$value, l$value) else NA
        paste0("eager: ", side_text(e), " | lazy: ", side_text(l),
               if (!is.na(pos)) sprintf(" | first at [%d]: %s vs %s", pos,
                                        fmt_elems(as.vector(bare(e$value))[pos], 17L),
                                        fmt_elems(as.vector(bare(l$value))[pos], 17L)))
      },
      attributes = attr_details(e$value, l$value),
      output = {
        k <- which(!(seq_len(max(length(e$output), length(l$output))) %in%
                     which(e$output[seq_along(l$output)] == l$output)))[1]
        sprintf("line %d: eager '%s' | lazy '%s'", k, clip(e$output[k] %||% "", 70L),
                clip(l$output[k] %||% "", 70L))
      },
      warning = sprintf("eager warnings: [%s] | lazy warnings: [%s]", paste(e$warnings, collapse = "; "),
                        paste(l$warnings, collapse = "; ")),
      message = sprintf("eager messages: [%s] | lazy messages: [%s]", paste(e$messages, collapse = "; "),
                        paste(l$messages, collapse = "; ")))
  }

  # NA/NaN presence in the expression's inputs and literals (for the NA-vs-NaN explanation).
  expr_constants <- function(e) {
    out <- list()
    if (is.call(e)) for (k in seq_along(e)[-1]) {
      if (is.atomic(e[[k]])) out <- c(out, list(e[[k]]))
      else if (is.call(e[[k]])) out <- c(out, expr_constants(e[[k]]))
    }
    out
  }

  # Whether the expression reduces a matrix input (sum, mean, row/column sums or means of it).
  reduces_matrix <- function(case) {
    reducers <- c("sum", "mean", "rowSums", "colSums", "rowMeans", "colMeans")
    calls <- function(e) if (is.call(e)) c(as.character(e[[1]])[1], unlist(lapply(as.list(e)[-1], calls)))
    any(calls(case$expr) %in% reducers) && any(vapply(case$inputs, function(v) length(dim(v)) == 2L, NA))
  }

  na_flags <- function(case) {
    vals <- Filter(function(v) is.numeric(v) || is.logical(v), c(case$inputs, expr_constants(case$expr)))
    c(has_na = any(vapply(vals, function(v) any(is.na(v) & !is.nan(v)), NA)),
      has_nan = any(vapply(vals, function(v) any(is.nan(v)), NA)))
  }

  # ------------------------------------------------------------------------------------------------
  # Explained differences: named predicates record -> TRUE when the difference is deliberate and
  # documented (in ?lazy-differences, or by R itself). Keep this list short; every entry needs its
  # justification. A record (see
  # make_record) is a list: id, family, mode, expr, inputs, lazy, defer_min_len, outcome, kinds (all
  # kinds of difference), attr_diff (top-level attributes that differ), value_class (eager class),
  # has_na, has_nan, near_equal, reduces_matrix, top_call, long_lazy, missing_warnings, details, values.
  conformance_explanations <- list(
    # ?lazy-differences: sums and means over lazy *matrices* (and row and column sums and means) are
    # fused, parallel, compensated passes, not R's sequential long double loops, so they may differ
    # from R's in the last bits. Only value differences within 1e-13 relative,
    # of expressions that reduce a matrix input, types and attributes identical.
    fused_matrix_reduction = function(r) {
      identical(r$kinds, "value") && r$near_equal && r$reduces_matrix
    },
    # ?lazy-differences: print() of a lazy object of more than 1,000 elements shows a preview headed
    # by its expression instead of R's listing, so that printing a 2.5e9-element lazy matrix computes
    # 36 values.
    print_preview = function(r) {
      identical(r$kinds, "output") && identical(r$top_call, "print") && r$long_lazy
    },
    # ?pmin: "pmax and pmin will also work on classed S3 or S4 objects with appropriate methods for
    # comparison, is.na and rep"; for such (classed) arguments R works element by element with `[<-`,
    # where logicals stay logical and a NaN becomes NA, instead of its internal code. Lazy objects are
    # classed, so R takes that path.
    pmin_pmax_of_objects = function(r) {
      r$top_call %in% c("pmin", "pmax") && all(r$kinds %in% c("type", "na_nan", "attributes"))
    },
    # ?lazy-differences: a warning about values ("NaNs produced") is given when the values are
    # computed; values no result needs are never computed (is.infinite() of a logical reads none, x[i]
    # and head() read some, an error stops first).
    value_warning_uncomputed = function(r) {
      reads_some <- c("is.infinite", "is.nan", "length", "dim", "[", "[[", "head", "tail")
      identical(r$kinds, "warning") && identical(r$missing_warnings, "NaNs produced") &&
        (r$eager_error || r$top_call %in% reads_some)
    },
    # ?lazy-differences: R's (-Inf)^y and Inf^y for |y| > 2^53 warn "probable complete loss of
    # accuracy in modulus" (R_pow tests y %% 2 with its own modulus); lazy powers compute the same
    # values without it.
    pow_modulus_warning = function(r) {
      identical(r$kinds, "warning") &&
        identical(r$missing_warnings, "probable complete loss of accuracy in modulus") && r$has_pow
    }
  )

  # Name of the first explanation that accepts the record ("" if none).
  explain <- function(rec, explanations) {
    if (rec$outcome == "same") return("")
    hit <- names(Filter(function(p) isTRUE(p(rec)), explanations))
    if (length(hit)) hit[1] else ""
  }

  make_record <- function(case, mode, wrap, e, l, explanations) {
    kinds <- compare_sides(e, l)
    flags <- na_flags(case)
    rec <- list(id = case$id, family = case$family, mode = mode, expr = one_line(case$expr),
                inputs = describe_inputs(case, wrap), lazy = paste(wrap, collapse = ","),
                defer_min_len = case$defer_min_len, jit = isTRUE(case$jit),
                outcome = if (length(kinds)) kinds[1] else "same", kinds = kinds,
                attr_diff = if ("attributes" %in% kinds) differing_attrs(e$value, l$value),
                value_class = if (is.null(e$error)) class(e$value)[1] else "",
                has_na = flags[["has_na"]], has_nan = flags[["has_nan"]],
                details = if (length(kinds)) one_line_text(diff_details(kinds[1], e, l)) else "",
                eager_error = !is.null(e$error), eager_warning = length(e$warnings) > 0L,
                near_equal = identical(kinds, "value") &&
                  isTRUE(all.equal(e$value, l$value, tolerance = 1e-13)),
                reduces_matrix = reduces_matrix(case),
                has_pow = "^" %in% all.names(case$expr),
                top_call = if (is.call(case$expr)) as.character(case$expr[[1]])[1] else "",
                long_lazy = any(lengths(case$inputs[wrap]) > 1000L),
                missing_warnings = unique(setdiff(e$warnings, l$warnings)),
                values = input_values(case))
    rec$explained_by <- explain(rec, explanations)
    rec
  }

  # Evaluates one case on both (or all three) sides and returns its records.
  # The thresholds a case sets: when results stay lazy, and (for a quarter of the cases) the compiled
  # backend for every pass, however small, so that the JIT's code is held to R's values too.
  case_options <- c("defer_min_len", "jit_min_work")

  check_conformance_case <- function(case, envs = conformance_envs(),
                                     explanations = conformance_explanations) {
    old <- lazyshare::lazy_options()[case_options]
    on.exit(do.call(lazyshare::lazy_options, old))
    lazyshare::lazy_options(defer_min_len = case$defer_min_len,
                            jit_min_work = if (isTRUE(case$jit)) 0 else old$jit_min_work)
    eager <- eval_side(case$expr, case$inputs, envs$eager)
    lazy <- eval_side(case$expr, case$inputs, envs$lazy, wrap = case$wrap)
    recs <- list(make_record(case, if (length(case$wrap)) "lazy" else "control", case$wrap, eager, lazy,
                             explanations))
    if (case$deferred) {
      dfr <- eval_side(case$expr, case$inputs, envs$lazy, wrap = case$deferred_wrap, deferred = TRUE)
      recs <- c(recs, list(make_record(case, "deferred", case$deferred_wrap, eager, dfr,
                                       explanations)))
    }
    recs
  }

  records_to_df <- function(recs) {
    col <- function(f, proto) vapply(recs, function(r) r[[f]], proto)
    data.frame(id = col("id", 0L), family = col("family", ""), mode = col("mode", ""),
               expr = col("expr", ""), inputs = col("inputs", ""), lazy = col("lazy", ""),
               defer_min_len = col("defer_min_len", 0), jit = col("jit", NA),
               outcome = col("outcome", ""),
               kinds = vapply(recs, function(r) paste(r$kinds, collapse = ","), ""),
               attr_diff = vapply(recs, function(r) paste(r$attr_diff, collapse = ","), ""),
               has_na = col("has_na", NA), has_nan = col("has_nan", NA),
               eager_error = col("eager_error", NA), eager_warning = col("eager_warning", NA),
               explained = nzchar(col("explained_by", "")), explained_by = col("explained_by", ""),
               details = col("details", ""), values = col("values", ""), stringsAsFactors = FALSE)
  }

  # ------------------------------------------------------------------------------------------------
  # Runner and summary

  # n expressions from `seed`. control = TRUE makes no input lazy (and skips deferred): every record
  # must then be "same", which checks the harness itself. Restores lazy_options and the RNG state.
  run_conformance <- function(n = 5000L, seed = 1L, control = FALSE, deferred_p = 0.15,
                              families = names(conformance_families),
                              explanations = conformance_explanations) {
    old <- lazyshare::lazy_options()[case_options]
    on.exit(do.call(lazyshare::lazy_options, old))
    envs <- conformance_envs()
    recs <- vector("list", n)
    for (id in seq_len(n)) {
      case <- conformance_case(id, seed, control, deferred_p, families)
      recs[[id]] <- check_conformance_case(case, envs, explanations)
    }
    records_to_df(unlist(recs, recursive = FALSE))
  }

  conformance_unexplained <- function(records) {
    records[records$outcome != "same" & !records$explained, , drop = FALSE]
  }

  format_conformance_differences <- function(records, per_kind = 3L) {
    d <- conformance_unexplained(records)
    if (!nrow(d)) return("no unexplained differences")
    out <- character()
    for (k in intersect(kind_order, d$outcome)) {
      dk <- d[d$outcome == k, , drop = FALSE]
      out <- c(out, sprintf("-- %s: %d", k, nrow(dk)))
      for (j in seq_len(min(per_kind, nrow(dk)))) {
        r <- dk[j, ]
        out <- c(out, sprintf("  [%s #%d %s, defer_min_len=%g%s] %s", r$family, r$id, r$mode,
                              r$defer_min_len, if (r$jit) ", jit" else "", r$expr),
                 sprintf("      inputs: %s", r$inputs),
                 if (nzchar(r$values)) sprintf("      values: %s", clip(r$values, 300L)),
                 sprintf("      %s", r$details))
      }
    }
    out
  }

  # Unexplained differences by family and kind (attribute differences split by which attributes),
  # with the shortest distinct examples of each: one row per family x kind.
  categorise_conformance <- function(records, examples = 3L) {
    d <- conformance_unexplained(records)
    if (!nrow(d)) return(data.frame(family = character(), kind = character(), count = integer(),
                                    examples = character()))
    d$kind <- ifelse(d$outcome == "attributes", sprintf("attributes[%s]", d$attr_diff), d$outcome)
    d <- d[order(nchar(d$expr) + nchar(d$values)), ]
    groups <- split(d, list(d$family, d$kind), drop = TRUE)
    rows <- lapply(groups, function(g) {
      g <- g[!duplicated(g$expr), ]
      ex <- utils::head(sprintf("%s  [%s; %s]  %s", g$expr, g$inputs, g$mode, g$details), examples)
      data.frame(family = g$family[1], kind = g$kind[1], count = 0L, examples = paste(ex, collapse = "\n"))
    })
    out <- do.call(rbind, rows)
    out$count <- vapply(groups, nrow, 0L)
    out <- out[order(out$family, -out$count), ]
    rownames(out) <- NULL
    out
  }

  # Counts per family and outcome, then the first unexplained differences of each kind.
  summarise_conformance <- function(records, per_kind = 3L) {
    old <- options(width = max(getOption("width"), 150L))  # one table row per family
    on.exit(options(old))
    cat(sprintf("lazyshare conformance: %d records (%d expressions): %d same, %d explained, %d unexplained\n",
                nrow(records), length(unique(records$id)), sum(records$outcome == "same"),
                sum(records$explained), nrow(conformance_unexplained(records))))
    shown <- ifelse(records$explained, "explained", records$outcome)
    shown <- factor(shown, levels = intersect(c("same", "explained", kind_order), shown))
    tab <- stats::addmargins(table(family = records$family, outcome = shown), 1)
    print(tab)
    if (any(records$explained)) {
      cat("\nexplained by:\n")
      print(table(records$explained_by[records$explained]))
    }
    cat("\nfirst unexplained differences per kind:\n")
    cat(format_conformance_differences(records, per_kind), sep = "\n")
    invisible(tab)
  }

  environment()
})

run_conformance <- lazyshare_conformance$run_conformance
summarise_conformance <- lazyshare_conformance$summarise_conformance
conformance_unexplained <- lazyshare_conformance$conformance_unexplained
format_conformance_differences <- lazyshare_conformance$format_conformance_differences
conformance_case <- lazyshare_conformance$conformance_case
check_conformance_case <- lazyshare_conformance$check_conformance_case
conformance_explanations <- lazyshare_conformance$conformance_explanations
categorise_conformance <- lazyshare_conformance$categorise_conformance
