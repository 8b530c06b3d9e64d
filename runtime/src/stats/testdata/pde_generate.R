# Regenerates the test inputs and expected values of runtime/src/stats/pde.rs with R 4.2.2
# (DataVisualizations is not needed). Run from this directory:
#   Rscript pde_generate.R [/path/to/pde-reference.txt]
# pde_r1_table.txt is the "R1 full table" of pde-reference.txt (DataVisualizations 1.4.0 output); the
# other pde_*_table.txt files come from pdeR() below, a plain-R re-computation of ParetoDensityEstimation
# with a given radius that reproduces the R1 table bit for bit and the R2/R3/R4 reference excerpts.
f <- function(v) sprintf("%.17g", v)

## Inputs ------------------------------------------------------------------------------------------
set.seed(1); b <- rnorm(20000)   # prefixes: rnorm(1000) (R1), rnorm(2000) (R2), first 400 for the ties case
writeLines(f(b), "rnorm_seed1_20000.txt")
set.seed(1); e <- rexp(1000)     # R3
writeLines(f(e), "rexp_seed1_1000.txt")
stopifnot(identical(as.numeric(readLines("rnorm_seed1_20000.txt")), b),
          identical(as.numeric(readLines("rexp_seed1_1000.txt")), e))
args <- commandArgs(trailingOnly = TRUE)
if (length(args) >= 1) {
  ref <- readLines(args[1]); s <- grep("^R1 full table", ref)
  tab <- ref[(s + 1):length(ref)]; tab <- tab[seq_len(which(tab == "")[1] - 1)]
  writeLines(sub("^  ", "", tab), "pde_r1_table.txt")
}

## pretty(): random (lo, hi, n) triples -------------------------------------------------------------
set.seed(20240601)
cases <- list()
add <- function(lo, hi, n) cases[[length(cases) + 1L]] <<- c(lo, hi, n)
ns <- function() { k <- sample(1:6, 1)
  switch(k, sample(1:12, 1), sample(13:120, 1), 100, 3L * sample(34:3333, 1) + 1L, sample(c(301L, 10000L, 30001L, 1000L), 1), sample(1:40, 1)) }
for (i in 1:120) { # data-like: min/max of a sample
  x <- rnorm(sample(3:2000, 1)) * 10^runif(1, -6, 6) + sample(c(0, 0, 1, -1), 1) * 10^runif(1, -3, 7)
  add(min(x), max(x), ns()) }
for (i in 1:80) { # arbitrary intervals
  lo <- rnorm(1) * 10^runif(1, -8, 8); hi <- lo + rexp(1) * 10^runif(1, -10, 8); add(lo, hi, ns()) }
for (i in 1:40) { # integers and simple decimals
  lo <- sample(-50:50, 1) / sample(c(1, 2, 4, 10, 100), 1); hi <- lo + sample(1:200, 1) / sample(c(1, 2, 4, 10, 100), 1); add(lo, hi, ns()) }
for (i in 1:30) { # zero at one end
  v <- rexp(1) * 10^runif(1, -5, 5); if (i %% 2) add(0, v, ns()) else add(-v, 0, ns()) }
for (i in 1:30) { # tiny relative range (i_small) and degenerate
  v <- rnorm(1) * 10^runif(1, -5, 5); add(v, v * (1 + sample(c(0, 1e-16, 1e-15, 1e-13, 1e-12), 1) * sign(v)), ns()) }
for (i in 1:20) { # x = 1:k like, and exact multiples of the unit
  add(1, sample(2:100, 1), ns()) }
for (i in 1:60) { # nB from PDE rules on typical data sizes
  x <- switch(sample(1:3, 1), rnorm(1000), rexp(500), runif(300) * 100)
  add(min(x), max(x), sample(c(100L, 3L * sample(34:200, 1) + 1L), 1)) }
add(0, 0, 1); add(0, 0, 100); add(5, 5, 100); add(-3, -3, 7); add(1e-300, 2e-300, 10); add(-1e300, 1e300, 30001)
add(-3.0080485989204808, 3.8102766807106652, 61)  # R1 nB=3*20+1? (nB=max(100,20)=100 actually)
lines <- character(0)
for (cs in cases) {
  lo <- cs[1]; hi <- cs[2]; n <- as.integer(cs[3])
  br <- pretty(c(lo, hi), n = n, min.n = 1)
  L <- length(br)
  idx <- if (L <= 40) 1:L else sort(unique(c(1:5, (L - 4):L, sample(6:(L - 5), 10))))
  lines <- c(lines, paste(f(lo), f(hi), n, L, paste(paste0(idx - 1L, ":", f(br[idx])), collapse = " ")))
}
writeLines(lines, "pretty_cases.txt")
cat(length(lines), "cases\n")

## Exact radius (brute force), OptimalNoBins, sd and type-8 quartiles ------------------------------
exact <- function(x){ x<-x[is.finite(x)]; d <- as.vector(dist(x)); m<-length(d); s<-sort(d); r<-s[floor(m*(0.18-1e-9))+1]
 if(r==0){ p<-(1:100)/100; idx<-pmin(m-1,floor(m*(p-1e-9))); pz<-s[idx+1]; r<-min(pz[pz>0])}
 n<-length(x); if(n>1024) r<-r*4/n^0.2; r}
OptimalNoBins = function(Data){ nData <- sum(!is.nan(Data)); sigma<-sd(Data,na.rm=TRUE)
  p<-quantile(Data,c(0.25,0.75),type=8,na.rm = T); iqr<-p[2]-p[1]; s<-min(sigma,iqr/1.349)
  w<-3.49*s/(nData)^(1/3); if(w>0) max(ceiling((max(Data)-min(Data))/w),10) else 10 }
sets <- list()
for (n in c(2,3,4,5,7,10,33,100,257,1000,1024,1025,2000,3000)) sets[[paste0("norm_", n)]] <- b[1:n]
for (n in c(3,10,100,500,1000)) sets[[paste0("exp_", n)]] <- e[1:n]
sets[["ties600"]] <- c(rep(0,600), b[1:400])
sets[["ties5"]] <- c(rep(1,5), 2, 3)
sets[["floor1"]] <- floor(b[1:1500] * 10) / 10
sets[["floor2"]] <- floor(e[1:800] * 10)
sets[["int1to5"]] <- 1:5
sets[["int1to100"]] <- 1:100
out <- character(0)
for (nm in names(sets)) { x <- sets[[nm]]
  q <- quantile(x, c(0.25, 0.75), type = 8)
  out <- c(out, paste(nm, f(exact(x)), OptimalNoBins(x), f(sd(x)), f(q[1]), f(q[2]))) }
writeLines(out, "r_radius_bins.txt"); cat(out, sep = "\n")

## PDE tables ------------------------------------------------------------------------------------
trapz <- function(x, y) { m <- length(x); xp <- c(x, x[m:1]); yp <- c(numeric(m), y[m:1]); n <- 2*m
    p1 <- sum(xp[1:(n-1)]*yp[2:n]) + xp[n]*yp[1]; p2 <- sum(xp[2:n]*yp[1:(n-1)]) + xp[1]*yp[n]; 0.5*(p1-p2) }
pdeR <- function(x, r) { x <- x[is.finite(x)]; mn <- min(x); mx <- max(x)
  nB <- max(100, OptimalNoBins(x)); if (nB > 100) nB <- if (nB > 1e4) 1e4 else 3*nB+1
  br <- pretty(c(mn, mx), n = nB, min.n = 1); k <- 0.5*(br[-1L] + br[-length(br)])
  if ((k[1]-r) != mn) k <- c(mn, k); if ((tail(k,1)+r) != mx) k <- c(k, mx)
  dp <- c(x, 2*mn - x[x < mn + r], 2*mx - x[x > mx - r])
  cnt <- sapply(k, function(kk) sum(dp >= kk - r & dp <= kk + r))
  a <- trapz(k, cnt); d <- if (a < 1e-10 || is.na(a)) rep(0, length(k)) else cnt/a
  list(k = k, d = d, r = r) }
ref <- read.table("pde_r1_table.txt")
p1 <- pdeR(b[1:1000], exact(b[1:1000]))
cat("R1 identical kernels:", identical(p1$k, ref[[1]]), " density:", identical(p1$d, ref[[2]]), max(abs(p1$d - ref[[2]])), "\n")
show <- function(nm, p) { L <- length(p$k); cat(nm, "len", L, "k[1:4]", f(p$k[1:4]), "last3", f(p$k[(L-2):L]), "\n   d[1:4]", f(p$d[1:4]), "last3", f(p$d[(L-2):L]), "max", f(max(p$d)), f(p$k[which.max(p$d)]), "sum", f(sum(p$d)), "\n") }
p2 <- pdeR(b[1:2000], exact(b[1:2000])); show("R2", p2)
p3 <- pdeR(e, exact(e)); show("R3", p3)
p4 <- pdeR(b, 0.17808332781713354); show("R4s", p4)
p5 <- pdeR(1:5, 1); show("E15", p5)
pt <- pdeR(c(rep(0,600), b[1:400]), exact(c(rep(0,600), b[1:400]))); show("ties", pt)
# exact radius of all 20000 values (Rust pareto_radius; confirmed by the pair counts in check_r4 below)
p4e <- pdeR(b, 0.17768799628995613); show("R4exact", p4e)
wt <- function(nm, p) writeLines(paste(f(p$k), f(p$d)), nm)
wt("pde_r2_table.txt", p2); wt("pde_r3_table.txt", p3); wt("pde_r4_exact_table.txt", p4e); wt("pde_ties_table.txt", pt)

## check_r4: the exact 18 % order statistic of all 20000 values, by counting all pairs ----------
check_r4 <- function() {
  s <- sort(b); n <- length(s); m <- n * (n - 1) / 2
  cat("idx0", floor(m * (0.18 - 1e-9)), " floor(0.18 m)", floor(0.18 * m), "\n")
  for (t in c(0.32196161547649504, 0.32196162506103831)) { lt <- 0; le <- 0
    for (i in 1:(n - 1)) { d <- s[(i + 1):n] - s[i]; lt <- lt + sum(d < t); le <- le + sum(d <= t) }
    cat(f(t), " #{d < t} =", lt, " #{d <= t} =", le, "\n") }
}
check_r4()
