ns <- test_ns("cow")

test_that("modifying a view copies only what is written and never changes the page", {
  X <- matrix(as.numeric(seq_len(1e6)), 1000)
  registerVariables(ns, list(X = X))
  on.exit(memshare_gc(ns))
  v <- retrieveViews(ns, "X")$X
  invisible(sum(v))
  w <- v
  gc()
  for (i in 1:3) before <- private_bytes() # R compiles a closure on its first calls

  w[1] <- 0
  grew <- private_bytes() - before
  expect_identical(w[1], 0)
  expect_identical(v[1], 1)
  expect_true(viewInfo(w)$modified)
  expect_false(viewInfo(v)$modified)
  # 8 MB of data: a full copy would add 8 MB; copy-on-write adds about one 4 KiB page.
  expect_lt(grew, 256 * 1024)
  expect_identical(retrieveViews(ns, "X")$X[1], 1)
  # A copy of the modified view keeps the modification, and the page still holds the original.
  w2 <- w
  w2[2] <- -1
  expect_identical(c(w[1:2], w2[1:2]), c(0, 2, 0, -1))
  expect_identical(v[1:2], c(1, 2))
})

test_that("C code asking for a writable pointer without writing does not make a view 'modified'", {
  registerVariables(ns, list(Y = matrix(as.numeric(1:20), 4)))
  on.exit(memshare_gc(ns))
  v <- retrieveViews(ns, "Y")$Y
  cs <- colSums(v)
  expect_identical(cs, colSums(matrix(as.numeric(1:20), 4)))
  expect_false(viewInfo(v)$modified)
  expect_lt(length(serialize(v, NULL)), 4096)
})

test_that("the namespace leaves no segment behind", {
  expect_length(shm_files(ns), 0)
})
