# Each test file uses its own namespace, unique to this process, and checks that it leaves nothing behind.

test_ns <- function(tag) paste0("tt", Sys.getpid(), "_", tag)

shm_files <- function(ns = NULL) {
  files <- list.files("/dev/shm", pattern = "^lzs\\.")
  if (is.null(ns)) files else files[grepl(paste0("^lzs\\.[0-9]+\\.", ns, "\\."), files)]
}

# Private (not shared) resident memory of this process in bytes, from /proc/self/smaps_rollup.
private_bytes <- function(pid = Sys.getpid()) {
  lines <- readLines(sprintf("/proc/%d/smaps_rollup", pid))
  kb <- function(key) as.numeric(sub("^[^:]+:\\s*([0-9]+) kB$", "\\1", grep(paste0("^", key, ":"), lines, value = TRUE)))
  (kb("Private_Clean") + kb("Private_Dirty")) * 1024
}
