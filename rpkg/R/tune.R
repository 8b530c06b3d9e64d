# lazy_tune(): measures this machine to recommend the thresholds of lazy_options() that decide how work is
# fused and run. Each section times the same work under the settings it compares, in interleaved repeated
# batches, and keeps medians; the planner's own work estimates come from lazy_explain(), so a recommended
# jit_min_work is in the unit the planner compares it with.

#' Measure this machine and recommend the fusion thresholds
#'
#' The defaults of [lazy_options()] were measured once, on one machine.
#' `lazy_tune()` measures the machine it runs on and recommends:
#'
#' * `jit_min_work`: the work (element-operations, as the planner estimates
#'   it and [lazy_explain()] shows it) from which compiling a kernel and
#'   running it beats interpreting it. Fused passes of kernels of several
#'   sizes (random chains of `abs`, `sqrt`, `+`, `-` and `*`) are timed on
#'   both backends, and each kernel shape is compiled fresh to measure the
#'   compile cost; the threshold is where the interpreter's time equals the
#'   JIT's plus one compile, read off the measured curves (or, outside
#'   them, off straight-line fits), the median over kernel sizes.
#' * `defer_min_len`: the vector length from which deferring an elementwise
#'   expression and its reducers (`max`, `min`, `sum`) into one fused pass
#'   beats computing each operation at once, which is what happens below
#'   the threshold. Plain R on ordinary vectors is timed too, for reference.
#' * `chunk_rows`: the rows per tile of a pass. The row means and the mean
#'   of the distances between random points in the plane (20,000 points
#'   quick, 40,000 full), one fused pass over half the distance matrix, are
#'   timed with tiles of 2^10 to 2^16 rows and with the current value;
#'   among those within 10 percent of the fastest, the one nearest the
#'   current value. Only speed depends on it, never results.
#' * `threads`: among thread counts that run a large fused elementwise pass
#'   (a chain of 8 operations over 2^21 values quick, 2^23 full) within 5
#'   percent of the fastest, the one nearest the current count (`0`, all
#'   cores, when that is all of them).
#'
#' Where the measurements leave a choice (tile sizes and thread counts
#' that run about as fast), the one nearest the current value is taken, so
#' that settings move only as far as it matters on this machine.
#'
#' Every batch is repeated and the settings compared are run in alternating
#' order, so that a machine busy with other work shifts them alike; still,
#' run it when the machine is otherwise idle (the print method notes a high
#' load average), or the recommendations fit that load. Kernels
#' compiled while tuning take places in the JIT's cache (which holds 256
#' shapes); the random number generator is used to draw them. The options
#' are restored afterwards unless `apply = TRUE`.
#'
#' @param quick `TRUE` for fewer sizes and repeats (under a minute on two
#'   cores); `FALSE` for the full run (a few minutes).
#' @param apply `TRUE` to set the recommended values with [lazy_options()].
#' @param measure Which thresholds to measure: any of `"jit_min_work"`,
#'   `"defer_min_len"`, `"chunk_rows"` and `"threads"`.
#' @param verbose `TRUE` to report progress with [message()].
#' @return A data frame of class `lazy_tune`, one row per measurement:
#'   `what` (the threshold it informs), `variant` (`"interp"`, `"jit"` or
#'   `"compile"`; `"eager"`, `"at_once"` or `"deferred"`; or the backend of
#'   a tile or thread run), `kernel` (the workload), `length` (elements
#'   the pass visits, or of the vector), `work` (the planner's element-operations),
#'   `setting` (the `chunk_rows` or `threads` value run), `seconds` (median
#'   seconds per run) and `reps` (repeats). Attributes: `recommended` (a
#'   named list, the values to give [lazy_options()]), `current` (the values
#'   in force when it started), `basis` (a sentence per recommendation),
#'   `jit_fits` (per kernel size: interpreter and JIT seconds per
#'   element-operation, compile seconds and the crossing), `cores`, `load`
#'   (the load average when it started), `quick` and `elapsed`. With
#'   `apply = TRUE` it is returned invisibly. [plot()] draws the measured
#'   curves with the recommended (solid) and current (dotted) thresholds
#'   marked.
#' @seealso [lazy_options()], [lazy_explain()], [lazy_stats()].
#' @examples
#' tt <- lazy_tune(quick = TRUE, measure = "threads")
#' tt
#' attr(tt, "recommended")
#' \donttest{
#' tuned <- lazy_tune(quick = TRUE)
#' plot(tuned)
#' }
#' @export
lazy_tune <- function(quick = FALSE, apply = FALSE,
                      measure = c("jit_min_work", "defer_min_len", "chunk_rows", "threads"),
                      verbose = interactive()) {
  check_flag(quick, "quick")
  check_flag(apply, "apply")
  check_flag(verbose, "verbose")
  known <- c("jit_min_work", "defer_min_len", "chunk_rows", "threads")
  if (!is.character(measure) || !length(measure) || anyNA(measure) || !all(measure %in% known)) {
    abort(sprintf("`measure` must name some of %s; got %s",
                  paste(sprintf("\"%s\"", known), collapse = ", "),
                  if (is.character(measure)) paste(encodeString(measure, quote = '"'), collapse = ", ")
                  else describe_object(measure)))
  }
  measure <- known[known %in% measure]
  say <- function(...) if (verbose) message("lazy_tune: ", sprintf(...))
  plan <- tune_plan(quick)
  load <- tune_load()
  started <- tune_clock()
  old <- unclass(lazy_options())
  old_source <- settings$source
  touched <- c(known, "progress")
  restored <- FALSE
  # Values and where they came from, as lazy_options() shows them, are as before.
  restore <- function() {
    do.call(lazy_options, old[touched])
    settings$source <- old_source
    restored <<- TRUE
  }
  on.exit(if (!restored) restore(), add = TRUE)
  lazy_options(progress = FALSE)
  current <- old[known]
  rec <- list()
  basis <- character()
  parts <- list()
  fits <- NULL

  if ("jit_min_work" %in% measure) {
    jit <- tune_jit(plan, say)
    parts$jit <- jit$rows
    fits <- jit$fits
    rec$jit_min_work <- jit$recommended
    basis[["jit_min_work"]] <- jit$basis
  }
  lazy_options(jit_min_work = if (is.null(rec$jit_min_work)) old$jit_min_work else rec$jit_min_work)
  if ("defer_min_len" %in% measure) {
    defer <- tune_defer(plan, say)
    parts$defer <- defer$rows
    rec$defer_min_len <- defer$recommended
    basis[["defer_min_len"]] <- defer$basis
  }
  if ("chunk_rows" %in% measure) {
    tiles <- tune_tiles(plan, old$chunk_rows, say)
    parts$tiles <- tiles$rows
    rec$chunk_rows <- tiles$recommended
    basis[["chunk_rows"]] <- tiles$basis
  }
  lazy_options(chunk_rows = if (is.null(rec$chunk_rows)) old$chunk_rows else rec$chunk_rows)
  if ("threads" %in% measure) {
    threads <- tune_threads(plan, tune_pass_setup(plan), old$threads, say)
    parts$threads <- threads$rows
    rec$threads <- threads$recommended
    basis[["threads"]] <- threads$basis
  }

  restore()
  out <- do.call(rbind, unname(parts))
  rownames(out) <- NULL
  out <- structure(out, class = c("lazy_tune", "data.frame"), recommended = rec, current = current,
                   basis = basis, jit_fits = fits, cores = tune_cores(), load = load, quick = quick,
                   elapsed = tune_clock() - started)
  say("done in %.1f s", attr(out, "elapsed"))
  if (apply) {
    do.call(lazy_options, rec)
    settings$source[names(rec)] <- "lazy_tune()"
    return(invisible(out))
  }
  out
}

# Sizes and repeats. Works are chosen around the default jit_min_work (1e7) and lengths around the
# default defer_min_len (4096), each spanning two orders of magnitude or more on either side. Tile sizes
# span the default's range (1024 to 65536 rows, from the cache); the tiled pass takes a few tenths of a
# second, so it is repeated fewer times.
tune_plan <- function(quick) {
  if (quick) {
    list(reps = 5L, batch = 0.01, ops = c(4L, 8L, 16L), compiles = 5L, work = 10^seq(5, 7.5, by = 0.5),
         max_len = 2^21, lengths = 4^(3:10), pass_len = 2^21, tile_points = 20000, tiles = 2^(10:16),
         tile_reps = 3L)
  } else {
    list(reps = 9L, batch = 0.05, ops = c(2L, 4L, 8L, 16L), compiles = 8L,
         work = 10^seq(4.5, 8, by = 0.25), max_len = 2^23, lengths = 2^(6:22), pass_len = 2^23,
         tile_points = 40000, tiles = 2^(10:16), tile_reps = 5L)
  }
}

tune_clock <- function() as.numeric(Sys.time())

# The 1-minute load average when tuning started (NA where the system does not say): timings taken while
# other work competes for the cores recommend for that competition.
tune_load <- function() {
  f <- "/proc/loadavg"
  if (!file.exists(f)) return(NA_real_)
  as.numeric(strsplit(readLines(f, n = 1L, warn = FALSE), " ", fixed = TRUE)[[1]][1])
}

tune_cores <- function() {
  n <- parallel::detectCores()
  if (is.na(n) || n < 1L) 1L else as.integer(n)
}

tune_row <- function(what, variant, kernel, length, work, setting, seconds, reps) {
  data.frame(what = what, variant = variant, kernel = kernel, length = as.numeric(length),
             work = as.numeric(work), setting = as.numeric(setting), seconds = seconds,
             reps = as.integer(reps), stringsAsFactors = FALSE)
}

# Seconds per call of each variant: the median over `reps` batches. A variant is a list of `setup` (run
# before each of its batches, untimed) and `run`; batches are long enough (`batch` seconds) to time, and
# the variants take turns, in alternating order, so that drifts of the machine's load shift them alike.
tune_race <- function(variants, reps, batch) {
  calls <- vapply(variants, function(v) {
    v$setup()
    v$run()
    t0 <- tune_clock()
    v$run()
    one <- tune_clock() - t0
    as.numeric(max(1, min(10000, ceiling(batch / max(one, 1e-7)))))
  }, numeric(1))
  times <- matrix(NA_real_, reps, length(variants))
  for (r in seq_len(reps)) {
    order <- if (r %% 2L) seq_along(variants) else rev(seq_along(variants))
    for (v in order) {
      variants[[v]]$setup()
      run <- variants[[v]]$run
      t0 <- tune_clock()
      for (k in seq_len(calls[[v]])) run()
      times[r, v] <- (tune_clock() - t0) / calls[[v]]
    }
  }
  stats::setNames(apply(times, 2L, stats::median), names(variants))
}

# The fused kernel a call of `f(x)` would run, as lazy_explain() plans it (nothing is computed).
tune_kernel <- function(f, x) {
  e <- NULL
  utils::capture.output(e <- lazy_explain(f(x)))
  stages <- if (length(e$parts)) e$parts[[1]]$forces[[1]]$stages else list()
  for (s in stages) if (!is.null(s$kernel)) return(s$kernel)
  abort("lazy_tune: the workload planned no fused kernel", "lazyshare_internal")
}

# A random chain of `nodes` elementwise operations on `x` (abs, sqrt of abs, + and * by constants, + - *
# by x), reduced to its max and min: values stay finite-or-NaN without warnings, and each draw is likely a
# kernel shape the JIT has not compiled yet.
tune_shape <- function(nodes) {
  e <- quote(x)
  left <- nodes
  while (left > 0L) {
    pick <- sample.int(if (left >= 2L) 7L else 6L, 1L)
    e <- switch(pick,
      call("abs", e),
      call("+", e, round(stats::runif(1L, -1, 1), 3)),
      call("*", e, round(stats::runif(1L, 0.5, 1.5), 3)),
      call("+", e, quote(x)),
      call("-", e, quote(x)),
      call("*", e, quote(x)),
      call("sqrt", call("abs", e)))
    left <- left - if (pick == 7L) 2L else 1L
  }
  f <- function(x) NULL
  body(f) <- bquote({
    y <- .(e)
    c(max(y), min(y))
  })
  environment(f) <- baseenv()
  f
}

# Seconds the JIT spends compiling `f`'s kernel, from the runtime's own compile counter (NA when nothing
# was compiled). Runs on a short vector: the compile does not depend on the length.
tune_compile <- function(f, x) {
  before <- lazy_stats()
  f(x)
  after <- lazy_stats()
  n <- after$kernels_compiled - before$kernels_compiled
  if (n < 1) NA_real_ else (after$compile_ns - before$compile_ns) / n / 1e9
}

# Kernel shapes of `nodes` operations the JIT has not compiled before, each compiled once to time it.
tune_fresh_shapes <- function(nodes, count, probe) {
  shapes <- list()
  compile <- numeric()
  for (attempt in seq_len(50L * count)) {
    if (length(shapes) == count) break
    f <- tune_shape(nodes)
    if (isTRUE(tune_kernel(f, probe)$cached)) next
    s <- tune_compile(f, probe)
    if (is.na(s)) next
    shapes[[length(shapes) + 1L]] <- f
    compile[length(compile) + 1L] <- s
  }
  if (!length(shapes)) {
    abort("lazy_tune: could not draw a kernel the JIT has not compiled", "lazyshare_internal")
  }
  list(shapes = shapes, compile = compile)
}

# Where `gain` (what the second choice saves over the first, by size) turns positive for good: the size,
# interpolated on a log scale, after which it stays positive. NA, with `side`, when that is outside the
# sizes measured.
tune_crossing <- function(size, gain) {
  o <- order(size)
  size <- size[o]
  gain <- gain[o]
  pos <- gain > 0
  if (all(pos)) return(list(at = NA_real_, side = "below"))
  k <- max(which(!pos))
  if (k == length(pos)) return(list(at = NA_real_, side = "above"))
  l <- log(size[k:(k + 1L)])
  g <- gain[k:(k + 1L)]
  list(at = exp(l[1] - g[1] * (l[2] - l[1]) / (g[2] - g[1])), side = "inside")
}

# Intercept and slope of time against work, fitted to relative errors (weights 1 / t^2), so that the
# small passes near a threshold count as much as the big ones.
tune_line <- function(work, seconds) {
  stats::lm.wfit(cbind(1, work), seconds, 1 / seconds^2)$coefficients
}

tune_jit <- function(plan, say) {
  lazy_options(defer_min_len = 0, jit_min_work = 0)
  probe <- lazy(stats::runif(4096L, -1, 1))
  rows <- list()
  fits <- list()
  for (nodes in plan$ops) {
    label <- sprintf("%d ops", nodes)
    say("interpreter vs JIT, kernels of %s: compiling %d new shapes", label, plan$compiles)
    fresh <- tune_fresh_shapes(nodes, plan$compiles, probe)
    f <- fresh$shapes[[1]]
    probe_work <- tune_kernel(f, probe)$work
    rows[[length(rows) + 1L]] <- tune_row("jit_min_work", "compile", label, length(probe), probe_work,
                                          NA, fresh$compile, 1L)
    per_element <- probe_work / length(probe)
    lens <- unique(pmin(plan$max_len, pmax(64, round(plan$work / per_element))))
    say("interpreter vs JIT, kernels of %s: %d sizes", label, length(lens))
    measured <- list()
    for (n in lens) {
      x <- lazy(stats::runif(n, -1, 1))
      lazy_options(jit_min_work = 0)
      work <- tune_kernel(f, x)$work
      t <- tune_race(list(
        interp = list(setup = function() lazy_options(jit_min_work = Inf), run = function() f(x)),
        jit = list(setup = function() lazy_options(jit_min_work = 0), run = function() f(x))
      ), plan$reps, plan$batch)
      measured[[length(measured) + 1L]] <- c(work = work, interp = t[["interp"]], jit = t[["jit"]])
      rows[[length(rows) + 1L]] <- tune_row("jit_min_work", c("interp", "jit"), label, n, work, NA,
                                            c(t[["interp"]], t[["jit"]]), plan$reps)
    }
    m <- do.call(rbind, measured)
    compile <- stats::median(fresh$compile)
    fits[[length(fits) + 1L]] <- tune_jit_fit(label, m[, "work"], m[, "interp"], m[, "jit"], compile)
  }
  fits <- do.call(rbind, fits)
  crossing <- stats::median(fits$crossing)
  recommended <- if (is.finite(crossing)) signif(crossing, 2) else Inf
  basis <- sprintf(paste0("JIT (compile + run) beats the interpreter from %s element-ops ",
                          "(median of %d kernel sizes; interpreter %.2g ns/op, JIT %.2g ns/op, ",
                          "compile %.2g ms)"),
                   format(recommended, digits = 2), nrow(fits), stats::median(fits$interp_per_op) * 1e9,
                   stats::median(fits$jit_per_op) * 1e9, stats::median(fits$compile) * 1e3)
  list(rows = do.call(rbind, rows), fits = fits, recommended = recommended, basis = basis)
}

# The crossing of one kernel size: read off the measured curves when they cross inside the works
# measured, else extrapolated from straight lines fitted to them (Inf when the JIT never catches up).
tune_jit_fit <- function(label, work, interp, jit, compile) {
  li <- tune_line(work, interp)
  lj <- tune_line(work, jit)
  cross <- tune_crossing(work, interp - (jit + compile))
  at <- cross$at
  if (cross$side != "inside") {
    slower <- li[2] - lj[2]
    at <- if (slower <= 0) Inf else max(0, (compile + lj[1] - li[1]) / slower)
    at <- if (cross$side == "below") min(at, min(work)) else max(at, max(work))
  }
  data.frame(kernel = label, interp_per_op = unname(li[2]), jit_per_op = unname(lj[2]),
             compile = compile, crossing = at, read = if (cross$side == "inside") "measured" else "fitted",
             stringsAsFactors = FALSE)
}

# An elementwise expression and three reducers, the kind of code that meets defer_min_len.
tune_defer_workload <- function(x) {
  y <- abs(x - 0.5) * 2 + sqrt(abs(x))
  c(max(y), min(y), sum(y))
}

tune_defer <- function(plan, say) {
  say("eager vs deferred: %d lengths", length(plan$lengths))
  f <- tune_defer_workload
  keep <- lazy_options()$defer_min_len
  rows <- list()
  m <- matrix(NA_real_, length(plan$lengths), 3L, dimnames = list(NULL, c("eager", "at_once", "deferred")))
  for (i in seq_along(plan$lengths)) {
    n <- plan$lengths[i]
    xx <- stats::runif(n)
    t <- tune_race(list(
      eager = list(setup = function() NULL, run = function() f(xx)),
      at_once = list(setup = function() lazy_options(defer_min_len = Inf), run = function() f(lazy(xx))),
      deferred = list(setup = function() lazy_options(defer_min_len = 0), run = function() f(lazy(xx)))
    ), plan$reps, plan$batch)
    m[i, ] <- t[colnames(m)]
    rows[[i]] <- tune_row("defer_min_len", colnames(m), "elementwise + max, min, sum", n, NA, NA,
                          m[i, ], plan$reps)
  }
  lazy_options(defer_min_len = keep)
  cross <- tune_crossing(plan$lengths, m[, "at_once"] - m[, "deferred"])
  at <- switch(cross$side, inside = cross$at, below = min(plan$lengths), above = max(plan$lengths))
  recommended <- 2^round(log2(at))
  basis <- switch(cross$side,
    inside = sprintf("deferring beats computing at once from length %.0f (rounded to a power of 2)",
                     cross$at),
    below = sprintf("deferring beats computing at once at every length measured (from %g)", at),
    above = sprintf("computing at once beats deferring at every length measured (up to %g)", at))
  list(rows = do.call(rbind, rows), recommended = recommended, basis = basis)
}

# The large fused pass the thread runs time: a fresh 8-operation kernel over `pass_len` values, on the
# backend the jit_min_work in force picks for it.
tune_pass_setup <- function(plan) {
  x <- lazy(stats::runif(plan$pass_len, -1, 1))
  f <- tune_shape(8L)
  f(x)
  k <- tune_kernel(f, x)
  list(f = f, x = x, work = k$work, backend = k$backend, label = "8 ops")
}

# Among `settings` whose time is within `tolerance` of the fastest, the one nearest (on a log scale) to
# `current`: a setting moves only as far as the measurements say it matters, not with their noise.
tune_pick <- function(settings, seconds, current, tolerance) {
  ok <- seconds <= (1 + tolerance) * min(seconds)
  settings[ok][which.min(abs(log(settings[ok]) - log(current)))]
}

# The pass the tile runs time: the row means and the mean of the distances between the rows of `p`, which
# forcing the row means computes in one symmetric pass. Each call builds its reducers afresh, so nothing is
# read from a memo cell. Every column of the grid visits the rows above its diagonal, so the rows' points
# and row sums are what a tile keeps in cache while a fold unit's columns pass over it.
tune_tiled_pass <- function(p) {
  d <- as.matrix(dist(p))
  m <- rowMeans(d)
  mm <- mean(d)
  m <- materialize(m)
  c(materialize(mm), m[[1L]])
}

tune_tiles <- function(plan, current, say) {
  n <- plan$tile_points
  tiles <- sort(unique(c(plan$tiles, current)))
  say("rows per tile: %d sizes on a symmetric pass over the distances of %d points", length(tiles), n)
  p <- lazy(matrix(stats::runif(2 * n), n))
  k <- tune_kernel(tune_tiled_pass, p)
  variants <- lapply(tiles, function(rows) {
    list(setup = function() lazy_options(chunk_rows = rows), run = function() tune_tiled_pass(p))
  })
  t <- tune_race(variants, plan$tile_reps, plan$batch)
  recommended <- tune_pick(tiles, t, current, 0.1)
  basis <- sprintf(paste0("rows per tile nearest the current value among those within 10%% of the fastest ",
                          "(%.3g ms per pass over the %.3g distances of %d points, %s)"),
                   min(t) * 1e3, k$elements, n, k$backend)
  rows <- tune_row("chunk_rows", k$backend, sprintf("rowMeans + mean of dist, %d points", n), k$elements,
                   k$work, tiles, unname(t), plan$tile_reps)
  list(rows = rows, recommended = recommended, basis = basis)
}

tune_threads <- function(plan, pass, current, say) {
  cores <- tune_cores()
  counts <- if (cores <= 8L) seq_len(cores) else unique(c(2^(0:floor(log2(cores))), cores))
  say("threads: %s on a %.2g-element pass", paste(counts, collapse = ", "), plan$pass_len)
  variants <- lapply(counts, function(n) {
    # A new thread count builds a new pool: one untimed pass warms it.
    list(setup = function() {
      lazy_options(threads = n)
      pass$f(pass$x)
    }, run = function() pass$f(pass$x))
  })
  t <- tune_race(variants, plan$reps, plan$batch)
  pick <- tune_pick(counts, t, if (current == 0) cores else current, 0.05)
  recommended <- if (pick == cores) 0 else pick
  basis <- sprintf(paste0("%d thread%s: nearest the current count among those within 5%% of the fastest ",
                          "(%.3g ms per pass; 1 thread: %.3g ms)%s"), pick, if (pick == 1L) "" else "s",
                   min(t) * 1e3, t[[1]] * 1e3, if (recommended == 0) "; 0 means all cores" else "")
  rows <- tune_row("threads", pass$backend, pass$label, plan$pass_len, pass$work, counts, unname(t),
                   plan$reps)
  list(rows = rows, recommended = recommended, basis = basis)
}

#' @export
print.lazy_tune <- function(x, ...) {
  rec <- attr(x, "recommended")
  cur <- attr(x, "current")
  basis <- attr(x, "basis")
  cat(sprintf("lazy_tune: %d measurements in %.1f s (%s run, %d cores)\n", nrow(x), attr(x, "elapsed"),
              if (isTRUE(attr(x, "quick"))) "quick" else "full", attr(x, "cores")))
  show <- function(v) if (is.null(v)) "-" else format(v, digits = 3)
  tab <- data.frame(setting = names(cur), current = vapply(cur, show, ""),
                    recommended = vapply(names(cur), function(n) show(rec[[n]]), ""),
                    stringsAsFactors = FALSE)
  tab$changed <- ifelse(tab$recommended == "-", "",
                        ifelse(tab$current == tab$recommended, "same", "differs"))
  print(tab, row.names = FALSE)
  for (n in names(basis)) cat(sprintf("  %s: %s\n", n, basis[[n]]))
  load <- attr(x, "load")
  if (!is.null(load) && !is.na(load) && load > attr(x, "cores") / 2) {
    cat(sprintf(paste0("Note: the load average was %.1f on %d cores when tuning started; other work ",
                       "competed for them.\n"), load, attr(x, "cores")))
  }
  if (length(rec)) {
    cat("Set them with lazy_tune(apply = TRUE) or do.call(lazy_options, attr(x, \"recommended\")).\n")
  }
  invisible(x)
}

#' @export
plot.lazy_tune <- function(x, ...) {
  sections <- intersect(c("jit_min_work", "defer_min_len", "chunk_rows", "threads"), unique(x$what))
  if (!length(sections)) abort("`x` holds no measurements to plot")
  rec <- attr(x, "recommended")
  cur <- attr(x, "current")
  layout <- if (length(sections) == 1L) c(1L, 1L) else if (length(sections) == 2L) c(1L, 2L) else c(2L, 2L)
  old <- graphics::par(mfrow = layout, mar = c(4, 4.2, 2.5, 1), oma = c(0, 0, 2, 0))
  on.exit(graphics::par(old), add = TRUE)
  for (s in sections) {
    d <- x[x$what == s, , drop = FALSE]
    switch(s,
      jit_min_work = tune_plot_jit(d, attr(x, "jit_fits")),
      defer_min_len = tune_plot_defer(d),
      chunk_rows = tune_plot_setting(d, "chunk_rows (rows per tile)", log = "xy"),
      threads = tune_plot_setting(d, "threads", log = "y"))
    tune_mark(rec[[s]], cur[[s]], s, attr(x, "cores"))
  }
  graphics::mtext(sprintf("lazy_tune (%s run, %d cores): solid = recommended, dotted = current",
                          if (isTRUE(attr(x, "quick"))) "quick" else "full", attr(x, "cores")),
                  outer = TRUE, cex = 0.95, font = 2)
  invisible(x)
}

tune_colors <- c(interp = "firebrick", jit = "steelblue", compiled = "navy", eager = "grey40",
                 at_once = "darkorange", deferred = "steelblue", mark = "darkgreen")

# Vertical lines at the recommended (solid) and current (dotted) values; threads = 0 is all cores.
tune_mark <- function(recommended, current, what, cores) {
  at <- function(v) if (what == "threads" && identical(as.numeric(v), 0)) cores else v
  if (!is.null(current) && is.finite(at(current))) {
    graphics::abline(v = at(current), lty = 3, lwd = 2, col = "grey30")
  }
  if (!is.null(recommended) && is.finite(at(recommended))) {
    graphics::abline(v = at(recommended), lty = 1, lwd = 2, col = tune_colors[["mark"]])
  }
}

# Nanoseconds per element-op against work: the interpreter, the JIT running a cached kernel, and the
# JIT with one compile added (what a first run of a new shape costs).
tune_plot_jit <- function(d, fits) {
  runs <- d[d$variant %in% c("interp", "jit"), , drop = FALSE]
  compile <- stats::setNames(fits$compile, fits$kernel)
  kernels <- unique(runs$kernel)
  per_op <- function(v, k, with_compile = FALSE) {
    r <- runs[runs$variant == v & runs$kernel == k, , drop = FALSE]
    r <- r[order(r$work), , drop = FALSE]
    list(x = r$work, y = 1e9 * (r$seconds + if (with_compile) compile[[k]] else 0) / r$work)
  }
  curves <- unlist(lapply(kernels, function(k) {
    list(per_op("interp", k), per_op("jit", k), per_op("jit", k, TRUE))
  }), recursive = FALSE)
  ys <- unlist(lapply(curves, `[[`, "y"))
  graphics::plot(range(runs$work), range(ys[ys > 0]), type = "n", log = "xy",
                 xlab = "work (element-ops, as lazy_explain() estimates it)", ylab = "ns per element-op",
                 main = "jit_min_work: interpreter vs JIT")
  for (i in seq_along(kernels)) {
    k <- kernels[i]
    c3 <- curves[(3L * i - 2L):(3L * i)]
    graphics::lines(c3[[1]], type = "b", pch = i, col = tune_colors[["interp"]])
    graphics::lines(c3[[2]], type = "b", pch = i, lty = 2, col = tune_colors[["jit"]])
    graphics::lines(c3[[3]], type = "b", pch = i, col = tune_colors[["compiled"]])
  }
  graphics::legend("topright", bty = "n", cex = 0.7,
                   legend = c("interpreter", "JIT, cached kernel", "JIT + compile", kernels),
                   col = c(tune_colors[c("interp", "jit", "compiled")], rep("black", length(kernels))),
                   lty = c(1, 2, 1, rep(NA, length(kernels))), pch = c(NA, NA, NA, seq_along(kernels)))
}

# Nanoseconds per element against vector length: plain R, each operation at once, one deferred pass.
tune_plot_defer <- function(d) {
  variants <- c("eager", "at_once", "deferred")
  ys <- 1e9 * d$seconds / d$length
  graphics::plot(range(d$length), range(ys), type = "n", log = "xy", xlab = "vector length",
                 ylab = "ns per element", main = "defer_min_len: at once vs deferred")
  for (v in variants) {
    r <- d[d$variant == v, , drop = FALSE]
    r <- r[order(r$length), , drop = FALSE]
    graphics::lines(r$length, 1e9 * r$seconds / r$length, type = "b", pch = 20,
                    col = tune_colors[[v]], lty = if (v == "eager") 2 else 1)
  }
  graphics::legend("topright", bty = "n", cex = 0.75, col = tune_colors[variants], lty = c(2, 1, 1),
                   pch = 20, legend = c("plain R (eager)", "lazy, computed at once", "lazy, deferred"))
}

# Milliseconds per pass against a setting (chunk_rows or threads).
tune_plot_setting <- function(d, xlab, log) {
  d <- d[order(d$setting), , drop = FALSE]
  threads <- d$what[1] == "threads"
  graphics::plot(d$setting, 1e3 * d$seconds, type = "b", pch = 19, log = log, xlab = xlab,
                 ylab = "ms per pass", col = tune_colors[["jit"]], xaxt = if (threads) "n" else "s",
                 main = sprintf("%s: %.2g-element pass (%s, %s)", d$what[1], d$length[1], d$kernel[1],
                                d$variant[1]))
  if (threads) graphics::axis(1, at = d$setting)
}
