# Where the thresholds come from. The runtime holds the values (lazy_options()); this file holds their
# sources and sets the values a session starts with: `options(lazyshare.<name>)` when the package loads
# (in .Rprofile, or on a worker before it attaches the package), else R's conventions.

settings <- new.env(parent = emptyenv())

option_names <- c("threads", "defer_min_len", "jit_min_work", "max_depth", "chunk_rows",
                  "max_materialize", "progress", "exact_sums")

options_in_force <- function() {
  structure(.Call(lzs_options, NULL), source = settings$source, class = "lazy_options")
}

# The thread count R's conventions give, and why: mc.cores (parallel's option), else RAYON_NUM_THREADS,
# else every core (0); at most OMP_THREAD_LIMIT, and at most 2 under R CMD check.
conventional_threads <- function() {
  whole <- function(v) {
    n <- suppressWarnings(as.numeric(v))
    if (length(n) == 1L && !is.na(n) && n >= 1 && n == round(n)) n else NA
  }
  n <- 0
  why <- "default (every core)"
  mc <- whole(getOption("mc.cores"))
  rayon <- whole(Sys.getenv("RAYON_NUM_THREADS"))
  if (!is.na(mc)) {
    n <- mc
    why <- "option mc.cores"
  } else if (!is.na(rayon)) {
    n <- rayon
    why <- "environment RAYON_NUM_THREADS"
  }
  cap <- function(limit, what) {
    if (!is.na(limit) && (n == 0 || n > limit)) {
      n <<- limit
      why <<- paste0(why, ", at most ", what)
    }
  }
  cap(whole(Sys.getenv("OMP_THREAD_LIMIT")), "OMP_THREAD_LIMIT")
  if (nzchar(Sys.getenv("_R_CHECK_PACKAGE_NAME_")) || nzchar(Sys.getenv("_R_CHECK_LIMIT_CORES_"))) {
    cap(2, "2 under R CMD check")
  }
  list(value = n, source = why)
}

# Called when the package loads.
load_options <- function() {
  settings$source <- stats::setNames(rep("default", length(option_names)), option_names)
  threads <- conventional_threads()
  .Call(lzs_options, list(threads = threads$value, progress = interactive()))
  settings$source[["threads"]] <- threads$source
  settings$source[["progress"]] <- if (interactive()) "default (interactive session)" else
    "default (not interactive)"
  for (name in option_names) {
    opt <- paste0("lazyshare.", name)
    value <- getOption(opt)
    if (is.null(value)) next
    ok <- tryCatch({
      .Call(lzs_options, stats::setNames(list(value), name))
      TRUE
    }, lazyshare_error = function(e) {
      warning(structure(class = c("lazyshare_warning", "warning", "condition"), list(
        message = sprintf("option %s ignored: %s", opt, conditionMessage(e)), call = NULL)))
      FALSE
    })
    if (ok) settings$source[[name]] <- paste("option", opt)
  }
}
