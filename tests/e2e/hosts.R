# Simulated hosts on one machine, for multi-host tests and benchmarks: a "host" is a long-lived holder
# process in a mount namespace of its own, with its own tmpfs on /dev/shm; its PSOCK workers join that
# namespace through nsenter (their Rscript is a wrapper), so they share one /dev/shm with each other and
# none with the master. Needs root (or CAP_SYS_ADMIN), unshare, nsenter and mount. Sourced after helpers.R
# (tests) or on its own (bench).

# Starts a host; returns list(pid, rscript, shm) or a string saying why it cannot.
start_host <- function(dir = tempdir(), size = "1g") {
  id <- basename(tempfile("h14_host", tmpdir = dir))
  pidfile <- file.path(dir, paste0(id, ".pid"))
  ready <- file.path(dir, paste0(id, ".ready"))
  log <- file.path(dir, paste0(id, ".log"))
  inner <- sprintf("mount -t tmpfs -o size=%s none /dev/shm && touch %s && exec sleep 100000", size,
                   shQuote(ready))
  # `exec` keeps one pid from sh to unshare to sleep: the pid written is the holder's.
  outer <- sprintf("echo $$ > %s; exec unshare -m --propagation private sh -c %s", shQuote(pidfile),
                   shQuote(inner))
  system2("sh", c("-c", shQuote(outer)), wait = FALSE, stdout = log, stderr = log)
  deadline <- Sys.time() + 10
  while (!file.exists(ready)) {
    pid <- if (file.exists(pidfile)) suppressWarnings(as.integer(readLines(pidfile, warn = FALSE))) else NA
    gone <- length(pid) == 1L && !is.na(pid) && !file.exists(sprintf("/proc/%d", pid))
    if (gone || Sys.time() > deadline) {
      why <- if (file.exists(log)) paste(readLines(log, warn = FALSE), collapse = " ") else ""
      return(sprintf("cannot simulate a host here (unshare/mount failed: %s)", if (nzchar(why)) why else "timeout"))
    }
    Sys.sleep(0.02)
  }
  pid <- as.integer(readLines(pidfile, warn = FALSE))
  rscript <- file.path(dir, paste0(id, ".rscript"))
  writeLines(c("#!/bin/sh",
               sprintf("exec nsenter --mount=/proc/%d/ns/mnt -- %s \"$@\"", pid,
                       shQuote(file.path(R.home("bin"), "Rscript")))), rscript)
  Sys.chmod(rscript, "755")
  probe <- suppressWarnings(system2(rscript, c("-e", shQuote("cat(length(list.files('/dev/shm')))")),
                                    stdout = TRUE, stderr = TRUE))
  if (!identical(probe, "0")) {
    stop_host(list(pid = pid))
    return(sprintf("cannot simulate a host here (nsenter failed: %s)", paste(probe, collapse = " ")))
  }
  list(pid = pid, rscript = rscript, shm = sprintf("/proc/%d/root/dev/shm", pid))
}

stop_host <- function(host) {
  if (is.list(host)) tools::pskill(host$pid, tools::SIGKILL)
  invisible(NULL)
}

# Starts `k` hosts in a new temporary directory named after `prefix`: a list of hosts for `stop_hosts()`,
# or a string saying why they cannot be simulated here (then none is left running).
start_hosts <- function(k, prefix) {
  dir <- tempfile(prefix)
  dir.create(dir)
  hosts <- structure(list(), dir = dir)
  for (i in seq_len(k)) {
    h <- start_host(dir)
    if (is.character(h)) {
      stop_hosts(hosts)
      return(h)
    }
    hosts[[i]] <- h
  }
  hosts
}

stop_hosts <- function(hosts) {
  for (h in hosts) stop_host(h)
  unlink(attr(hosts, "dir"), recursive = TRUE)
  invisible(NULL)
}

# One PSOCK cluster over the master's host (`local` workers) and each host in `hosts` (`per_host` workers
# each), in that order. Workers inherit this session's environment (R_LIBS, LZS_BIN_DIR).
hosts_cluster <- function(hosts, local = 1L, per_host = 2L) {
  parts <- c(if (local > 0L) list(parallel::makePSOCKcluster(local)),
             lapply(hosts, function(h) parallel::makePSOCKcluster(per_host, rscript = h$rscript)))
  structure(do.call(c, lapply(parts, unclass)), class = c("SOCKcluster", "cluster"))
}

# Files in a host's /dev/shm (the master's own when `host` is NULL) of lazyshare namespace `ns`.
host_segments <- function(host, ns) {
  f <- list.files(if (is.null(host)) "/dev/shm" else host$shm, pattern = "^lzs\\.")
  f[grepl(paste0("^lzs\\.[0-9]+\\.", ns, "\\."), f)]
}

# Bytes a process has received over its TCP sockets (a PSOCK worker: everything the master sent it), from
# `ss` (iproute2); NA where `ss` is missing.
socket_received <- function(pid) {
  out <- suppressWarnings(tryCatch(system2("ss", c("-tinpH"), stdout = TRUE, stderr = FALSE),
                                   error = function(e) NULL))
  if (is.null(out) || !nzchar(Sys.which("ss"))) return(NA_real_)
  mine <- grep(sprintf("pid=%d,", pid), out, fixed = TRUE)
  info <- out[pmin(mine + 1L, length(out))]
  got <- regmatches(info, regexpr("bytes_received:[0-9]+", info))
  sum(as.numeric(sub("bytes_received:", "", got, fixed = TRUE)))
}

# Anonymous resident memory: what a process holds privately (its R heap), not the pages it maps.
proc_anon_bytes <- function(pid) {
  st <- readLines(sprintf("/proc/%d/status", pid))
  1024 * as.numeric(sub("^RssAnon:\\s*([0-9]+) kB$", "\\1", grep("^RssAnon:", st, value = TRUE)))
}
