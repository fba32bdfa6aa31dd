# Ruby binding (bindings/ruby, gem "auraguard") and its examples.
#
#   make test-ruby    the minitest suite, both examples (checking they reach
#                     their guarded outcome), a short run of the benchmark
#                     scripts, and a gem build into build/ruby
#   make bench-ruby   ns per check+record pair on three workloads
#   make bench-ruby-overhead   the comparison's workloads against a library that decides nothing,
#                              and the floor beneath the binding (bench/floor.rb)

RUBY        ?= ruby
RUBY_DIR    := $(ROOT)/bindings/ruby
RUBY_BUILD  := $(ROOT)/build/ruby
# The gem's C extension (bindings/ruby/ext), built for this Ruby; its
# folder comes first on the load path, so every Ruby run here takes the C
# hot path (AURAGUARD_HOT_PATH=ffi to run without it).
RUBY_EXT_BUILD := $(RUBY_BUILD)/ext
RUBY_EXT_LIB   := $(RUBY_BUILD)/lib
RUBY_EXT       := $(RUBY_EXT_LIB)/auraguard/hot_path.so
RUBY_RUN    := $(RUBY) -I$(RUBY_EXT_LIB) -I$(RUBY_DIR)/lib

.PHONY: test-ruby bench-ruby bench-ruby-overhead ruby-ext

## ruby-ext: the Ruby gem's C hot path, built into build/ruby/lib
ruby-ext: $(RUBY_EXT)

$(RUBY_EXT): $(RUBY_DIR)/ext/auraguard/hot_path.c $(RUBY_DIR)/ext/auraguard/extconf.rb $(HEADER)
	@mkdir -p $(RUBY_EXT_BUILD) $(dir $@)
	cd $(RUBY_EXT_BUILD) && AURAGUARD_INCLUDE=$(ROOT)/include AURAGUARD_EXT_CFLAGS=-Werror \
	  $(RUBY) $(RUBY_DIR)/ext/auraguard/extconf.rb >/dev/null && \
	  $(MAKE) -s V=0 >/dev/null
	@test -f $(RUBY_EXT_BUILD)/hot_path.so || { echo "ruby-ext: the C extension was not built (see above)"; exit 1; }
	cp $(RUBY_EXT_BUILD)/hot_path.so $@

# The suite twice: through the C extension (required to load), then
# through ffi alone, the path of a gem installed without a compiler.
test-ruby: build $(RUBY_EXT)
	cd $(RUBY_DIR) && AURAGUARD_RUBY_EXT_LIB=$(RUBY_EXT_LIB) AURAGUARD_HOT_PATH=c $(RUBY) -S rake test
	cd $(RUBY_DIR) && AURAGUARD_HOT_PATH=ffi $(RUBY) -S rake test
	out=$$($(RUBY_RUN) examples/ruby/quickstart.rb) && echo "$$out" | grep -q "reused:"
	out=$$($(RUBY_RUN) examples/ruby/agent_loop.rb) && echo "$$out" | grep -q "final reply:"
	out=$$($(RUBY_RUN) examples/ruby/provider_turn.rb) && echo "$$out" | grep -q "refunds executed: 1" && \
	  [ $$(echo "$$out" | grep -o '"type":"tool_result"' | wc -l) -eq 2 ]
	@# The benchmark scripts, a few operations each: they raise when a
	@# decision is not the one their workload measures, or the API moved.
	$(RUBY_RUN) $(RUBY_DIR)/bench/workloads.rb --batches 1 --iterations 50 >/dev/null
	$(RUBY_RUN) $(RUBY_DIR)/bench/floor.rb --batches 1 --iterations 50 >/dev/null
	@mkdir -p $(RUBY_BUILD)
	cd $(RUBY_DIR) && gem build --silent auraguard.gemspec --output $(RUBY_BUILD)/auraguard-$(VERSION).gem
	@echo "ruby: tests, examples and gem build passed"

bench-ruby: build $(RUBY_EXT)
	$(RUBY_RUN) $(RUBY_DIR)/bench/bench.rb

# The comparison's workloads against the library that decides nothing
# (mk/bench.mk): what is left is the binding's cost, through the C
# extension and through ffi alone. Then the floor beneath it: the caller's
# own loop, and the pair's two ffi calls with nothing around them.
bench-ruby-overhead: $(NULL_ENGINE_DIR)/libauraguard.so $(RUBY_EXT)
	@echo "== the C extension"
	AURAGUARD_HOT_PATH=c AURAGUARD_LIB=$(NULL_ENGINE_DIR)/libauraguard.so $(RUBY_RUN) $(RUBY_DIR)/bench/workloads.rb --batches 9
	@echo "== ffi alone"
	AURAGUARD_HOT_PATH=ffi AURAGUARD_LIB=$(NULL_ENGINE_DIR)/libauraguard.so $(RUBY_RUN) $(RUBY_DIR)/bench/workloads.rb --batches 9
	@echo "== beneath the binding"
	AURAGUARD_LIB=$(NULL_ENGINE_DIR)/libauraguard.so $(RUBY_RUN) $(RUBY_DIR)/bench/floor.rb
