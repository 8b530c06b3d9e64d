# Errors are classed conditions R code can catch by what went wrong; warnings are classed too; progress
# is drawn only when asked for, on separate lines when not in a terminal.

test_that("errors carry a lazyshare class saying what went wrong", {
  expect_error(lazy_options(chunk_rows = -1), class = "lazyshare_bad_argument")
  expect_error(lazy(list(1, 2)), class = "lazyshare_bad_argument")
  expect_error(memApply(matrix(1:4, 2), 3, sum), class = "lazyshare_bad_argument")
  e <- tryCatch(retrieveViews("lzs_test_no_such_ns", "X"), error = identity)
  expect_s3_class(e, c("lazyshare_page_not_found", "lazyshare_error", "error", "condition"))
  expect_match(conditionMessage(e), "variable 'X' not found in namespace 'lzs_test_no_such_ns'")

  ns <- paste0("lzs_cond_", Sys.getpid())
  registerVariables(ns, list(X = 1:3))
  on.exit(releaseVariables(ns, "X"))
  expect_error(registerVariables(ns, list(X = 4:6)), class = "lazyshare_name_taken")

  old <- lazy_options()
  on.exit(do.call(lazy_options, old), add = TRUE)
  lazy_options(max_materialize = 1000)
  e <- tryCatch(materialize(lazy(rnorm(1e5)) * 2), error = identity)
  expect_s3_class(e, "lazyshare_too_big")
  expect_match(conditionMessage(e), "limit .*lazy_options\\(max_materialize")
})

test_that("an error from the C entries reports the R function that called them", {
  f <- function() lazy_options(defer_min_len = "many")
  e <- tryCatch(f(), error = identity)
  expect_s3_class(e, "lazyshare_bad_argument")
  expect_identical(conditionCall(e), quote(lazy_options(defer_min_len = "many")))
})

test_that("warnings the runtime records are lazyshare warnings with R's message", {
  old <- lazy_options()
  on.exit(do.call(lazy_options, old))
  lazy_options(defer_min_len = 0)
  w <- tryCatch(materialize(lazy(1:10) * .Machine$integer.max), warning = identity)
  expect_s3_class(w, c("lazyshare_warning", "warning", "condition"))
  expect_identical(conditionMessage(w), "NAs produced by integer overflow")
})

test_that("progress is off in Rscript by default and on separate lines when forced on", {
  code <- c("suppressMessages(library(lazyshare))",
            "set.seed(1); n <- 70000; x <- matrix(rnorm(2 * n), n); y <- matrix(rnorm(2 * n), n)",
            "t <- system.time(d <- dcor(x, y))[['elapsed']]",
            "cat('elapsed', t, '\\n', file = stderr())")
  run <- function(pre) {
    f <- tempfile(fileext = ".R")
    on.exit(unlink(f))
    writeLines(c(pre, code), f)
    system2(file.path(R.home("bin"), "Rscript"), f, stdout = TRUE, stderr = TRUE)
  }
  quiet <- run(character())
  expect_false(any(grepl("[lazyshare]", quiet, fixed = TRUE)))
  shown <- run("options(lazyshare.progress = TRUE)")
  elapsed <- as.numeric(sub("elapsed ", "", grep("^elapsed", shown, value = TRUE)))
  lines <- grep("[lazyshare] pass", shown, fixed = TRUE, value = TRUE)
  if (elapsed > 5) {
    # Each update is a line of its own: no carriage returns when stderr is not a terminal.
    expect_gt(length(lines), 0)
    expect_false(any(grepl("\r", shown, fixed = TRUE)))
    expect_true(all(grepl("^\\[lazyshare\\] pass +[0-9]+% \\| [0-9]+ s", lines)))
  } else {
    expect_length(lines, 0)
  }
})
