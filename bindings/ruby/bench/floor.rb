# frozen_string_literal: true

# What a distinct-read pair costs in Ruby before the binding's own code,
# when the binding runs through ffi (AuraGuard::FfiPath; the C extension,
# CPath, makes neither ffi call):
#
# - caller: bench/workloads.rb's distinct-read loop (the lambda, the
#   interpolated arguments, the keyword calls, the Decision) against a guard
#   written in Ruby that decides nothing;
# - native: the two ffi calls the binding makes for the pair
#   (auraguard_call_check, five parameters; auraguard_call_record_ok,
#   three), made straight through AuraGuard::Native with nothing around
#   them. Against bench/null_engine (make bench-ruby-overhead) this is the
#   crossing alone; against the real library, crossing and engine.
#
# The binding can be no cheaper than their sum plus the engine's own pair
# (bench/c). Prints one JSON object {part: median ns per pair}.
#
#   ruby -Ilib bench/floor.rb --batches N --iterations N
require_relative "workload_parts"
include WorkloadParts # rubocop:disable Style/MixinUsage -- median, time_per_op

options = WorkloadParts.options(batches: 9, iterations: 20_000)

# A guard that allows everything with a new call id and records nothing,
# with Guard's signatures.
class StandInGuard
  def initialize
    @next = 0
  end

  def check_tool(_name, _args = {}, ticket_id: nil, side_effect: nil) # rubocop:disable Lint/UnusedMethodArgument
    AuraGuard::Decision.new(:allow, "ok", @next += 1)
  end

  def record_result(ok:, payload: nil, error_code: nil, side_effect_executed: nil, call_id: nil) # rubocop:disable Lint/UnusedMethodArgument
    nil
  end
end

def caller_ns(batches, iterations)
  median((0..batches).map do
    guard = StandInGuard.new
    time_per_op(iterations) { iterations.times { |i| WorkloadParts::DISTINCT_READ.call(guard, i) } }
  end.drop(1))
end

# A real guard's call block, used as the binding uses it but without the
# binding: the check of workloads.rb's arguments, then the record of the
# most recent waiting call (call id 0).
def native_ns(batches, iterations)
  median((0..batches).map do
    guard = AuraGuard::Guard.new(secret_key: "bench", max_cost_per_run: 1_000_000)
    address = guard.instance_variable_get(:@idle).last[AuraGuard::Scratch::ADDRESS]
    payload = WorkloadParts::PAYLOAD.json
    # Made before the clock starts: the caller's part counts them.
    args = Array.new(iterations) { |i| %({"order_id":"A-#{i}"}) }
    per_op = time_per_op(iterations) do
      i = 0
      while i < iterations
        raise "check failed" unless AuraGuard::Native.auraguard_call_check(address, "get_order", args[i], "T-1", -1).zero?
        raise "record failed" unless AuraGuard::Native.auraguard_call_record_ok(address, 0, payload).zero?

        i += 1
      end
    end
    guard.close
    per_op
  end.drop(1))
end

# As bench/workloads.rb does, one unmeasured round first: the interpreter's
# heap grows through a process's first few thousand operations.
caller_ns(1, options[:iterations])
native_ns(1, options[:iterations])
puts JSON.generate(caller: caller_ns(options[:batches], options[:iterations]).round(1),
                   native: native_ns(options[:batches], options[:iterations]).round(1))
