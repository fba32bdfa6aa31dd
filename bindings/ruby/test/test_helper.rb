# frozen_string_literal: true

require "minitest/autorun"
require "minitest/mock"
require "auraguard"

# Builds guards with a fixed test key and closes them after each test, so a
# test that fails midway does not leave native memory to the finalizer.
module GuardFactory
  SECRET = "test-secret-key"

  def guard(**config)
    made = AuraGuard::Guard.new(secret_key: SECRET, **config)
    (@guards ||= []) << made
    made
  end

  def teardown
    (@guards || []).each(&:close)
    super
  end

  # Checks a call and, when allowed, records it as succeeded with `payload`.
  def check_and_record(guard, tool, args = {}, payload: { "ok" => 1 }, **options)
    decision = guard.check_tool(tool, args, **options)
    guard.record_result(ok: true, payload: payload, call_id: decision.call_id) if decision.allow?
    decision
  end
end

class Minitest::Test
  include GuardFactory
end
