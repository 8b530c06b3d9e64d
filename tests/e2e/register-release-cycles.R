# 1,000 register / retrieve / use / release cycles in one process, with lazy operations on the views and
# copy-on-write changes of them: file descriptors, mappings and memory do not grow.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
ns <- paste0("h13bcycle", Sys.getpid())
cat("register-release-cycles\n")

cycles <- 1000L
warmup <- 50L
# glibc's heap keeps the peak of R's own memory (R collects when its trigger is reached, so the peak
# varies with timing): measured here, RSS rises ~12 MB from cycle 50 to a plateau (3,000 cycles end at
# the same height as 1,000), then stays flat. A leak shows as growth in the second half.
rss_bound_kb <- 16384
flat_bound_kb <- 1024
fds <- function() length(list.files("/proc/self/fd"))
maps <- function() length(readLines("/proc/self/maps"))
rss_kb <- function() as.numeric(sub("^VmRSS:\\s*([0-9]+) kB$", "\\1", grep("^VmRSS:", readLines("/proc/self/status"), value = TRUE)))
measure <- function() {
  for (i in 1:3) gc(verbose = FALSE)
  c(fds = fds(), maps = maps(), rss_kb = rss_kb())
}

base <- matrix(seq_len(400 * 60) / 7, 400, 60)
wrong <- character()
cycle <- function(k) {
  X <- base + k
  v <- as.integer(seq_len(1000) + k)
  L <- list(a = X[, 1:5], b = c(k, -k))
  registerVariables(ns, list(X = X, v = v, L = L))
  got <- retrieveViews(ns, c("X", "v", "L"))
  Xv <- got$X
  if (!identical(colSums(Xv), colSums(X)) || !identical(sum(got$v), sum(v)) ||
      !identical(got$L$b, c(k, -k)) || !identical(got$L$a[], X[, 1:5])) wrong <<- c(wrong, paste("views", k))
  # Lazy operations on the view: fused reductions, forced now.
  lz <- colSums(lazy(Xv) * 2 + 1)
  if (!isTRUE(all.equal(lz[], colSums(X * 2 + 1), tolerance = 1e-13))) wrong <<- c(wrong, paste("lazy", k))
  m <- mean(sqrt(abs(lazy(got$v) - 500)))
  if (!isTRUE(all.equal(m[1], mean(sqrt(abs(v - 500))), tolerance = 1e-13))) wrong <<- c(wrong, paste("lazy mean", k))
  # A copy-on-write change (a private mapping) and a column view.
  w <- Xv
  w[1, 1] <- -1
  if (w[1, 1] != -1 || Xv[1, 1] != X[1, 1]) wrong <<- c(wrong, paste("copy", k))
  if (!identical(sum(Xv[, 7]), sum(X[, 7]))) wrong <<- c(wrong, paste("column", k))
  md <- retrieveMetadata(ns, "X")
  if (!identical(c(md$nrow, md$ncol), as.numeric(dim(X)))) wrong <<- c(wrong, paste("metadata", k))
  releaseViews(ns, c("X", "v", "L"))
  releaseVariables(ns, c("X", "v", "L"))
}

t0 <- Sys.time()
for (k in seq_len(warmup)) cycle(k)
before <- measure()
half <- cycles %/% 2L
for (k in seq(warmup + 1L, half)) cycle(k)
middle <- measure()
for (k in seq(half + 1L, cycles)) cycle(k)
after <- measure()
elapsed <- as.numeric(Sys.time() - t0, units = "secs")
cat(sprintf(paste("  %d cycles in %.1f s; after %d: %d fds, %d mappings, %.0f kB RSS; after %d: %.0f kB RSS;",
                  "after %d: %d fds, %d mappings, %.0f kB RSS (%+.0f kB since cycle %d, %+.0f kB since cycle %d)\n"),
            cycles, elapsed, warmup, before[["fds"]], before[["maps"]], before[["rss_kb"]], half, middle[["rss_kb"]],
            cycles, after[["fds"]], after[["maps"]], after[["rss_kb"]], after[["rss_kb"]] - before[["rss_kb"]], warmup,
            after[["rss_kb"]] - middle[["rss_kb"]], half))
check(sprintf("every cycle read back what it wrote (%d wrong)", length(wrong)), !length(wrong))
if (length(wrong)) print(head(wrong))
check("no file descriptor leaked", after[["fds"]] == before[["fds"]] && middle[["fds"]] == before[["fds"]])
check("no mapping leaked", after[["maps"]] == before[["maps"]] && middle[["maps"]] == before[["maps"]])
check(sprintf("RSS grew by less than %.0f kB after the warm-up", rss_bound_kb),
      after[["rss_kb"]] - before[["rss_kb"]] < rss_bound_kb)
check(sprintf("RSS grew by less than %.0f kB over the second half (%.1f bytes a cycle)", flat_bound_kb,
              1024 * (after[["rss_kb"]] - middle[["rss_kb"]]) / (cycles - half)),
      after[["rss_kb"]] - middle[["rss_kb"]] < flat_bound_kb)
check("no page or view is left", !length(shm_files(ns)) && !any(startsWith(c(pageList(), viewList()), ns)))
finish()
