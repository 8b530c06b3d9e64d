# The R-level fuzzer: random valid and invalid calls of the whole API (pages, lazy values, statistics,
# memApply) in a child Rscript, so that a crash or a hang is a failure here with the call that made it.
# Asserts: the child ends normally; every error is an R condition with a message that is not a Rust panic or
# an internal error; no warning of internal origin; no segment of the fuzzer's namespaces left behind.
# LZS_FUZZ_SEED reproduces a run (the seed is printed); LZS_FUZZ_CALLS sets the number of calls (10,000).
script <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
here <- dirname(script)
args <- commandArgs(TRUE)

if (length(args) && args[1] == "--child") {
  suppressPackageStartupMessages(library(lazyshare))
  source(file.path(here, "fuzz", "generators.R"))
  seed <- as.integer(args[2])
  n_calls <- as.integer(args[3])
  log_path <- args[4]
  set.seed(seed)
  log <- file(log_path, "w")
  writeLines(paste("namespace", fz$ns), log)
  bad <- character()
  errors <- list()
  warns <- list()
  foreign <- list()   # errors R raised, and rare ones of ours, by call and message (LZS_FUZZ_SHOW=1)
  # Messages no error or warning of ours may have: they would mean a bug reached the user.
  internal <- "panic|RUST_BACKTRACE|internal error|lazyshare bug|unwrap\\(|unreachable|assertion failed"
  current <- ""
  note_bad <- function(i, what) bad <<- c(bad, sprintf("call %d: %s\n      in %s", i, what, current))
  classify <- function(e, i) {
    msg <- conditionMessage(e)
    cls <- class(e)[1]
    errors[[cls]] <<- (errors[[cls]] %||% 0L) + 1L
    if (!inherits(e, "lazyshare_error") ||
        inherits(e, c("lazyshare_worker_failed", "lazyshare_system", "lazyshare_corrupt_page"))) {
      key <- paste0(sub("^[0-9]+ ", "", sub("\\(.*", "", current)), ": ", substr(msg[1], 1, 90))
      foreign[[key]] <<- (foreign[[key]] %||% 0L) + 1L
    }
    if (!is.character(msg) || length(msg) != 1L || is.na(msg) || !nzchar(trimws(msg))) {
      note_bad(i, sprintf("an error of class %s whose message is not one non-empty string: %s", cls,
                          paste(deparse(msg), collapse = " ")))
    } else if (inherits(e, "lazyshare_internal") || grepl(internal, msg, ignore.case = TRUE)) {
      note_bad(i, sprintf("internal error (%s): %s", cls, msg))
    }
  }
  defaults <- lazy_options()
  started <- proc.time()[["elapsed"]]
  made <- 0L
  i <- 0L
  while (made < n_calls) {
    i <- i + 1L
    entry <- calls[[sample.int(length(calls), 1L, prob = call_weights)]]
    # Building arguments runs the API too (lazy values, under the options a call set): its errors are
    # checked like the calls' own, and the draw is skipped.
    current <- "<building arguments>"
    cl <- tryCatch(entry$f(), error = function(e) { classify(e, made + 1L); NULL })
    if (is.null(cl)) next
    made <- made + 1L
    if (length(cl$args) > 1L && chance(0.03)) cl$args <- cl$args[-sample(2:length(cl$args), 1L)]
    labels <- vapply(cl$args, function(a) a$label, "")
    shown <- if (is.null(names(labels))) labels else
      ifelse(nzchar(names(labels)), paste(names(labels), "=", labels), labels)
    current <- sprintf("%d %s(%s)", made, cl$name, paste(substr(shown, 1, 120), collapse = ", "))
    writeLines(current, log)
    flush(log)
    values <- lapply(cl$args, function(a) a$value)
    result <- withCallingHandlers(tryCatch({
      r <- do.call(cl$fn, values, quote = TRUE)
      # Lazy results are forced now and then, so that computing them is fuzzed too.
      if (is_lazy(r) && chance(0.5)) invisible(if (chance(0.5)) materialize(r) else sum(r))
      if (!is.null(cl$after)) cl$after(r)
      NULL
    }, error = function(e) e), warning = function(w) {
      msg <- conditionMessage(w)
      warns[[class(w)[1]]] <<- (warns[[class(w)[1]]] %||% 0L) + 1L
      if (grepl(internal, msg, ignore.case = TRUE)) note_bad(made, paste("internal warning:", msg))
      invokeRestart("muffleWarning")
    }, message = function(m) invokeRestart("muffleMessage"))
    if (inherits(result, "error")) classify(result, made)
    # The options a call changed stay for a while, then go back (max_materialize = 100 blocks every force).
    if (made %% 200L == 0L) do.call(lazy_options, unclass(defaults))
    # Releases made by the calls are followed: fz$pages is this process's pages of its namespace.
    fz$pages <- sub(paste0("^", fz$ns, "\\."), "", grep(paste0("^", fz$ns, "\\."), pageList(), value = TRUE))
  }
  elapsed <- proc.time()[["elapsed"]] - started
  writeLines("done", log)
  close(log)
  if (!is.null(fz$cluster)) parallel::stopCluster(fz$cluster)

  # Leaks: the segments of the fuzzer's namespaces are exactly the pages this process still owns; once
  # those are released and every view and lazy value dropped, none is left.
  ours <- function() {
    f <- list.files("/dev/shm", pattern = "^lzs\\.")
    f[grepl(sprintf("^lzs\\.[0-9]+\\.(%s|lzs_apply_%d_[0-9]+)\\.", fz$ns, Sys.getpid()), f)]
  }
  owned <- grep(paste0("^(", fz$ns, "|lzs_apply_", Sys.getpid(), "_)"), pageList(), value = TRUE)
  on_disk <- ours()
  if (length(on_disk) != length(owned)) {
    note_bad(n_calls, sprintf("%d segments of the fuzzer's namespaces on /dev/shm, %d pages owned",
                              length(on_disk), length(owned)))
  }
  memshare_gc(fz$ns)
  fz$views <- list(); fz$lazies <- list()
  invisible(gc())
  left <- ours()
  if (length(left)) note_bad(n_calls, paste("segments left after release:", paste(left, collapse = " ")))

  cat(sprintf("  calls made: %d in %.1f s (%.0f calls/s); worker-path calls: %d\n", made, elapsed,
              made / elapsed, fz$worker_calls))
  cat(sprintf("  errors: %d; by class: %s\n", sum(unlist(errors)),
              paste(sprintf("%s %d", names(errors), unlist(errors))[order(-unlist(errors))], collapse = ", ")))
  cat(sprintf("  warnings: %d; by class: %s\n", sum(unlist(warns)),
              paste(sprintf("%s %d", names(warns), unlist(warns)), collapse = ", ")))
  cat(sprintf("  segments of the fuzzer left: %d (owned at the end: %d)\n", length(left), length(owned)))
  if (nzchar(Sys.getenv("LZS_FUZZ_SHOW"))) {
    n <- unlist(foreign)
    cat(sprintf("    %5d  %s\n", n, names(n))[order(-n)], sep = "")
  }
  if (length(bad)) {
    cat("  FINDINGS:\n", paste0("    ", utils::head(unique(bad), 30), "\n"), sep = "")
    quit(save = "no", status = 3L)
  }
  quit(save = "no", status = 0L)
}

source(file.path(here, "helpers.R"))
cat("fuzz-api\n")
seed <- suppressWarnings(as.integer(Sys.getenv("LZS_FUZZ_SEED")))
if (is.na(seed)) seed <- as.integer((as.numeric(Sys.time()) * 1000) %% 1e6)
n_calls <- suppressWarnings(as.integer(Sys.getenv("LZS_FUZZ_CALLS")))
if (is.na(n_calls)) n_calls <- 10000L
cat(sprintf("  seed %d (rerun with LZS_FUZZ_SEED=%d Rscript tests/e2e/fuzz-api.R), %d calls\n", seed, seed, n_calls))
log_path <- tempfile("fuzz-api-", fileext = ".log")
started <- Sys.time()
status <- system2(rscript, c(shQuote(script), "--child", seed, n_calls, shQuote(log_path)), timeout = 300)
took <- as.numeric(difftime(Sys.time(), started, units = "secs"))
lines <- if (file.exists(log_path)) readLines(log_path) else character()
finished <- length(lines) && lines[length(lines)] == "done"
if (!finished) {
  cat(sprintf("  the child ended with status %d; last call logged (seed %d):\n    %s\n", status, seed,
              if (length(lines)) lines[length(lines)] else "<none>"))
}
check(sprintf("the child made every call and ended normally (status %d, %.1f s)", status, took), finished)
check("no error without a message, no internal error or warning, no leaked segment", status == 0L)
ns <- sub("^namespace ", "", grep("^namespace ", lines, value = TRUE))
leftover <- if (length(ns)) list.files("/dev/shm", pattern = sprintf("^lzs\\.[0-9]+\\.%s\\.", ns)) else character()
check(sprintf("no segment of the fuzzer's namespaces after the child exits (%d)", length(leftover)),
      length(leftover) == 0L)
unlink(log_path)
finish()
