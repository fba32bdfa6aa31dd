# libauraguard: build, test and install.
#
#   make demo     build and run the demo (the first thing to try)
#   make test     every test suite in every language (installs what is missing)
#   make dist     the release artifacts (tarball, Go module, NuGet package, gems) in dist/
#
# Each language's rules live in mk/<language>.mk.

PREFIX  ?= /usr/local
DESTDIR ?=
CARGO   ?= cargo

ROOT     := $(CURDIR)
LIB_DIR  := $(ROOT)/target/release
CLI      := $(LIB_DIR)/auraguard
HEADER   := include/auraguard.h
VERSION  := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
SOMAJOR  := $(firstword $(subst ., ,$(VERSION)))
SHARED   ?= $(ROOT)/../shared
# The release artifacts' library (make release-lib) and how it is optimized.
PGO      ?= auto
PGO_WORK := $(ROOT)/build/pgo
DIST_LIB_DIR := $(ROOT)/build/dist-lib
DIST_LIB := $(DIST_LIB_DIR)/libauraguard.so

export PATH := $(PATH):/usr/local/go/bin:$(HOME)/.cargo/bin

.PHONY: all build release-lib header header-check demo deps test test-rust lint conformance bench \
        bench-compare install uninstall clean fuzz

all: build

## build: the release library (libauraguard.so, libauraguard.a) and the CLI
## (the workspace: the library at the root, the command line in cli/)
build:
	@# build.rs lays the soname link libauraguard.so.$(SOMAJOR) beside the library.
	$(CARGO) build --release --locked

## release-lib: the library the release artifacts carry, in build/dist-lib:
## the release build optimized with a profile of packaging/pgo/train.c
## (PGO=auto: when the toolchain has llvm-profdata; PGO=1: or fail; PGO=0: plain)
release-lib: $(DIST_LIB)

# Rebuilt when the engine's source, the training run or PGO changes (each
# mode has a stamp of its own).
$(DIST_LIB): Cargo.toml Cargo.lock build.rs $(shell find src -name '*.rs') \
             packaging/pgo/train.c packaging/pgo/build.sh $(HEADER) $(PGO_WORK)/mode-$(PGO)
	CARGO="$(CARGO)" packaging/pgo/build.sh $(DIST_LIB_DIR) $(PGO_WORK) $(PGO)

$(PGO_WORK)/mode-$(PGO):
	@mkdir -p $(@D) && rm -f $(PGO_WORK)/mode-* && touch $@

## header: regenerate include/auraguard.h from src/ffi/ with cbindgen
header:
	cbindgen --quiet --config cbindgen.toml --crate auraguard --output $(HEADER)

## header-check: fail when the committed header is not what cbindgen writes
header-check:
	@tmp=$$(mktemp); cbindgen --quiet --config cbindgen.toml --crate auraguard --output $$tmp; \
	if ! diff -u $(HEADER) $$tmp; then rm -f $$tmp; \
	  echo "include/auraguard.h is stale: run 'make header' and commit it"; exit 1; fi; \
	rm -f $$tmp; echo "header: include/auraguard.h is fresh"

## demo: a customer-support agent run without and with the guard
demo: build
	$(CLI) demo

## deps: install the toolchains the tests need (apt-get as root), or say what is missing
deps:
	@scripts/deps.sh

## test: every suite, every language
test: deps
	$(MAKE) test-rust test-c test-go test-go-adapters test-csharp test-ruby test-dist test-mcp

## test-rust: unit, integration and property tests, lint, header freshness,
## and a short run (about a minute) of the hostile-input property tests
test-rust: lint header-check
	$(CARGO) test --release --locked
	PROPTEST_CASES=40000 $(CARGO) test --release --locked --test hostile
	PROPTEST_CASES=20000 $(CARGO) test --release --locked --lib json_scan

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --release --locked --all-targets -- -D warnings

## conformance: replay the reference traces in ../shared/conformance, once
## with parsed values and once as JSON text (the path of the C API and
## every wrapper)
conformance: build
	python3 $(SHARED)/conformance/compare.py --cmd "$(CLI) replay" \
	  $(SHARED)/conformance/traces $(SHARED)/conformance/scenarios $(SHARED)/conformance/handmade
	python3 $(SHARED)/conformance/compare.py --cmd "$(CLI) replay --text" \
	  $(SHARED)/conformance/traces $(SHARED)/conformance/scenarios $(SHARED)/conformance/handmade

clean:
	$(CARGO) clean
	rm -rf build dist

# The library that decides nothing, which the bindings' overhead benchmarks
# load (built by mk/bench.mk; named here, before the rules that need it).
NULL_ENGINE_DIR := $(ROOT)/build/bench/null-engine

include mk/c.mk mk/go.mk mk/go-adapters.mk mk/csharp.mk mk/ruby.mk mk/bench.mk mk/dist.mk mk/fuzz.mk mk/mcp.mk
