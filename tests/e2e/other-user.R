# Pages and other users. Run as root, with a second uid through `setpriv --reuid=nobody`: root's pages are
# 0600 and root's; nobody can neither retrieve nor read them; a page nobody leaves behind (owner killed) is
# never removed by root's lazyshare_sweep(); a file of nobody's planted under one of root's page names is
# neither read, replaced nor swept by root. Skips, saying why, where the machine cannot run a second uid.
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "helpers.R"))
ns <- paste0("h13a_users", Sys.getpid())
cat("other-user\n")

uid_of <- function(user) suppressWarnings(as.integer(system2("id", c("-u", user), stdout = TRUE, stderr = FALSE)))
if (!identical(uid_of(""), 0L)) skip_script("not running as root: cannot start a process of another user")
setpriv <- Sys.which("setpriv")
nobody <- uid_of("nobody")
if (!nzchar(setpriv) || length(nobody) != 1L || is.na(nobody)) skip_script("setpriv or the user 'nobody' is missing")

msg <- function(e) if (inherits(e, "error")) conditionMessage(e) else "no error"

# Runs R code as nobody with this session's library path; returns its output lines.
as_nobody <- function(code) {
  script <- sprintf("/tmp/h13a_%d_%s.R", Sys.getpid(), as.integer(runif(1, 0, 1e9)))
  writeLines(c("suppressPackageStartupMessages(library(lazyshare))", code), script)
  Sys.chmod(script, "644")
  on.exit(unlink(script))
  suppressWarnings(system2(setpriv, c("--reuid=nobody", "--regid=nogroup", "--clear-groups", rscript, script),
                           env = c(sprintf("R_LIBS=%s", paste(.libPaths(), collapse = ":")), "HOME=/tmp"),
                           stdout = TRUE, stderr = TRUE))
}
probe <- as_nobody("cat('loaded', Sys.info()[['effective_user']], '\\n')")
if (!any(grepl("^loaded nobody", probe))) {
  skip_script(sprintf("nobody cannot load lazyshare from %s (make the library world-readable): %s",
               paste(.libPaths(), collapse = ":"), paste(probe, collapse = " | ")))
}

registerVariables(ns, list(X = as.numeric(1:10)))
root_file <- file.path("/dev/shm", shm_files(ns))
info <- file.info(root_file, extra_cols = TRUE)
check(sprintf("root's page is mode 0600 and owned by root (%s, uid %d)", format(info$mode), info$uid),
      format(info$mode) == "600" && info$uid == 0L)

out <- as_nobody(c(
  sprintf("r <- tryCatch(retrieveViews('%s', 'X'), error = function(e) e)", ns),
  "cat('RETRIEVE', class(r)[1], conditionMessage(r), '\\n')",
  sprintf("d <- tryCatch(readBin('%s', 'raw', 10), error = function(e) e, warning = function(w) w)", root_file),
  "cat('READ', if (is.raw(d)) 'read' else conditionMessage(d), '\\n')"
))
retrieve <- grep("^RETRIEVE", out, value = TRUE)
check(sprintf("nobody's retrieveViews of root's variable is an R error (%s)", retrieve),
      length(retrieve) == 1L && grepl("lazyshare_page_not_found.*'X' not found", retrieve))
read <- grep("^READ", out, value = TRUE)
check(sprintf("nobody cannot open root's segment file directly (%s)", read),
      length(read) == 1L && grepl("Permission denied", read))

# nobody registers pages and is killed, leaving them behind with a dead owner.
out <- as_nobody(c(
  sprintf("registerVariables('%s', list(Y = c(6, 6, 6), Z = 1:3))", ns),
  "cat('REGISTERED\\n')",
  "tools::pskill(Sys.getpid(), tools::SIGKILL)"
))
nobody_files <- file.path("/dev/shm", grep(sprintf("^lzs\\.%d\\.", nobody), shm_files(ns), value = TRUE))
check("nobody registered two pages and died", any(out == "REGISTERED") && length(nobody_files) == 2L)
info <- file.info(nobody_files, extra_cols = TRUE)
check("nobody's pages are 0600 and nobody's", all(format(info$mode) == "600" & info$uid == nobody))
swept <- lazyshare_sweep()
check("root's lazyshare_sweep() leaves nobody's dead pages alone",
      all(file.exists(nobody_files)) && !any(startsWith(swept, paste0(ns, "."))))

# One of them moved under root's page name for Y: another user's file planted where root's page would be.
planted <- sub(sprintf("^lzs\\.%d\\.", nobody), "lzs.0.", basename(grep("\\.Y$", nobody_files, value = TRUE)))
planted <- file.path("/dev/shm", planted)
invisible(file.rename(grep("\\.Y$", nobody_files, value = TRUE), planted))
nobody_files <- setdiff(nobody_files, grep("\\.Y$", nobody_files, value = TRUE))
before <- paste(file.info(planted)$size, tools::md5sum(planted))
swept <- lazyshare_sweep()
check("root's sweep does not remove a file of nobody's under root's page name, though its owner is dead",
      file.exists(planted) && !paste0(ns, ".Y") %in% swept)
e <- tryCatch(retrieveViews(ns, "Y"), error = identity)
check(sprintf("root refuses to read it (%s)", msg(e)),
      inherits(e, "lazyshare_not_owner") && grepl(sprintf("belongs to user id %d", nobody), msg(e)))
e <- tryCatch(retrieveMetadata(ns, "Y"), error = identity)
check("... and to describe it", inherits(e, "lazyshare_not_owner"))
e <- tryCatch(registerVariables(ns, list(Y = 1)), error = identity)
check(sprintf("root's registration does not take it over (%s)", msg(e)),
      inherits(e, "lazyshare_not_owner"))
check("the planted file is untouched and still nobody's",
      identical(paste(file.info(planted)$size, tools::md5sum(planted)), before) &&
        file.info(planted, extra_cols = TRUE)$uid == nobody)
unlink(planted)
if (paste0(ns, ".Y") %in% pageList()) try(releaseVariables(ns, "Y"), silent = TRUE)

# nobody's own sweep (the one loading the package runs) removes nobody's dead page, not root's live one.
out <- as_nobody("cat('SWEPT', lazyshare_sweep(), '\\n')")
check("nobody's sweep removes its own dead page", !any(file.exists(nobody_files)))
check("root's live page survives every sweep", file.exists(root_file) &&
        identical(retrieveViews(ns, "X")$X[], as.numeric(1:10)))
memshare_gc(ns)
check("nothing of ours left in /dev/shm", length(shm_files(ns)) == 0L)
finish()
