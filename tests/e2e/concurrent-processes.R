# 50 R processes started together register and retrieve distinct and overlapping names in one namespace:
# every retrieved value is what its registrant wrote, every overlapping registration but one per name is a
# classed "already exists" error, every process exits, and no segment is left.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
ns <- paste0("h13bconc", Sys.getpid())
cat("concurrent-processes\n")

procs <- 50L
shared <- 5L      # names every tenth process competes for: shared1..shared5
reads <- 10L      # distinct names of other processes each one retrieves
dir <- work_dir("h13b_conc")
worker <- child_script(dir, "worker.R", c(
  "args <- commandArgs(TRUE); id <- as.integer(args[1]); dir <- args[2]",
  sprintf("ns <- '%s'; procs <- %dL; shared <- %dL; reads <- %dL", ns, procs, shared, reads),
  "len <- 250000L + id",
  "payload <- function(owner, n) owner * 1e6 + seq_len(n)  # says who wrote it, and how long it is",
  "owner_of <- function(v) (v[1] - 1) / 1e6",
  "res <- list(registered = 0L, taken = 0L, retrieved = 0L, retried = 0L, bad = character(), errors = character())",
  "note <- function(k, what) res[[k]] <<- c(res[[k]], what)",
  "writeLines('', file.path(dir, sprintf('ready%d', id)))",
  "await(file.path(dir, 'go'))",
  "# Its own name, and one of the shared names it competes for with every tenth process; staggered, so",
  "# that others look for names still missing or being written.",
  "Sys.sleep((id %% 10L) * 0.2)",
  "registerVariables(ns, setNames(list(payload(id, len)), sprintf('d%d', id)))",
  "res$registered <- res$registered + 1L",
  "s <- sprintf('shared%d', (id - 1L) %% shared + 1L)",
  "won <- tryCatch({ registerVariables(ns, setNames(list(matrix(payload(id, 1000L), 100)), s)); TRUE },",
  "  lazyshare_name_taken = function(e) {",
  "    if (!grepl('already exists', conditionMessage(e))) note('errors', conditionMessage(e))",
  "    FALSE",
  "  }, error = function(e) { note('errors', paste(class(e)[1], conditionMessage(e))); FALSE })",
  "if (won) res$registered <- res$registered + 1L else res$taken <- res$taken + 1L",
  "# Retrieves names others may still be registering: not there yet is a classed error, retried.",
  "get <- function(name) {",
  "  for (attempt in 1:3000) {",
  "    v <- tryCatch(retrieveViews(ns, name)[[1]], lazyshare_page_not_found = function(e) NULL,",
  "                  error = function(e) { note('errors', paste(name, class(e)[1], conditionMessage(e))); NA })",
  "    if (!is.null(v)) return(v)",
  "    res$retried <<- res$retried + 1L",
  "    Sys.sleep(0.01)",
  "  }",
  "  note('errors', paste(name, 'never appeared')); NA",
  "}",
  "others <- ((id - 1L + seq_len(reads) * 3L) %% procs) + 1L",
  "for (j in others) {",
  "  v <- get(sprintf('d%d', j))",
  "  if (identical(v, NA)) next",
  "  res$retrieved <- res$retrieved + 1L",
  "  if (!identical(v[], payload(j, 250000L + j))) note('bad', sprintf('d%d', j))",
  "}",
  "owners <- integer()",
  "for (k in seq_len(shared)) {",
  "  v <- get(sprintf('shared%d', k))",
  "  if (identical(v, NA)) next",
  "  res$retrieved <- res$retrieved + 1L",
  "  o <- owner_of(v)",
  "  owners[k] <- o",
  "  if (!((o - 1) %% shared + 1 == k && identical(v[], matrix(payload(o, 1000L), 100))))",
  "    note('bad', sprintf('shared%d', k))",
  "}",
  "res$won <- if (won) s; res$owners <- owners",
  "saveRDS(res, file.path(dir, sprintf('out%d.rds', id)))",
  "# Keep the pages until every process has read them.",
  "await(file.path(dir, 'release'))",
  "releaseVariables(ns, c(sprintf('d%d', id), if (won) s))"))

for (i in seq_len(procs)) {
  system(sprintf("sh -c '%s %s %d %s > %s/log%d 2>&1; echo $? > %s/status%d' &", rscript, worker, i, dir, dir, i, dir, i))
}
# Let them all load the package, then start them together.
check("every process loaded the package", wait_for(function() all(file.exists(file.path(dir, sprintf("ready%d", seq_len(procs))))), 120))
t0 <- Sys.time()
invisible(file.create(file.path(dir, "go")))
outs <- file.path(dir, sprintf("out%d.rds", seq_len(procs)))
statuses <- file.path(dir, sprintf("status%d", seq_len(procs)))
check("every process registered and retrieved", wait_for(function() all(file.exists(outs)), 150))
invisible(file.create(file.path(dir, "release")))
done <- function(f) file.exists(f) && length(readLines(f)) == 1L
check("every process exited", wait_for(function() all(vapply(statuses, done, NA)), 60))
elapsed <- as.numeric(Sys.time() - t0, units = "secs")
st <- vapply(statuses, function(f) if (done(f)) as.integer(readLines(f)) else NA_integer_, 0L)
res <- lapply(outs, function(f) if (file.exists(f)) readRDS(f))
total <- function(k) sum(vapply(res, function(r) if (is.null(r)) 0L else as.integer(r[[k]]), 0L))
registered <- total("registered")
taken <- total("taken")
retrieved <- total("retrieved")
retried <- total("retried")
bad <- unlist(lapply(res, `[[`, "bad"))
errors <- unlist(lapply(res, `[[`, "errors"))
winners <- unlist(lapply(res, `[[`, "won"))
cat(sprintf(paste("  %d processes: %d registrations (%d distinct + %d shared names), %d 'already exists' errors",
                  "(expected %d), %d retrievals (and %d retries of names not registered yet), %d wrong values, %d other",
                  "errors, %.1f s\n"),
            procs, registered, procs, length(winners), taken, procs - shared, retrieved, retried, length(bad), length(errors), elapsed))
if (length(errors)) print(head(errors, 10))
if (any(st != 0L, na.rm = TRUE)) for (i in which(st != 0L)) cat(readLines(file.path(dir, sprintf("log%d", i))), sep = "\n")
check("every process exited with status 0", all(!is.na(st) & st == 0L))
check("one winner per shared name", setequal(winners, sprintf("shared%d", seq_len(shared))) &&
        length(winners) == shared)
check("every other registration of a shared name was a clear 'already exists' error", taken == procs - shared)
check("every retrieval was made", retrieved == procs * (reads + shared))
check("every retrieved value is what its registrant wrote", length(bad) == 0L)
check("every process saw the same winner of each shared name",
      length(unique(lapply(res, `[[`, "owners"))) == 1L)
check("no other error", length(errors) == 0L)
check("no segment of the namespace is left", wait_for(function() length(shm_files(ns)) == 0L, 10))
unlink(dir, recursive = TRUE)
finish()
