# frozen_string_literal: true

# The workloads of bench/c/bench_capi.c and bench/compare through the Ruby
# binding, the same calls on the same configurations (a cost budget out of
# reach included), as a caller that has its arguments and payloads as JSON
# text uses it: arguments as the String a model wrote, payloads as
# AuraGuard::RawJSON. Prints one JSON object
# {workload: median ns per operation}; `make bench-compare` reads it.
#
#   ruby -Ilib bench/workloads.rb --batches N --iterations N
require_relative "workload_parts"
include WorkloadParts # rubocop:disable Style/MixinUsage -- pair, as a plain method call

options = WorkloadParts.options(batches: 3, iterations: 2000)

BUDGET = { secret_key: "bench", max_cost_per_run: 1_000_000 }.freeze
VOCAB = %w[refund policy germany shipping delay invoice warranty return label customs express
           tracking damaged parcel credit voucher].freeze
QUERIES = Array.new(16) { |k| JSON.generate(query: Array.new(5) { |j| VOCAB[(k + j) % 16] }.join(" ")).freeze }
REPEATED = '{"order_id":"A-1"}'

MESSAGES = [
  "Thanks for waiting. Your order A-100 left our warehouse on Monday and the carrier " \
  "expects to deliver it on Thursday before noon. If it does not arrive by Friday, reply " \
  "here and we will send a replacement at no cost, with express shipping included.",
  "I checked the refund you asked about. The amount of twenty five euros was approved " \
  "today and goes back to the card you paid with. Banks usually need three to five " \
  "working days to show it; your reference number is R-2291 for questions.",
  "The warranty covers the blender motor for two years from purchase, but not the glass " \
  "jug. Since the jug cracked during delivery, that counts as transport damage: please " \
  "send a photo of the box and the crack, and a new jug ships.",
  "Your account now uses the new billing address in Munich. Future invoices will show it " \
  "automatically, and the invoice from last week can be reissued if you need it for " \
  "accounting. Nothing else changes about your subscription, plan, price or renewal date."
].freeze

# What get_order answers after the order's id (bench_capi.c's make_order):
# 20 line items with prices, in the tool's key order.
ORDER_REST = (+'","status":"shipped","items":[' +
              Array.new(20) { |k| format('{"sku":"SKU-%05d","name":"Item number %d","qty":%d,"price":%d.99}', k * 7, k, k % 5 + 1, k + 10) }.join(",") +
              '],"customer":{"id":4711,"tier":"gold"}}').freeze

# name => [config, prime, op]
WORKLOADS = {
  "distinct_reads" => [BUDGET, nil, WorkloadParts::DISTINCT_READ],
  "jittery_queries" => [BUDGET.merge(arg_jitter_repeat_threshold: 1_000_000), nil,
                        ->(g, i) { pair(g, "search_kb", QUERIES[i % 16], :allow) }],
  "cached_repeat" => [BUDGET.merge(repeat_toolcall_threshold: 2, max_intervention_log: 100_000, max_cache_entries: 100_000),
                      ->(g) { 2.times { pair(g, "get_order", REPEATED, nil) } },
                      ->(g, _i) { pair(g, "get_order", REPEATED, :cache) }],
  "check_output" => [BUDGET, nil,
                     ->(g, i) { raise "check_output intervened" unless g.check_output(MESSAGES[i % 4]).nil? }],
  "distinct_results" => [BUDGET, nil,
                         ->(g, i) { pair(g, "get_order", %({"order_id":"A-#{i}"}), :allow, AuraGuard::RawJSON.new(%({"order_id":"A-#{i}#{ORDER_REST}))) }]
}.freeze

def median_ns(config, prime, op, batches, iterations)
  per_op = (0..batches).map do
    guard = AuraGuard::Guard.new(**config)
    prime&.call(guard)
    per = time_per_op(iterations) { iterations.times { |i| op.call(guard, i) } }
    guard.close
    per
  end.drop(1) # the first batch warms up
  per_op.empty? ? nil : median(per_op)
end

# The process first runs one batch of every workload, unmeasured: each
# workload's own first batch warms its code, but the interpreter's heap
# keeps growing through the first few thousand operations of a process, and
# without this round whichever workload came first was measured a third
# slower than in the same process a moment later. The figures are the
# steady state a long-running agent sees; compare.py's Python side does the
# same.
WORKLOADS.each_value { |(config, prime, op)| median_ns(config, prime, op, 0, options[:iterations]) }
puts JSON.generate(WORKLOADS.transform_values { |(config, prime, op)| median_ns(config, prime, op, options[:batches], options[:iterations]).round(1) })
