# lazy_tune(): what it returns and what it leaves behind. Timings depend on the machine and its load, so
# the tests assert structure, ranges and the options, never which setting was faster.

tune_knobs <- c("jit_min_work", "defer_min_len", "chunk_rows", "threads")

# Odd values, to see whether lazy_tune() leaves or replaces them: no jit_min_work or defer_min_len
# recommendation can equal them (chunk_rows and threads may stay: the current value is among those compared).
odd_options <- list(jit_min_work = 123457, defer_min_len = 777, chunk_rows = 1000, threads = 1)

with_odd_options <- function(code) {
  old <- lazyshare::lazy_options()
  settings <- lazyshare:::settings
  source <- settings$source
  on.exit({
    do.call(lazyshare::lazy_options, old[c(tune_knobs, "progress")])
    settings$source <- source
  })
  do.call(lazyshare::lazy_options, odd_options)
  code
}

test_that("a quick run measures every threshold, recommends sane values and restores the options", {
  before <- NULL
  tuned <- with_odd_options({
    before <- lazy_options()
    tuned <- lazy_tune(quick = TRUE)
    expect_identical(lazy_options(), before)
    tuned
  })
  expect_s3_class(tuned, c("lazy_tune", "data.frame"), exact = TRUE)
  expect_named(tuned, c("what", "variant", "kernel", "length", "work", "setting", "seconds", "reps"))
  expect_setequal(unique(tuned$what), tune_knobs)
  expect_true(all(is.finite(tuned$seconds) & tuned$seconds > 0))
  jit <- tuned[tuned$what == "jit_min_work", ]
  expect_setequal(unique(jit$variant), c("interp", "jit", "compile"))
  # Each kernel size is timed on both backends at the same works, which the planner estimated.
  runs <- jit[jit$variant != "compile", ]
  expect_true(all(runs$work >= runs$length))
  expect_identical(runs$work[runs$variant == "interp"], runs$work[runs$variant == "jit"])
  expect_gte(length(unique(runs$work)), 10)
  expect_setequal(unique(tuned$variant[tuned$what == "defer_min_len"]), c("eager", "at_once", "deferred"))
  cores <- attr(tuned, "cores")
  tried <- sort(unique(tuned$setting[tuned$what == "threads"]))
  expect_true(all(tried %in% seq_len(cores)) && 1 %in% tried && cores %in% tried)
  if (cores <= 8) expect_identical(tried, as.numeric(seq_len(cores)))
  # Tile sizes are timed on one symmetric pass over 20,000 points (half the distance matrix, with its
  # diagonal), the current value among them.
  tiles <- tuned[tuned$what == "chunk_rows", ]
  expect_identical(tiles$setting, sort(c(2^(10:16), odd_options$chunk_rows)))
  expect_true(all(tiles$length == 20000 * 20001 / 2))
  expect_length(unique(tiles$kernel), 1)

  rec <- attr(tuned, "recommended")
  expect_named(rec, tune_knobs)
  expect_true(all(vapply(rec, function(v) is.numeric(v) && length(v) == 1L && !is.na(v), NA)))
  fits <- attr(tuned, "jit_fits")
  expect_equal(nrow(fits), 3)
  expect_true(all(fits$jit_per_op > 0 & fits$interp_per_op > 0 & fits$compile > 0))
  # JIT never catching up is the one case a recommendation may be infinite.
  expect_true(rec$jit_min_work >= 0 && (is.finite(rec$jit_min_work) || all(fits$crossing == Inf)))
  expect_lte(rec$jit_min_work, 1e12)
  expect_true(rec$defer_min_len %in% 2^(0:30))
  expect_true(rec$defer_min_len >= 64 && rec$defer_min_len <= 4^10)
  expect_true(rec$chunk_rows %in% tiles$setting)
  # Within 10% of the fastest, as the recommendation requires.
  expect_lte(tiles$seconds[tiles$setting == rec$chunk_rows], 1.1 * min(tiles$seconds))
  expect_true(rec$threads %in% c(0, seq_len(attr(tuned, "cores") - 1L)))
  expect_identical(attr(tuned, "current"), odd_options[names(attr(tuned, "current"))])

  printed <- capture.output(print(tuned))
  expect_match(printed[1], "quick run")
  expect_true(any(grepl("^ +jit_min_work +123457 ", printed)))

  png_file <- tempfile(fileext = ".png")
  grDevices::png(png_file, width = 1000, height = 800)
  expect_identical(plot(tuned), tuned)
  grDevices::dev.off()
  expect_gt(file.size(png_file), 10000)
})

test_that("apply = TRUE sets the recommendations of what was measured, and only those", {
  with_odd_options({
    progress <- lazy_options()$progress
    tuned <- lazy_tune(quick = TRUE, apply = TRUE, measure = c("threads", "defer_min_len"))
    rec <- attr(tuned, "recommended")
    expect_named(rec, c("defer_min_len", "threads"))
    now <- lazy_options()
    expect_equal(now$defer_min_len, rec$defer_min_len)
    expect_equal(now$threads, rec$threads)
    expect_false(now$defer_min_len == odd_options$defer_min_len)
    expect_equal(now$jit_min_work, odd_options$jit_min_work)
    expect_equal(now$chunk_rows, odd_options$chunk_rows)
    expect_setequal(unique(tuned$what), c("defer_min_len", "threads"))
    expect_identical(now$progress, progress)
    source <- attr(now, "source")
    expect_identical(unname(source[c("defer_min_len", "threads")]), rep("lazy_tune()", 2))
    expect_identical(source[["chunk_rows"]], "lazy_options()")
  })
})

test_that("bad arguments are errors that name them", {
  expect_error(lazy_tune(quick = NA), "`quick` must be TRUE or FALSE", class = "lazyshare_bad_argument")
  expect_error(lazy_tune(apply = "yes"), "`apply` must be TRUE or FALSE", class = "lazyshare_bad_argument")
  expect_error(lazy_tune(measure = "speed"), "`measure` must name some of .*got \"speed\"",
               class = "lazyshare_bad_argument")
  expect_error(lazy_tune(measure = character()), "`measure` must name some of",
               class = "lazyshare_bad_argument")
  expect_error(plot(structure(data.frame(what = character()), class = c("lazy_tune", "data.frame"))),
               "`x` holds no measurements", class = "lazyshare_bad_argument")
})
