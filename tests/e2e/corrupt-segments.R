# Damaged files under valid page names, written straight into /dev/shm: garbage, a wrong magic, truncated
# pages, a header claiming more than the file holds, an empty file, a page still "being written", corrupt
# attributes, a page that names another variable, a FIFO and a directory. Each must give a clear R error
# from retrieveViews and retrieveMetadata (never a crash, a SIGBUS or a hang), be left untouched by them,
# by a registration over its name and by the sweep, and be swept only once abandoned (older than 60 s).
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
ns <- paste0("h13a_corrupt", Sys.getpid())
cat("corrupt-segments\n")

# A real page's bytes to damage: a matrix with dimnames, so its attribute blob is large.
X <- matrix(as.numeric(1:6000), 100, dimnames = list(paste0("r", 1:100), paste0("c", 1:60)))
registerVariables(ns, list(X = X))
good_path <- file.path("/dev/shm", shm_files(ns))
file_of <- function(var) sub("X$", var, good_path)
good <- readBin(good_path, "raw", file.info(good_path)$size)
check("a registered page is 0600", format(file.info(good_path)$mode) == "600")
releaseVariables(ns, "X")

u64 <- function(b, at) sum(as.numeric(b[at + 1:8]) * 256^(0:7))
put_u64 <- function(b, at, v) {
  b[at + 1:8] <- as.raw(floor(v / 256^(0:7)) %% 256)
  b
}
put_u32 <- function(b, at, v) {
  b[at + 1:4] <- as.raw(floor(v / 256^(0:3)) %% 256)
  b
}
check("the page read back is the size its header says", u64(good, 48) == length(good))
attrs_off <- u64(good, 128 + 32)
attrs_len <- u64(good, 128 + 40)

set.seed(13)
wrong_magic <- good
wrong_magic[1] <- as.raw(0x58)
more_than_held <- put_u64(good, 48, length(good) + 4096)
bad_length <- put_u64(good, 128 + 8, 1e15)
offset_past_end <- put_u64(good, 128 + 16, 2^62)
writing <- put_u32(good, 12, 0)
bad_attrs <- good
bad_attrs[attrs_off + seq_len(attrs_len)] <- as.raw(sample.int(256, attrs_len, TRUE) - 1L)
huge_dim <- serialize(list(dim = c(1000L, 1000L)), NULL)
wrong_dim <- put_u64(good, 128 + 40, length(huge_dim))
wrong_dim[attrs_off + seq_along(huge_dim)] <- huge_dim
factor_class <- serialize(list(dim = c(100L, 60L), class = "factor"), NULL)
bad_class <- put_u64(good, 128 + 40, length(factor_class))
bad_class[attrs_off + seq_along(factor_class)] <- factor_class

cases <- list(
  garbage = list(bytes = as.raw(sample.int(256, 5000, TRUE) - 1L), error = "not a valid lazyshare page"),
  wrong_magic = list(bytes = wrong_magic, error = "bad magic"),
  truncated_header = list(bytes = good[1:100], error = "shorter than a header"),
  truncated_data = list(bytes = good[1:(length(good) - 4096)], error = "header says"),
  more_than_held = list(bytes = more_than_held, error = "header says"),
  bad_length = list(bytes = bad_length, error = "do not multiply"),
  offset_past_end = list(bytes = offset_past_end, error = "outside the segment"),
  empty = list(bytes = raw(0), error = "shorter than a header"),
  writing = list(bytes = writing, error = "still being registered", class = "lazyshare_page_not_found"),
  bad_attrs = list(bytes = bad_attrs, error = "attributes", metadata_ok = TRUE),
  wrong_dim = list(bytes = wrong_dim, error = "attributes", metadata_ok = TRUE),
  bad_class = list(bytes = bad_class, error = "attributes", metadata_ok = TRUE),
  other_name = list(bytes = good, var = "Y", error = "it says it is")
)

sizes_and_sums <- function(paths) paste(file.info(paths)$size, tools::md5sum(paths))

for (case in names(cases)) {
  k <- cases[[case]]
  var <- if (is.null(k$var)) "X" else k$var
  path <- file_of(var)
  writeBin(k$bytes, path)
  Sys.chmod(path, "600")
  before <- sizes_and_sums(path)
  class <- if (is.null(k$class)) "lazyshare_corrupt_page" else k$class
  e <- tryCatch(retrieveViews(ns, var), error = identity)
  check(sprintf("%s: retrieveViews is a %s error (%s)", case, class,
                if (inherits(e, "error")) conditionMessage(e) else "no error"),
        inherits(e, class) && grepl(k$error, conditionMessage(e)))
  m <- tryCatch(retrieveMetadata(ns, var), error = identity)
  if (isTRUE(k$metadata_ok)) {
    check(sprintf("%s: retrieveMetadata reads the intact header", case),
          identical(m, list(type = "matrix", nrow = 100, ncol = 60)))
  } else {
    check(sprintf("%s: retrieveMetadata is a %s error", case, class), inherits(m, class))
  }
  check(sprintf("%s: no view is left open", case), !paste0(ns, ".", var) %in% viewList())
  e <- tryCatch(registerVariables(ns, setNames(list(1), var)), error = identity)
  check(sprintf("%s: registering over it is refused (%s)", case,
                if (inherits(e, "error")) conditionMessage(e) else "no error"),
        inherits(e, "lazyshare_name_taken"))
  swept <- lazyshare_sweep()
  check(sprintf("%s: the sweep leaves a fresh file alone, and nothing touched it", case),
        !paste0(ns, ".", var) %in% swept && identical(sizes_and_sums(path), before))
  Sys.setFileTime(path, Sys.time() - 120)
  swept <- lazyshare_sweep()
  if (case == "writing" || isTRUE(k$metadata_ok) || case == "other_name") {
    # Its header parses and names its owner, this process, which lives: only the owner frees it.
    check(sprintf("%s: a parsable page of a live owner is kept", case), file.exists(path))
    unlink(path)
  } else {
    check(sprintf("%s: once abandoned (over 60 s old) the sweep removes it", case),
          paste0(ns, ".", var) %in% swept && !file.exists(path))
  }
}

# Not files at all: a FIFO (an open for reading would block) and a directory.
fifo <- file_of("fifo")
if (system2("mkfifo", fifo) == 0L) {
  t0 <- Sys.time()
  check_error("a FIFO under a page name: an error, without blocking", retrieveViews(ns, "fifo"),
              "is not a regular file")
  check("... within a second", as.numeric(Sys.time() - t0, units = "secs") < 1)
  lazyshare_sweep()
  check("... and the sweep leaves it alone", file.exists(fifo))
  unlink(fifo)
} else {
  cat("  [skip] mkfifo is not available\n")
}
dir <- file_of("dir")
dir.create(dir)
check_error("a directory under a page name: an error", retrieveMetadata(ns, "dir"), "is not a regular file")
unlink(dir, recursive = TRUE)

# The session still works after all of this.
registerVariables(ns, list(X = X))
check("a real page registers and reads back afterwards", identical(retrieveViews(ns, "X")$X[], X))
memshare_gc(ns)
check("nothing of ours left in /dev/shm", length(shm_files(ns)) == 0)
finish()
