# The package's conditions. Every error is a `lazyshare_error` with a class saying what went wrong
# (`lazyshare_bad_argument` and its refinement `lazyshare_bad_name`, `lazyshare_too_big`, `lazyshare_page_not_found`, `lazyshare_name_taken`,
# `lazyshare_not_owner`, `lazyshare_no_space`, `lazyshare_corrupt_page`, `lazyshare_system`,
# `lazyshare_worker_failed`, `lazyshare_fun_failed`, `lazyshare_explain_only`, `lazyshare_internal`);
# warnings are `lazyshare_warning`s. A pass stopped with Ctrl-C signals R's own `interrupt`.

# Stops with a classed error. R code's own checks report no call (their messages name the argument).
abort <- function(message, class = "lazyshare_bad_argument", call = NULL, ...) {
  stop(structure(class = c(class, "lazyshare_error", "error", "condition"),
                 list(message = message, call = call, ...)))
}

# Called by the C entries (altrep/src/guard.rs) to raise their errors: the call reported is that of the
# R function that made the .Call, as R's own errors from C code report it.
signal_error <- function(class, message) {
  call <- if (sys.nframe() > 1L) sys.call(-1L)
  abort(message, c(class, unname(parent_class[class][!is.na(parent_class[class])])), call = call)
}

# Classes that refine another: a bad name is a bad argument too.
parent_class <- c(lazyshare_bad_name = "lazyshare_bad_argument")

# Called by the C entries to raise the warnings a computation recorded (integer overflow, NaNs produced).
signal_warnings <- function(messages) {
  for (m in messages) {
    warning(structure(class = c("lazyshare_warning", "warning", "condition"),
                      list(message = m, call = NULL)))
  }
}
