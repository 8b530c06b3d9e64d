# Shared by the e2e scripts: a tiny check() that counts, and readers of /proc and /dev/shm.
suppressPackageStartupMessages(library(lazyshare))

.e2e <- new.env()
.e2e$passed <- 0L
.e2e$failed <- 0L

check <- function(label, ok) {
  ok <- isTRUE(ok)
  cat(sprintf("  [%s] %s\n", if (ok) "ok" else "FAIL", label))
  if (ok) .e2e$passed <- .e2e$passed + 1L else .e2e$failed <- .e2e$failed + 1L
  invisible(ok)
}

check_error <- function(label, expr, pattern) {
  msg <- tryCatch({ force(expr); NA_character_ }, error = conditionMessage)
  ok <- !is.na(msg) && grepl(pattern, msg)
  check(sprintf("%s (error: %s)", label, if (is.na(msg)) "none" else msg), ok)
}

finish <- function() {
  cat(sprintf("  %d passed, %d failed\n", .e2e$passed, .e2e$failed))
  quit(save = "no", status = if (.e2e$failed > 0L) 1L else 0L)
}

# The script cannot run on this machine (says why): exit status 77, which run.sh counts as skipped, not
# passed.
skip_script <- function(why) {
  cat(sprintf("  [skip] %s\n", why))
  quit(save = "no", status = 77L)
}

shm_files <- function(ns) {
  f <- list.files("/dev/shm", pattern = "^lzs\\.")
  f[grepl(paste0("^lzs\\.[0-9]+\\.", ns, "\\."), f)]
}

private_bytes <- function(pid = Sys.getpid()) {
  lines <- readLines(sprintf("/proc/%d/smaps_rollup", pid))
  kb <- function(key) as.numeric(sub("^[^:]+:\\s*([0-9]+) kB$", "\\1", grep(paste0("^", key, ":"), lines, value = TRUE)))
  (kb("Private_Clean") + kb("Private_Dirty")) * 1024
}

rscript <- file.path(R.home("bin"), "Rscript")

wait_for <- function(cond, seconds = 30) {
  deadline <- Sys.time() + seconds
  while (!isTRUE(cond())) {
    if (Sys.time() > deadline) return(FALSE)
    Sys.sleep(0.05)
  }
  TRUE
}

# A directory of this script's own, for its children's scripts and results.
work_dir <- function(prefix) {
  d <- tempfile(prefix)
  dir.create(d)
  d
}

# Writes the R script `name` into `dir`: lazyshare loaded quietly, then `lines`. Returns its path. Children
# wait for files the parent creates with `await(<path>)`, which gives up after `seconds` so that a child
# whose parent failed still ends (and its pages go with it).
child_script <- function(dir, name, lines) {
  path <- file.path(dir, name)
  writeLines(c("suppressPackageStartupMessages(library(lazyshare))",
               "await <- function(f, seconds = 300) {",
               "  deadline <- Sys.time() + seconds",
               "  while (!file.exists(f)) { if (Sys.time() > deadline) quit(status = 3); Sys.sleep(0.005) }",
               "}",
               lines), path)
  path
}
