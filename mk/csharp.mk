# rules for csharp: the C# binding (bindings/csharp), its NUnit tests, the
# examples and the benchmark, compiled with Mono's mcs into build/csharp/.
#
#   make test-csharp    build everything, run the tests, run the examples
#   make bench-csharp   ns per check+record pair on three workloads
#   make bench-csharp-overhead   the comparison's workloads against a library
#                       that decides nothing: the binding's own ns per operation

CS_OUT      := $(ROOT)/build/csharp
CS_DIR      := $(ROOT)/bindings/csharp
CS_MCS      ?= mcs
CS_MONO     ?= mono
CS_NUNIT    ?= nunit-console
# Debian's libnunit-cil-dev puts the framework under a versioned directory.
CS_NUNIT_FW ?= $(firstword $(wildcard /usr/lib/cli/nunit.framework-2.6/nunit.framework.dll \
                 /usr/lib/cli/nunit.framework-2.6*/nunit.framework.dll))
CS_FLAGS    := -nologo -warnaserror+ -nowarn:1591 -langversion:7
# DllImport("auraguard") resolves to libauraguard.so on the loader's path.
CS_ENV      := LD_LIBRARY_PATH=$(LIB_DIR)$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}

CS_LIB_SRC   := $(shell find $(CS_DIR)/src -name '*.cs' 2>/dev/null)
CS_TEST_SRC  := $(wildcard $(CS_DIR)/tests/*.cs)
CS_LIB       := $(CS_OUT)/AuraGuard.dll
CS_TESTS     := $(CS_OUT)/AuraGuard.Tests.dll
CS_QUICK     := $(CS_OUT)/Quickstart.exe
CS_AGENT     := $(CS_OUT)/AgentLoop.exe
CS_BENCH     := $(CS_OUT)/Bench.exe
CS_PROVIDER  := $(CS_OUT)/ProviderTurn.exe

.PHONY: test-csharp bench-csharp bench-csharp-overhead csharp-build

csharp-build: $(CS_LIB) $(CS_TESTS) $(CS_QUICK) $(CS_AGENT) $(CS_PROVIDER)

$(CS_LIB): $(CS_LIB_SRC) | $(CS_OUT)
	$(CS_MCS) $(CS_FLAGS) -optimize+ -unsafe -target:library -doc:$(CS_OUT)/AuraGuard.xml -out:$@ $(CS_LIB_SRC)

$(CS_TESTS): $(CS_LIB) $(CS_TEST_SRC)
	@test -n "$(CS_NUNIT_FW)" || { echo "nunit.framework.dll not found: apt-get install libnunit-cil-dev"; exit 1; }
	cp $(CS_NUNIT_FW) $(CS_OUT)/
	$(CS_MCS) $(CS_FLAGS) -target:library -r:$(CS_LIB) -r:$(CS_NUNIT_FW) -r:System.Net.Http -out:$@ $(CS_TEST_SRC)

$(CS_QUICK): $(CS_LIB) $(ROOT)/examples/csharp/Quickstart.cs
	$(CS_MCS) $(CS_FLAGS) -r:$(CS_LIB) -out:$@ $(ROOT)/examples/csharp/Quickstart.cs

$(CS_AGENT): $(CS_LIB) $(ROOT)/examples/csharp/AgentLoop.cs
	$(CS_MCS) $(CS_FLAGS) -r:$(CS_LIB) -out:$@ $(ROOT)/examples/csharp/AgentLoop.cs

$(CS_PROVIDER): $(CS_LIB) $(ROOT)/examples/csharp/ProviderTurn.cs
	$(CS_MCS) $(CS_FLAGS) -r:$(CS_LIB) -out:$@ $(ROOT)/examples/csharp/ProviderTurn.cs

$(CS_BENCH): $(CS_LIB) $(CS_DIR)/bench/Bench.cs
	$(CS_MCS) $(CS_FLAGS) -optimize+ -r:$(CS_LIB) -out:$@ $(CS_DIR)/bench/Bench.cs

# The comparison's workloads (make bench-compare), printed as JSON.
$(CS_OUT)/Workloads.exe: $(CS_LIB) $(CS_DIR)/bench/Workloads.cs
	$(CS_MCS) $(CS_FLAGS) -optimize+ -r:$(CS_LIB) -out:$@ $(CS_DIR)/bench/Workloads.cs

$(CS_OUT):
	mkdir -p $@

# nunit-console exits with the number of failed tests (non-zero on any failure
# or error); its last lines are the summary ("Tests run: N, Errors: 0, Failures: 0, ...").
test-csharp: build csharp-build $(CS_OUT)/Workloads.exe
	cd $(CS_OUT) && $(CS_ENV) $(CS_NUNIT) -nologo -xml=$(CS_OUT)/TestResult.xml $(CS_TESTS)
	@# The comparison's workloads, a few operations each: they throw on a
	@# decision off their workload.
	cd $(CS_OUT) && $(CS_ENV) $(CS_MONO) Workloads.exe --batches 1 --iterations 50 >/dev/null
	cd $(CS_OUT) && $(CS_ENV) $(CS_MONO) $(CS_QUICK)
	cd $(CS_OUT) && $(CS_ENV) $(CS_MONO) $(CS_AGENT)
	@# The double refund of the recorded response runs once; both calls are answered.
	cd $(CS_OUT) && out=$$($(CS_ENV) $(CS_MONO) $(CS_PROVIDER) $(ROOT)/tests/fixtures/providers/openai_chat_repeat.json) && \
	  echo "$$out" && echo "$$out" | grep -q "refunds executed: 1" && [ $$(echo "$$out" | grep -c '"role":"tool"') -eq 2 ]
	@# Without the library on any path, the error says where it looked and how to fix it.
	@if ldconfig -p | grep -q libauraguard; then echo "csharp: libauraguard is installed; missing-library check skipped"; \
	else cd $(CS_OUT) && ! out=$$(env -u LD_LIBRARY_PATH $(CS_MONO) $(CS_QUICK) 2>&1) && \
	  echo "$$out" | grep -q "could not be loaded. Searched" && echo "$$out" | grep -q "make build" && \
	  echo "csharp: a missing library is reported with the paths searched"; fi

bench-csharp: build $(CS_BENCH)
	$(CS_ENV) $(CS_MONO) -O=all $(CS_BENCH)

# The workloads against the library that decides nothing (mk/bench.mk):
# what is left is the binding's cost.
bench-csharp-overhead: $(CS_OUT)/Workloads.exe $(NULL_ENGINE_DIR)/libauraguard.so
	LD_LIBRARY_PATH=$(NULL_ENGINE_DIR) $(CS_MONO) -O=all $(CS_OUT)/Workloads.exe --batches 9 --iterations 20000
