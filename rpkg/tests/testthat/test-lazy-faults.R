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

test_that("finalizers that force and build lazy values in the middle of lazy work neither deadlock nor corrupt", {
  # R runs pending finalizers while it evaluates R code (every 1000 evaluations): here inside memApply's
  # fused translation and the lazy methods, between the entries that build graphs and force them. Each
  # finalizer forces a reducer the outer work also uses and builds and forces new ones. gctorture2 makes
  # the collections that queue the finalizers happen at once.
  out <- run_child(c(
    "set.seed(5); X <- matrix(rnorm(4000), 1000, 4); Y <- matrix(rnorm(4000), 1000, 4)",
    "lx <- lazy(X); ly <- lazy(Y); target <- colSums(lx * 3)",
    "seen <- new.env(); seen$inside <- 0L; seen$runs <- 0L; seen$ok <- TRUE; outer <- FALSE",
    "arm <- function() reg.finalizer(new.env(), function(e) {",
    "  seen$runs <- seen$runs + 1L",
    "  if (outer) seen$inside <- seen$inside + 1L",
    "  ok <- identical(materialize(target), colSums(X * 3)) &&",
    "    isTRUE(all.equal(materialize(colMeans(lazy(Y) + seen$runs)), colMeans(Y + seen$runs), tolerance = 1e-14)) &&",
    "    isTRUE(all.equal(sum(rowMeans(ly^2)), sum(rowMeans(Y^2)), tolerance = 1e-14))",
    "  seen$ok <- seen$ok && ok",
    "}, onexit = FALSE)",
    "want <- apply(X, 2, function(v) sqrt(sum((v - mean(v))^2)))",
    "good <- 0L",
    "for (k in 1:10) {",
    "  arm(); gctorture2(200); outer <- TRUE",
    "  r <- unlist(memApply(X, 2, function(v) { m <- mean(v); sqrt(sum((v - m)^2)) }, FUSE = TRUE))",
    "  s <- materialize(sweep(lx, 2, colMeans(lx)) * k)",
    "  outer <- FALSE; gctorture2(0)",
    "  good <- good + (isTRUE(all.equal(r, want, tolerance = 1e-14)) &&",
    "                  isTRUE(all.equal(s, sweep(X, 2, colMeans(X)) * k, tolerance = 1e-14)))",
    "}",
    "cat('inside', seen$inside, '\\n')",
    "cat('correct', seen$ok, good, identical(materialize(target), colSums(X * 3)), '\\n')"))
  inside <- as.integer(sub("^inside ", "", grep("^inside ", out, value = TRUE)))
  expect_gte(inside, 5)
  expect_true("correct TRUE 10 TRUE " %in% out, info = paste(out, collapse = "\n"))
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
    # R code inside an ALTREP method: forcing `s` for %*% (its Dataptr method) signals "NaNs produced" from
    # inside the method, and the handler forces other lazy values, a new one like `s`, and reads `s` itself.
    "s <- sqrt(lx); inner <- NULL; stack <- character()",
    "h <- function(w) {",
    "  stack <<- vapply(sys.calls(), function(c) deparse(c[[1]])[1], '')",
    "  inner <<- list(materialize(cs), suppressWarnings(materialize(sqrt(lx))), s[3], materialize(colSums(lazy(X) * 2)))",
    "  invokeRestart('muffleWarning')",
    "}",
    "p <- withCallingHandlers(s %*% c(1, 1, 1), warning = h)",
    "want <- suppressWarnings(sqrt(X))",
    "cat('nested', identical(stack[1:2], c('withCallingHandlers', 'signal_warnings')), '\\n')",
    "cat('values', isTRUE(all.equal(p, want %*% c(1, 1, 1), tolerance = 1e-15)), identical(inner[[2]], want),",
    "    identical(inner[[3]], want[3]), isTRUE(all.equal(inner[[4]], colSums(X) * 2, tolerance = 1e-15)), '\\n')",
    "cat('idx', identical(a, materialize(rm)[c(3, 1, 2)]),",
    "    isTRUE(all.equal(a, rowMeans(X)[c(3, 1, 2)], tolerance = 1e-15)), '\\n')",
    "cat('elt', identical(b, (X * materialize(cs)[2])[cbind(1:3, c(3, 1, 2))]), '\\n')",
    "cat('memo', identical(materialize(cs), colSums(X)), isTRUE(all.equal(materialize(rm), rowMeans(X), tolerance = 1e-15)), '\\n')"))
  expect_true("idx TRUE TRUE " %in% out, info = paste(out, collapse = "\n"))
  expect_true("elt TRUE " %in% out, info = paste(out, collapse = "\n"))
  expect_true("nested TRUE " %in% out, info = paste(out, collapse = "\n"))
  expect_true("values TRUE TRUE TRUE TRUE " %in% out, info = paste(out, collapse = "\n"))
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
