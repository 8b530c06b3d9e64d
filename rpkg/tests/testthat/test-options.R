# Settings from R's options and conventions, read when the package loads (so each case runs in a fresh
# Rscript), and results that do not depend on them.

# A fresh Rscript, outside R CMD check's environment (which caps threads) unless `env` puts it back.
rscript_out <- function(code, env = character()) {
  env <- c("_R_CHECK_PACKAGE_NAME_=", "_R_CHECK_LIMIT_CORES_=", env)
  f <- tempfile(fileext = ".R")
  on.exit(unlink(f))
  writeLines(code, f)
  out <- suppressWarnings(system2(file.path(R.home("bin"), "Rscript"), f, stdout = TRUE, stderr = TRUE,
                                  env = env))
  out
}

show_threads <- 'o <- lazy_options(); cat(o$threads, attr(o, "source")[["threads"]], sep = "|")'

test_that("options(lazyshare.*) set before the package loads take effect", {
  out <- rscript_out(c("options(lazyshare.threads = 1, lazyshare.chunk_rows = 1000)",
                       "suppressMessages(library(lazyshare))", show_threads,
                       "cat('', lazy_options()$chunk_rows, attr(lazy_options(), 'source')[['chunk_rows']])"))
  expect_identical(out, "1|option lazyshare.threads 1000 option lazyshare.chunk_rows")
})

test_that("the thread count follows R's conventions", {
  lib <- "suppressMessages(library(lazyshare))"
  expect_identical(rscript_out(c("options(mc.cores = 3)", lib, show_threads)), "3|option mc.cores")
  expect_identical(rscript_out(c(lib, show_threads), env = "RAYON_NUM_THREADS=5"),
                   "5|environment RAYON_NUM_THREADS")
  expect_identical(rscript_out(c("options(mc.cores = 3)", lib, show_threads), env = "OMP_THREAD_LIMIT=1"),
                   "1|option mc.cores, at most OMP_THREAD_LIMIT")
  expect_identical(rscript_out(c(lib, show_threads), env = "_R_CHECK_PACKAGE_NAME_=lazyshare"),
                   "2|default (every core), at most 2 under R CMD check")
})

test_that("an option the package cannot use is ignored with a warning that names it", {
  out <- rscript_out(c("options(lazyshare.max_depth = -3)", "suppressMessages(library(lazyshare))",
                       "cat(lazy_options()$max_depth)"))
  expect_true(any(grepl("option lazyshare.max_depth ignored: `max_depth` must be a whole number >= 0",
                        out, fixed = TRUE)))
  expect_identical(out[length(out)], "25")
})

test_that("lazy_options() says where each value came from, and prints as a table", {
  old <- lazy_options()
  on.exit(do.call(lazy_options, old))
  before <- lazy_options(jit_min_work = 5e6)
  # As with options(): setting returns the values before the change.
  expect_identical(before$jit_min_work, old$jit_min_work)
  o <- lazy_options()
  expect_s3_class(o, "lazy_options")
  expect_identical(attr(o, "source")[["jit_min_work"]], "lazy_options()")
  expect_identical(o$jit_min_work, 5e6)
  printed <- capture.output(print(o))
  expect_true(any(grepl("^jit_min_work +5e\\+06 +lazy_options\\(\\)", printed)))
})

test_that("results are identical for every thread count", {
  old <- lazy_options()
  on.exit(do.call(lazy_options, old))
  set.seed(31)
  x <- matrix(rnorm(3000 * 2), 3000)
  y <- x^2 + matrix(rnorm(3000 * 2), 3000)
  m <- matrix(rnorm(400 * 300), 400)
  run <- function(threads) {
    lazy_options(threads = threads, chunk_rows = 4096)
    list(dcor(x, y), dcov(x, y), as.numeric(colSums(lazy(m) * 2.5 - 1)),
         as.numeric(rowMeans(as.matrix(dist(lazy(m[1:200, ]))))), memApply(m, 2, sd))
  }
  one <- run(1)
  expect_identical(run(2), one)
  expect_identical(run(3), one)
})
