# C: install/uninstall of the library, header and pkg-config file; the C
# test program, stress run, header check and examples (test-c); the C
# benchmark (bench-c). Build outputs go to build/c/.
#
#   make install PREFIX=/usr/local DESTDIR=   libraries, header, auraguard.pc
#   make uninstall PREFIX=... DESTDIR=...      remove exactly those files
#   make test-c                                every C check (valgrind included)
#   make bench-c [BENCH_C_ARGS=--json]         ns per decision from C

.PHONY: test-c bench-c c-examples c-sanitize install uninstall

C_OUT      := build/c
CXX        ?= g++
C_WARN     := -std=c11 -Wall -Wextra -Werror -pedantic -D_POSIX_C_SOURCE=200809L
C_CFLAGS   := $(C_WARN) -O2 -g -Iinclude
CXX_CFLAGS := -Wall -Wextra -Werror -pedantic -Iinclude
# Link the freshly built shared library, found at run time through the rpath.
C_LDSHARED := -L$(LIB_DIR) -lauraguard -Wl,-rpath,$(LIB_DIR) -lpthread -lm
# The static archive carries Rust's std, which needs these from libc.
C_LDSTATIC := $(LIB_DIR)/libauraguard.a -lpthread -ldl -lm
C_LIBS     := $(LIB_DIR)/libauraguard.so $(LIB_DIR)/libauraguard.a

C_TEST_SRC := $(addprefix tests/c/,test_main.c harness.c json_field.c workload.c \
                test_basics.c test_decisions.c test_reports.c test_state.c test_calls.c \
                test_events.c test_threads.c test_decision_handle.c \
                test_ledger.c test_fast.c)
C_TEST_HDR := $(wildcard tests/c/*.h) $(HEADER)
C_STRESS_SRC := tests/c/stress.c tests/c/workload.c tests/c/json_field.c
C_EXAMPLES := $(patsubst examples/c/%.c,$(C_OUT)/example_%,$(wildcard examples/c/*.c))

# Run a test program showing only its summary line, or all of its output when it fails.
C_RUN_BRIEF = run_brief() { if out=$$("$$@" 2>&1); then printf '%s\n' "$$out" | tail -n 1; \
                else printf '%s\n' "$$out"; return 1; fi; }; run_brief

VALGRIND := valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
            --show-leak-kinds=definite

# Installation layout: the real file carries the full version; the soname
# link (major version) and the development link point to it.
SOMAJOR            := $(firstword $(subst ., ,$(VERSION)))
INSTALL_LIBDIR     ?= $(PREFIX)/lib
INSTALL_INCLUDEDIR ?= $(PREFIX)/include
INSTALL_PCDIR      ?= $(INSTALL_LIBDIR)/pkgconfig
SO_REAL            := libauraguard.so.$(VERSION)
SO_MAJOR           := libauraguard.so.$(SOMAJOR)

# The libraries come from `make build`; build them only when absent, so that
# `sudo make install` after `make build` needs no Rust toolchain.
$(C_LIBS):
	$(MAKE) build

$(C_OUT):
	mkdir -p $@

$(C_OUT)/test_capi: $(C_TEST_SRC) $(C_TEST_HDR) $(C_LIBS) | $(C_OUT)
	$(CC) $(C_CFLAGS) $(C_TEST_SRC) $(C_LDSHARED) -o $@

$(C_OUT)/test_capi_static: $(C_TEST_SRC) $(C_TEST_HDR) $(C_LIBS) | $(C_OUT)
	$(CC) $(C_CFLAGS) $(C_TEST_SRC) $(C_LDSTATIC) -o $@

$(C_OUT)/test_capi_asan: $(C_TEST_SRC) $(C_TEST_HDR) $(C_LIBS) | $(C_OUT)
	$(CC) $(C_CFLAGS) -fsanitize=address,undefined -fno-omit-frame-pointer \
	  -fno-sanitize-recover=undefined $(C_TEST_SRC) $(C_LDSHARED) -o $@

$(C_OUT)/stress: $(C_STRESS_SRC) $(C_TEST_HDR) $(C_LIBS) | $(C_OUT)
	$(CC) $(C_CFLAGS) $(C_STRESS_SRC) $(C_LDSHARED) -o $@

$(C_OUT)/header_hygiene: tests/c/header_hygiene.cpp $(HEADER) $(C_LIBS) | $(C_OUT)
	$(CXX) $(CXX_CFLAGS) $< $(C_LDSHARED) -o $@

$(C_OUT)/example_%: examples/c/%.c $(HEADER) $(C_LIBS) | $(C_OUT)
	$(CC) $(C_CFLAGS) $< $(C_LDSHARED) -o $@

# The provider example reads the response with jansson (libjansson-dev, see make deps).
$(C_OUT)/example_provider_tool_results: examples/c/provider_tool_results.c $(HEADER) $(C_LIBS) | $(C_OUT)
	$(CC) $(C_CFLAGS) $< $(C_LDSHARED) -ljansson -o $@

$(C_OUT)/bench_capi: bench/c/bench_capi.c $(HEADER) $(C_LIBS) | $(C_OUT)
	$(CC) $(C_CFLAGS) $< $(C_LDSHARED) -o $@

## test-c: the C test program (valgrind, static, sanitizers), C++ header check, stress, examples, install,
## and the null engine the bindings' overhead benchmarks load (it must define every function of the header)
test-c: build $(C_OUT)/test_capi $(C_OUT)/test_capi_static $(C_OUT)/stress $(C_OUT)/header_hygiene \
        $(NULL_ENGINE_DIR)/libauraguard.so $(C_OUT)/bench_capi build/bench/rss_growth
	@echo "== C test program under valgrind"
	$(VALGRIND) $(C_OUT)/test_capi
	@echo "== C test program linked statically"
	@$(C_RUN_BRIEF) $(C_OUT)/test_capi_static
	@$(MAKE) --no-print-directory c-sanitize
	@echo "== C++ header hygiene"
	$(C_OUT)/header_hygiene && echo "header: compiles as C++, included twice"
	@echo "== stress"
	$(C_OUT)/stress
	@$(MAKE) --no-print-directory c-examples
	@echo "== benchmark programs, a few operations each (each fails on an answer off its workload)"
	$(C_OUT)/bench_capi --batches 1 --iterations 100 >/dev/null
	build/bench/rss_growth --calls 20000 --warmup 10000 --api json >/dev/null
	build/bench/rss_growth --calls 20000 --warmup 10000 --api fast >/dev/null
	@echo "== install"
	tests/c/check_install.sh "$(MAKE)" "$(CC)" $(SOMAJOR) $(VERSION)

## c-sanitize: the C test program with AddressSanitizer and UBSan, when gcc can link them here
c-sanitize:
	@echo "== C test program with -fsanitize=address,undefined"
	@probe=$$(mktemp); \
	if echo 'int main(void){return 0;}' | $(CC) -fsanitize=address,undefined -x c - -o $$probe \
	    2>/dev/null && $$probe; then rm -f $$probe; \
	  $(MAKE) --no-print-directory $(C_OUT)/test_capi_asan && \
	  $(C_RUN_BRIEF) env ASAN_OPTIONS=detect_leaks=1 $(C_OUT)/test_capi_asan; \
	else rm -f $$probe; echo "sanitizers: $(CC) cannot link -fsanitize=address,undefined here; skipped"; fi

## c-examples: build and run the C examples
c-examples: $(C_EXAMPLES)
	@echo "== examples"
	@for e in $(C_EXAMPLES); do echo "-- $$e"; $$e || exit 1; done

## bench-c: median ns per check+record pair from C (BENCH_C_ARGS=--json for JSON)
bench-c: build $(C_OUT)/bench_capi
	$(C_OUT)/bench_capi $(BENCH_C_ARGS)

## install: the libraries, the header and auraguard.pc under $(DESTDIR)$(PREFIX)
# INSTALL_FROM: the folder whose libraries are installed, target/release
# (make build) by default, or build/dist-lib for the release library (make
# release-lib, profile-guided, as the tarball carries it).
INSTALL_FROM ?= $(LIB_DIR)

install: $(if $(filter $(LIB_DIR),$(INSTALL_FROM)),$(C_LIBS))
	@[ -f $(INSTALL_FROM)/libauraguard.so ] && [ -f $(INSTALL_FROM)/libauraguard.a ] || \
	  { echo "install: no libauraguard.so and .a in $(INSTALL_FROM) (make build, or make release-lib)"; exit 1; }
	install -d $(DESTDIR)$(INSTALL_LIBDIR) $(DESTDIR)$(INSTALL_INCLUDEDIR) $(DESTDIR)$(INSTALL_PCDIR)
	install -m 755 $(INSTALL_FROM)/libauraguard.so $(DESTDIR)$(INSTALL_LIBDIR)/$(SO_REAL)
	ln -sf $(SO_REAL) $(DESTDIR)$(INSTALL_LIBDIR)/$(SO_MAJOR)
	ln -sf $(SO_MAJOR) $(DESTDIR)$(INSTALL_LIBDIR)/libauraguard.so
	install -m 644 $(INSTALL_FROM)/libauraguard.a $(DESTDIR)$(INSTALL_LIBDIR)/libauraguard.a
	install -m 644 $(HEADER) $(DESTDIR)$(INSTALL_INCLUDEDIR)/auraguard.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(INSTALL_LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INSTALL_INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    packaging/auraguard.pc.in > $(DESTDIR)$(INSTALL_PCDIR)/auraguard.pc
	chmod 644 $(DESTDIR)$(INSTALL_PCDIR)/auraguard.pc

## uninstall: remove what install put under $(DESTDIR)$(PREFIX)
uninstall:
	rm -f $(DESTDIR)$(INSTALL_LIBDIR)/$(SO_REAL) $(DESTDIR)$(INSTALL_LIBDIR)/$(SO_MAJOR) \
	      $(DESTDIR)$(INSTALL_LIBDIR)/libauraguard.so $(DESTDIR)$(INSTALL_LIBDIR)/libauraguard.a \
	      $(DESTDIR)$(INSTALL_INCLUDEDIR)/auraguard.h $(DESTDIR)$(INSTALL_PCDIR)/auraguard.pc
