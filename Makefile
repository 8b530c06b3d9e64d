# The README's commands. `make demo` and `make test` first run `make setup`, which installs what a fresh
# Debian machine with only Rust lacks (R and R packages from Debian; CRAN is not used) and is quiet when
# everything is there.
SHELL := /bin/bash
export PATH := $(PATH):$(HOME)/.cargo/bin

R_DEBS := r-base-dev r-cran-testthat r-cran-energy r-cran-bigmemory r-cran-roxygen2 r-cran-parmigene r-cran-knitr r-cran-rmarkdown pandoc r-cran-cli
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TESTTHAT := testthat::test_dir("rpkg/tests/testthat", package = "lazyshare", load_package = "installed", stop_on_failure = TRUE)

.PHONY: setup build install test demo bench docs check clean

setup:
	@missing=$$(for p in $(R_DEBS); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make setup: installing" $$missing; \
	  $(SUDO) apt-get update -qq -o DPkg::Lock::Timeout=300 && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
	    -o DPkg::Lock::Timeout=300 $$missing >/dev/null && echo "make setup: done"; \
	fi

build: setup
	cargo build --workspace --release

install: build
	R CMD INSTALL --no-multiarch rpkg

# Runs every suite even when one fails, then ends with each runner's own summary line(s).
test: setup build
	@mkdir -p target/logs; status=0; \
	cargo test --workspace --release 2>&1 | tee target/logs/cargo-test.log; (( status |= PIPESTATUS[0] )); \
	R CMD INSTALL --no-multiarch rpkg > target/logs/install.log 2>&1 || { cat target/logs/install.log; status=1; }; \
	Rscript -e '$(TESTTHAT)' 2>&1 | tee target/logs/testthat.log; (( status |= PIPESTATUS[0] )); \
	tests/e2e/run.sh 2>&1 | tee target/logs/e2e.log; (( status |= PIPESTATUS[0] )); \
	echo; echo "== summary =="; \
	grep -E '^test result:' target/logs/cargo-test.log | grep -v ' 0 passed; 0 failed' | sed 's/^/cargo: /'; \
	grep -E '^\[ FAIL' target/logs/testthat.log | tail -n 1 | sed 's/^/testthat: /'; \
	tail -n 1 target/logs/e2e.log; \
	exit $$status

demo: setup install
	Rscript -e 'for (d in c("pages", "dcor", "mi")) demo(d, package = "lazyshare", character.only = TRUE, ask = FALSE, echo = FALSE)'

bench: setup install
	Rscript bench/R/pages.R
	Rscript bench/R/dcor.R
	Rscript bench/R/memapply.R
	Rscript bench/R/mi.R
	cargo run --release -p lazyshare-bench --bin kernels

# Regenerates rpkg/man and rpkg/NAMESPACE from the roxygen comments (needs the package installed).
docs: install
	Rscript -e 'roxygen2::roxygenise("rpkg", load_code = roxygen2::load_installed)'

# R CMD check works on a copy of the package, so Makevars is told where the workspace is.
check: install
	cd target && R CMD build --no-build-vignettes ../rpkg >/dev/null && \
	  LAZYSHARE_WORKSPACE=$(CURDIR) _R_CHECK_FORCE_SUGGESTS_=false R CMD check --no-manual lazyshare_*.tar.gz

clean:
	cargo clean
	rm -f rpkg/src/*.o rpkg/src/*.so
