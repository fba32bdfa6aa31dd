# Time one check_tool + record_result pair through the Ruby binding on three
# workloads and print nanoseconds per pair. Run with `make bench-ruby`.
#
#   ruby -Ilib bench/bench.rb [iterations]
require "auraguard"

ITERATIONS = Integer(ARGV.fetch(0, 50_000))
WARMUP = ITERATIONS / 10

WORDS = %w[refund policy germany eu shipping return window label carrier invoice].freeze

# Limits are raised so that every iteration takes the same path for the whole
# run: no budget, per-tool cap, jitter quarantine or tracking limit kicks in
# (1,000,000 entries, the most the library accepts, is far more than a run's
# 55,000 calls).
def new_guard(**config)
  AuraGuard::Guard.new(secret_key: "bench-key", max_unique_calls_tracked: 1_000_000,
                       max_cache_entries: 1_000_000, max_ledger_entries: 1_000_000, **config)
end

WORKLOADS = {
  # A new order each time: the allow path, growing the guard's tables.
  "distinct reads (get_order)" => [
    -> { new_guard },
    ->(i) { ["get_order", { order_id: "ORD-#{i}" }] }
  ],
  # Overlapping 5-word queries: the jitter comparison runs every time.
  "jittery queries (search_kb)" => [
    -> { new_guard(arg_jitter_repeat_threshold: 1_000_000) },
    ->(i) { ["search_kb", { query: Array.new(5) { |w| WORDS[(i + w) % WORDS.size] }.join(" ") }] }
  ],
  # The same call again and again: after the first two, served from cache.
  "same call repeated (cache)" => [
    -> { new_guard },
    ->(_i) { ["get_order", { order_id: "ORD-1" }] }
  ]
}.freeze

def pair(guard, tool, args)
  decision = guard.check_tool(tool, args, ticket_id: "T-1")
  guard.record_result(ok: true, payload: { status: "ok" }, call_id: decision.call_id) if decision.allow?
  decision.action
end

def measure(make_guard, make_call)
  guard = make_guard.call
  calls = Array.new(WARMUP + ITERATIONS) { |i| make_call.call(i) }
  WARMUP.times { |i| pair(guard, *calls[i]) }
  actions = Hash.new(0)
  wall = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
  cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID, :nanosecond)
  WARMUP.upto(WARMUP + ITERATIONS - 1) { |i| actions[pair(guard, *calls[i])] += 1 }
  cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID, :nanosecond) - cpu
  wall = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) - wall
  guard.close
  [wall.fdiv(ITERATIONS), cpu.fdiv(ITERATIONS), actions]
end

puts "ruby #{RUBY_VERSION}, libauraguard #{AuraGuard.native_version}, #{ITERATIONS} pairs per workload"
WORKLOADS.each do |name, (make_guard, make_call)|
  wall, cpu, actions = measure(make_guard, make_call)
  mix = actions.map { |action, n| "#{action} #{n}" }.join(", ")
  # CPU time is printed too: on a busy machine it is the steadier figure.
  printf("%-30s %9.0f ns/pair  (cpu %9.0f ns)  %s\n", name, wall, cpu, mix)
end
