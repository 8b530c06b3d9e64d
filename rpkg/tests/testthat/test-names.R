ns <- test_ns("h13a_names")

refused <- list(
  slash = "a/b", dotdot = "..", dots_inside = "a..b", dot = ".", space = "a b",
  non_ascii = "na\u00efve", cjk = "\u540d\u524d", percent = "a%2Fb", backslash = "a\\b",
  newline = "a\nb", long = strrep("n", 10 * 1024)
)

test_that("every function refuses a bad namespace, naming the argument and the rule", {
  for (bad in refused) {
    calls <- list(
      function() registerVariables(bad, list(x = 1)),
      function() retrieveViews(bad, "x"),
      function() releaseViews(bad, "x"),
      function() releaseVariables(bad, "x"),
      function() retrieveMetadata(bad, "x"),
      function() memshare_gc(bad)
    )
    for (f in calls) {
      e <- expect_error(f(), class = "lazyshare_bad_name")
      expect_s3_class(e, "lazyshare_bad_argument")
      expect_match(conditionMessage(e), "^`namespace` ")
      expect_match(conditionMessage(e), if (nchar(bad) > 1000) "too long" else "ASCII letters, digits")
      expect_lt(nchar(conditionMessage(e)), 400)
    }
    expect_error(memApply(matrix(1, 2, 2), 2, sum, NAMESPACE = bad), "^`NAMESPACE` ",
                 class = "lazyshare_bad_name")
  }
})

test_that("every function refuses bad variable names, naming the argument", {
  for (bad in refused) {
    expect_error(registerVariables(ns, setNames(list(1), bad)), "^`names\\(variableList\\)` ",
                 class = "lazyshare_bad_name")
    expect_error(registerVariables(ns, setNames(list(1, 2), c("ok", bad))),
                 "`names\\(variableList\\)`", class = "lazyshare_bad_name")
    expect_error(retrieveViews(ns, c("ok", bad)), "^`variableNames` ", class = "lazyshare_bad_name")
    expect_error(releaseViews(ns, bad), "^`variableNames` ", class = "lazyshare_bad_name")
    expect_error(releaseVariables(ns, bad), "^`variableNames` ", class = "lazyshare_bad_name")
    expect_error(retrieveMetadata(ns, bad), "^`variableName` ", class = "lazyshare_bad_name")
    expect_error(memApply(matrix(1, 2, 2), 2, sum, VARS = setNames(list(1), bad)),
                 "^`names\\(VARS\\)` ", class = "lazyshare_bad_name")
    expect_error(memApply(bad, 2, sum, NAMESPACE = ns), "^`X` ", class = "lazyshare_bad_name")
    expect_error(memApply(matrix(1, 2, 2), 2, sum, VARS = bad, NAMESPACE = ns), "^`VARS` ",
                 class = "lazyshare_bad_name")
  }
  expect_error(registerVariables(ns, setNames(list(1), "a/b")), "\"a/b\" contains '/'")
  expect_error(registerVariables(ns, list(..x = 1)), "contains \"..\"")
  expect_error(retrieveViews(ns, "na\u00efve"), "non-ASCII character")
  expect_length(shm_files(ns), 0)
})

test_that("NA, empty and non-string names are refused as bad arguments", {
  expect_error(registerVariables(NA_character_, list(x = 1)), "^`namespace` .*got NA",
               class = "lazyshare_bad_argument")
  expect_error(registerVariables("", list(x = 1)), "^`namespace` .*non-empty",
               class = "lazyshare_bad_argument")
  expect_error(retrieveViews(ns, NA_character_), "^`variableNames` .*got NA",
               class = "lazyshare_bad_argument")
  expect_error(retrieveViews(ns, c("a", "")), "^`variableNames` .*got \"\"",
               class = "lazyshare_bad_argument")
  expect_error(retrieveMetadata(ns, NA_character_), "`variableName`", class = "lazyshare_bad_argument")
  expect_error(registerVariables(ns, setNames(list(1), NA_character_)), "must be named",
               class = "lazyshare_bad_argument")
  expect_error(releaseVariables(ns, 1L), "`variableNames`", class = "lazyshare_bad_argument")
  bytes <- "\xfc"
  Encoding(bytes) <- "bytes"
  expect_error(retrieveViews(bytes, "x"), "non-ASCII", class = "lazyshare_bad_name")
  expect_error(registerVariables(ns, setNames(list(1), bytes)), "non-ASCII", class = "lazyshare_bad_name")
  expect_length(shm_files(ns), 0)
})

test_that("the names memshare users write keep working, with '.' written %2E in the file name", {
  vars <- list(X = 1:3, mat = matrix(0, 2, 2), .hidden = 1, `run-2.v1` = c(a = 1), A_b = TRUE)
  names_ns <- paste0(ns, ".sub-1")
  registerVariables(names_ns, vars)
  on.exit(memshare_gc(names_ns))
  files <- shm_files(gsub(".", "%2E", names_ns, fixed = TRUE))
  expect_setequal(sub("^lzs\\.[0-9]+\\.[^.]+\\.", "", files),
                  c("X", "mat", "%2Ehidden", "run-2%2Ev1", "A_b"))
  v <- retrieveViews(names_ns, names(vars))
  expect_identical(lapply(v, function(x) x[]), vars)
  expect_identical(retrieveMetadata(names_ns, "run-2.v1"), list(type = "vector", n = 1))
  expect_setequal(pageList(), union(pageList(), paste(names_ns, names(vars), sep = ".")))
  releaseViews(names_ns, names(vars))
  releaseVariables(names_ns, names(vars))
  expect_length(files[file.exists(file.path("/dev/shm", files))], 0)
})

test_that("files in /dev/shm whose names decode to forbidden names are not pages", {
  registerVariables(ns, list(real = 1))
  on.exit(memshare_gc(ns))
  prefix <- sub("^(lzs\\.[0-9]+\\.[^.]+\\.).*$", "\\1", shm_files(ns))
  planted <- file.path("/dev/shm", paste0(prefix, c("a%2Fb", "a%00b", "%2E%2E", "%C3%BC", "a%20b", "%41")))
  for (f in planted) writeBin(as.raw(1:200), f)
  on.exit(unlink(planted), add = TRUE)
  expect_error(retrieveViews(ns, "nothing"), "the namespace holds 'real'$")
  swept <- lazyshare_sweep()
  expect_false(any(startsWith(swept, paste0(ns, "."))))
  expect_true(all(file.exists(planted)))
  expect_identical(retrieveViews(ns, "real")$real[], 1)
  releaseViews(ns, "real")
})
