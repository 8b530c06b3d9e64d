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

# Cross-check cases for mi_memshare beyond M1: a base-R transcription of memshare's isYDiscrete path
# (ParetoRadius_fast via the same bisection, SmoothedDensitiesXY's binning and dense Eilers solve, and
# mutualinfo's last step). It reproduces M1 = 1.0170223711627575 to the last digit. Each file holds
# "x code" lines (code = rank of y among its sorted unique values); the expected radius and MI are printed.
qd1d <- function(x, p = 0.18) {
  xs <- sort(x); n <- length(xs); m <- n * (n - 1) / 2; k <- floor(p * m)
  D <- outer(xs, xs, "-"); d <- D[lower.tri(D)]
  lo <- 0; hi <- xs[n] - xs[1]
  while (hi - lo > 1e-9 * (1 + hi)) { mid <- 0.5 * (lo + hi); if (sum(d <= mid) > k) hi <- mid else lo <- mid }
  hi
}
prf <- function(x) {
  n <- length(x); r <- qd1d(x)
  if (r < 1e-9) { d <- sort(as.vector(dist(x))); m <- length(d)
    pz <- sapply(18:100 / 100, function(p) d[min(m, max(1, floor(m * (p - 1e-9)) + 1))]); r <- min(pz[pz > 0]) }
  if (n > 1024) r <- r * 4 / n^0.2
  r
}
smooth1D <- function(Y, lambda) { m <- nrow(Y); E <- diag(m); D1 <- diff(E); D2 <- diff(D1)
  P <- lambda^2 * t(D2) %*% D2 + 2 * lambda * t(D1) %*% D1; solve(E + P, Y) }
mi <- function(x, y, eps = .Machine$double.eps * 1000) {
  r <- prf(x); xs <- seq(min(x) - r, max(x) + r, length.out = 512)
  nb <- min(length(unique(x)), 250)
  e1 <- c(-Inf, xs[1:511] + 0.5 * diff(xs), Inf)
  ux <- sort(unique(y)); e2 <- c(-Inf, (head(ux, -1) + tail(ux, -1)) / 2, Inf)
  xi <- findInterval(x, e1); yi <- findInterval(y, e2)
  H <- matrix(0, 512, length(ux)); for (i in seq_along(x)) H[xi[i], yi[i]] <- H[xi[i], yi[i]] + 1
  H <- H / length(x)
  Z <- smooth1D(H, nb / 4)
  dx <- diff(xs); int <- sum(colSums(sweep(Z[1:511, ], 1, dx, `*`))); G <- Z / int
  dxm <- mean(diff(xs)); p <- rowSums(G); G2 <- sweep(G, 2, colSums(G) * dxm, "/")
  inner <- apply(G2, 2, function(col) sum(col[col > eps] * log(col[col > eps] / p[col > eps])) * dxm)
  c(r, sum(inner * table(y) / length(x)))
}
out <- function(name, x, y) {
  writeLines(sprintf("%.17g %d", x, as.integer(factor(y)) - 1L), paste0("case_", name, ".txt"))
  v <- mi(x, y); cat(name, sprintf("%.17g %.17g", v[1], v[2]), "\n")
}
set.seed(3); out("a", c(rnorm(20), rnorm(25) + 1, rnorm(15) * 3), rep(c(5, 7, 9), c(20, 25, 15)))
set.seed(4); x <- round(rnorm(200) * 2) / 2; out("b", x, (x > 0) + 2 * (runif(200) < 0.3))
set.seed(5); x <- rexp(1500); out("c", x, as.numeric(x + rnorm(1500, 0, .5) > 1))
set.seed(6); x <- c(rep(0, 150), rnorm(100)); out("d", x, rep(1:2, 125))
