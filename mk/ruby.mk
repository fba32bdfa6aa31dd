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
RUBY_RUN    := $(RUBY) -I$(RUBY_DIR)/lib

.PHONY: test-ruby bench-ruby bench-ruby-overhead

test-ruby: build
	cd $(RUBY_DIR) && $(RUBY) -S rake test
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

bench-ruby: build
	$(RUBY_RUN) $(RUBY_DIR)/bench/bench.rb

# The comparison's workloads against the library that decides nothing
# (mk/bench.mk): what is left is the binding's cost. Then the floor beneath
# it: the caller's own loop, and the pair's two ffi calls with nothing
# around them.
bench-ruby-overhead: $(NULL_ENGINE_DIR)/libauraguard.so
	AURAGUARD_LIB=$(NULL_ENGINE_DIR)/libauraguard.so $(RUBY_RUN) $(RUBY_DIR)/bench/workloads.rb --batches 9
	AURAGUARD_LIB=$(NULL_ENGINE_DIR)/libauraguard.so $(RUBY_RUN) $(RUBY_DIR)/bench/floor.rb
