# A master killed with SIGKILL cannot release its pages; the next package load (or lazyshare_sweep()) does.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
ns <- paste0("e2ekill", Sys.getpid())
cat("sigkill-sweep\n")

pidfile <- tempfile()
script <- tempfile(fileext = ".R")
writeLines(c("suppressPackageStartupMessages(library(lazyshare))",
             sprintf("registerVariables('%s', list(X = matrix(runif(1e5), 100), v = 1:10))", ns),
             sprintf("writeLines(as.character(Sys.getpid()), '%s')", pidfile),
             "Sys.sleep(120)"), script)
system2(rscript, script, wait = FALSE, stdout = FALSE, stderr = FALSE)
check("the master registered its pages", wait_for(function() file.exists(pidfile) && length(shm_files(ns)) == 2))
pid <- as.integer(readLines(pidfile))
tools::pskill(pid, tools::SIGKILL)
check("the master is gone", wait_for(function() !file.exists(sprintf("/proc/%d", pid)) ||
                                       grepl("^Z", sub(".*\\) ", "", readLines(sprintf("/proc/%d/stat", pid))))))
check("its pages are left behind", length(shm_files(ns)) == 2)
check_error("its name cannot be released by others", releaseVariables(ns, "X"), "owned by pid")
out <- system2(rscript, c("-e", shQuote("suppressPackageStartupMessages(library(lazyshare)); cat('loaded')")),
               stdout = TRUE, stderr = TRUE)
check("a fresh session loading the package removed them", length(shm_files(ns)) == 0)

# The same through lazyshare_sweep() in a running session, and re-use of a dead owner's name.
system2(rscript, script, wait = FALSE, stdout = FALSE, stderr = FALSE)
unlink(pidfile)
check("a second master registered", wait_for(function() file.exists(pidfile) && length(shm_files(ns)) == 2))
pid <- as.integer(readLines(pidfile))
tools::pskill(pid, tools::SIGKILL)
Sys.sleep(0.2)
registerVariables(ns, list(v = c(7, 8)))
check("a dead owner's name can be registered again", identical(retrieveViews(ns, "v")$v, c(7, 8)))
removed <- lazyshare_sweep()
check(sprintf("lazyshare_sweep() removed the rest (%s)", paste(removed, collapse = ", ")),
      paste0(ns, ".X") %in% removed && length(shm_files(ns)) == 1)
memshare_gc(ns)
check("nothing left", length(shm_files(ns)) == 0)
unlink(c(script, pidfile))
finish()
