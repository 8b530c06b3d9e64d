# Pages die with their owner: at normal exit, at package unload, and not before in forked children.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
ns <- paste0("e2eexit", Sys.getpid())
cat("exit-unload\n")

run <- function(code) system2(rscript, c("-e", shQuote(paste(code, collapse = "; "))), stdout = TRUE, stderr = TRUE)

out <- run(c("suppressPackageStartupMessages(library(lazyshare))",
             sprintf("registerVariables('%s', list(a = 1:3, b = matrix(0, 2, 2)))", ns),
             sprintf("cat(length(list.files('/dev/shm', '^lzs.*%s')))", ns)))
check(sprintf("a session saw its 2 pages (%s)", paste(out, collapse = " ")), identical(tail(out, 1), "2"))
check("normal exit released them", length(shm_files(ns)) == 0)

out <- run(c("suppressPackageStartupMessages(library(lazyshare))",
             sprintf("registerVariables('%s', list(a = 1:3))", ns),
             sprintf("v <- retrieveViews('%s', 'a')$a", ns),
             "detach('package:lazyshare', unload = TRUE)",
             sprintf("cat(length(list.files('/dev/shm', '^lzs.*%s')), sum(v))", ns)))
check(sprintf("unload released the page and kept the view readable (%s)", paste(out, collapse = " ")),
      identical(tail(out, 1), "0 6"))

# Parallel copies in the parent, then forked children (mclapply) use the thread pool and the pages.
registerVariables(ns, list(big = rnorm(4e6)))
v <- retrieveViews(ns, "big")$big
kids <- parallel::mclapply(1:2, function(i) {
  registerVariables(ns, setNames(list(rnorm(2e6)), paste0("kid", i)))
  s <- sum(v)
  releaseVariables(ns, paste0("kid", i))
  s
}, mc.cores = 2)
check("forked children register (parallel copy) and read views without hanging",
      all(vapply(kids, function(s) isTRUE(all.equal(s, sum(v))), logical(1))))
check("the parent's page outlives its forked children", identical(pageList()[startsWith(pageList(), ns)],
                                                                  paste0(ns, ".big")))
memshare_gc(ns)
check("nothing left", length(shm_files(ns)) == 0)
finish()
