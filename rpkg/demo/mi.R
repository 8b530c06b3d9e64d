# lazyshare demo: mutual-information feature selection at the memshare paper's size (10,446 samples x
# 19,637 genes, 32 diagnoses), which took the paper about two hours on 18 cores.
suppressPackageStartupMessages(library(lazyshare))

n <- 10446; p <- 19637; k <- 32; informative <- 300
set.seed(42)
y <- factor(sprintf("diagnosis%02d", sample.int(k, n, replace = TRUE, prob = rgamma(k, 2))))
cat(sprintf("Simulating %d x %d RNA-seq counts (%.1f GiB as doubles), %d classes, %d informative genes ...\n",
            n, p, 8 * n * p / 2^30, k, informative))
# Counts whose mean depends on the diagnosis in the first `informative` genes (effect sizes vary), filled
# a block of columns at a time so no temporary is as big as the matrix.
counts <- matrix(0, n, p, dimnames = list(NULL, sprintf("gene%05d", seq_len(p))))
class_effect <- matrix(rnorm(k * informative), k, informative)
strength <- seq(1.5, 0.1, length.out = informative)
for (first in seq(1, p, by = 1000)) {
  cols <- first:min(p, first + 999)
  mu <- matrix(rexp(length(cols), 1 / 50), n, length(cols), byrow = TRUE)
  inf <- cols[cols <= informative]
  if (length(inf)) {
    mu[, inf] <- mu[, inf] * exp(sweep(class_effect[as.integer(y), inf, drop = FALSE], 2, strength[inf], `*`))
  }
  counts[, cols] <- rpois(length(mu), mu)
}
rm(mu)

# What RNA-seq users score is log2(counts + 1): lazily, a column at a time per thread, never as a matrix.
t <- system.time(s <- mi_scores(log2(lazy(counts) + 1), y))[["elapsed"]]
cat(sprintf("mi_scores(log2(lazy(counts) + 1), y): %d genes scored in %.1f s\n", length(s), t))
print(s)
found <- sum(attr(s, "ranking")[seq_len(informative)] <= informative)
cat(sprintf("%d of the %d informative genes are among the top %d\n", found, informative, informative))

png_path <- file.path(getwd(), "lazyshare-mi-scores.png")   # kept after R exits, unlike tempdir()
grDevices::png(png_path, width = 1600, height = 1200, res = 150)
plot(s, top = 10, main = sprintf("MI of %d genes with %d diagnoses (PDE estimator)", p, k))
invisible(grDevices::dev.off())
cat(sprintf("Figure-3 plot written to %s\n", png_path))
