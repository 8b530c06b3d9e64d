# The master SIGKILLed while its PSOCK workers hold views of its page: the workers' mappings outlive the
# owner (and the unlink of its page by the next sweep), they finish with the right results, and a new
# process removes the dead master's segments.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
ns <- paste0("e2emaster", Sys.getpid())
cat("master-dies-workers-finish\n")

n <- 2000L
p <- 120L
# X[i, j] = i + 1000 j, so column j sums to n (n + 1) / 2 + 1000 j n: each worker's answer is known.
expected <- n * (n + 1) / 2 + 1000 * seq_len(p) * n
dir <- work_dir("h13b_master")
master <- child_script(dir, "master.R", c(
  "library(parallel)",
  sprintf("ns <- '%s'; dir <- '%s'; n <- %dL; p <- %dL", ns, dir, n, p),
  "registerVariables(ns, list(X = outer(seq_len(n), 1000 * seq_len(p), `+`), tag = c(2, 7)))",
  "cl <- makeCluster(2)",
  "writeLines(as.character(c(Sys.getpid(), unlist(clusterCall(cl, Sys.getpid)))), file.path(dir, 'pids'))",
  "clusterApply(cl, 1:2, function(w, ns, dir, p) {",
  "  suppressPackageStartupMessages(library(lazyshare))",
  "  X <- retrieveViews(ns, 'X')$X",
  "  tag <- retrieveViews(ns, 'tag')$tag",
  "  writeLines('holding views', file.path(dir, paste0('started', w)))",
  "  cols <- seq.int(w, p, by = 2L)",
  "  sums <- vapply(cols, function(j) { Sys.sleep(0.04); sum(X[, j]) }, 0)",
  "  saveRDS(list(cols = cols, sums = sums, tag = tag[]), file.path(dir, paste0('tmp', w)))",
  "  file.rename(file.path(dir, paste0('tmp', w)), file.path(dir, paste0('result', w, '.rds')))",
  "}, ns, dir, p)"))
system2(rscript, master, wait = FALSE, stdout = FALSE, stderr = FALSE)
started <- file.path(dir, paste0("started", 1:2))
check("the master registered and both workers hold views",
      wait_for(function() all(file.exists(started)) && length(shm_files(ns)) == 2, 60))
pids <- as.integer(readLines(file.path(dir, "pids")))
gone <- function(pid) !file.exists(sprintf("/proc/%d", pid)) ||
  grepl("^Z", sub(".*\\) ", "", readLines(sprintf("/proc/%d/stat", pid))))
tools::pskill(pids[1], tools::SIGKILL)
killed <- Sys.time()
check("the master is dead", wait_for(function() gone(pids[1]), 5))
check("the workers are still working", !any(vapply(pids[-1], gone, NA)) &&
        !any(file.exists(file.path(dir, paste0("result", 1:2, ".rds")))))
check("the dead master's pages are still in /dev/shm", length(shm_files(ns)) == 2)

# A new process: loading the package sweeps the dead owner's pages while the workers still read them.
system2(rscript, c("-e", shQuote("suppressPackageStartupMessages(library(lazyshare))")))
cat(sprintf("  pages of the dead master left after a new process loaded the package: %d (before: 2)\n",
            length(shm_files(ns))))
check("a new process's load removed the dead master's segments", length(shm_files(ns)) == 0)
check("the workers were still working when their pages were unlinked",
      !any(file.exists(file.path(dir, paste0("result", 1:2, ".rds")))))

results <- file.path(dir, paste0("result", 1:2, ".rds"))
check("both workers finished", wait_for(function() all(file.exists(results)), 60))
finished <- as.numeric(Sys.time() - killed, units = "secs")
r <- lapply(results, readRDS)
cols <- unlist(lapply(r, `[[`, "cols"))
sums <- unlist(lapply(r, `[[`, "sums"))
cat(sprintf("  %d columns summed by 2 workers, finished %.1f s after the master's SIGKILL\n", length(cols), finished))
check("every column was summed once", identical(sort(cols), seq_len(p)))
check("the workers' sums equal the known answer", identical(sums[order(cols)], expected))
check("the small page read correctly too", all(vapply(r, function(x) identical(x$tag, c(2, 7)), NA)))
check("the workers exit without their master", wait_for(function() all(vapply(pids[-1], gone, NA)), 30))
check("nothing of the namespace is left", length(shm_files(ns)) == 0)
unlink(dir, recursive = TRUE)
finish()
