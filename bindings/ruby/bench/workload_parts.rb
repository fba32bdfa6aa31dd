# frozen_string_literal: true

# What bench/workloads.rb and bench/floor.rb share: their command line, how
# they time and summarise batches, the payload every pair records, and the
# pair and distinct-read operation themselves, so that floor.rb times
# exactly the loop workloads.rb runs.
require "json"
require "optparse"
require "auraguard"

module WorkloadParts
  PAYLOAD = AuraGuard::RawJSON.new('{"n":1}')

  module_function

  # --batches N --iterations N over `defaults`.
  def options(defaults)
    options = defaults.dup
    OptionParser.new do |o|
      o.on("--batches N", Integer) { |n| options[:batches] = n }
      o.on("--iterations N", Integer) { |n| options[:iterations] = n }
    end.parse!
    options
  end

  # The median of `samples` (not empty).
  def median(samples)
    s = samples.sort
    mid = s.size / 2
    s.size.odd? ? s[mid] : (s[mid - 1] + s[mid]) / 2
  end

  # Yields once; the monotonic clock's ns over the block, per operation.
  def time_per_op(iterations)
    start = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
    yield
    (Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) - start).fdiv(iterations)
  end

  # A check and, when allowed, the record of its success with `payload`;
  # raises when the guard answers other than `want` (nil: anything).
  def pair(guard, tool, args, want, payload = PAYLOAD)
    d = guard.check_tool(tool, args, ticket_id: "T-1")
    raise "#{tool}: expected #{want}, got #{d.action} (#{d.reason})" unless want.nil? || d.action == want

    guard.record_result(ok: true, payload: payload, call_id: d.call_id) if d.allow?
  end

  # A read of an order never asked for before, as a model writes its
  # arguments: JSON text made for the call.
  DISTINCT_READ = ->(g, i) { pair(g, "get_order", %({"order_id":"A-#{i}"}), :allow) }
end
