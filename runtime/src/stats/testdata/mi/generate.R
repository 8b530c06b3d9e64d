# Regenerates the test data of runtime/src/stats/mi/memshare_tests.rs (R 4.2.2; base R only).
# Run from this directory: Rscript generate.R
w <- function(v, f) writeLines(sprintf("%.17g", v), f)

# R1, R2 and R4 use ../rnorm_seed1_20000.txt (set.seed(1); rnorm(20000)), written by ../pde_generate.R.

# memshare's mutualinfo() man example (pde-reference.txt "M1"), x only; y is rep(1:3, c(1000, 2000, 1000)).
set.seed(1); w(c(rnorm(1000), rnorm(2000) + 8, rnorm(1000) * 2 - 8), "man_example_x.txt")

# "R4": ParetoRadius_fast(x4) samples ceiling(runif(10000, 0, 20000)) after set.seed(2).
# One line per draw: the 0-based index.
set.seed(2); idx <- ceiling(runif(10000, 0, 20000))
writeLines(sprintf("%d", idx - 1L), "r4_sample.txt")

# Cross-check cases for mi_memshare beyond M1, from the base-R transcription of memshare's isYDiscrete path
# that bench/R/mi.R runs as the peer (bench/R/memshare_mi.R; it reproduces M1 = 1.0170223711627575 to the
# last digit). Each file holds "x code" lines (code = rank of y among its sorted unique values); the expected
# radius and MI are printed.
source("../../../../../bench/R/memshare_mi.R")
mi <- function(x, y) c(environment(memshare_mi)$pareto_radius_fast(x), memshare_mi(x, y))
out <- function(name, x, y) {
  writeLines(sprintf("%.17g %d", x, as.integer(factor(y)) - 1L), paste0("case_", name, ".txt"))
  v <- mi(x, y); cat(name, sprintf("%.17g %.17g", v[1], v[2]), "\n")
}
set.seed(3); out("a", c(rnorm(20), rnorm(25) + 1, rnorm(15) * 3), rep(c(5, 7, 9), c(20, 25, 15)))
set.seed(4); x <- round(rnorm(200) * 2) / 2; out("b", x, (x > 0) + 2 * (runif(200) < 0.3))
set.seed(5); x <- rexp(1500); out("c", x, as.numeric(x + rnorm(1500, 0, .5) > 1))
set.seed(6); x <- c(rep(0, 150), rnorm(100)); out("d", x, rep(1:2, 125))
