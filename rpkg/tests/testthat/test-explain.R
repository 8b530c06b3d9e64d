# lazy_explain(): plans shown without being run. The shapes asserted here are those the planner's
# passes produce (runtime/src/plan): energy's DCOR is two stages of one symmetric kernel each.

dcor_inputs <- function(n = 800) {
  set.seed(21)
  x <- rnorm(n)
  list(x = x, y = x^2 + rnorm(n))
}

# A plan also fuses pending reducers of nodes R still holds, over the same grid: earlier tests' garbage
# is collected first so that the shapes asserted are those of the code under test alone.
settle <- function() invisible(gc())

kernels_of <- function(e) lapply(e$parts[[1]]$forces[[1]]$stages, `[[`, "kernel")

test_that("energy's DCOR through deferred() is two stages of one fused kernel, and nothing runs", {
  skip_if_not_installed("energy")
  d <- dcor_inputs()
  settle()
  passes <- lazy_stats()$passes
  e <- NULL
  out <- capture.output(e <- suppressWarnings(lazy_explain(deferred(energy::DCOR)(d$x, d$y))))
  expect_identical(lazy_stats()$passes, passes)
  expect_true(e$stopped)
  k <- kernels_of(e)
  expect_length(k, 2)
  expect_identical(vapply(k, `[[`, NA, "symmetric"), c(TRUE, TRUE))
  expect_identical(lengths(lapply(k, `[[`, "reducers")), c(4L, 3L))
  expect_identical(k[[1]]$domain, c(800, 800))
  expect_identical(k[[1]]$elements, 800 * 801 / 2)
  expect_true(any(grepl("^stage 2: grid 800 x 800$", out)))
  expect_true(any(grepl("total from row sums", k[[1]]$rewrites)))
  # The same computation afterwards takes exactly those two passes.
  r <- suppressWarnings(deferred(energy::DCOR)(d$x, d$y))
  expect_identical(lazy_stats()$passes, passes + 2)
  expect_equal(r$dCor, energy::dcor(d$x, d$y), tolerance = 1e-12)
})

test_that("memApply(X, 2, sd)'s graph shows the per-column reducers", {
  set.seed(22)
  X <- matrix(rnorm(2000 * 50), 2000)
  settle()
  passes <- lazy_stats()$passes
  e <- NULL
  capture.output(e <- lazy_explain(memApply(X, 2, sd)))
  expect_identical(lazy_stats()$passes, passes)
  k <- kernels_of(e)
  expect_identical(vapply(k, function(s) s$reducers, ""), c("colMeans(<data 100000>)",
    "colSums((sweep(<data 100000>, 2, colMeans(<data 100000>), \"-\") * sweep(<data 100000>, 2, colMeans(<data 100000>), \"-\")))"))
  expect_identical(k[[2]]$domain, c(2000, 50))
  expect_false(k[[2]]$symmetric)
  expect_true(any(grepl("column sums of", k[[2]]$ssa)))
})

test_that("a lazy value is explained in place: its graph, its forces and its element kernel", {
  set.seed(23)
  m <- lazy(matrix(rnorm(100 * 60), 100))
  centred <- m - mean(m)
  settle()
  passes <- lazy_stats()$passes
  e <- NULL
  out <- capture.output(e <- lazy_explain(centred))
  expect_identical(lazy_stats()$passes, passes)
  expect_false(e$stopped)
  p <- e$parts[[1]]
  expect_match(p$graph[1], "^#1 `-`  <100 x 60, double>$")
  expect_length(p$forces, 1)
  expect_identical(p$elements$domain, c(100, 60))
  expect_identical(p$elements$backend, "interpreter")
  expect_match(p$elements$reason, "< jit_min_work")
  expect_true(any(grepl("^elements, when R reads them: 100 x 60 store kernel$", out)))
  lazy_options(jit_min_work = 0)
  on.exit(lazy_options(jit_min_work = 1e7))
  capture.output(e <- lazy_explain(centred))
  expect_identical(e$parts[[1]]$elements$backend, "JIT")
})

test_that("explaining leaves explain-only mode off, also after an error", {
  expect_error(lazy_explain(stop("boom")), "boom")
  m <- lazy(matrix(rnorm(5000), 100))
  expect_equal(materialize(sum(m * 2)), sum(as.matrix(m) * 2))
  expect_output(lazy_explain(1:3), "nothing lazy")
})

test_that("LAZYSHARE_TRACE prints each stage of each force as it runs", {
  invisible(materialize(sum(lazy(matrix(1, 100, 50)) * 2)))  # a force before the variable is set
  set.seed(24)
  m <- lazy(matrix(rnorm(100 * 60), 100))
  s <- colSums(m * m)
  Sys.setenv(LAZYSHARE_TRACE = "1")
  on.exit(Sys.unsetenv("LAZYSHARE_TRACE"))
  msgs <- capture.output(v <- materialize(s), type = "message")
  expect_true(any(grepl("^\\[lazyshare trace\\] stage 1: grid 100 x 60$", msgs)))
  expect_true(any(grepl("column sums of", msgs)))
  Sys.unsetenv("LAZYSHARE_TRACE")
  s2 <- colSums(m * 3)
  expect_length(capture.output(invisible(materialize(s2)), type = "message"), 0)
})

test_that("the plan says whether the JIT has compiled a kernel of this shape", {
  lazy_options(jit_min_work = 0)
  on.exit(lazy_options(jit_min_work = 1e7))
  set.seed(25)
  m <- lazy(matrix(rnorm(80 * 70), 80))
  e <- NULL
  capture.output(e <- lazy_explain(colSums(m * m + 7.25)))
  k <- e$parts[[1]]$forces[[1]]$stages[[1]]$kernel
  expect_identical(k$backend, "JIT")
  # What the plan said is what the run does: compile exactly when the form was not cached. (Earlier
  # tests in this process may have compiled this shape already.)
  compiled <- lazy_stats()$kernels_compiled
  invisible(materialize(colSums(m * m + 7.25)))
  expect_identical(lazy_stats()$kernels_compiled - compiled, if (k$cached) 0 else 1)
  m2 <- lazy(matrix(rnorm(80 * 70), 80))
  capture.output(e <- lazy_explain(colSums(m2 * m2 + 7.25)))
  expect_true(e$parts[[1]]$forces[[1]]$stages[[1]]$kernel$cached)
})
