# Go binding (bindings/go, package auraguard) and its examples (examples/go).
#
#   make test-go     vet, gofmt check, go test -race, the examples (checking
#                    they reach their guarded outcome), and the binding built
#                    against an installed library through pkg-config
#   make bench-go    ns per check+record pair on three workloads
#   make bench-go-overhead   the comparison's workloads (Benchmark
#                    Workload*) against a library that decides nothing:
#                    the binding's own ns and allocations per operation
#
# The module has no dependencies, so nothing is downloaded. Examples are
# built with -buildvcs=false: stamping VCS data is of no use to them and
# fails when the checkout belongs to another user (a root CI job).

GO          ?= go
GOFMT       ?= gofmt
GO_DIR      := $(ROOT)/bindings/go
GO_EXAMPLES := $(ROOT)/examples/go
GO_OUT      := $(ROOT)/build/go
GO_PREFIX   := $(GO_OUT)/prefix

.PHONY: test-go test-go-pkgconfig bench-go bench-go-overhead

test-go: build
	cd $(GO_DIR) && $(GO) vet ./...
	cd $(GO_EXAMPLES) && $(GO) vet ./...
	@unformatted=$$($(GOFMT) -l $(GO_DIR) $(GO_EXAMPLES)); \
	  if [ -n "$$unformatted" ]; then echo "gofmt: not formatted: $$unformatted"; exit 1; fi
	cd $(GO_DIR) && $(GO) test -race -count=1 ./...
	@# The benchmarks, fifty operations each: they fail on a decision off
	@# their workload.
	cd $(GO_DIR) && $(GO) test -count=1 -run '^$$' -bench . -benchtime 50x . >/dev/null
	cd $(GO_EXAMPLES) && out=$$($(GO) run -buildvcs=false .) && echo "$$out" && \
	  echo "$$out" | grep -q "side_effect_limit_exceeded"
	cd $(GO_EXAMPLES) && out=$$($(GO) run -buildvcs=false ./agent) && echo "$$out" && \
	  echo "$$out" | grep -q "forced_finalize"
	$(MAKE) --no-print-directory test-go-pkgconfig
	@echo "go: vet, gofmt, tests, examples and the pkg-config build passed"

## test-go-pkgconfig: the binding against an installed copy (staged under build/go)
test-go-pkgconfig: build
	@$(MAKE) --no-print-directory -s install PREFIX=$(GO_PREFIX) DESTDIR= >/dev/null
	cd $(GO_DIR) && PKG_CONFIG_PATH=$(GO_PREFIX)/lib/pkgconfig \
	  $(GO) test -tags auraguard_pkgconfig -count=1 -c -o $(GO_OUT)/auraguard.test .
	@if ldd $(GO_OUT)/auraguard.test | grep -q '$(LIB_DIR)'; then \
	  echo "go: the pkg-config build linked $(LIB_DIR) instead of the installed library"; exit 1; fi
	cd $(GO_DIR) && LD_LIBRARY_PATH=$(GO_PREFIX)/lib $(GO_OUT)/auraguard.test -test.count=1 \
	  -test.run 'Version|DoubleRefund|Example$$'

bench-go: build
	cd $(GO_DIR) && $(GO) test -run '^$$' -bench . -benchmem -count=1 .

# The workloads against the library that decides nothing (mk/bench.mk),
# found under the soname the test binary asks for: what is left is the
# binding's cost, without the engine's, whose time and noise would
# otherwise swamp it.
bench-go-overhead: build $(NULL_ENGINE_DIR)/libauraguard.so
	cd $(GO_DIR) && $(GO) test -c -o $(GO_OUT)/overhead.test .
	cd $(GO_DIR) && LD_LIBRARY_PATH=$(NULL_ENGINE_DIR) $(GO_OUT)/overhead.test \
	  -test.run '^$$' -test.bench '^BenchmarkWorkload' -test.benchmem -test.count=5
