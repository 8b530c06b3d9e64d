ns <- test_ns("space")

test_that("a registration larger than the free shared memory is a lazyshare_no_space error leaving nothing", {
  free <- as.numeric(system("df --output=avail -B1 /dev/shm | tail -n 1", intern = TRUE))
  n <- ceiling(free / 8) + 2^20
  skip_if(n > 2^52, "/dev/shm is too large to exceed with one vector")
  big <- seq_len(n)                                                    # compact: R never allocates it
  err <- tryCatch(registerVariables(ns, list(ok = 1:3, big = big)), error = identity)
  expect_s3_class(err, "lazyshare_no_space")
  expect_match(conditionMessage(err), "not enough shared memory for 'big': it needs .* and /dev/shm has .* free")
  expect_length(shm_files(ns), 0)
  expect_false(any(startsWith(pageList(), paste0(ns, "."))))
})

test_that("a registered page owns all its memory, so a full /dev/shm cannot make reading it fail", {
  registerVariables(ns, list(X = matrix(runif(3e5), 1000)))
  on.exit(memshare_gc(ns))
  f <- file.path("/dev/shm", shm_files(ns))
  expect_length(f, 1)
  blocks <- as.numeric(strsplit(system2("stat", c("-c", shQuote("%b %B"), shQuote(f)), stdout = TRUE), " ")[[1]])
  allocated <- blocks[1] * blocks[2]                                   # blocks allocated x block size
  expect_gte(allocated, file.info(f)$size)
})
