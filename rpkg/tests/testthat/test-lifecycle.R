ns <- test_ns("life")

test_that("released views stay valid and released pages refuse new retrieves", {
  registerVariables(ns, list(X = matrix(as.numeric(1:6), 2)))
  v <- retrieveViews(ns, "X")$X
  releaseViews(ns, "X")
  gc()
  expect_identical(v, matrix(as.numeric(1:6), 2))
  expect_error(releaseViews(ns, "X"), "holds no view of 'X'")
  v2 <- retrieveViews(ns, "X")$X
  releaseVariables(ns, "X")
  expect_identical(sum(v2), 21)
  expect_error(retrieveViews(ns, "X"), "'X' not found in namespace")
  expect_error(releaseVariables(ns, "X"), "not found")
  releaseViews(ns, "X")
  expect_identical(v2[6], 6)
})

test_that("pageList, viewList and retrieveMetadata describe without side effects", {
  registerVariables(ns, list(M = matrix(0, 3, 2), V = 1:4, A = array(0, c(2, 2, 2))))
  on.exit(memshare_gc(ns))
  mine <- function(x) x[startsWith(x, paste0(ns, "."))]
  expect_identical(mine(pageList()), paste0(ns, c(".A", ".M", ".V")))
  expect_identical(retrieveMetadata(ns, "M"), list(type = "matrix", nrow = 3, ncol = 2))
  expect_identical(retrieveMetadata(ns, "V"), list(type = "vector", n = 4))
  expect_identical(retrieveMetadata(ns, "A"), list(type = "array", dim = c(2, 2, 2), n = 8))
  expect_named(retrieveMetadata(ns, c("M", "V")), c("M", "V"))
  expect_length(mine(viewList()), 0)
  v <- retrieveViews(ns, c("M", "V"))
  expect_identical(mine(viewList()), paste0(ns, c(".M", ".V")))
  memshare_gc(ns)
  expect_length(mine(viewList()), 0)
  expect_length(mine(pageList()), 0)
  expect_identical(v$V, 1:4)
})

test_that("registration is all or nothing", {
  registerVariables(ns, list(keep = 1))
  on.exit(memshare_gc(ns))
  expect_error(registerVariables(ns, list(new1 = 1, keep = 2)), "already exists.*owned by pid")
  expect_false(paste0(ns, ".new1") %in% pageList())
  expect_length(shm_files(ns), 1)
})

test_that("pages of a process killed with SIGKILL are swept", {
  skip_on_os("windows")
  dead <- paste0(ns, "_dead")
  script <- tempfile(fileext = ".R")
  writeLines(c("library(lazyshare)",
               sprintf("registerVariables('%s', list(A = 1:10, B = c(1.5, 2.5)))", dead),
               "tools::pskill(Sys.getpid(), tools::SIGKILL)"), script)
  system2(file.path(R.home("bin"), "Rscript"), script, stdout = FALSE, stderr = FALSE)
  expect_length(shm_files(dead), 2)
  removed <- lazyshare_sweep()
  expect_true(all(paste0(dead, c(".A", ".B")) %in% removed))
  expect_length(shm_files(dead), 0)
  unlink(script)
})

test_that("the namespace leaves no segment behind", {
  expect_length(shm_files(ns), 0)
})
