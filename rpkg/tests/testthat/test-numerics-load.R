# Numerics under load: fused reducers give the same bits on 1, 2 and 4 threads, on repeated runs and for
# every tile size (chunk_rows), and a fused sum of 1e10 terms is within 1e-12 of an exact reference.

# Tiles of 1024 and 4096 rows cut each fold unit of X (5 columns x 65,536 rows) into 64 and 16 tiles, and
# the fold units of a symmetric pass over the distances of Z's 9000 points (256 columns each, down to the
# diagonal) into up to 9 and 3; tiles of 10^6 rows leave every unit whole.
set.seed(17)
X <- matrix(rnorm(400000 * 5) * 10^runif(5, -3, 3), 400000, 5)
Z <- matrix(rnorm(9000 * 3), 9000, 3)
u <- rnorm(20000)
w <- u^2 + rnorm(20000)

# Every reducer from a fresh graph, with no gc() between runs: lazy values left pending by earlier runs
# may join a pass only where they do not change how it computes what was asked (plan/schedule.rs).
fused_results <- function() {
  lx <- lazy(X)
  D <- as.matrix(dist(lazy(Z)))
  m <- rowMeans(D)
  A <- sweep(sweep(D, 1, m), 2, m) + mean(D)
  list(sum = materialize(sum(lx)), mean = materialize(mean(lx * 2)), rowMeans = materialize(rowMeans(lx)),
       colSums = materialize(colSums(lx^2)), prod = materialize(prod(1 + lx / 1e7)),
       dcor_uni = dcor(u, w), dcor_multi = dcor(Z, Z[, 1]^2 + X[1:9000, 1:2], method = "streaming"),
       dist_rowMeans = materialize(m), dist_mean = materialize(mean(D)), dcov2 = materialize(mean(A * A)),
       dist_pow_sum = materialize(sum(D^1.5)))
}

test_that("fused reducers are identical across tile sizes, threads and runs", {
  old <- lazy_options(exact_sums = FALSE)
  on.exit(do.call(lazy_options, old[c("threads", "chunk_rows", "exact_sums")]))
  # Every thread count with every tile size, then the first setting again.
  runs <- rbind(expand.grid(threads = c(2, 1, 4), tile = c(4096, 1024, 1e6)),
                data.frame(threads = 2, tile = 4096))
  ref <- NULL
  for (i in seq_len(nrow(runs))) {
    lazy_options(threads = runs$threads[i], chunk_rows = runs$tile[i])
    passes <- lazy_stats()$passes
    r <- fused_results()
    expect_gt(lazy_stats()$passes - passes, 3)   # computed again, not read from memo cells
    if (is.null(ref)) ref <- r
    for (k in names(r)) {
      expect_identical(r[[k]], ref[[k]],
                       label = sprintf("%s (threads %d, chunk_rows %g)", k, runs$threads[i], runs$tile[i]))
    }
  }
})

# The exact value of sum_{i,j} |x_i - x_j| for integers x below 2^40, in doubles without rounding: with
# x sorted, it is 2 sum_k x_(k) (2k - n - 1); x is cut into 14-bit parts so that every product and
# partial sum is an integer below 2^53.
exact_pair_sum <- function(x) {
  s <- sort(x)
  c <- 2 * seq_along(s) - length(s) - 1
  h2 <- floor(s / 2^28)
  r <- s - h2 * 2^28
  h1 <- floor(r / 2^14)
  h0 <- r - h1 * 2^14
  2 * (sum(h2 * c) * 2^28 + sum(h1 * c) * 2^14 + sum(h0 * c))
}

test_that("a fused sum of 1e10 terms is within 1e-12 of its exact value", {
  old <- lazy_options(exact_sums = FALSE)
  on.exit(do.call(lazy_options, old["exact_sums"]))
  set.seed(23)
  n <- 1e5
  x <- floor(runif(n) * 2^40)
  v <- floor(runif(n) * 2^20)
  # Terms |x_i - x_j| + v_i over the full 1e5 x 1e5 matrix, each an integer below 2^41 (exact in a double),
  # summing to about 3.7e21 (2^71): a plain double sum rounds at every step. abs() keeps the planner from
  # summing the parts separately (sum(D) alone has an O(n log n) form), so this is one fused pass.
  D <- as.matrix(dist(lazy(x)))
  want <- exact_pair_sum(x) + n * sum(v)
  passes <- lazy_stats()$passes
  elements <- lazy_stats()$elements
  took <- system.time(got <- materialize(sum(abs(D + v))))[["elapsed"]]
  expect_equal(lazy_stats()$passes - passes, 1)
  expect_equal(lazy_stats()$elements - elements, 1e10)
  rel <- abs(got - want) / want
  expect_lt(rel, 1e-12)
  message(sprintf("sum of 1e10 terms: %.2f s, relative error %.3g (value %.17g)", took, rel, got))
  # The same at 4e8 terms on 1 and 2 threads: the same bits.
  y <- x[1:20000]
  sums <- vapply(c(1, 2), function(t) {
    lazy_options(threads = t)
    materialize(sum(abs(as.matrix(dist(lazy(y))) + v[1:20000])))
  }, 0)
  lazy_options(threads = old$threads)
  expect_identical(sums[1], sums[2])
  expect_lt(abs(sums[1] - (exact_pair_sum(y) + 20000 * sum(v[1:20000]))) / sums[1], 1e-12)
})
