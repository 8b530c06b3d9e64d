# energy's deprecated pure-R DCOR, pasted verbatim (energy 1.7-11), run lazily through deferred().
DCOR_energy <- function (x, y, index = 1)
{
    .Deprecated(new = "dcor", package = "energy", msg = "DCOR is deprecated, replaced by dcor or dcov")
    if (!inherits(x, "dist"))
        x <- dist(x)
    if (!inherits(y, "dist"))
        y <- dist(y)
    x <- as.matrix(x)
    y <- as.matrix(y)
    n <- nrow(x)
    m <- nrow(y)
    if (n != m)
        stop("Sample sizes must agree")
    if (!(all(is.finite(c(x, y)))))
        stop("Data contains missing or infinite values")
    if (index < 0 || index > 2) {
        warning("index must be in [0,2), using default index=1")
        index = 1
    }
    stat <- 0
    dims <- c(n, ncol(x), ncol(y))
    Akl <- function(x) {
        d <- as.matrix(x)^index
        m <- rowMeans(d)
        M <- mean(d)
        a <- sweep(d, 1, m)
        b <- sweep(a, 2, m)
        return(b + M)
    }
    A <- Akl(x)
    B <- Akl(y)
    dCov <- sqrt(mean(A * B))
    dVarX <- sqrt(mean(A * A))
    dVarY <- sqrt(mean(B * B))
    V <- sqrt(dVarX * dVarY)
    if (V > 0)
        dCor <- dCov/V
    else dCor <- 0
    return(list(dCov = dCov, dCor = dCor, dVarX = dVarX, dVarY = dVarY))
}
environment(DCOR_energy) <- asNamespace("stats")

set.seed(1); xA <- rnorm(1000); yA <- xA^2 + rnorm(1000)

test_that("energy's DCOR runs lazily under deferred() in two fused passes", {
  lazy_stats(reset = TRUE)
  r <- suppressWarnings(deferred(DCOR_energy)(xA, yA))
  s <- lazy_stats()
  expect_identical(names(r), c("dCov", "dCor", "dVarX", "dVarY"))
  expect_false(any(vapply(r, is_lazy, logical(1))))
  # energy's own DCOR on the same data (dcor-reference.txt, "A index=1 DCOR").
  expect_rel(r, c(0.3296712598070845, 0.40211938871790809, 0.65289788702536855, 1.0294538566840017), 1e-12)
  expect_lte(s$passes, 2)
  expect_equal(s$elements, 2 * 1000 * 1001 / 2)
  r2 <- suppressWarnings(deferred(DCOR_energy)(xA, yA, index = 0.5))
  expect_rel(r2, c(0.15816537357118074, 0.42801825335566884, 0.33597549335334309, 0.40643457111150522), 1e-12)
})

test_that("deferred DCOR materialises nothing n x n, also where it checks all(is.finite(c(x, y)))", {
  set.seed(2); x <- rnorm(4000); y <- x + rnorm(4000)
  # One 4000 x 4000 double matrix is 122 MiB; the two passes need O(n).
  g <- peak_growth(r <- suppressWarnings(deferred(DCOR_energy)(x, y)))
  expect_lt(g, 40 * 2^20)
  expect_rel(r$dCor, dcor(x, y), 1e-12)
})

test_that("energy's DCOR itself, when installed, agrees with the deferred run", {
  skip_if_not_installed("energy")
  m <- suppressWarnings(energy::DCOR(xA[1:300], yA[1:300]))
  d <- suppressWarnings(deferred(energy::DCOR)(xA[1:300], yA[1:300]))
  expect_rel(d, m, 1e-12)
})

test_that("deferred() refuses what it cannot wrap", {
  expect_error(deferred(sum), "`f` must be a function written in R")
  expect_error(deferred(1), "`f` must be a function")
})
