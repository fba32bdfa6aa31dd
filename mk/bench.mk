# Benchmarks: speed in every language, resident memory of a long run, the
# comparison with the Python package, and an instruction-count profile.
#
#   make bench                 bench-rust, each language's bench-<lang>, bench-memory, then
#                              bench-compare (9 batches), whose table it writes into README.md
#   make bench-rust            Criterion: engine/* and c_api/* workloads, state save/load
#   make bench-memory          RSS of a MEMORY_CALLS-call run (default 10 million), through the
#                              JSON API and again through the hot path
#   make bench-compare         aura-guard 0.7.1 (PyPI, throwaway venv) against C, Go, C# and Ruby,
#                              each loading the release library (BENCH_LIB, default make release-lib)
#   make bench-profile         callgrind instruction counts per workload (build/bench/*.out)
#
# Results and their interpretation: docs/PERFORMANCE.md.

.PHONY: bench bench-rust bench-memory bench-compare bench-profile

BENCH_OUT    := build/bench
MEMORY_CALLS ?= 10000000
# bench-compare: batches per workload, and a file whose bench-compare section
# the run rewrites (make bench: README.md)
BENCH_BATCHES ?= 3
# bench-compare: how many times every side is measured in turn (the table
# holds each figure's median over them)
BENCH_ROUNDS  ?= 3
BENCH_README  ?=
# A language's benchmark runs when its rule file defines the target.
BENCH_LANGS  := $(foreach t,bench-c bench-go bench-csharp bench-ruby,\
                  $(if $(shell grep -ls '^$(t):' mk/*.mk),$(t)))

## bench: every benchmark, one after the other (they would disturb each other in parallel)
bench: build
	$(MAKE) --no-print-directory bench-rust
	@for t in $(BENCH_LANGS); do \
	  echo "== $$t"; $(MAKE) --no-print-directory $$t || exit 1; done
	$(MAKE) --no-print-directory bench-memory
	$(MAKE) --no-print-directory bench-compare BENCH_BATCHES=9 BENCH_ROUNDS=9 BENCH_README=README.md

## bench-rust: Criterion, about 2.5 s per benchmark
bench-rust:
	$(CARGO) bench --locked --bench guard

$(BENCH_OUT):
	mkdir -p $@

# Linked with the static archive: the program measures the library alone,
# whatever shared-library setup the machine has.
$(BENCH_OUT)/rss_growth: bench/memory/rss_growth.c $(HEADER) $(LIB_DIR)/libauraguard.a | $(BENCH_OUT)
	$(CC) -std=c11 -Wall -Wextra -Werror -pedantic -O2 -g -Iinclude $< \
	  $(LIB_DIR)/libauraguard.a -lpthread -ldl -lm -o $@

# A libauraguard that decides nothing (bench/null_engine/null_engine.c),
# under both names a binding may load (the soname and the plain name), in a
# folder of its own (NULL_ENGINE_DIR, in the Makefile) that LD_LIBRARY_PATH
# puts before the real library: a binding's workloads run against it time
# the binding alone.

$(NULL_ENGINE_DIR)/libauraguard.so: bench/null_engine/null_engine.c $(HEADER)
	mkdir -p $(NULL_ENGINE_DIR)
	$(CC) -O2 -Wall -Wextra -Werror -shared -fPIC -Wl,-soname,libauraguard.so.0 -Iinclude $< -o $@
	ln -sf libauraguard.so $(NULL_ENGINE_DIR)/libauraguard.so.0
	@# A library that fails the check is removed, so the next make builds and checks it again.
	bench/null_engine/check_exports.sh $(HEADER) $@ || { rm -f $@; exit 1; }

## bench-memory: resident memory growth after warm-up, each API; fails above 10 MB
bench-memory: build $(BENCH_OUT)/rss_growth
	$(BENCH_OUT)/rss_growth --calls $(MEMORY_CALLS) --warmup 100000 --api json
	$(BENCH_OUT)/rss_growth --calls $(MEMORY_CALLS) --warmup 100000 --api fast

## bench-compare: the Python package against the C API, same workloads
# (the C benchmark binary when its rule exists, else ctypes over the library)
# and each binding whose toolchain is there, in one table
# BENCH_LIB: the library every side loads; by default the one the release
# artifacts carry (make release-lib), which is what users install.
BENCH_LIB ?= $(DIST_LIB)
bench-compare: build $(BENCH_LIB) $(if $(filter bench-c,$(BENCH_LANGS)),build/c/bench_capi) \
               $(if $(shell command -v mcs),$(ROOT)/build/csharp/Workloads.exe) \
               $(if $(shell command -v ruby),$(RUBY_EXT))
	python3 bench/compare/compare.py --venv $(BENCH_OUT)/venv --lib $(BENCH_LIB) \
	  --bench-c build/c/bench_capi \
	  $(if $(shell command -v go),--go-dir bindings/go) \
	  $(if $(shell command -v mcs),--csharp $(ROOT)/build/csharp/Workloads.exe) \
	  $(if $(shell command -v ruby),--ruby-dir bindings/ruby --ruby-ext-lib $(RUBY_EXT_LIB)) \
	  --batches $(BENCH_BATCHES) --rounds $(BENCH_ROUNDS) $(if $(BENCH_README),--readme $(BENCH_README))

# Instruction counts are repeatable where wall-clock time is not. Under
# valgrind SHA-256 runs its portable code (no SHA extensions), so the
# hashing share is larger than on the real CPU: see docs/PERFORMANCE.md.
PROFILE_ITER ?= 2000
PROFILE_WORKLOADS ?= distinct_reads_fast jittery_queries_fast cached_repeat_fast check_output_fast

## bench-profile: callgrind per workload of the C benchmark, inclusive costs
bench-profile: build build/c/bench_capi | $(BENCH_OUT)
	@for w in $(PROFILE_WORKLOADS); do \
	  valgrind --tool=callgrind --toggle-collect=measure --callgrind-out-file=$(BENCH_OUT)/callgrind.$$w.out \
	    build/c/bench_capi --only $$w --batches 1 --iterations $(PROFILE_ITER) >/dev/null 2>&1 || exit 1; \
	  echo "== $$w: $$((2 * $(PROFILE_ITER))) operations"; \
	  callgrind_annotate --inclusive=yes $(BENCH_OUT)/callgrind.$$w.out | sed -n '/file:function/,$$p' | sed -n 3,40p | cut -c1-160; \
	done
