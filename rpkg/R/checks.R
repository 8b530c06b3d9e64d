# Argument checks shared by the exported functions. Errors name the argument and say what was expected.

describe_object <- function(x) {
  if (is.null(x)) return("NULL")
  if (is.data.frame(x)) return("a data.frame")
  if (is.factor(x)) return("a factor")
  cls <- oldClass(x)
  if (!is.null(cls)) return(sprintf("an object of class '%s'", cls[1]))
  switch(typeof(x),
    double = "a double vector", integer = "an integer vector",
    logical = "a logical vector", character = "a character vector",
    complex = "a complex vector", list = "a list", raw = "a raw vector",
    closure = , builtin = , special = "a function",
    environment = "an environment",
    paste("an object of type", typeof(x)))
}

check_string <- function(x, arg) {
  if (!is.character(x) || length(x) != 1L || is.na(x) || !nzchar(x)) {
    abort(sprintf("`%s` must be a single non-empty string; got %s", arg,
                  if (is.character(x) && length(x) == 1L) encodeString(x, quote = '"')
                  else describe_object(x)))
  }
  invisible(x)
}

check_names <- function(x, arg) {
  if (!is.character(x) || anyNA(x) || !all(nzchar(x))) {
    got <- if (!is.character(x)) describe_object(x) else if (anyNA(x)) "NA" else "\"\""
    abort(sprintf("`%s` must be a character vector of non-empty names; got %s", arg, got))
  }
  invisible(x)
}

# Page names: the runtime holds the rule (ASCII letters, digits, '.', '_', '-'; not "." nor ".."; short
# enough for a shared-memory name) and words the error, a `lazyshare_bad_name`.
check_namespace <- function(x, arg = "namespace") {
  check_string(x, arg)
  .Call(lzs_check_names, x, arg, TRUE)
  invisible(x)
}

check_var_names <- function(x, arg) {
  check_names(x, arg)
  .Call(lzs_check_names, x, arg, FALSE)
  invisible(x)
}

is_plain_numeric <- function(x) {
  is.null(oldClass(x)) && typeof(x) %in% c("double", "integer", "logical")
}

# One of `choices`, as match.arg() picks it (the whole vector means the first; partial names match), with
# an error naming the argument for anything else (match.arg's own errors name `arg`, or none).
check_choice <- function(value, choices, arg) {
  if (identical(value, choices)) return(choices[1L])
  if (is.character(value) && length(value) == 1L && !is.na(value)) {
    hit <- pmatch(value, choices)
    if (!is.na(hit)) return(choices[hit])
  }
  abort(sprintf("`%s` must be one of %s; got %s", arg, paste0("\"", choices, "\"", collapse = ", "),
                if (is.character(value) && length(value) == 1L) encodeString(value, quote = '"')
                else describe_object(value)))
}

# A single TRUE or FALSE.
check_flag <- function(x, arg) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) {
    abort(sprintf("`%s` must be TRUE or FALSE; got %s", arg, describe_object(x)))
  }
}
