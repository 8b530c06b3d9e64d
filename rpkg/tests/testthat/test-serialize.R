ns <- test_ns("ser")

test_that("a view serialises as a reference of a few hundred bytes and restores to the same data", {
  X <- matrix(runif(1e6), 1000, dimnames = list(NULL, paste0("c", 1:1000)))
  registerVariables(ns, list(X = X))
  on.exit(memshare_gc(ns))
  v <- retrieveViews(ns, "X")$X
  s <- serialize(v, NULL)
  # The dimnames travel as attributes; the data does not.
  expect_lt(length(s), length(serialize(dimnames(X), NULL)) + 4096)
  back <- unserialize(s)
  expect_identical(back, X)
  expect_false(is.null(viewInfo(back)))
  f <- tempfile(fileext = ".rds")
  saveRDS(v, f)
  expect_identical(readRDS(f), X)
  unlink(f)
})

test_that("a modified view or one whose page is gone serialises its data", {
  registerVariables(ns, list(a = as.numeric(1:1000)))
  v <- retrieveViews(ns, "a")$a
  w <- v
  w[3] <- 0
  sw <- serialize(w, NULL)
  expect_gt(length(sw), 8000)
  expect_identical(unserialize(sw)[1:3], c(1, 2, 0))
  s_ref <- serialize(v, NULL)
  releaseVariables(ns, "a")
  expect_error(unserialize(s_ref), "no longer|not found|cannot restore")
  s_data <- serialize(v, NULL)
  expect_identical(unserialize(s_data), as.numeric(1:1000))
  releaseViews(ns, "a")
})

test_that("a reference to a released and re-registered name is refused, not silently different", {
  registerVariables(ns, list(b = c(1, 2, 3)))
  s <- serialize(retrieveViews(ns, "b")$b, NULL)
  releaseVariables(ns, "b")
  registerVariables(ns, list(b = c(9, 9, 9)))
  on.exit(memshare_gc(ns))
  expect_error(unserialize(s), "registered again")
})

test_that("the namespace leaves no segment behind", {
  expect_length(shm_files(ns), 0)
})
