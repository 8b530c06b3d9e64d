# The README's commands. `make demo` and `make test` first run `make setup`, which installs what a fresh
# Debian machine with only Rust lacks (R and R packages from Debian; CRAN is not used; iproute2's `ss`,
# which the multi-host tests count bytes sent with) and is quiet when everything is there.
SHELL := /bin/bash
export PATH := $(PATH):$(HOME)/.cargo/bin

R_DEBS := r-base-dev r-cran-testthat r-cran-energy r-cran-bigmemory r-cran-roxygen2 r-cran-parmigene r-cran-knitr r-cran-rmarkdown pandoc r-cran-cli r-cran-future r-cran-future.apply iproute2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
TESTTHAT := testthat::test_dir("rpkg/tests/testthat", package = "lazyshare", load_package = "installed", stop_on_failure = TRUE)

.PHONY: setup build install test demo bench docs tarball tarball-offline check clean

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

# Runs every suite even when one fails, R CMD check of the source tarball last, then ends with each runner's
# own summary line(s).
test: setup build
	@mkdir -p target/logs; status=0; \
	cargo test --workspace --release 2>&1 | tee target/logs/cargo-test.log; (( status |= PIPESTATUS[0] )); \
	R CMD INSTALL --no-multiarch rpkg > target/logs/install.log 2>&1 || { cat target/logs/install.log; status=1; }; \
	Rscript -e '$(TESTTHAT)' 2>&1 | tee target/logs/testthat.log; (( status |= PIPESTATUS[0] )); \
	tests/e2e/run.sh 2>&1 | tee target/logs/e2e.log; (( status |= PIPESTATUS[0] )); \
	$(MAKE) --no-print-directory check 2>&1 | tee target/logs/check.log; (( status |= PIPESTATUS[0] )); \
	echo; echo "== summary =="; \
	grep -E '^test result:' target/logs/cargo-test.log | grep -v ' 0 passed; 0 failed' | sed 's/^/cargo: /'; \
	grep -E '^\[ FAIL' target/logs/testthat.log | tail -n 1 | sed 's/^/testthat: /'; \
	tail -n 1 target/logs/e2e.log; \
	{ grep -E '^Status:' target/logs/check.log || echo 'Status: did not run'; } | tail -n 1 | sed 's/^/R CMD check: /'; \
	exit $$status

demo: setup install
	Rscript -e 'for (d in c("pages", "dcor", "mi")) demo(d, package = "lazyshare", character.only = TRUE, ask = FALSE, echo = FALSE)'

bench: setup install
	Rscript bench/R/pages.R
	Rscript bench/R/dcor.R
	Rscript bench/R/memapply.R
	Rscript bench/R/mi.R
	cargo run --release -p lazyshare-bench --bin kernels
	cargo run --release -p lazyshare-bench --bin replicates
	cargo run --release -p lazyshare-bench --bin scaling
	cargo run --release -p lazyshare-bench --bin ceilings
	Rscript bench/R/exact_sums.R

# Regenerates rpkg/man and rpkg/NAMESPACE from the roxygen comments (needs the package installed).
docs: install
	Rscript -e 'roxygen2::roxygenise("rpkg", load_code = roxygen2::load_installed)'

# Source tarballs of the R package, built by R CMD build itself (rpkg/cleanup makes src/rust/ a self-contained
# cargo workspace in its copy). `tarball-offline` also vendors every dependency (LAZYSHARE_VENDOR=true).
# Installs of these tarballs made here (R CMD build's vignette install, make check) build the Rust library in
# their own temporary directories; CARGO_TARGET_DIR points cargo at one target directory kept in target/, so
# only the first of them compiles the dependencies. It is not the workspace's target/: the tarball's crates
# are other copies of the workspace's, and alternating between the two would rebuild them each time.
TARBALL_CARGO := $(CURDIR)/target/tarball-cargo

tarball: setup
	@rm -rf target/pkg && mkdir -p target/pkg
	cd target/pkg && CARGO_TARGET_DIR=$(TARBALL_CARGO) R CMD build $(CURDIR)/rpkg

tarball-offline: setup
	@rm -rf target/pkg-offline && mkdir -p target/pkg-offline
	cd target/pkg-offline && LAZYSHARE_VENDOR=true CARGO_TARGET_DIR=$(TARBALL_CARGO) R CMD build $(CURDIR)/rpkg

# R CMD check of the tarball as a user would get it (no repository needed), tests and examples included.
# _R_CHECK_TESTS_NLINES_=0 shows a failing test's whole output. R CMD check fails only on ERRORs; this target
# also fails on WARNINGs. The NOTEs it leaves are explained in the README.
check: tarball
	@rm -rf target/check && mkdir -p target/check
	cd target/check && CARGO_TARGET_DIR=$(TARBALL_CARGO) _R_CHECK_TESTS_NLINES_=0 \
	  R CMD check --no-manual $(CURDIR)/target/pkg/lazyshare_*.tar.gz
	@! grep -qE '^Status:.*(WARNING|ERROR)' target/check/lazyshare.Rcheck/00check.log

clean:
	cargo clean
	rm -f rpkg/src/*.o rpkg/src/*.so rpkg/src/Makevars
