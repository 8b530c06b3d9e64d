# Lazy values under faults: their source page released or its owner killed while work is pending, forces
# nested in finalizers and in other forces, and forks in the middle of pending work. Each compares with
# the eager values; the re-entrant cases run in a child process with a timeout, so that a deadlock fails.

set.seed(13)
ns <- test_ns("h13c_faults")
rscript <- file.path(R.home("bin"), "Rscript")

# Runs R code in a child Rscript (with this test's library path) and returns its output lines, or fails
# when the child does not end within `timeout` seconds.
run_child <- function(code, timeout = 60) {
  script <- tempfile(fileext = ".R")
  on.exit(unlink(script))
  writeLines(c(sprintf(".libPaths(%s)", paste(deparse(.libPaths()), collapse = "")),
               "suppressPackageStartupMessages(library(lazyshare))", code), script)
  out <- suppressWarnings(system2(rscript, script, stdout = TRUE, stderr = TRUE, timeout = timeout))
  status <- attr(out, "status") %||% 0L
  expect_true(status == 0L, info = sprintf("child status %s; output:\n%s", status, paste(out, collapse = "\n")))
  out
}
`%||%` <- function(a, b) if (is.null(a)) b else a

pending_over <- function(v) {
  l <- lazy(v)
  list(cs = colSums(l * 2), rm = rowMeans(sqrt(abs(l))), d = dist(l), s = sum(l^2), e = exp(l / 10))
}
eager_of <- function(X) {
  list(cs = colSums(X * 2), rm = rowMeans(sqrt(abs(X))), d = stats::dist(X), s = sum(X^2), e = exp(X / 10))
}
same_values <- function(p, X) {
  want <- eager_of(X)
  expect_equal(materialize(p$cs), want$cs, tolerance = 1e-14)
  expect_equal(materialize(p$rm), want$rm, tolerance = 1e-14)
  expect_equal(as.vector(materialize(p$d)), as.vector(want$d), tolerance = 1e-14)
  expect_equal(as.vector(p$s), want$s, tolerance = 1e-14)
  expect_identical(materialize(p$e), want$e)
}

test_that("pending lazy values over a view stay correct when the page is released under them", {
  X <- matrix(rnorm(3000 * 4), 3000, 4)
  registerVariables(ns, list(R = X))
  v <- retrieveViews(ns, "R")$R
  p <- pending_over(v)
  releaseViews(ns, "R")
  releaseVariables(ns, "R")
  rm(v); invisible(gc())
  expect_length(shm_files(ns), 0)
  expect_error(retrieveViews(ns, "R"), class = "lazyshare_page_not_found")
  same_values(p, X)
  # A second page under the same name is other data: the old graph keeps the old mapping.
  registerVariables(ns, list(R = X + 1))
  expect_equal(materialize(p$cs), colSums(X * 2), tolerance = 1e-14)
  releaseVariables(ns, "R")
})

test_that("pending lazy values over another process's page survive the owner's SIGKILL", {
  skip_on_os("windows")
  X <- matrix(as.numeric(1:8000) / 7, 2000, 4)
  owner_ns <- paste0(ns, "_owner")
  ready <- tempfile()
  script <- tempfile(fileext = ".R")
  writeLines(c(sprintf(".libPaths(%s)", paste(deparse(.libPaths()), collapse = "")),
               "library(lazyshare)",
               sprintf("registerVariables('%s', list(O = matrix(as.numeric(1:8000) / 7, 2000, 4)))", owner_ns),
               sprintf("writeLines(as.character(Sys.getpid()), '%s')", ready),
               "Sys.sleep(120)"), script)
  system2(rscript, script, wait = FALSE, stdout = FALSE, stderr = FALSE)
  deadline <- Sys.time() + 30
  while (!file.exists(ready) && Sys.time() < deadline) Sys.sleep(0.05)
  expect_true(file.exists(ready))
  Sys.sleep(0.1)
  owner <- as.integer(readLines(ready))
  v <- retrieveViews(owner_ns, "O")$O
  p <- pending_over(v)
  expect_length(shm_files(owner_ns), 1)
  tools::pskill(owner, tools::SIGKILL)
  deadline <- Sys.time() + 10
  while (file.exists(sprintf("/proc/%d", owner)) && Sys.time() < deadline) Sys.sleep(0.05)
  # The dead owner's page is swept (unlinked): here, or by any other R process loading lazyshare meanwhile.
  # This process's mapping keeps the data.
  lazyshare_sweep()
  expect_length(shm_files(owner_ns), 0)
  same_values(p, X)
  expect_error(retrieveViews(owner_ns, "O"), class = "lazyshare_page_not_found")
  releaseViews(owner_ns, "O")
  rm(v, p); invisible(gc())
  unlink(c(ready, script))
})

test_that("a finalizer that forces and builds lazy values during a force neither deadlocks nor corrupts", {
  out <- run_child(c(
    "set.seed(5); X <- matrix(rnorm(4000), 1000, 4); Y <- matrix(rnorm(4000), 1000, 4)",
    "lx <- lazy(X); ly <- lazy(Y)",
    "target <- colSums(lx * 3)",                   # forced by the outer force and by the finalizer
    "other <- rowMeans(ly^2)",                     # forced only by the finalizer
    "seen <- new.env(); seen$n <- 0L",
    "arm <- function() reg.finalizer(new.env(), function(e) {",
    "  seen$n <- seen$n + 1L",
    "  seen$target <- materialize(target)",
    "  seen$other <- sum(other)",
    "  seen$fresh <- materialize(colMeans(lazy(Y) + 1))",
    "}, onexit = FALSE)",
    "arm()",
    "gctorture(TRUE)",                              # the finalizer runs at the next allocation: inside the force
    "got <- materialize(target)",
    "gctorture(FALSE)",
    "for (k in 1:3) { arm(); invisible(gc()) }",
    "d <- as.matrix(dist(lx)); arm(); gctorture(TRUE); m <- materialize(rowMeans(d)); gctorture(FALSE)",
    "cat('runs', seen$n, '\\n')",
    "cat('outer', identical(got, colSums(X * 3)), '\\n')",
    "cat('finalizer', identical(seen$target, colSums(X * 3)),",
    "    isTRUE(all.equal(seen$other, sum(rowMeans(Y^2)), tolerance = 1e-14)),",
    "    isTRUE(all.equal(seen$fresh, colMeans(Y + 1), tolerance = 1e-14)), '\\n')",
    "cat('again', identical(materialize(target), colSums(X * 3)),",
    "    isTRUE(all.equal(m, rowMeans(as.matrix(dist(X))), tolerance = 1e-14)), '\\n')"))
  expect_true(any(grepl("^runs [1-9]", out)), info = paste(out, collapse = "\n"))
  expect_true("outer TRUE " %in% out, info = paste(out, collapse = "\n"))
  expect_true("finalizer TRUE TRUE TRUE " %in% out, info = paste(out, collapse = "\n"))
  expect_true("again TRUE TRUE " %in% out, info = paste(out, collapse = "\n"))
})

test_that("forces nested in an ALTREP method (a lazy value read while computing another) stay correct", {
  out <- run_child(c(
    "set.seed(6); X <- matrix(rnorm(6000), 2000, 3); lx <- lazy(X)",
    "cs <- colSums(lx)",                                  # pending
    "rm <- rowMeans(lx)",                                  # pending, shares the pass with cs
    # Indices computed from one pending value select elements of another: R forces the index (an ALTREP
    # Elt/Dataptr) while it is inside the subset of the other.
    "idx <- lazy(c(3, 1, 2)) + 0 * cs",
    "a <- rm[idx]",
    "b <- (lx * cs[2])[cbind(1:3, idx)]",
    # A finalizer that reads elements of a lazy value, armed so that it runs inside an Elt of another.
    "hit <- new.env()",
    "reg.finalizer(new.env(), function(e) hit$v <- (lx / 2)[5, 2], onexit = FALSE)",
    "gctorture(TRUE); e <- (lx * 2)[7, 3]; gctorture(FALSE)",
    "cat('idx', identical(a, materialize(rm)[c(3, 1, 2)]),",
    "    isTRUE(all.equal(a, rowMeans(X)[c(3, 1, 2)], tolerance = 1e-15)), '\\n')",
    "cat('elt', identical(b, (X * colSums(X)[2])[cbind(1:3, c(3, 1, 2))]), identical(e, X[7, 3] * 2),",
    "    identical(hit$v, X[5, 2] / 2), '\\n')",
    "cat('memo', identical(materialize(cs), colSums(X)), isTRUE(all.equal(materialize(rm), rowMeans(X), tolerance = 1e-15)), '\\n')"))
  expect_true("idx TRUE TRUE " %in% out, info = paste(out, collapse = "\n"))
  expect_true("elt TRUE TRUE TRUE " %in% out, info = paste(out, collapse = "\n"))
  expect_true("memo TRUE TRUE " %in% out, info = paste(out, collapse = "\n"))
})

test_that("forked children (mclapply) in the middle of pending lazy work compute correct values", {
  skip_on_os("windows")
  X <- matrix(rnorm(20000 * 5), 20000, 5)
  registerVariables(ns, list(F = X))
  v <- retrieveViews(ns, "F")$F
  lx <- lazy(v)
  pend <- list(cs = colSums(lx^2), rm = rowMeans(lx - 1), d = sum(dist(lazy(X[1:800, ])) ), s = sum(abs(lx)))
  half <- materialize(colMeans(lx))              # the parent has used the pool before forking
  kids <- parallel::mclapply(1:3, function(i) {
    list(cs = materialize(pend$cs), rm = materialize(pend$rm), d = as.vector(pend$d), s = as.vector(pend$s),
         new = materialize(colSums(lx * i)), opt = lazy_options(threads = i)$threads)
  }, mc.cores = 2)
  want <- list(cs = colSums(X^2), rm = rowMeans(X - 1), d = sum(stats::dist(X[1:800, ])), s = sum(abs(X)))
  for (i in 1:3) {
    k <- kids[[i]]
    expect_false(inherits(k, "try-error"), info = paste(k))
    expect_equal(k$cs, want$cs, tolerance = 1e-14)
    expect_equal(k$rm, want$rm, tolerance = 1e-14)
    expect_equal(k$d, want$d, tolerance = 1e-13)
    expect_equal(k$s, want$s, tolerance = 1e-14)
    expect_equal(k$new, colSums(X * i), tolerance = 1e-14)
    # Every child computed the same bits as the others: results do not depend on the pool it rebuilt.
    expect_identical(k$cs, kids[[1]]$cs)
  }
  expect_equal(half, colMeans(X), tolerance = 1e-14)
  # The parent's pending values are still pending, and compute the same bits after the children ran.
  expect_identical(materialize(pend$cs), kids[[1]]$cs)
  releaseViews(ns, "F")
  releaseVariables(ns, "F")
})

test_that("the fault tests leave no segment behind", {
  expect_length(shm_files(ns), 0)
})
