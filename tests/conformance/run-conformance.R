# Standalone run of the conformance suite, outside testthat:
#   Rscript run-conformance.R [n = 5000] [seed = 20240611] [records.csv]
# LAZYSHARE_LIB=<library> puts that library first on .libPaths() (e.g. /work/conf-lib). Prints the
# summary and the unexplained differences by family and kind, with examples; the optional third
# argument receives every record as CSV.

args <- commandArgs(trailingOnly = TRUE)
n <- if (length(args) >= 1L) as.integer(args[1]) else 5000L
seed <- if (length(args) >= 2L) as.integer(args[2]) else 20240611L
lib <- Sys.getenv("LAZYSHARE_LIB", "")
if (nzchar(lib)) .libPaths(c(lib, .libPaths()))
suppressPackageStartupMessages(library(lazyshare))

here <- local({
  file_arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg[1]))) else getwd()
})
source(file.path(here, "..", "..", "rpkg", "tests", "testthat", "helper-conformance.R"))

elapsed <- system.time(records <- run_conformance(n, seed))[["elapsed"]]
cat(sprintf("%d expressions (seed %d) in %.1f s\n\n", n, seed, elapsed))
summarise_conformance(records)

cat("\n== unexplained differences by family and kind ==\n")
cats <- categorise_conformance(records)
for (f in unique(cats$family)) {
  cat(sprintf("\n%s\n", f))
  for (k in which(cats$family == f)) {
    cat(sprintf("  %-32s %5d\n", cats$kind[k], cats$count[k]))
    cat(paste0("      ", strsplit(cats$examples[k], "\n", fixed = TRUE)[[1]]), sep = "\n")
  }
}
if (length(args) >= 3L) utils::write.csv(records, args[3], row.names = FALSE)
