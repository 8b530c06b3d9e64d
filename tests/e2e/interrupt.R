# Ctrl-C during a long dcor: SIGINT to an Rscript running a streaming dcor of ~30 s is R's `interrupt`
# condition within a second (an `error` handler around the call does not see it), and the next dcor in
# the same session is right.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
cat("interrupt\n")

dir <- work_dir("lzs-int")
child <- child_script(dir, "child.R", c(
  sprintf("dir <- %s", deparse(dir)),
  "set.seed(1)",
  # Bivariate samples take the streaming two-pass path: about 30 s at this n on two cores.
  "n <- 150000; x <- matrix(rnorm(2 * n), n); y <- matrix(rnorm(2 * n), n)",
  "stopped <- function(how) writeLines(c(how, format(as.numeric(Sys.time()), digits = 15)), file.path(dir, 'stopped'))",
  "writeLines(as.character(Sys.getpid()), file.path(dir, 'pid'))",
  "r <- tryCatch(",
  "  tryCatch({ dcor(x, y); 'finished' }, error = function(e) { stopped('error'); 'error' }),",
  "  interrupt = function(i) { stopped('interrupt'); 'interrupt' })",
  "xs <- matrix(rnorm(600), 300); ys <- xs^2 + matrix(rnorm(600), 300)",
  "ok <- isTRUE(all.equal(dcor(xs, ys), energy::dcor(xs, ys), tolerance = 1e-12))",
  "writeLines(c(r, as.character(ok)), file.path(dir, 'result'))"
))
system2(rscript, child, wait = FALSE, stdout = file.path(dir, "out"), stderr = file.path(dir, "err"))

check("the child started its dcor", wait_for(function() file.exists(file.path(dir, "pid")), 60))
pid <- as.integer(readLines(file.path(dir, "pid")))
Sys.sleep(2)
sent <- as.numeric(Sys.time())
tools::pskill(pid, tools::SIGINT)
check("the child reports how it stopped", wait_for(function() file.exists(file.path(dir, "stopped")), 10))
stopped <- readLines(file.path(dir, "stopped"))
check(sprintf("the interrupt handler ran, not the error handler (%s)", stopped[1]), stopped[1] == "interrupt")
latency <- as.numeric(stopped[2]) - sent
check(sprintf("within 1 s of SIGINT (%.3f s)", latency), latency < 1)
check("the child finished", wait_for(function() file.exists(file.path(dir, "result")), 60))
result <- readLines(file.path(dir, "result"))
check("the interrupted call returned through its handler", result[1] == "interrupt")
check("the next dcor in that session equals energy's", result[2] == "TRUE")
unlink(dir, recursive = TRUE)
finish()
