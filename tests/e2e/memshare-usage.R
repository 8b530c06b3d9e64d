# memshare's own README and vignette usage, run unchanged with library(lazyshare) in place of
# library(memshare), each result checked against base R. The code between the "memshare:" markers is
# memshare's (README of 1.1.0, vignettes/memshare.Rmd), in its order; the checks follow each block. The
# one edit: the README's `memshare::memLapply` is `lazyshare::memLapply` (a `pkg::` call names a package).
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
cat("memshare-usage\n")
library(parallel)
close_to <- function(a, b, tol = 1e-10) isTRUE(all.equal(a, b, tolerance = tol))

# memshare: README, Example 1
set.seed(1)
n = 10000
p = 2000

X = matrix(rnorm(n * p), n, p)
y = rnorm(n)

res = memApply(
  X = X, MARGIN = 2,
  FUN = function(v, y) cor(v, y),
  VARS = list(y = y)
)
str(res)
# memshare: end
check("README example 1: memApply cor equals cor(X, y)", close_to(unlist(res), as.vector(cor(X, y))))

# memshare: README, Example 2
list_length = 1000
matrix_dim = 100

ListV = lapply(
     1:list_length,
     function(i) matrix(rnorm(matrix_dim * matrix_dim),
     nrow = matrix_dim, ncol = matrix_dim))

y = rnorm(matrix_dim)

namespace = "ID123"
res = lazyshare::memLapply(ListV, function(el, y) {
   el %*% y
}, NAMESPACE=namespace, VARS=list(y=y), MAX.CORES = 1)
# memshare: end
check("README example 2: memLapply equals lapply", close_to(res, lapply(ListV, function(el) el %*% y), 0))

# memshare: vignette, 1) memApply
set.seed(1)
n <- 10000; p <- 2000
X <- matrix(rnorm(n * p), n, p)   # numeric/double matrix
y <- rnorm(n)

# Correlate each column with y, in parallel, without copying X to workers
res <- memApply(
  X = X, MARGIN = 2,
  FUN = function(v, y) cor(v, y),
  VARS = list(y = y)           # shared side data
)
str(res)
# memshare: end
check("vignette 1: memApply cor equals cor(X, y)", close_to(unlist(res), as.vector(cor(X, y))))

# memshare: vignette, 2) memLapply
list_length <- 1000
d <- 200
L <- lapply(1:list_length, function(i) matrix(rnorm(d * d), d, d))
w <- rnorm(d)

ans <- memLapply(L, function(el, w) el %*% w, VARS = list(w = w))
length(ans); dim(ans[[1]])
# memshare: end
check("vignette 2: memLapply equals lapply", close_to(ans, lapply(L, function(el) el %*% w), 0))

# memshare: vignette, 3) register / retrieve / release
ns <- "demo"
X  <- matrix(rnorm(1e6), 1000, 1000)
registerVariables(ns, list(X = X))

vw <- retrieveViews(ns, "X")
mean(vw$X[ , 1])
releaseViews(ns, "X")

releaseVariables(ns, "X")
# memshare: end
check("vignette 3: the view read X's values", identical(mean(vw$X[, 1]), mean(X[, 1])))

# memshare: vignette, feature map over columns
score <- function(v, a, b) sum((v - a)^2) / (1 + b)  # any column-wise work
ns <- "scores"
a <- rnorm(n); b <- runif(1)

out <- memApply(X = X, MARGIN = 2, FUN = score, VARS = list(a = a, b = b), NAMESPACE = ns)
# memshare: end
# (memshare's vignette draws `a` of length n = 10000 against the 1000-row X of block 3: R recycles the
# column, FUN does not translate, and the workers compute it as apply() does.)
check("vignette score: memApply equals apply", close_to(unlist(out), apply(X, 2, score, a = a, b = b), 1e-12))

# memshare: vignette, multiple passes on the same data
ns <- "reuse"
registerVariables(ns, list(X = X))
pass1 <- memApply("X", 2, function(v) sd(v), NAMESPACE = ns)
pass2 <- memApply("X", 2, function(v) mean(v), NAMESPACE = ns)
releaseVariables(ns, "X")
# memshare: end
check("vignette reuse: sd and mean per column equal apply's",
      close_to(unlist(pass1), apply(X, 2, sd), 1e-12) && close_to(unlist(pass2), colMeans(X), 1e-12))
check("nothing of these namespaces is left", !length(pageList()) &&
        !any(grepl("\\.(ID123|demo|scores|reuse)\\.", list.files("/dev/shm"))))
finish()
