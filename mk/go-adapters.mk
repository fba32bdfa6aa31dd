# The Go provider helpers' typed SDK variants and the framework adapters:
# bindings/go/{openaiguard,anthropicguard,langchainguard,einoguard,genkitguard},
# each its own module (its dependencies stay out of the core package),
# pointing at the core module in this checkout with a replace directive.
# The raw-JSON helpers (bindings/go/providers) are in the core module and
# run with `make test-go`.
#
#   make test-go-adapters   vet, gofmt, go test (-race for the framework
#                           adapters, whose frameworks run tools at once), and
#                           the example agents (each must be stopped by the guard)
#
# The typed SDK helpers only convert types around bindings/go/providers,
# whose parallel turns `make test-go` runs under -race; building the large
# SDKs with the race detector would add minutes on a cold machine for that.
#
# `make deps` (scripts/go-adapters-deps.sh) fills the module cache; the tests
# run with GOPROXY=off, so they never reach the network.

GO_ADAPTERS         := openaiguard anthropicguard langchainguard einoguard genkitguard
GO_ADAPTER_EXAMPLES := langchainguard einoguard genkitguard
GO_ADAPTERS_RACE    := $(GO_ADAPTER_EXAMPLES)
GO_ADAPTERS_ENV     := GOPROXY=off GOFLAGS="-mod=readonly -buildvcs=false"

.PHONY: test-go-adapters

test-go-adapters: build
	@unformatted=$$($(GOFMT) -l $(addprefix $(GO_DIR)/,$(GO_ADAPTERS))); \
	  if [ -n "$$unformatted" ]; then echo "gofmt: not formatted: $$unformatted"; exit 1; fi
	@for m in $(GO_ADAPTERS); do \
	  echo "go-adapters: $$m"; \
	  (cd $(GO_DIR)/$$m && $(GO_ADAPTERS_ENV) $(GO) vet ./... && \
	    $(GO_ADAPTERS_ENV) $(GO) test $$(case " $(GO_ADAPTERS_RACE) " in *" $$m "*) echo -race;; esac) -count=1 ./...) || \
	    { echo "go-adapters: $$m failed (missing modules? run 'make deps')"; exit 1; }; \
	done
	@for m in $(GO_ADAPTER_EXAMPLES); do \
	  out=$$(cd $(GO_DIR)/$$m && $(GO_ADAPTERS_ENV) $(GO) run ./example) || { echo "$$out"; exit 1; }; \
	  echo "$$out"; \
	  echo "$$out" | grep -q "^stopped: escalate" || { echo "go-adapters: the $$m example was not stopped by the guard"; exit 1; }; \
	done
	@echo "go-adapters: vet, gofmt, tests and the example agents passed"
