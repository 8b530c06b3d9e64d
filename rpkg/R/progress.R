# Progress of long passes, drawn for the runtime (altrep/src/progress.rs calls these on R's main thread,
# after a pass has run 2 s, when lazy_options(progress = TRUE)). In a terminal one line is updated in
# place; elsewhere (log files, knitr, R CMD BATCH) a line is written at every tenth of the pass or every
# 10 s, each on its own line.

progress_state <- new.env(parent = emptyenv())

progress_dynamic <- function() {
  if (requireNamespace("cli", quietly = TRUE)) return(cli::is_dynamic_tty(stderr()))
  isatty(stderr()) && !identical(Sys.getenv("TERM"), "dumb")
}

progress_text <- function(fraction, secs) {
  left <- if (fraction > 0.01) sprintf(" | about %s left", format_secs(secs * (1 - fraction) / fraction))
          else ""
  sprintf("[lazyshare] pass %3.0f%% | %s%s", 100 * fraction, format_secs(secs), left)
}

format_secs <- function(s) {
  if (s < 60) sprintf("%.0f s", s) else sprintf("%d min %02.0f s", as.integer(s %/% 60), s %% 60)
}

progress_show <- function(fraction, secs) {
  if (is.null(progress_state$dynamic)) {
    progress_state$dynamic <- progress_dynamic()
    progress_state$step <- -1
    progress_state$at <- -Inf
  }
  if (progress_state$dynamic) {
    width <- 20L
    full <- min(width, as.integer(fraction * width))
    bar <- paste0(strrep("=", full), strrep(" ", width - full))
    cat(sprintf("\r%s [%s]  ", progress_text(fraction, secs), bar), file = stderr())
  } else {
    step <- floor(10 * fraction)
    if (step > progress_state$step || secs - progress_state$at >= 10) {
      progress_state$step <- step
      progress_state$at <- secs
      cat(progress_text(fraction, secs), "\n", sep = "", file = stderr())
    }
  }
  invisible()
}

progress_done <- function() {
  if (isTRUE(progress_state$dynamic)) cat("\n", file = stderr())
  rm(list = ls(progress_state), envir = progress_state)
  invisible()
}
