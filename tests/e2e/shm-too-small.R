# /dev/shm too small: run in a private mount namespace whose /dev/shm is a 64 MiB tmpfs. A registration
# that does not fit is a classed error before anything exists; a page that was registered has all its
# memory, so filling /dev/shm afterwards never makes a touch of it a SIGBUS; processes racing for the last
# free space get the same clear error (the space is reserved at creation, not when pages are first written).
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
self <- normalizePath(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
if (Sys.getenv("LZS_SMALL_SHM") != "1") {
  cat("shm-too-small\n")
  mount <- "mount -t tmpfs -o size=64m none /dev/shm"
  probe <- suppressWarnings(system2("unshare", c("-m", "sh", "-c", shQuote(mount)), stdout = FALSE, stderr = FALSE))
  if (!identical(probe, 0L)) {
    skip_script("cannot mount a private tmpfs on /dev/shm here (needs root and unshare -m)")
  }
  status <- system2("unshare", c("-m", "sh", "-c", shQuote(sprintf("%s && LZS_SMALL_SHM=1 exec %s %s", mount,
                                                                     rscript, shQuote(self)))))
  quit(save = "no", status = status)
}

# Inside the private namespace: /dev/shm is ours alone.
ns <- "h13b_small"
shm_avail <- function() as.numeric(system("df --output=avail -B1 /dev/shm | tail -n 1", intern = TRUE))
shm_empty <- function() length(list.files("/dev/shm", all.files = TRUE, no.. = TRUE)) == 0
cat(sprintf("  /dev/shm: a private tmpfs with %.1f MiB free\n", shm_avail() / 2^20))
check("the private /dev/shm is 64 MiB and empty", abs(shm_avail() - 64 * 2^20) < 2^20 && shm_empty())
no_space <- function(expr) tryCatch({ force(expr); NULL }, error = function(e) e)
is_no_space <- function(e) inherits(e, "lazyshare_no_space") && grepl("not enough shared memory", conditionMessage(e))

big <- matrix(as.numeric(seq_len(13e6)), ncol = 100)                      # 104 MB
e <- no_space(registerVariables(ns, list(big = big)))
check(sprintf("a 104 MB matrix is a lazyshare_no_space error (%s)", conditionMessage(e)), is_no_space(e))
check("nothing was created", shm_empty() && !length(pageList()))
e <- no_space(memApply(big, 2, function(v) quantile(v, 0.5)[[1]], FUSE = FALSE, MAX.CORES = 1))
check(sprintf("memApply of it on workers: the same error (%s)", class(e)[1]), is_no_space(e))
check("nothing was created", shm_empty() && !length(pageList()))
rm(big)

# Another file takes all but ~5 MB.
filler <- "/dev/shm/h13b_filler"
system(sprintf("dd if=/dev/zero of=%s bs=1M count=59 status=none", filler))
e <- no_space(registerVariables(ns, list(ten = matrix(runif(1.25e6), 1000))))  # 10 MB
check(sprintf("a 10 MB matrix with %.1f MB free: lazyshare_no_space", shm_avail() / 1e6), is_no_space(e))
check("only the filler is there", identical(list.files("/dev/shm"), basename(filler)))
two <- matrix(runif(2.5e5), 500)                                           # 2 MB
registerVariables(ns, list(two = two))
check("a 2 MB matrix still fits", identical(retrieveViews(ns, "two")$two, two))
releaseViews(ns, "two")
releaseVariables(ns, "two")
unlink(filler)

# A registered page owns its memory: fill /dev/shm to the last byte, then touch every page of it.
X <- matrix(runif(5e6), 1000)                                               # 40 MB
registerVariables(ns, list(X = X))
system(sprintf("dd if=/dev/zero of=%s bs=1M status=none 2>/dev/null", filler))
cat(sprintf("  /dev/shm filled by another file: %.0f bytes free\n", shm_avail()))
check("/dev/shm is full", shm_avail() < 2^20)
v <- retrieveViews(ns, "X")$X
check("every page of the view reads back (no SIGBUS)", identical(sum(v), sum(X)) && identical(v[], X))
w <- v
w[1, ] <- 0
check("a copy-on-write change of the view works", identical(w[-1, ], X[-1, ]) && all(w[1, ] == 0) &&
        identical(v[1, ], X[1, ]))
other <- system2(rscript, c("-e", shQuote(sprintf(
  "suppressPackageStartupMessages(library(lazyshare)); v <- retrieveViews('%s', 'X')$X; v[1] <- -1; cat(sprintf('%%.17g', sum(v[-1])))", ns))),
  stdout = TRUE, stderr = TRUE)
check(sprintf("another process reads and changes a copy of it (%s)", tail(other, 1)),
      is.null(attr(other, "status")) && isTRUE(all.equal(as.numeric(tail(other, 1)), sum(X[-1]), tolerance = 1e-12)))
e <- no_space(registerVariables(ns, list(tiny = 1:10)))
check(sprintf("registering anything on a full /dev/shm: lazyshare_no_space (%s)", conditionMessage(e)),
      is_no_space(e) && !("tiny" %in% sub(".*\\.", "", pageList())))
rm(v, w)
releaseViews(ns, "X")
releaseVariables(ns, "X")
unlink(filler)
check("nothing left", shm_empty())

# Processes racing for the space: each registers 20 MB pages (three fit) until it has done so `wins`
# times, retrying when /dev/shm is full. They pass the free-space check together, and only the
# reservation at creation decides who gets the memory.
racers <- 4L
wins <- 5L
dir <- work_dir("h13b_race")
racer <- child_script(dir, "racer.R", c(
  "args <- commandArgs(TRUE); id <- as.integer(args[1]); dir <- args[2]; wins <- as.integer(args[3])",
  sprintf("ns <- '%s'", ns),
  "await(file.path(dir, 'go'))",
  "ok <- 0L; full <- 0L; raced <- 0L; other <- character(); k <- 0L",
  "while (ok < wins && k < 2000L) {",
  "  k <- k + 1L",
  "  name <- sprintf('r%d_%d', id, k)",
  "  x <- rep(id * 1000 + k, 2.5e6)",
  "  free <- as.numeric(system('df --output=avail -B1 /dev/shm | tail -n 1', intern = TRUE))",
  "  r <- tryCatch({ registerVariables(ns, setNames(list(x), name)); 'ok' },",
  "                lazyshare_no_space = function(e) 'full', error = function(e) conditionMessage(e))",
  "  if (r == 'ok') {",
  "    v <- retrieveViews(ns, name)[[1]]",
  "    Sys.sleep(0.03)",
  "    if (all(v == id * 1000 + k)) ok <- ok + 1L else other <- c(other, 'wrong data')",
  "    rm(v); releaseViews(ns, name); releaseVariables(ns, name); invisible(gc())",
  "  } else if (r == 'full') {",
  "    full <- full + 1L",
  "    if (free > 8 * length(x) + 8192) raced <- raced + 1L",
  "    Sys.sleep(0.01)",
  "  } else other <- c(other, r)",
  "}",
  "saveRDS(list(ok = ok, full = full, raced = raced, other = other), file.path(dir, sprintf('out%d.rds', id)))"))
for (i in seq_len(racers)) {
  system(sprintf("sh -c '%s %s %d %s %d; echo $? > %s/status%d' &", rscript, racer, i, dir, wins, dir, i))
}
Sys.sleep(1)
t0 <- Sys.time()
invisible(file.create(file.path(dir, "go")))
statuses <- file.path(dir, sprintf("status%d", seq_len(racers)))
check("every racer exited", wait_for(function() all(file.exists(statuses)) &&
                                        all(nzchar(vapply(statuses, function(f) paste(readLines(f), collapse = ""), ""))), 120))
st <- vapply(statuses, function(f) as.integer(readLines(f)), 0L)
outs <- lapply(file.path(dir, sprintf("out%d.rds", seq_len(racers))), function(f) if (file.exists(f)) readRDS(f))
count <- function(k) sum(vapply(outs, function(o) if (is.null(o)) 0L else o[[k]], 0L))
n_ok <- count("ok")
n_full <- count("full")
n_raced <- count("raced")
n_other <- sum(lengths(lapply(outs, `[[`, "other")))
cat(sprintf(paste("  race: %d processes registering 20 MB pages in 64 MiB: %d registrations succeeded with their own",
                  "data, %d were lazyshare_no_space (%d of them with enough free space a moment before), %d other",
                  "errors; exit statuses %s; %.1f s\n"),
            racers, n_ok, n_full, n_raced, n_other, paste(st, collapse = " "), as.numeric(Sys.time() - t0, units = "secs")))
check("every racer exited normally (no SIGBUS)", all(st == 0L))
check("every registration either succeeded with its own data or was lazyshare_no_space",
      n_ok == racers * wins && n_other == 0L)
check("the race happened: some registrations found /dev/shm full", n_full > 0L)
if (n_other) print(unlist(lapply(outs, `[[`, "other")))
check("nothing left", shm_empty())
unlink(dir, recursive = TRUE)
finish()
