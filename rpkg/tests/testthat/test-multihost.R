# What multi-host use rests on, tested on one host: the domain probe, views that carry their data, and
# memApply on a `future` plan. tests/e2e/multihost.R runs the same over simulated hosts.
ns <- test_ns("travel")

test_that("views serialised with their data restore as views where the page opens, as one cached page elsewhere", {
  X <- matrix(as.numeric(1:20000), 200, dimnames = list(NULL, paste0("c", 1:100)))
  registerVariables(ns, list(X = X))
  on.exit({
    lazyshare_view_data(FALSE)
    memshare_gc(ns)
  })
  v <- retrieveViews(ns, "X")$X
  expect_false(lazyshare_view_data(TRUE))
  s <- serialize(v, NULL)
  expect_gt(length(s), 8 * length(X))
  back <- unserialize(s)
  expect_identical(back, X)
  expect_identical(viewInfo(back)$variable, "X")
  # Where the page cannot be opened (as on another host; here: it was released), the data is cached.
  releaseViews(ns, "X")
  releaseVariables(ns, "X")
  a <- unserialize(s)
  expect_identical(a, X)
  expect_match(viewInfo(a)$variable, "^X-[0-9]+-[0-9]+-[0-9]+-0-0-20000$")
  b <- unserialize(s)
  expect_identical(b, X)
  expect_identical(viewInfo(b)$variable, viewInfo(a)$variable)
  expect_length(shm_files(ns), 1)
  expect_length(pageList(), 1)
  # A column (a slice of the page) travels as its own stretch of data.
  col <- memApply(a, 2, function(v) v, MAX.CORES = 1, FUSE = FALSE)[[3]]
  expect_identical(col, setNames(X[, 3], NULL))
  expect_true(lazyshare_view_data(FALSE))
  expect_lt(length(serialize(b, NULL)), 4096)
  expect_error(lazyshare_view_data(NA), "`on` must be TRUE or FALSE")
})

test_that("the probe puts local workers in this session's domain", {
  cl <- parallel::makeCluster(2)
  on.exit(parallel::stopCluster(cl))
  expect_identical(lazyshare_domains(cl), c(0L, 0L))
  expect_error(lazyshare_domains(list()), "`cl` must be a cluster")
  expect_length(grep("^lzs_probe_", pageList()), 0)
})

test_that("memApply and memLapply run on a future plan through future.apply", {
  skip_if_not_installed("future.apply")
  old <- future::plan(future::multisession, workers = 2)
  on.exit(future::plan(old))
  X <- matrix(rnorm(4000), 200, dimnames = list(NULL, paste0("c", 1:20)))
  q30 <- function(v) quantile(v, 0.3)[[1]]
  expect_identical(memApply(X, 2, q30, CLUSTER = "future"), as.list(apply(X, 2, q30)))
  L <- list(a = 1:5, b = c(2.5, 3))
  expect_identical(memLapply(L, function(el, w) sum(el) * w, VARS = list(w = 2), CLUSTER = "future"),
                   list(a = 30, b = 11))
  expect_error(memApply(X, 2, function(v) stop("no"), CLUSTER = "future"), "`FUN` failed on column 1: no")
  expect_identical(pageList(), character(0))
  expect_error(memApply(X, 2, q30, CLUSTER = "futures"), "`CLUSTER` must be a cluster .* or \"future\"")
})

test_that("the namespace leaves no segment behind", {
  expect_length(shm_files(ns), 0)
})
