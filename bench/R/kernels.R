# Naive base-R side of the issue-4 kernel benchmark. bench/src/bin/kernels.rs runs it in a child process,
#
#   Rscript --vanilla bench/R/kernels.R <n> <big_n> <reps>
#
# and reads its RESULT lines ("RESULT <tab> key <tab> median seconds"); it is not meant to be run alone.
# The workloads are written as plain R code writes them, materialising the n x n matrices as energy's DCOR
# does: that is the naive cost the lazy backends are compared with.
#   pass1          a <- as.matrix(dist(x)); rowMeans(a); mean(a); the same for y
#   pass2          A <- a - outer(m, m, "+") + M (a, m, M from pass 1, untimed); the same for B;
#                  mean(A * B), mean(A * A), mean(B * B)
#   rowmeans_sqrt  rowMeans(as.matrix(dist(x))^0.5)
#   mean_xy        mean(x * y) with x, y of length big_n
# Data: set.seed(1); x <- rnorm(n); y <- x^2 + rnorm(n). The Rust side draws the same distributions from its
# own generator, so only times are compared, not values. Each time is the median of <reps> runs measured
# with Sys.time() (system.time() rounds to 1 ms), after a gc() that is not timed. Only base R is used.

args <- as.numeric(commandArgs(trailingOnly = TRUE))
if (length(args) != 3L) stop("usage: Rscript kernels.R <n> <big_n> <reps>")
n <- args[1L]
big_n <- args[2L]
reps <- args[3L]

# The median time of `reps` calls of f, and the last value.
median_time <- function(f) {
  times <- numeric(reps)
  for (r in seq_len(reps)) {
    invisible(gc())
    t0 <- Sys.time()
    value <- f()
    times[r] <- as.numeric(Sys.time()) - as.numeric(t0)
  }
  list(time = median(times), value = value)
}

report <- function(key, res) cat(sprintf("RESULT\t%s\t%.6f\n", key, res$time))

cat(sprintf("INFO\t%s\n", R.version.string))

set.seed(1)
x <- rnorm(n)
y <- x^2 + rnorm(n)

# 1. dcor pass 1: row means and total mean of both distance matrices.
p1 <- median_time(function() {
  a <- as.matrix(dist(x))
  b <- as.matrix(dist(y))
  list(a = a, b = b, ma = rowMeans(a), Ma = mean(a), mb = rowMeans(b), Mb = mean(b))
})
report("pass1", p1)
s <- p1$value
rm(p1)

# 2. dcor pass 2: the double-centred matrices and the three means of their products.
p2 <- median_time(function() {
  A <- s$a - outer(s$ma, s$ma, "+") + s$Ma
  B <- s$b - outer(s$mb, s$mb, "+") + s$Mb
  c(mean(A * B), mean(A * A), mean(B * B))
})
report("pass2", p2)
rm(s, p2)

# 4. rowMeans of the square roots of a distance matrix.
p4 <- median_time(function() rowMeans(as.matrix(dist(x))^0.5))
report("rowmeans_sqrt", p4)
rm(p4, x, y)
invisible(gc())

# 3. mean(x * y) of two long vectors.
set.seed(1)
x <- rnorm(big_n)
y <- x^2 + rnorm(big_n)
p3 <- median_time(function() mean(x * y))
report("mean_xy", p3)
