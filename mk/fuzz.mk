# Fuzzing: the hostile-input property tests at length, the inputs that once
# broke a promise, then every cargo-fuzz target (fuzz/, nightly toolchain)
# for FUZZ_SECONDS each, one after another. Never part of `make test`.
#
#   make fuzz                        fuzz-proptest, fuzz-regressions, fuzz-run
#   make fuzz-proptest               proptest at PROPTEST_CASES (default 1,000,000)
#   make fuzz-regressions            replay fuzz/regressions/<target>/* once each
#   make fuzz-run                    each target for FUZZ_SECONDS (default 600)
#   make fuzz-run FUZZ_TARGETS=ops FUZZ_SECONDS=60 FUZZ_FLAGS=-jobs=1
#
# Targets, their promises and how to reproduce a crash: docs/FUZZING.md.

.PHONY: fuzz-deps fuzz-proptest fuzz-regressions fuzz-run

FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= config check_tool record_result check_output state_load ops hot_paths
# Extra libFuzzer flags, e.g. -jobs=1 or -max_len=8192.
FUZZ_FLAGS   ?=
FUZZ_OUT     := build/fuzz
FUZZ_CARGO   := $(CARGO) +nightly fuzz

## fuzz: everything above, in order (a failing step stops the rest)
fuzz:
	$(MAKE) --no-print-directory fuzz-proptest
	$(MAKE) --no-print-directory fuzz-regressions
	$(MAKE) --no-print-directory fuzz-run

## fuzz-deps: the nightly toolchain and cargo-fuzz, installed when missing
fuzz-deps:
	@scripts/fuzz-deps.sh

## fuzz-proptest: the hostile-input property tests at length
fuzz-proptest:
	PROPTEST_CASES=$${PROPTEST_CASES:-1000000} $(CARGO) test --release --locked --test hostile
	PROPTEST_CASES=$${PROPTEST_CASES:-1000000} $(CARGO) test --release --locked --lib json_scan
	PROPTEST_CASES=$${PROPTEST_CASES:-1000000} $(CARGO) test --release --locked --lib json_number

# The config target's dictionary: the JSON tokens and every key of
# CONFIG_KEYS, read from the source so it follows new keys.
$(FUZZ_OUT)/config.dict: fuzz/dict/json.dict src/config.rs
	@mkdir -p $(@D)
	{ cat fuzz/dict/json.dict; sed -n '/^pub const CONFIG_KEYS/,/^];/p' src/config.rs | grep -o '"[a-z_]*"'; } > $@

## fuzz-regressions: every minimized input that once broke a promise, once
fuzz-regressions: fuzz-deps
	@for t in $(FUZZ_TARGETS); do \
	  files=$$(find fuzz/regressions/$$t -type f 2>/dev/null | sort); \
	  [ -n "$$files" ] || continue; \
	  echo "== fuzz-regressions $$t"; \
	  $(FUZZ_CARGO) run --fuzz-dir fuzz $$t $$files || exit 1; \
	done

## fuzz-run: each target for FUZZ_SECONDS; new inputs go to build/fuzz/corpus,
## a crash to build/fuzz/artifacts/<target>/
fuzz-run: fuzz-deps $(FUZZ_OUT)/config.dict
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_OUT)/corpus/$$t $(FUZZ_OUT)/artifacts/$$t; \
	  dict=fuzz/dict/json.dict; [ $$t = config ] && dict=$(FUZZ_OUT)/config.dict; \
	  echo "== fuzz-run $$t: $(FUZZ_SECONDS) s"; \
	  $(FUZZ_CARGO) run --fuzz-dir fuzz $$t $(FUZZ_OUT)/corpus/$$t fuzz/corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -dict=$$dict -timeout=10 \
	    -artifact_prefix=$(FUZZ_OUT)/artifacts/$$t/ $(FUZZ_FLAGS) || exit 1; \
	done
