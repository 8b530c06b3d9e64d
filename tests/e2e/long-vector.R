# A page of more than 2^31 doubles, made sparse by a Rust helper, is a long vector in R.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
ns <- paste0("e2elong", Sys.getpid())
cat("long-vector\n")

bin <- file.path(Sys.getenv("LZS_BIN_DIR", "target/release"), "lzs-sparse-page")
n <- 2^31 + 5
helper <- pipe(sprintf("%s %s big %s", shQuote(bin), ns, format(n, scientific = FALSE)), open = "w")
check("the helper published the page", wait_for(function() length(shm_files(ns)) == 1 &&
  !inherits(try(retrieveMetadata(ns, "big"), silent = TRUE), "try-error")))
check("metadata reports the long length", identical(retrieveMetadata(ns, "big"), list(type = "vector", n = n)))
for (i in 1:3) before <- private_bytes()
v <- retrieveViews(ns, "big")$big
check(sprintf("length(view) is %.0f", length(v)), length(v) == n && is.double(v))
check("first and last elements are right", v[1] == 1 && v[n] == 1.5 && v[n - 1] == 0)
check(sprintf("the view costs no memory (private growth %.0f KB)", (private_bytes() - before) / 1024),
      private_bytes() - before < 1024 * 1024)
releaseViews(ns, "big")
close(helper)
check("the helper removed its page", wait_for(function() length(shm_files(ns)) == 0))
check("the released view still reads", v[n] == 1.5)
finish()
