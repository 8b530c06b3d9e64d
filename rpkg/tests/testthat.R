library(testthat)
library(lazyshare)

test_check("lazyshare")
