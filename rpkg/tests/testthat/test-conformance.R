# Differential conformance of lazy values against eager R (generator and comparator in
# helper-conformance.R). LAZYSHARE_CONFORMANCE_SEED and LAZYSHARE_CONFORMANCE_N choose another run;
# LAZYSHARE_CONFORMANCE_OUT=<file.csv> also writes every record there.

conformance_env_int <- function(name, default) {
  v <- Sys.getenv(name, "")
  if (!nzchar(v)) return(default)
  n <- suppressWarnings(as.integer(v))
  if (is.na(n) || n < 1L) stop(sprintf("%s must be a positive integer; got \"%s\"", name, v), call. = FALSE)
  n
}

conformance_seed <- conformance_env_int("LAZYSHARE_CONFORMANCE_SEED", 20240611L)
conformance_n <- conformance_env_int("LAZYSHARE_CONFORMANCE_N", 5000L)

# The state the runs must leave as they found it.
conformance_state <- function() {
  list(lazy_options = lazyshare::lazy_options(), rng = get0(".Random.seed", envir = globalenv()),
       options = options())
}

test_that("the comparator finds no difference when no input is lazy", {
  before <- conformance_state()
  recs <- run_conformance(n = 300L, seed = conformance_seed, control = TRUE)
  expect_identical(conformance_state(), before)
  expect_equal(nrow(conformance_unexplained(recs)), 0,
               info = paste(c("", format_conformance_differences(recs)), collapse = "\n"))
})

test_that("lazy values behave like the values eager R computes", {
  before <- conformance_state()
  recs <- run_conformance(n = conformance_n, seed = conformance_seed)
  expect_identical(conformance_state(), before)
  out <- Sys.getenv("LAZYSHARE_CONFORMANCE_OUT", "")
  if (nzchar(out)) utils::write.csv(recs, out, row.names = FALSE)
  cat(sprintf("\n\nconformance run: seed %d, %d expressions\n", conformance_seed, conformance_n))
  summarise_conformance(recs)
  n_unexplained <- nrow(conformance_unexplained(recs))
  expect_equal(n_unexplained, 0, info = paste(c(
    sprintf("seed %d: %d of %d records differ from eager R; replay one with", conformance_seed,
            n_unexplained, nrow(recs)),
    sprintf("  check_conformance_case(conformance_case(<id>, %d))", conformance_seed),
    format_conformance_differences(recs)), collapse = "\n"))
})
