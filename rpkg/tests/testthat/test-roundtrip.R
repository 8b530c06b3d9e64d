ns <- test_ns("roundtrip")

test_that("vectors and matrices of every type keep values, type, dim, dimnames and names", {
  set.seed(1)
  vars <- list(
    dmat = matrix(rnorm(12), 3, 4, dimnames = list(letters[1:3], LETTERS[1:4])),
    dvec = c(a = 1.5, b = NA, c = -Inf, d = NaN),
    imat = matrix(c(1L, NA, 3L, .Machine$integer.max, -.Machine$integer.max, 0L), 2),
    ivec = setNames(1:5, paste0("n", 1:5)),
    lvec = c(TRUE, NA, FALSE),
    lmat = matrix(c(TRUE, FALSE, NA, TRUE), 2, dimnames = list(NULL, c("x", "y"))),
    empty = numeric(0),
    one = 42L
  )
  registerVariables(ns, vars)
  on.exit(memshare_gc(ns))
  got <- retrieveViews(ns, names(vars))
  expect_named(got, names(vars))
  for (nm in names(vars)) {
    expect_identical(got[[nm]], vars[[nm]], label = nm)
    expect_identical(typeof(got[[nm]]), typeof(vars[[nm]]), label = nm)
    expect_false(is.null(viewInfo(got[[nm]])), label = nm)
  }
  expect_true(is.matrix(got$dmat) && is.numeric(got$dmat))
  expect_identical(dim(got$imat), c(2L, 3L))
  expect_identical(dimnames(got$lmat), list(NULL, c("x", "y")))
})

test_that("a list variable is one page of several arrays and comes back as a list of views", {
  L <- list(a = 1:3, b = matrix(c(0.5, 1.5), 1, dimnames = list("r", c("p", "q"))), c = c(x = TRUE))
  registerVariables(ns, list(L = L))
  on.exit(memshare_gc(ns))
  expect_identical(pageList()[startsWith(pageList(), ns)], paste0(ns, ".L"))
  got <- retrieveViews(ns, "L")$L
  expect_identical(got, L)
  expect_true(all(vapply(got, function(v) !is.null(viewInfo(v)), logical(1))))
  expect_identical(viewInfo(got$b)$element, 2)
  expect_identical(retrieveMetadata(ns, "L"), list(type = "list", n = 3))
})

test_that("views read like the data: subsetting, summaries, coercion, arithmetic", {
  set.seed(2)
  X <- matrix(rnorm(2000 * 50), 2000, 50)
  X[7] <- NA
  I <- sample(c(-5:5, NA), 1e5, TRUE)
  registerVariables(ns, list(X = X, I = I))
  on.exit(memshare_gc(ns))
  v <- retrieveViews(ns, c("X", "I"))
  expect_identical(v$X[7], NA_real_)
  expect_identical(v$X[1:10, 3], X[1:10, 3])
  expect_identical(v$X[c(5, 9)], X[c(5, 9)])
  expect_equal(sum(v$X, na.rm = TRUE), sum(X, na.rm = TRUE), tolerance = 1e-13)
  expect_identical(sum(v$X), NA_real_)
  expect_identical(max(v$X, na.rm = TRUE), max(X, na.rm = TRUE))
  expect_identical(min(v$X, na.rm = TRUE), min(X, na.rm = TRUE))
  expect_identical(sum(v$I), NA_integer_)
  expect_identical(sum(v$I, na.rm = TRUE), sum(I, na.rm = TRUE))
  expect_identical(min(v$I), NA_integer_)
  expect_identical(max(v$I, na.rm = TRUE), 5L)
  expect_identical(as.integer(v$I), I)
  expect_identical(as.character(v$I[1:5]), as.character(I[1:5]))
  expect_identical(colSums(v$X, na.rm = TRUE), colSums(X, na.rm = TRUE))
  expect_identical(v$X * 2, X * 2)
  expect_identical(mean(v$I, na.rm = TRUE), mean(I, na.rm = TRUE))
  expect_identical(sort(v$I), sort(I))
})

test_that("integer sums beyond the integer range give what R gives", {
  big <- rep(.Machine$integer.max, 3L)
  registerVariables(ns, list(big = big))
  on.exit(memshare_gc(ns))
  v <- retrieveViews(ns, "big")$big
  expect_identical(sum(v), sum(big))
  expect_identical(sum(v[1:2]), sum(big[1:2]))
})

test_that("views keep being views when R adds attributes", {
  registerVariables(ns, list(w = as.numeric(1:6)))
  on.exit(memshare_gc(ns))
  v <- retrieveViews(ns, "w")$w
  dim(v) <- c(2, 3)
  expect_identical(viewInfo(v)$variable, "w")
  expect_identical(v, matrix(as.numeric(1:6), 2))
})

test_that("the namespace leaves no segment behind", {
  expect_length(shm_files(ns), 0)
})
